# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Miscellaneous actions: the API itself, profiles and sync."""
from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Dict, List, Literal, Optional, TypedDict, Union

from ..util import API_VERSION, ActionError, JsonSchema, Offload, RequestContext, action, open_shape

#: How deep `multi` may nest inside `multi`.
MAX_MULTI_DEPTH = 4



#: apiReflect's `actions`: names (other items are ignored, as before)
ACTION_NAMES = JsonSchema({"type": "array", "items": {"type": "string"}})


class _MultiSubActionRequired(TypedDict):
    action: str


@open_shape
class MultiSubAction(_MultiSubActionRequired, total=False):
    """One of multi's sub-actions: a request like those sent alone.

    action: the action's name.
    params: its parameters (default: none).
    version: the API version it is answered in; without it, version 4: the bare result on success, `{"result": null, "error": ...}` on failure.
    key: the API key, when the add-on's config sets one (each sub-action carries its own).
    """

    params: Dict[str, Any]
    version: int
    key: str


class PermissionGranted(TypedDict):
    """The calling web origin may use the API.

    permission: "granted".
    requireApikey: whether requests must carry the API key (the config sets `apiKey`).
    version: the API version this add-on speaks: 6.
    """

    permission: Literal["granted"]
    requireApikey: bool
    version: int


class PermissionDenied(TypedDict):
    """The calling web origin may not use the API.

    permission: "denied".
    """

    permission: Literal["denied"]


class ActionSchemas(TypedDict):
    """The JSON Schemas (draft 2020-12) of one action, each standalone (its named shapes in its own `$defs`).

    params: the schema of its `params` object.
    result: the schema of its result.
    """

    params: Dict[str, Any]
    result: Dict[str, Any]


class _ReflectRequired(TypedDict):
    scopes: List[str]


class ReflectResult(_ReflectRequired, total=False):
    """What apiReflect found.

    scopes: the scopes asked for that exist.
    actions: the names of the actions offered (scope `actions`).
    schemas: each action's `{"params", "result"}` JSON Schemas, by name (scope `schemas`).
    """

    actions: List[str]
    schemas: Dict[str, ActionSchemas]


class _EventRequired(TypedDict):
    id: int
    type: str
    ids: List[int]
    source: Dict[str, str]
    time: float


class Event(_EventRequired, total=False):
    """Something that changed.

    id: increasing with each event (ask for the events after it next time).
    type: notes.added, notes.updated, notes.deleted, cards.changed, decks.changed, models.changed, tags.changed, media.added, media.deleted, sync.finished, profile.opened, profile.closed; or `reset`: events were missed (the ring of recent events no longer reaches back that far, or the server restarted), reload what you show.
    ids: the ids of the notes, cards or decks it is about, where they are known (a change in Anki's own windows often says only its kind: then `[]`).
    names: the names it is about (media files, decks, profiles), where there are.
    source: `{"kind": "api", "action": "addNote"}` for a change made through this API, `{"kind": "anki"}` for one made in Anki's windows or by other add-ons.
    time: when, in seconds since 1970.
    reason: for cards.changed: reviewed, suspended, unsuspended, moved, rescheduled, forgotten or edited.
    ease: for a card reviewed in Anki: the answer button (1 Again to 4 Easy).
    """

    names: List[str]
    reason: str
    ease: int


class MiscActions:
    @action(anywhere=True)
    def version(self) -> int:
        """The API version this add-on speaks: 6.

        Call it first to check that AnkiConnect is running.

        Example: {} -> 6
        """
        return API_VERSION

    @action(context=True)
    def multi(self, actions: List[Annotated[Dict[str, Any], MultiSubAction]],
              context: Any = None) -> list:
        """Run several actions in one request; one reply per action, in order.

        Each sub-action is an object like a request (`action`, `params`,
        `version`, `key`).  A sub-action without its own `version` is
        answered as version 4, as the reference does: a bare result on
        success, `{"result": null, "error": ...}` on failure.  When an API key
        is set, each sub-action carries its own `key`.

        actions: the sub-actions, each `{"action", "params"?, "version"?, "key"?}`.

        Example: {"actions": [{"action": "deckNames"}, {"action": "version", "version": 6}]} -> [["Default"], {"result": 6, "error": null}]
        """
        context = context or RequestContext()
        depth = context.multi_depth + 1
        if depth > MAX_MULTI_DEPTH:
            raise ActionError(f"multi: nested more than {MAX_MULTI_DEPTH} levels deep")
        return self.start_all(actions, replace(context, multi_depth=depth))

    @action(context=True)
    def requestPermission(self, context: Any = None) -> Union[PermissionGranted, PermissionDenied]:
        """Ask the user to let the calling web origin use the API.

        Needs no API key.  An origin that is already allowed is granted at
        once; one the user chose to ignore is denied silently; otherwise Anki
        asks the user (Yes / No / Ignore this origin) and remembers the answer
        in the add-on config.  Result: `{"permission": "granted",
        "requireApikey": bool, "version": 6}` or `{"permission": "denied"}`.

        Example: {} -> {"permission": "granted", "requireApikey": false, "version": 6}
        """
        origin = context.origin if context else ""
        allowed = context.allowed if context else True
        config = self.config()
        granted: PermissionGranted = {
            "permission": "granted",
            "requireApikey": bool(config.get("apiKey")),
            "version": API_VERSION,
        }
        if allowed:
            return granted
        if not origin or origin in (config.get("ignoreOriginList") or []):
            return {"permission": "denied"}
        if not self.host.has_gui:
            self.host.log.warning("permission request from %s denied (no GUI to ask)", origin)
            return {"permission": "denied"}

        def remember(answer: str) -> Union[PermissionGranted, PermissionDenied]:
            if answer == "yes":
                self.host.remember_origin(origin, "webCorsOriginList")
                return granted
            if answer == "ignore":
                self.host.remember_origin(origin, "ignoreOriginList")
            return {"permission": "denied"}

        return Offload(self.host.ask_permission(origin).result, remember)

    @action()
    def apiReflect(
        self, scopes: List[str], actions: Optional[Annotated[List[Any], ACTION_NAMES]] = None
    ) -> ReflectResult:
        """Which actions this AnkiConnect offers, and (scope `schemas`) their JSON Schemas.

        `scopes` must include `"actions"` for `actions` in the result (as the
        reference does); with `"schemas"` the result also has `schemas`, each
        action's `{"params", "result"}` JSON Schemas (draft 2020-12).
        `actions` (optional) is a list of names to ask about: the result lists
        those that exist.  Without it, every action this host offers is
        listed (a headless host leaves out the GUI actions).  Other scopes are
        ignored.

        scopes: what to reflect on: `"actions"`, `"schemas"`.
        actions: action names to ask about (default: all); items that are no names are ignored.

        Example: {"scopes": ["actions"], "actions": ["deckNames", "noSuchAction"]} -> {"scopes": ["actions"], "actions": ["deckNames"]}
        """
        from ..schema import action_schemas

        result: Dict[str, Any] = {"scopes": []}
        offered = sorted(
            name
            for name, spec in self.actions.items()
            if self.host.has_gui or not spec.gui
        )
        if actions is not None:
            offered_set = set(offered)
            offered = [a for a in actions if isinstance(a, str) and a in offered_set]
        if "actions" in scopes:
            result["scopes"].append("actions")
            result["actions"] = offered
        if "schemas" in scopes:
            result["scopes"].append("schemas")
            result["schemas"] = {name: action_schemas(self.actions[name]) for name in offered}
        return result

    @action(anywhere=True)
    def getEvents(self, since: int = 0, timeout: float = 0,
                  types: Optional[List[str]] = None) -> List[Event]:
        """The changes after event `since`, waiting up to `timeout` seconds for the first one (long polling).

        For clients that cannot read `GET /events` (Server-Sent Events).
        Call it again with the last event's `id` as `since`: each call
        answers as soon as there is something new, or with `[]` after
        `timeout`.  A `reset` event first says that events were missed
        (reload what you show).

        since: the id of the last event seen (0: every recent event).
        timeout: how long to wait for a first event, in seconds, at most 30 (0: answer at once).
        types: only these types, e.g. `["notes.added", "cards.changed"]`.

        Example: {"since": 41, "timeout": 10} -> [{"id": 42, "type": "notes.added", "ids": [1496198395707], "source": {"kind": "api", "action": "addNote"}, "time": 1764773102.25}]
        """
        from ..events import MAX_POLL_SECONDS, TooManyReaders, unknown_types_problem

        problem = unknown_types_problem(types)
        if problem:
            raise ActionError(f"getEvents: {problem}", "invalid_params", param="types")
        log = self.host.events

        def wait() -> Any:
            try:
                return log.wait(since, min(max(timeout, 0.0), MAX_POLL_SECONDS), types)
            except TooManyReaders:
                raise ActionError("getEvents: too many readers are waiting; try again",
                                  "unavailable") from None

        return Offload(wait)

    @action()
    def getProfiles(self) -> List[str]:
        """The names of Anki's user profiles.

        Example: {} -> ["User 1"]
        """
        return self.host.profile_names()

    @action()
    def getActiveProfile(self) -> Optional[str]:
        """The name of the profile that is open now.

        Example: {} -> "User 1"
        """
        return self.host.active_profile()

    @action(gui=True)
    def loadProfile(self, name: str) -> bool:
        """Switch Anki to the profile `name`; `false` if there is no such profile.

        Opening a profile that is already open does nothing and answers
        `true`.  Otherwise the current profile is closed (Anki saves it, and
        syncs if the user set that up) and `name` is opened; the reply comes
        once the new profile is open.

        name: the profile to open.

        Example: {"name": "User 1"} -> true
        """
        return self.host.load_profile(name)

    @action()
    def reloadCollection(self) -> None:
        """Refresh Anki's windows from the collection (after outside changes).

        Example: {} -> null
        """
        self.host.refresh_gui()

    @action()
    def upgrade(self) -> bool:
        """Always `false`: AnkiConnect never downloads code.

        Updates come from AnkiWeb through Anki's own add-on manager
        (Tools > Add-ons > Check for Updates).

        Example: {} -> false
        """
        self.host.notify(
            "AnkiConnect is updated through AnkiWeb: Tools > Add-ons > Check for Updates."
        )
        return False

    @action()
    def sync(self, fullSync: Optional[Literal["upload", "download"]] = None) -> None:
        """Sync the collection and its media with AnkiWeb or a self-hosted sync server.

        The reply comes when both are synced.  In Anki this is Anki's own
        sync, as its Sync button does, with the profile's sync account; it
        fails clearly when the profile is not logged in.  The headless server
        logs in with `ANKICONNECT_SYNC_USER` and `ANKICONNECT_SYNC_PASSWORD`
        (and `ANKICONNECT_SYNC_ENDPOINT` for a self-hosted server).

        Sometimes the two collections cannot be merged (the first sync of a
        collection, or after a note type was changed) and a full sync must
        replace one side with the other.  Without `fullSync` nothing is
        replaced and the error says so and which choices there are.

        fullSync: what to do if a full sync is required: `"upload"` replaces the server's collection with this one, `"download"` replaces this one with the server's.  A normal sync ignores it.

        Example: {} -> null
        Example: {"fullSync": "upload"} -> null
        """
        return Offload(lambda: self.host.sync(fullSync))

# AnkiConnect - drive Anki over a local HTTP API.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options groups as clients send them (Anki's legacy dict) turned into the
DeckConfig message Anki's deck options screen saves, so that saveDeckConfig
is undoable.  Helpers for actions/decks.py; no actions here."""
from __future__ import annotations

import copy
from typing import Any, Dict

from ..util import ActionError


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def config_id(value: Any, where: str) -> int:
    """An options group id; the reference also accepts strings of digits."""
    if is_int(value):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ActionError(f"{where} must be an options group id (an integer), got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, (bool, int)) and not isinstance(value, float):
        return bool(value)
    raise TypeError(value)


def _int(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if is_int(value):
        return value
    raise TypeError(value)


def _float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(value)


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(value)


def _invert(value: Any) -> bool:
    return not _bool(value)


# legacy key path -> (DeckConfig.Config field, conversion)
_LEGACY_FIELDS: Dict[tuple, tuple] = {
    ("new", "delays"): ("learn_steps", list),
    ("new", "perDay"): ("new_per_day", _int),
    ("new", "initialFactor"): ("initial_ease", lambda v: _float(v) / 1000.0),
    ("new", "order"): ("new_card_insert_order", lambda v: 1 if _int(v) == 0 else 0),
    ("new", "bury"): ("bury_new", _bool),
    ("rev", "perDay"): ("reviews_per_day", _int),
    ("rev", "ease4"): ("easy_multiplier", _float),
    ("rev", "hardFactor"): ("hard_multiplier", _float),
    ("rev", "ivlFct"): ("interval_multiplier", _float),
    ("rev", "maxIvl"): ("maximum_review_interval", _int),
    ("rev", "bury"): ("bury_reviews", _bool),
    ("lapse", "delays"): ("relearn_steps", list),
    ("lapse", "mult"): ("lapse_multiplier", _float),
    ("lapse", "minInt"): ("minimum_lapse_interval", _int),
    ("lapse", "leechAction"): ("leech_action", _int),
    ("lapse", "leechFails"): ("leech_threshold", _int),
    ("newPerDayMinimum",): ("new_per_day_minimum", _int),
    ("newGatherPriority",): ("new_card_gather_priority", _int),
    ("newSortOrder",): ("new_card_sort_order", _int),
    ("reviewOrder",): ("review_order", _int),
    ("newMix",): ("new_mix", _int),
    ("interdayLearningMix",): ("interday_learning_mix", _int),
    ("buryInterdayLearning",): ("bury_interday_learning", _bool),
    ("autoplay",): ("disable_autoplay", _invert),
    ("maxTaken",): ("cap_answer_time_to_secs", lambda v: max(0, _int(v))),
    ("timer",): ("show_timer", _bool),
    ("replayq",): ("skip_question_when_replaying_answer", _invert),
    # newer Anki only; used where the running Anki has the field
    ("stopTimerOnAnswer",): ("stop_timer_on_answer", _bool),
    ("secondsToShowQuestion",): ("seconds_to_show_question", _float),
    ("secondsToShowAnswer",): ("seconds_to_show_answer", _float),
    ("questionAction",): ("question_action", _int),
    ("answerAction",): ("answer_action", _int),
    ("waitForAudio",): ("wait_for_audio", _bool),
    ("desiredRetention",): ("desired_retention", _float),
    ("ignoreRevlogsBeforeDate",): ("ignore_revlogs_before_date", _str),
    ("easyDaysPercentages",): ("easy_days_percentages", list),
}
_IGNORED = {("id",), ("mod",), ("usn",), ("dyn",)}


def _leaves(value: Any, path: tuple = ()) -> Dict[tuple, Any]:
    if isinstance(value, dict):
        out: Dict[tuple, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, path + (k,)))
        return out
    return {path: value}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, bool) or isinstance(b, bool):
            return bool(a) == bool(b)
        return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))
    return a == b


def apply_legacy_changes(proto: Any, current: Dict[str, Any], wanted: Dict[str, Any]) -> bool:
    """Write the keys of `wanted` that differ from `current` into the
    DeckConfig message `proto`.  False if some changed key has no field."""
    have = _leaves(current)
    groups = {p[:i] for p in have for i in range(1, len(p))}
    fields = {f.name for f in proto.config.DESCRIPTOR.fields}
    for path, value in _leaves(wanted).items():
        if path in _IGNORED or (path in have and _same(have[path], value)):
            continue
        if path in groups:
            where = ".".join(str(p) for p in path)
            raise ActionError(f"saveDeckConfig: config.{where} must be an object")
        try:
            if path == ("name",):
                proto.name = _str(value)
            elif path == ("new", "ints"):
                proto.config.graduating_interval_good = _int(value[0])
                proto.config.graduating_interval_easy = _int(value[1])
            elif path in _LEGACY_FIELDS and _LEGACY_FIELDS[path][0] in fields:
                field, convert = _LEGACY_FIELDS[path]
                if isinstance(value, (dict, list)) != (convert is list):
                    raise TypeError
                if convert is list:
                    getattr(proto.config, field)[:] = [_float(v) for v in value]
                else:
                    setattr(proto.config, field, convert(value))
            else:
                return False
        except (TypeError, ValueError, IndexError):
            where = ".".join(str(p) for p in path)
            raise ActionError(f"saveDeckConfig: config.{where} has an invalid value: {value!r}") from None
    return True


def deep_merge(base: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out

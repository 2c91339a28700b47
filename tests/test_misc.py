"""Miscellaneous actions on the shared Anki."""


def test_version(api):
    assert api.call("version") == 6


def test_api_reflect_lists_actions_and_filters(api):
    result = api.call("apiReflect", scopes=["actions"])
    assert result["scopes"] == ["actions"]
    assert {"version", "multi", "deckNames", "requestPermission"} <= set(result["actions"])
    assert result["actions"] == sorted(result["actions"])
    assert api.call("apiReflect", scopes=["actions"], actions=["deckNames", "nope", 3]) == {
        "scopes": ["actions"], "actions": ["deckNames"]}
    assert api.call("apiReflect", scopes=["other"]) == {"scopes": []}


def test_profiles(api):
    # a headless server's one profile is its collection (collection.anki2)
    name = "User 1" if api.host_kind == "gui" else "collection"
    assert api.call("getProfiles") == [name]
    assert api.call("getActiveProfile") == name


def test_upgrade_never_downloads(api):
    assert api.call("upgrade") is False


def test_reload_collection(api):
    assert api.call("reloadCollection") is None
    assert api.call("deckNames") == ["Default"]


def test_sync_without_account_is_a_clear_error(api):
    reply = api.request("sync")
    assert reply["result"] is None
    assert "not logged in" in reply["error"]

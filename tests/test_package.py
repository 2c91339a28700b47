"""The .ankiaddon package installs through Anki's own add-on installer."""
import json
import subprocess
import sys
import zipfile

from harness import REPO, AnkiProcess, ApiClient, free_port


def build(tmp_path):
    out = tmp_path / "ankiconnect.ankiaddon"
    subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--out", str(out)],
                   check=True, capture_output=True)
    return out


def test_package_holds_only_what_anki_needs(tmp_path):
    names = zipfile.ZipFile(build(tmp_path)).namelist()
    for needed in ("__init__.py", "AnkiConnect.py", "web.py", "util.py", "config.json",
                   "config.md", "manifest.json", "LICENSE", "actions/notes.py", "hosts/gui.py"):
        assert needed in names
    for name in names:
        assert not name.startswith(("tests/", "scripts/", ".", "dist/")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert name != "meta.json"


def test_installs_with_anki_addon_manager_and_serves_after_restart(tmp_path):
    package = build(tmp_path)
    port = free_port()
    anki = AnkiProcess(install_addon=False, env={"ANKICONNECT_BIND_PORT": str(port)}, port=port)
    try:
        anki.start(wait=False)
        anki.wait_for("result = mw.col is not None", timeout=90, interval=0.3)
        result = anki.driver(f"r = mw.addonManager.install({str(package)!r})\n"
                             "result = type(r).__name__")
        assert result == "InstallOk"
        # installed in the folder the manifest's "package" names
        assert (anki.base / "addons21" / "ankiconnect" / "AnkiConnect.py").exists()
        anki.stop()
        anki.start()  # Anki loads the installed add-on at start
        assert ApiClient(port).call("deckNames") == ["Default"]
        manifest = json.loads((anki.base / "addons21" / "ankiconnect" / "manifest.json").read_text())
        assert manifest["package"] == "ankiconnect"
    finally:
        anki.cleanup()


def test_versions_agree():
    manifest = json.loads((REPO / "manifest.json").read_text())
    version = manifest["human_version"]
    assert f"## {version}" in (REPO / "CHANGELOG.md").read_text()
    assert f"Version {version}" in (REPO / "README.md").read_text()
    sys.path.insert(0, str(REPO / "scripts"))
    import gen_api_docs

    gen_api_docs.load_package()
    from ankiconnect.util import ADDON_VERSION

    assert ADDON_VERSION == version

"""The README's API reference matches the actions themselves."""
import re
import subprocess
import sys

from harness import REPO


def test_readme_reference_is_generated_from_current_docstrings():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_api_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_action_has_a_summary_and_an_example():
    sys.path.insert(0, str(REPO / "scripts"))
    import gen_api_docs

    module = gen_api_docs.load_package()
    from ankiconnect.util import collect_actions

    missing = []
    for name, spec in collect_actions(module.AnkiConnect).items():
        if not spec.summary or not spec.examples:
            missing.append(name)
    assert not missing, f"actions without a summary or Example: {missing}"


def test_readme_documents_exactly_the_registered_actions(api):
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^#### (\w+)$", readme, re.M))
    offered = set(api.call("apiReflect", scopes=["actions"])["actions"])
    if api.host_kind == "headless":  # it leaves out the actions that need Anki's windows
        gui = set(re.findall(r"^#### (\w+)\n\n.*needs the Anki desktop app", readme, re.M))
        assert gui and offered == documented - gui
    else:
        assert documented == offered


def test_config_md_and_schema_cover_every_config_key():
    import json

    keys = set(json.loads((REPO / "config.json").read_text()))
    documented = set(re.findall(r"^- \*\*(\w+)\*\*", (REPO / "config.md").read_text(), re.M))
    schema = set(json.loads((REPO / "config.schema.json").read_text())["properties"])
    assert documented == keys
    assert schema == keys

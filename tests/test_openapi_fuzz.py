"""Schemathesis, driven by GET /openapi.json, sends generated requests to
every action of a headless server and of real Anki: no failure may be a
server error, every reply must match what the document says (status,
content type, schema), and the server must still answer afterwards.

Each run gets its own server and profile.  CI runs a bounded number of
examples per operation; `make fuzz` runs many more
(ANKICONNECT_FUZZ_EXAMPLES)."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness import AnkiProcess, HeadlessProcess

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("ANKICONNECT_FUZZ_EXAMPLES", "10")
#: actions that would reach outside the server's own collection with
#: generated values (files anywhere on this machine, URLs, a sync server),
#: and getEvents, which waits up to its `timeout` (30 s) by design
NOT_FUZZED = ("exportPackage", "importPackage", "storeMediaFile", "sync", "getEvents")
#: in Anki desktop, also the graphical actions, switching profiles, and
#: `multi` (its sub-actions could name any of these)
NOT_FUZZED_IN_ANKI = NOT_FUZZED + ("loadProfile", "multi")
HOSTS = {
    "headless": (HeadlessProcess, NOT_FUZZED),
    "gui": (AnkiProcess, NOT_FUZZED_IN_ANKI),
}


def schemathesis_command(url: str, excluded) -> list:
    command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--url", url,
               "--checks", "not_a_server_error,status_code_conformance,"
               "content_type_conformance,response_schema_conformance",
               "--max-examples", EXAMPLES, "--generation-deterministic",
               "--phases", "examples,coverage,fuzzing",
               # (how well it generates, not how the server answers; flaky under load)
               "--suppress-health-check", "all",
               "--exclude-operation-id-regex", "^gui"]
    for name in excluded:
        command += ["--exclude-operation-id", name]
    return command


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
@pytest.mark.parametrize("host", sorted(HOSTS))
def test_generated_requests_get_documented_replies(host):
    server_class, excluded = HOSTS[host]
    server = server_class().start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        with tempfile.TemporaryDirectory() as workdir:  # schemathesis' own cache
            out = subprocess.run(schemathesis_command(url, excluded), cwd=workdir,
                                 capture_output=True, text=True, timeout=2400)
        start = out.stdout.find("=== FAILURES ===")  # (each failure, whole)
        report = out.stdout[start:start + 30000] if start >= 0 else out.stdout[-30000:]
        assert out.returncode == 0, report + out.stderr[-2000:]
        assert "Tested: " in out.stdout
        client = server.client()
        assert client.call("version") == 6
        assert "Default" in client.call("deckNames")
    finally:
        server.cleanup()

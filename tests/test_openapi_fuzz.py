"""Schemathesis, driven by GET /openapi.json, sends generated requests to
every action of a headless server: no failure may be a server error, and
every reply must match what the document says (status, content type,
schema)."""
import subprocess
import sys
from pathlib import Path

import pytest

from harness import HeadlessProcess

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
#: actions that would reach outside the server's own collection with
#: generated values (files anywhere on this machine, URLs, a sync server)
NOT_FUZZED = ("exportPackage", "importPackage", "storeMediaFile", "sync")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
def test_generated_requests_get_documented_replies():
    server = HeadlessProcess().start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--url", url,
                   "--checks", "not_a_server_error,status_code_conformance,"
                   "content_type_conformance,response_schema_conformance",
                   "--max-examples", "10", "--generation-deterministic",
                   "--phases", "examples,coverage,fuzzing"]
        for name in NOT_FUZZED:
            command += ["--exclude-operation-id", name]
        out = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        assert out.returncode == 0, out.stdout[-8000:] + out.stderr[-2000:]
        assert "Tested: " in out.stdout
    finally:
        server.cleanup()

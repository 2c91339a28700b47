# AnkiConnect test driver for the headless server - used only by the test suite.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lets the tests look inside a headless server they started.

tests/harness.py puts this folder on PYTHONPATH, so Python imports this
module at startup.  With ANKICONNECT_TESTDRIVER_PORT set, it listens on
127.0.0.1:<port>; a POST body is Python source, run on the thread that owns
the collection with `col`, `host` and `ac` (the AnkiConnect object) in scope;
what it assigns to `result` is sent back as JSON.  The server itself knows
nothing about this.
"""
import os

PORT = int(os.environ.get("ANKICONNECT_TESTDRIVER_PORT") or 0)

if PORT:
    import json
    import sys
    import threading
    import traceback
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def _service():
        for name, module in list(sys.modules.items()):
            if name.endswith(".hosts.headless"):
                return getattr(module, "service", None)
        return None

    def _run(source):
        service = _service()
        if service is None:
            return {"result": None, "error": "the server is not serving yet"}
        host = service.host

        def job():
            scope = {"col": host.col, "host": host, "ac": service.connect, "result": None}
            exec(compile(source, "<headless testdriver>", "exec"), scope)
            return scope.get("result")

        try:
            return {"result": host.run_on_main(job), "error": None}
        except BaseException:
            return {"result": None, "error": traceback.format_exc()}

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            source = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            reply = _run(source)
            try:
                body = json.dumps(reply).encode()
            except (TypeError, ValueError) as e:
                body = json.dumps({"result": None, "error": f"not JSON: {e}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    _server = ThreadingHTTPServer(("127.0.0.1", PORT), _Handler)
    threading.Thread(target=_server.serve_forever, name="testdriver", daemon=True).start()

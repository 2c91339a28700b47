# AnkiConnect test driver - installed only into the test suite's own Anki.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lets the tests look inside the real Anki they started.

Listens on 127.0.0.1:$ANKICONNECT_TESTDRIVER_PORT.  A POST body is Python
source; it runs on Anki's main thread with `mw`, `aqt` and `ac` (the
AnkiConnect service) in scope and whatever it assigns to `result` is sent back
as JSON.  Never installed by `make run` or the package.
"""
import json
import os
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aqt
from aqt.qt import QObject, pyqtSignal

PORT = int(os.environ.get("ANKICONNECT_TESTDRIVER_PORT", "0"))


def _service():
    import sys

    for name, module in list(sys.modules.items()):
        if "." not in name and getattr(module, "service", None) is not None and hasattr(
            module.service, "connect"
        ):
            return module.service
    return None


def _run_on_main(source):
    done = threading.Event()
    box = {}

    def job():
        scope = {"mw": aqt.mw, "aqt": aqt, "ac": _service(), "result": None}
        try:
            exec(compile(source, "<testdriver>", "exec"), scope)
            box["reply"] = {"result": scope.get("result"), "error": None}
        except BaseException:
            box["reply"] = {"result": None, "error": traceback.format_exc()}
        finally:
            done.set()

    _caller.call.emit(job)
    done.wait(120)
    return box.get("reply", {"result": None, "error": "timed out"})


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        source = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        reply = _run_on_main(source)
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


class _MainThreadCaller(QObject):
    """One Qt event per job (not taskman's batches, where a job waits behind
    a closure of Anki's that opened a modal dialog)."""

    call = pyqtSignal(object)

    def __init__(self):
        super().__init__(aqt.mw)
        self.call.connect(self._run)

    def _run(self, fn):
        fn()


if PORT:
    _caller = _MainThreadCaller()
    _server = ThreadingHTTPServer(("127.0.0.1", PORT), _Handler)
    threading.Thread(target=_server.serve_forever, daemon=True).start()

"""An endpoint that must not be reached: records every request made to it.

Passed as TAP_EMULATOR_URL, it takes the place of the emulator. It answers only the emulator's
health check (GET /moto-api/, which roles/validate makes as its last step and which is not an AWS
call); every other request gets HTTP 500 and is recorded, so a test can assert that a run made
ZERO AWS calls by checking `recorder.aws_calls == []`.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEALTH_CHECK = "/moto-api/"


class _Handler(BaseHTTPRequestHandler):
    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = {
            "method": self.command,
            "path": self.path,
            # SigV4 names the service and region in the credential scope of the Authorization header.
            "authorization": self.headers.get("Authorization", ""),
            "target": self.headers.get("X-Amz-Target", ""),
            "body": body[:300].decode("utf-8", "replace"),
        }
        with self.server.lock:
            self.server.requests.append(request)
        if self.command == "GET" and self.path == HEALTH_CHECK:
            payload = b"{}"
            self.send_response(200)
        else:
            payload = b"<Error><Code>NotAnEmulator</Code><Message>this endpoint must not be reached</Message></Error>"
            self.send_response(500)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _record

    def log_message(self, *args):  # keep pytest output clean
        pass


class AwsCallRecorder:
    """Context manager: a threaded HTTP server on 127.0.0.1 that records every request."""

    def __init__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[dict]:
        with self._server.lock:
            return list(self._server.requests)

    @property
    def aws_calls(self) -> list[dict]:
        """Every request except the emulator health check."""
        return [r for r in self.requests if not (r["method"] == "GET" and r["path"] == HEALTH_CHECK)]

    def __enter__(self) -> AwsCallRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

"""Run moto's server in this process until SIGTERM/SIGINT."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from emulator import endpoint, extensions, profile
from emulator.middleware import EmulatorMiddleware


def serve(state_dir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
    """Start moto on host:port (0 = any free port), publish the URL, block until signalled."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    profile.configure_from_environment()
    extensions.install()
    # moto's ThreadedMotoServer, with the emulator's middleware (control API, call log, aws profile) in front.
    app = EmulatorMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    url = f"http://{bound_host}:{bound_port}"
    endpoint.publish(url)  # the Lambda runtime points functions at it

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())

    state_dir.mkdir(parents=True, exist_ok=True)
    pid_file, url_file = state_dir / "pid", state_dir / "url"
    pid_file.write_text(f"{os.getpid()}\n")
    # The URL file is written last: its presence means "ready to serve".
    tmp = url_file.with_suffix(".tmp")
    tmp.write_text(url + "\n")
    tmp.replace(url_file)
    try:
        stop.wait()
    finally:
        for f in (url_file, pid_file):
            f.unlink(missing_ok=True)
        server.shutdown()
        thread.join(timeout=10)

"""Start, stop and query a detached emulator process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = REPO_ROOT / ".emulator"


class EmulatorError(RuntimeError):
    pass


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when moto's management API responds at url."""
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def current_url(state_dir: Path = DEFAULT_STATE_DIR) -> str | None:
    url_file = state_dir / "url"
    if not url_file.exists():
        return None
    url = url_file.read_text().strip()
    return url if answers(url) else None


def start(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 30.0) -> str:
    """Start a detached emulator (or reuse the running one) and return its URL."""
    url = current_url(state_dir)
    if url:
        return url
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "url").unlink(missing_ok=True)
    log = open(state_dir / "server.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(state_dir)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # survives the caller's Ctrl-C; `stop` ends it
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmulatorError(f"emulator exited with {proc.returncode}; see {state_dir / 'server.log'}")
        url_file = state_dir / "url"
        if url_file.exists() and answers(url_file.read_text().strip()):
            return url_file.read_text().strip()
        time.sleep(0.1)
    proc.terminate()
    raise EmulatorError(f"emulator did not answer within {timeout:.0f}s; see {state_dir / 'server.log'}")


def stop(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 10.0) -> bool:
    """Stop the emulator recorded in state_dir. Returns False when none was running."""
    pid_file = state_dir / "pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Reap it when it is our own child, or it lingers as a zombie that kill(0) still finds.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for name in ("pid", "url"):
        (state_dir / name).unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def running(state_dir: Path):
    """Context manager for tests: a private emulator, stopped on exit whatever happens."""
    url = start(state_dir)
    try:
        yield url
    finally:
        stop(state_dir)


def reset(url: str) -> None:
    """Drop every resource the emulator holds."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass

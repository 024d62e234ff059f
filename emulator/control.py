"""Start, stop and query a detached emulator process."""

from __future__ import annotations

import contextlib
import json
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


def start(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 30.0, settings: dict | None = None) -> str:
    """Start a detached emulator (or reuse the running one) and return its URL.

    settings: the behaviour profile (emulator.profile.Settings fields, e.g. {"name": "aws", "latency_ms": 100});
    applied to a running emulator too.
    """
    url = current_url(state_dir)
    if url:
        if settings is not None:
            set_profile(url, reset=True, **settings)
        return url
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "url").unlink(missing_ok=True)
    log = open(state_dir / "server.log", "ab")  # noqa: SIM115 - handed to the child
    env = dict(os.environ)
    env.pop("TAP_EMULATOR_PROFILE", None)
    if settings is not None:
        env["TAP_EMULATOR_PROFILE"] = json.dumps(settings)
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--state-dir", str(state_dir)],
        cwd=REPO_ROOT,
        env=env,
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
def running(state_dir: Path, settings: dict | None = None):
    """Context manager for tests: a private emulator, stopped on exit whatever happens."""
    url = start(state_dir, settings=settings)
    try:
        yield url
    finally:
        stop(state_dir)


def reset(url: str) -> None:
    """Drop every resource the emulator holds."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def _control(url: str, path: str, payload: dict | None = None):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(
        f"{url}/tap-emulator/{path}",
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def set_profile(url: str, reset: bool = False, **settings) -> dict:
    """Change the behaviour profile of a running emulator; reset=True starts from the profile's defaults."""
    return _control(url, "profile", dict(settings, reset=reset))


def get_profile(url: str) -> dict:
    return _control(url, "profile")


def clock(url: str) -> float:
    """The emulator's AWS clock: AWS-equivalent seconds since it started (real seconds x time_scale under aws)."""
    return float(_control(url, "clock")["aws_seconds"])


def calls(url: str, since: int = 0) -> list[dict]:
    """The AWS calls the emulator answered after sequence number since (see emulator.middleware)."""
    return _control(url, f"calls?since={since}")


def last_call_seq(url: str) -> int:
    """Sequence number of the last call answered so far (0 when none): a mark for calls(url, since=...)."""
    answered = calls(url)
    return answered[-1]["seq"] if answered else 0


def write_calls(url: str, since: int = 0) -> list[dict]:
    """The write calls among calls(url, since)."""
    return [c for c in calls(url, since) if c["kind"] == "write"]

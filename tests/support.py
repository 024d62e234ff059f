"""Helpers shared by tests (import as `from support import ...`; conftest modules are not importable by name)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "tap-emulator",
    "AWS_SECRET_ACCESS_KEY": "tap-emulator-key",
    "AWS_SESSION_TOKEN": "",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Never read the developer's real profiles or instance metadata.
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class PlaybookRun:
    """An ansible-playbook run: return code, output, PLAY RECAP counters."""

    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def recap(self) -> dict[str, dict[str, int]]:
        """PLAY RECAP counters per host, e.g. {'us-east-1': {'ok': 12, 'changed': 0, ...}}."""
        recap: dict[str, dict[str, int]] = {}
        in_recap = False
        for line in self.stdout.splitlines():
            if line.startswith("PLAY RECAP"):
                in_recap = True
                continue
            if in_recap and not line.strip():
                break  # the recap ends at the first blank line; a summary may follow
            if in_recap and ":" in line:
                host, _sep, counters = line.partition(":")
                recap[host.strip()] = {k: int(v) for k, v in (item.split("=") for item in counters.split())}
        return recap

    def changed(self) -> int:
        return sum(host.get("changed", 0) for host in self.recap().values())


def call_module(main, args: dict, check_mode: bool = False, diff: bool = False) -> dict:
    """Run a module in-process, through the runner production uses (plugin_utils/inprocess.py).

    main is the module's main function (its module names the module); the result dict is the one the
    controller would get (failed=True on fail_json).
    """
    from ansible_collections.tap.multiregion.plugins.plugin_utils.inprocess import run_module_main

    full_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    return run_module_main(main.__module__, full_args, decode=False)


def run_molecule(scenario: str, timeout: int = 1200) -> tuple[int, str]:
    """`molecule test -s <scenario>` from the repository root: (return code, output without colours).

    Every molecule run of this checkout uses the one emulator state directory molecule/.emulator
    (the default scenario's create stops whatever runs there), so runs take an exclusive file lock:
    they never overlap, whichever pytest worker runs them.
    """
    import fcntl
    import hashlib
    import os
    import re
    import subprocess
    import sys
    import tempfile

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1")
    env.pop("TAP_EMULATOR_URL", None)
    checkout = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / ("tap-molecule-%s.lock" % checkout)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            [str(bin_dir / "molecule"), "test", "-s", scenario],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return proc.returncode, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)

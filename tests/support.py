"""Helpers shared by tests (import as `from support import ...`; conftest modules are not importable by name)."""

from __future__ import annotations

import contextlib
import io
import json
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


def call_module(main, args: dict, check_mode: bool = False, diff: bool = False) -> dict:
    """Run a module's main() in-process and return its result dict (failed=True on fail_json).

    In-process keeps the unit tests fast (no interpreter start per call) while the module
    runs exactly the code Ansible would run.
    """
    from ansible.module_utils.common import warnings as module_warnings
    from ansible.module_utils.testing import patch_module_args

    # Warnings are kept per process (and de-duplicated); each call starts clean like a module process.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()

    from ansible.module_utils import _internal as module_internal

    full_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    stdout = io.StringIO()
    # Once a test has imported controller code, warnings would go to the display instead of the
    # result: run as a module process does.
    was_controller, module_internal.is_controller = module_internal.is_controller, False
    try:
        with patch_module_args(full_args), contextlib.redirect_stdout(stdout), contextlib.suppress(SystemExit):
            main()
    finally:
        module_internal.is_controller = was_controller
    return json.loads(stdout.getvalue())


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

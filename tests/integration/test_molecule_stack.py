"""`molecule test -s stack` as part of the suite (create, converge, idempotence, verify, destroy).

It runs in its own xdist group, so it overlaps with the rest of the suite; molecule starts and
stops its own private emulator (molecule/default).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("molecule")]


def test_molecule_stack_scenario():
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1")
    env.pop("TAP_EMULATOR_URL", None)
    proc = subprocess.run(
        [str(bin_dir / "molecule"), "test", "-s", "stack"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "idempotence" in output.lower()
    assert "verify" in output.lower()

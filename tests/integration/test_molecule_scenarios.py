"""The role scenarios `molecule test -s dynamodb_global` and `-s lambda_api` as part of the suite.

Each runs create (the default scenario's private emulator), syntax, converge, idempotence, verify
and destroy. Measured on 2 CPUs: dynamodb_global 15 s (34-49 s while other runs kept the load at 5-7),
lambda_api 29 s (59-62 s under that load). They share the xdist group of the stack scenario: every
molecule run uses the same emulator state directory (molecule/.emulator), so molecule runs must
never overlap.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("molecule")]


@pytest.mark.parametrize("scenario", ["dynamodb_global", "lambda_api"])
def test_molecule_role_scenario(scenario):
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1")
    env.pop("TAP_EMULATOR_URL", None)
    proc = subprocess.run(
        [str(bin_dir / "molecule"), "test", "-s", scenario],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, output[-6000:]
    for step in ("converge", "idempotence", "verify"):
        assert f"{scenario} ➜ {step}: Executed: Successful" in output, output[-6000:]

"""The role scenarios `molecule test -s vpc`, `-s dynamodb_global` and `-s lambda_api` as part of the suite.

Each runs create (the default scenario's private emulator), syntax, converge, idempotence, verify
and destroy. Measured on 2 CPUs within `make test`: vpc 23 s, dynamodb_global 25 s, lambda_api 30 s.
Like the stack scenario they go through support.run_molecule: every
molecule run uses the same emulator state directory (molecule/.emulator), so molecule runs take a file lock and
never overlap.
"""

import pytest
from support import run_molecule

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("molecule")]


@pytest.mark.parametrize("scenario", ["vpc", "dynamodb_global", "lambda_api"])
def test_molecule_role_scenario(scenario):
    rc, output = run_molecule(scenario, timeout=900)
    assert rc == 0, output[-6000:]
    for step in ("converge", "idempotence", "verify"):
        assert f"{scenario} ➜ {step}: Executed: Successful" in output, output[-6000:]

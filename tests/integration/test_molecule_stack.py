"""`molecule test -s stack` as part of the suite (create, converge, idempotence, verify, destroy).

It overlaps with the rest of the suite, never with another molecule run (support.run_molecule); molecule starts and
stops its own private emulator (molecule/default).
"""

import pytest
from support import run_molecule

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("molecule")]


def test_molecule_stack_scenario():
    rc, output = run_molecule("stack")
    assert rc == 0, output[-6000:]
    assert "idempotence" in output.lower()
    assert "verify" in output.lower()

"""Fixtures for integration tests: real playbooks against the session's emulator."""

from __future__ import annotations

import json
import pytest


@pytest.fixture(scope="session")
def dev_stack(run_playbook, tmp_path_factory):
    """The dev stack deployed once per session from inventories/local, with its run and outputs."""
    outputs_dir = tmp_path_factory.mktemp("outputs")
    run = run_playbook("site.yml", "inventories/local", env={"TAP_OUTPUTS_DIR": str(outputs_dir)})
    assert run.rc == 0, run.output[-6000:]
    outputs = json.loads((outputs_dir / "dev.json").read_text())
    return {"run": run, "outputs": outputs, "outputs_dir": outputs_dir}

"""Fixtures for integration tests: real playbooks against the session's emulator."""

from __future__ import annotations

import json

import pytest
from integration.helpers import PROD_STACK_REGIONS, make_inventory

# The prod stack's global database takes a name of its own: global cluster names are unique in an
# account, and test_secrets_hygiene deploys prod's aurora-global-prod into the same emulator.
PROD_STACK_GLOBAL_CLUSTER = "aurora-global-prod-security"


@pytest.fixture(scope="session")
def dev_stack(run_playbook, tmp_path_factory):
    """The dev stack deployed once per session from inventories/local, with its run and outputs."""
    outputs_dir = tmp_path_factory.mktemp("outputs")
    run = run_playbook("site.yml", "inventories/local", env={"TAP_OUTPUTS_DIR": str(outputs_dir)})
    assert run.rc == 0, run.output[-6000:]
    outputs = json.loads((outputs_dir / "dev.json").read_text())
    return {"run": run, "outputs": outputs, "outputs_dir": outputs_dir}


@pytest.fixture(scope="session")
def prod_stack(run_playbook, tmp_path_factory):
    """prod as the collection's settings make it (Aurora global database, replication, 365-day logs, port
    3307), deployed once per session on PROD_STACK_REGIONS; `run(playbook, *args)` runs another playbook
    on the same inventory and settings (drift, plan, repair)."""
    inventory = make_inventory(tmp_path_factory.mktemp("prod-stack") / "prod", "prod", PROD_STACK_REGIONS)
    outputs_dir = tmp_path_factory.mktemp("prod-outputs")

    def run(playbook: str, *args: str):
        return run_playbook(
            playbook,
            str(inventory),
            "-e",
            f"aurora_global_cluster_name={PROD_STACK_GLOBAL_CLUSTER}",
            *args,
            env={"TAP_OUTPUTS_DIR": str(outputs_dir)},
        )

    deploy = run("site.yml")
    assert deploy.rc == 0, deploy.output[-6000:]
    outputs = json.loads((outputs_dir / "prod.json").read_text())
    return {"run": deploy, "outputs": outputs, "outputs_dir": outputs_dir, "playbook": run}

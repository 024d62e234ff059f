"""Teardown: playbooks/teardown.yml removes one environment completely and nothing of another.

A staging stack (deletion protection on Aurora and DynamoDB) is deployed to eu-west-1, a region the
dev stack also uses, then:
  * teardown without confirmation fails on the first protected resource (the sessions table, in the
    play of the primary region, which ends the run) and deletes nothing; it releases its deploy lock;
  * teardown with -e confirm_destroy=staging lifts the protection and deletes everything of staging
    except what is kept on purpose (final and automated Aurora snapshots, the backup vault with its
    recovery points, and the KMS key with its alias: the final snapshot is encrypted with it, so it is not
    scheduled for deletion), and the dev stack is untouched;
  * a second teardown changes nothing;
  * prod without confirm_destroy=prod is refused before any AWS call (against a request recorder).
"""

from __future__ import annotations

import pytest
from integration.aws_recorder import AwsCallRecorder
from integration.helpers import REGIONS, make_inventory
from integration.stack_scan import deploy_lock, stack_resources

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

ENV = "staging"
REGION = "eu-west-1"
# Kept on purpose after a confirmed teardown (see roles' absent paths): kind -> test on the entries.
KEPT = {
    "db_cluster_snapshot": lambda names: all(
        n.startswith(f"aurora-{ENV}-{REGION}-final") or n.startswith(f"rds:aurora-{ENV}-{REGION}") for n in names
    ),
    "backup_vault": lambda names: names == [f"tap-backup-{ENV}-{REGION}"],
    # The final snapshot is encrypted with the region's key: the teardown keeps the key (enabled) for it.
    "kms_key": lambda names: len(names) == 1 and names[0].endswith("(Enabled)"),
    "kms_key_enabled": lambda names: len(names) == 1,
    "kms_alias": lambda names: names == [f"alias/tap-{ENV}-{REGION}"],
}


def dev_resources(aws) -> dict:
    return {region: stack_resources(aws, "dev", region) for region in REGIONS}


@pytest.fixture(scope="module")
def staging(dev_stack, run_playbook, aws, tmp_path_factory):
    """The staging stack in one region, deployed for this module, with its inventory and outputs."""
    base = tmp_path_factory.mktemp("teardown")
    inventory = str(make_inventory(base / "inventory", ENV, {REGION: "10.2.0.0/16"}))
    outputs = base / "outputs"
    env = {"TAP_OUTPUTS_DIR": str(outputs)}
    deploy = run_playbook("site.yml", inventory, env=env)
    assert deploy.rc == 0, deploy.output[-6000:]
    deployed = stack_resources(aws, ENV, REGION)
    for kind in ("vpc", "bucket", "function", "http_api", "table", "db_cluster", "topic", "alarm"):
        assert deployed[kind], f"the staging deploy created no {kind}"

    def teardown(*args):
        return run_playbook("playbooks/teardown.yml", inventory, *args, env=env)

    def release_lock():
        """Remove a lock a failed teardown left behind, so the next test starts clean."""
        if deploy_lock(aws, ENV, REGION) is not None:
            run_playbook("playbooks/unlock.yml", inventory, "-e", f"confirm_unlock={ENV}")

    return {"deployed": deployed, "outputs": outputs, "teardown": teardown, "release_lock": release_lock}


def test_teardown_of_a_protected_environment_needs_confirmation(staging, aws):
    run = staging["teardown"]()
    lock = deploy_lock(aws, ENV, REGION)
    staging["release_lock"]()
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert f"Refusing to destroy {ENV} in {REGION} (it has deletion protection)" in text, run.output[-4000:]
    assert f"-e confirm_destroy={ENV}" in text
    assert stack_resources(aws, ENV, REGION) == staging["deployed"], "an unconfirmed teardown deleted resources"
    assert (staging["outputs"] / f"{ENV}.json").is_file()
    assert lock is None, (
        "the failed teardown left the deploy lock of staging held (the next run is refused until "
        f"playbooks/unlock.yml): {lock}"
    )


def test_confirmed_teardown_removes_staging_and_spares_dev(staging, aws):
    dev_before = dev_resources(aws)
    run = staging["teardown"]("-e", f"confirm_destroy={ENV}")
    staging["release_lock"]()
    assert run.rc == 0, run.output[-6000:]

    left = {kind: names for kind, names in stack_resources(aws, ENV, REGION).items() if names}
    unexpected = {kind: names for kind, names in left.items() if kind not in KEPT or not KEPT[kind](names)}
    assert not unexpected, f"staging resources left after the teardown: {unexpected}"
    assert f"aurora-{ENV}-{REGION}-final" in " ".join(left.get("db_cluster_snapshot", [])), "no final snapshot"
    text = " ".join(run.output.split())
    kept = f"key alias/tap-{ENV}-{REGION} kept: it still encrypts DB cluster snapshot aurora-{ENV}-{REGION}-final"
    assert kept in text, run.output[-6000:]
    assert not (staging["outputs"] / f"{ENV}.json").exists()
    assert deploy_lock(aws, ENV, REGION) is None
    assert dev_resources(aws) == dev_before, "the staging teardown changed the dev stack"

    # In the same test: a module fixture may be set up again between tests of this module
    # (xdist), which would redeploy staging before a separate "second teardown" test.
    again = staging["teardown"]("-e", f"confirm_destroy={ENV}")
    staging["release_lock"]()
    assert again.rc == 0, again.output[-6000:]
    assert again.changed() == 0, again.stdout[-6000:]


@pytest.mark.parametrize("confirmation", [[], ["-e", "confirm_destroy=staging"]], ids=["none", "other-env"])
def test_prod_teardown_without_confirmation_fails_before_any_aws_call(run_playbook, tmp_path, confirmation):
    inventory = make_inventory(tmp_path / "inventory", "prod", REGIONS)
    with AwsCallRecorder() as recorder:
        run = run_playbook(
            "playbooks/teardown.yml",
            str(inventory),
            *confirmation,
            env={"TAP_EMULATOR_URL": recorder.url, "TAP_OUTPUTS_DIR": str(tmp_path / "outputs")},
        )
    assert run.rc != 0
    text = " ".join(run.output.split())
    assert "Refusing to destroy prod in us-east-1, us-east-2, eu-west-1" in text, run.output[-3000:]
    assert "-e confirm_destroy=prod" in text
    assert recorder.aws_calls == [], f"AWS was called before the refusal: {recorder.aws_calls[:5]}"

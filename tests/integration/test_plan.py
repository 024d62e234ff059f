"""Plan (`site.yml --check --diff`) of an environment that does not exist yet.

prod on three regions no other test uses: the network is planned resource by resource, the roles
built on it list what they would create (no ids to ask AWS about), the run succeeds, and the
emulator holds nothing of the environment afterwards (not even the lock table).
"""

from __future__ import annotations

import pytest
from integration.helpers import make_inventory

pytestmark = pytest.mark.slow

PLAN_REGIONS = {"sa-east-1": "10.60.0.0/16", "ap-southeast-1": "10.61.0.0/16", "ap-northeast-2": "10.62.0.0/16"}
PRIMARY = "sa-east-1"


@pytest.fixture(scope="module")
def plan(tmp_path_factory, run_playbook):
    inventory = make_inventory(tmp_path_factory.mktemp("plan") / "prod", "prod", PLAN_REGIONS, primary=PRIMARY)
    outputs = tmp_path_factory.mktemp("plan-outputs")
    return run_playbook("site.yml", str(inventory), "--check", "--diff", env={"TAP_OUTPUTS_DIR": str(outputs)})


def test_plan_of_a_new_environment_succeeds_with_changes_in_every_region(plan):
    assert plan.rc == 0, plan.output[-4000:]
    recap = plan.recap()
    for region in PLAN_REGIONS:
        assert recap[region]["failed"] == 0
        assert recap[region]["changed"] >= 5, recap


def test_plan_lists_network_and_what_the_dependent_roles_would_create(plan):
    summary = plan.stdout.split("Planned changes / drift (check mode):", 1)[1]
    for region in PLAN_REGIONS:
        assert f"{region} | tap.multiregion.vpc : " in summary and f"create VPC tap-prod-{region}" in summary
        assert f"create Aurora cluster aurora-prod-{region} (2 x db.r5.large" in summary
        assert f"create function data-processor-prod-{region}" in summary
        assert f"create topic tap-alerts-prod-{region}" in summary
    assert "create global database aurora-global-prod" in summary
    assert "secondary of aurora-global-prod" in summary
    assert "create table sessions-prod (sa-east-1, KMS key" in summary
    assert "create replica ap-northeast-2 of table sessions-prod (KMS key" in summary


def test_plan_output_has_no_raw_warning_objects_or_deprecations(plan):
    assert "__ansible_type" not in plan.output
    assert "DEPRECATION" not in plan.output


def test_plan_creates_nothing(plan, aws):
    for region in PLAN_REGIONS:
        vpcs = aws("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"tap-prod-{region}"]}])
        assert vpcs["Vpcs"] == []
        assert aws("dynamodb", region).list_tables()["TableNames"] == []
        aliases = [a["AliasName"] for a in aws("kms", region).list_aliases()["Aliases"]]
        assert f"alias/tap-prod-{region}" not in aliases
    buckets = [b["Name"] for b in aws("s3", PRIMARY).list_buckets()["Buckets"]]
    assert not [b for b in buckets if "-prod-" in b and any(r in b for r in PLAN_REGIONS)]


PARTIAL_REGION = "eu-south-1"


@pytest.fixture(scope="module")
def partial_plan(tmp_path_factory, run_playbook):
    """dev in a region where an interrupted first deploy left only the key, buckets and network."""
    inventory = make_inventory(tmp_path_factory.mktemp("partial") / "dev", "dev", {PARTIAL_REGION: "10.70.0.0/16"})
    for playbook in ("tests/integration/playbooks/baseline.yml", "molecule/vpc/converge.yml"):
        built = run_playbook(playbook, str(inventory))
        assert built.rc == 0, built.output[-3000:]
    outputs = tmp_path_factory.mktemp("partial-outputs")
    return run_playbook("site.yml", str(inventory), "--check", "--diff", env={"TAP_OUTPUTS_DIR": str(outputs)})


def test_plan_of_a_half_built_region_plans_the_security_groups_then_lists_the_rest(partial_plan, aws):
    assert partial_plan.rc == 0, partial_plan.output[-4000:]
    summary = partial_plan.stdout.split("Planned changes / drift (check mode):", 1)[1]
    assert f"create security group tap-db-dev-{PARTIAL_REGION}" in summary
    assert "Plan: the rest of Aurora would be created with the new security groups" in summary
    assert f"create Aurora cluster aurora-dev-{PARTIAL_REGION}" in summary
    assert f"create function data-processor-dev-{PARTIAL_REGION}" in summary
    assert f"create VPC tap-dev-{PARTIAL_REGION}" not in summary  # the network exists (its flow logs do not)
    groups = aws("ec2", PARTIAL_REGION).describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"tap-app-dev-{PARTIAL_REGION}", f"tap-db-dev-{PARTIAL_REGION}"]}]
    )
    assert groups["SecurityGroups"] == []

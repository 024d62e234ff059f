"""Long AWS creations start early and are waited for late, on the emulator's AWS clock.

Under the aws profile (an AWS minute takes a tenth of a real second) a first deploy finds Aurora's
cluster and instances, and the global table's last replica, still being created right after it started
them. The region play starts them (aurora and dynamodb_global tasks_from start), builds the Lambda, the
API and the monitoring meanwhile, and waits for them at the end of the region (tasks_from finish); prod
creates the global database once the primary is available, then the secondary joins it. The outputs are
complete; the next run and a plan change nothing and leave the waiting calls out.
"""

from __future__ import annotations

import json
import re

import pytest
from integration.helpers import make_inventory

pytestmark = pytest.mark.slow

# Regions no other test deploys to the aws-profile emulator.
DEV = {"af-south-1": "10.0.0.0/16", "eu-south-2": "10.1.0.0/16"}
PROD = {"ap-south-2": "10.0.0.0/16", "il-central-1": "10.1.0.0/16"}
# Polls at the pace of 5 AWS seconds (an AWS second is a six-hundredth of a real one here).
FAST_POLL = {"TAP_WAIT_POLL_SECONDS": "0.01"}

START_AURORA = "tap.multiregion.aurora : Start the Aurora cluster"
WAIT_AURORA = "tap.multiregion.aurora : Wait for the Aurora cluster"
JOIN_AURORA = "tap.multiregion.aurora : Ensure the Aurora secondary cluster"
GLOBAL_DATABASE = "tap.multiregion.aurora : Ensure the Aurora global database"
FUNCTION = "tap.multiregion.lambda_api : Ensure function"
ALARMS = "tap.multiregion.monitoring : Ensure the CloudWatch alarms"
START_TABLE = "tap.multiregion.dynamodb_global : Start the DynamoDB global table"
FINISH_TABLE = "tap.multiregion.dynamodb_global : Ensure the DynamoDB global table"


def task_results(stdout: str) -> list[tuple[str, dict[str, str]]]:
    """[(task name, {host: ok|changed|skipping|failed})] in the order the tasks ran."""
    tasks: list[tuple[str, dict[str, str]]] = []
    for line in stdout.splitlines():
        header = re.match(r"^TASK \[(.*)\] \*+$", line)
        if header:
            tasks.append((header.group(1), {}))
            continue
        status = re.match(r"^(ok|changed|skipping|failed|fatal): \[([^\]]+)\]", line)
        if status and tasks:
            tasks[-1][1][status.group(2)] = status.group(1)
    return tasks


def position(tasks, prefix: str, host: str, statuses=("ok", "changed")) -> int:
    """Index of the first task named prefix... that ran (one of statuses) on host."""
    for index, (name, hosts) in enumerate(tasks):
        if name.startswith(prefix) and hosts.get(host) in statuses:
            return index
    raise AssertionError(f"no task {prefix!r} ran on {host}: {[(n, h) for n, h in tasks if n.startswith(prefix)]}")


def ran(tasks, prefix: str) -> dict[str, str]:
    """{host: status} of every task named prefix... (a task name may repeat; the last status wins)."""
    out: dict[str, str] = {}
    for name, hosts in tasks:
        if name.startswith(prefix):
            out.update(hosts)
    return out


def calls_in(calls: list[dict], region: str, operation: str) -> list[int]:
    return [c["seq"] for c in calls if c["region"] == region and c["operation"] == operation]


def deploy(run_playbook, aws_profile, tmp_path, env: str, regions: dict, *args: str):
    inventory = make_inventory(tmp_path / f"inventory-{env}", env, regions)
    outputs = tmp_path / f"outputs-{env}"
    environment = dict(FAST_POLL, TAP_EMULATOR_URL=aws_profile.url, TAP_OUTPUTS_DIR=str(outputs))
    return run_playbook("site.yml", str(inventory), *args, env=environment, timeout=1500), outputs


def converges_again_without_waiting(run_playbook, aws_profile, tmp_path, env: str, regions: dict) -> None:
    again = deploy(run_playbook, aws_profile, tmp_path, env, regions)[0]
    assert again.rc == 0, again.output[-6000:]
    assert again.changed() == 0, again.output[-6000:]
    tasks = task_results(again.stdout)
    # Everything was available: each module was called once, no waiting call followed.
    assert set(ran(tasks, WAIT_AURORA).values()) <= {"skipping"}
    assert set(ran(tasks, FINISH_TABLE).values()) <= {"skipping"}
    planned = deploy(run_playbook, aws_profile, tmp_path, env, regions, "--check", "--diff")[0]
    assert planned.rc == 0, planned.output[-6000:]
    assert planned.changed() == 0, planned.output[-6000:]


def test_a_first_dev_deploy_builds_the_region_while_aurora_and_the_replica_are_created(
    run_playbook, aws_profile, tmp_path
):
    first, outputs = deploy(run_playbook, aws_profile, tmp_path, "dev", DEV)
    assert first.rc == 0, first.output[-6000:]
    tasks = task_results(first.stdout)
    primary, other = list(DEV)
    for region in DEV:
        # Started, the Lambda and the alarms built meanwhile, then waited for (it was still being created).
        assert position(tasks, START_AURORA, region) < position(tasks, FUNCTION, region) \
            < position(tasks, ALARMS, region) < position(tasks, WAIT_AURORA, region)
    assert position(tasks, START_TABLE, primary) < position(tasks, FUNCTION, primary) \
        < position(tasks, FINISH_TABLE, primary)
    assert other not in ran(tasks, START_TABLE) or ran(tasks, START_TABLE)[other] == "skipping"

    calls = aws_profile.calls()
    for region in DEV:
        created = calls_in(calls, region, "CreateDBCluster")
        function = [c["seq"] for c in calls if c["region"] == region and c["operation"] == "POST /2015-03-31/functions"]
        assert created and function and created[0] < function[0]
        # The waiting call read the cluster again after the function was created.
        assert max(calls_in(calls, region, "DescribeDBClusters")) > function[0]
    assert calls_in(calls, other, "DescribeTable")  # the replica was waited for in its region

    published = json.loads((outputs / "dev.json").read_text())["regions"]
    for region in DEV:
        assert published[region]["rds_cluster_endpoint"], published[region]
        assert published[region]["dynamodb_table_name"] == "sessions-dev"
    table = aws_profile.client("dynamodb", primary).describe_table(TableName="sessions-dev")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert [(r["RegionName"], r["ReplicaStatus"]) for r in table["Replicas"]] == [(other, "ACTIVE")]
    # The replica's own settings were set by the finishing call, not left to another run.
    replica = aws_profile.client("dynamodb", other)
    backups = replica.describe_continuous_backups(TableName="sessions-dev")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    converges_again_without_waiting(run_playbook, aws_profile, tmp_path, "dev", DEV)


def test_a_first_prod_deploy_creates_the_global_database_then_the_secondary_joins(
    run_playbook, aws_profile, tmp_path
):
    first, outputs = deploy(run_playbook, aws_profile, tmp_path, "prod", PROD)
    assert first.rc == 0, first.output[-6000:]
    tasks = task_results(first.stdout)
    primary, secondary = list(PROD)
    # The primary starts its cluster early; the secondary has nothing to join yet.
    assert position(tasks, START_AURORA, primary) < position(tasks, FUNCTION, primary)
    assert ran(tasks, START_AURORA)[secondary] == "skipping"
    # AWS's order: the primary available, the global database from it, then the secondary joins.
    assert position(tasks, WAIT_AURORA, primary) < position(tasks, GLOBAL_DATABASE, primary) \
        < position(tasks, JOIN_AURORA, secondary)
    calls = aws_profile.calls()
    assert calls_in(calls, primary, "CreateGlobalCluster")[0] < calls_in(calls, secondary, "CreateDBCluster")[0]

    published = json.loads((outputs / "prod.json").read_text())["regions"]
    assert all(published[region]["rds_cluster_endpoint"] for region in PROD), published
    members = aws_profile.client("rds", primary).describe_global_clusters(
        GlobalClusterIdentifier="aurora-global-prod")["GlobalClusters"][0]["GlobalClusterMembers"]
    assert sorted(m["IsWriter"] for m in members) == [False, True]

    converges_again_without_waiting(run_playbook, aws_profile, tmp_path, "prod", PROD)

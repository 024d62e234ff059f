"""Rehearsal of real AWS (issue 13): the real playbooks against a private emulator running the aws profile.

Everything else mostly runs against the instant default profile; this file runs what users run on AWS,
under AWS's timing, rules and faults, in order on one emulator of its own:

  * dev from scratch in three regions, while a few percent of all calls are throttled or answered 5xx
    (seeded): Aurora creating for minutes, functions Pending, replicas CREATING, roles and key policies
    propagating, S3 validating the notification's permission; each region starts Aurora (and the primary
    the global table) first, builds the Lambda, the API and the alarms meanwhile and waits at its end;
  * a second run changes nothing (changed=0), waits for nothing and writes nothing but the deploy lock
    and the record;
  * drift made behind the tool's back (bucket versioning, function memory, a database rule open to the
    world, key rotation, a deleted flow log, the cluster's backup retention) is repaired by site.yml;
  * the teardown completes in one run although Lambda's network interfaces still hold the subnets and the
    app security group when the network is deleted (DependencyViolation, retried) and access-log objects
    keep arriving late;
  * prod (Aurora global database over three regions, global table replicas) from scratch, in AWS's
    order (the primary available, the global database, then the secondaries join), then a no-op.

Time: AWS's transitions run on the emulator's AWS clock, TIME_SCALE times faster than real time (Aurora's
ten minutes take one real second); Ansible's own work does not, so the file takes about three minutes on
two busy CPUs. Set REHEARSAL_REPORT to a file name to keep each run's real and AWS-equivalent durations
(tests/integration/rehearsal_support.py explains them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import botocore.config
import pytest
from integration.helpers import ACCOUNT, REGIONS, data_bucket, make_inventory
from integration.rehearsal_support import Rehearsal
from integration.stack_scan import deploy_lock, stack_resources
from integration.task_order import position, ran, task_results
from support import FAKE_CREDENTIALS

from emulator import control

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rehearsal")]

TIME_SCALE = 600.0
LINGER = "lambda.eni.linger"
# Lambda's interfaces stay until the teardown has met them (HELD), then AWS's usual half hour after the
# function's deletion (LINGER_AFTER), which has passed by then: they go at the next attempt. A fixed linger
# would have to outlast Ansible's own time between DeleteFunction and the network's deletion, which the time
# scale does not shrink (about ten real seconds here: a hundred AWS minutes).
HELD, LINGER_AFTER = 86400.0, 1800.0
SETTINGS = {
    "name": "aws",
    "time_scale": TIME_SCALE,
    "latency_ms": 0.0,
    "jitter": 0.0,
    "throttle_rate": 0.03,  # of every AWS call: the service's own throttling error
    "error_rate": 0.02,  # and a 5xx
    "seed": 13,
    # Access logs arrive ten AWS minutes after the request they log (AWS: minutes to hours).
    "durations": {LINGER: HELD, "s3.access_log.delay": 600.0},
}
NETWORK_DELETES = ("DeleteSecurityGroup", "DeleteSubnet", "DeleteVpc")
RETRIES = botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"})
# What a run that changes nothing may write: the deploy lock's item and the deployment record.
BOOKKEEPING = {("dynamodb", "PutItem"), ("dynamodb", "UpdateItem"), ("dynamodb", "DeleteItem"), ("s3", "PUT object")}
# The tasks that start a long creation, build what does not need it, and wait for it at the end of the region.
START_AURORA = "tap.multiregion.aurora : Start the Aurora cluster"
WAIT_AURORA = "tap.multiregion.aurora : Wait for the Aurora cluster"
JOIN_AURORA = "tap.multiregion.aurora : Ensure the Aurora secondary cluster"
GLOBAL_DATABASE = "tap.multiregion.aurora : Ensure the Aurora global database"
FUNCTION = "tap.multiregion.lambda_api : Ensure function"
ALARMS = "tap.multiregion.monitoring : Ensure the CloudWatch alarms"
START_TABLE = "tap.multiregion.dynamodb_global : Start the DynamoDB global table"
FINISH_TABLE = "tap.multiregion.dynamodb_global : Ensure the DynamoDB global table"


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("rehearsal")
    try:
        with control.running(workdir / "emulator", settings=SETTINGS) as url:
            rehearsal = Rehearsal(url, workdir, TIME_SCALE)
            yield rehearsal
            report = os.environ.get("REHEARSAL_REPORT")
            if report:
                Path(report).write_text(json.dumps(rehearsal.report(), indent=2) + "\n")
    except control.EmulatorError as exc:
        pytest.fail(f"the rehearsal's emulator (aws profile) could not be started: {exc}")


@pytest.fixture(scope="module")
def aws(rehearsal):
    """boto3 clients of the rehearsal's emulator (retrying its injected faults like the modules do)."""

    def client(service: str, region: str = "us-east-1"):
        return boto3.client(service, region_name=region, endpoint_url=rehearsal.url, config=RETRIES,
                            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip

    return client


@pytest.fixture(scope="module")
def inventories(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rehearsal-inventories")
    return {env: make_inventory(root / env, env, REGIONS) for env in ("dev", "prod")}


@pytest.fixture(scope="module")
def dev(rehearsal, inventories):
    """The first converge of dev, from scratch."""
    return rehearsal.play("dev-first-converge", "site.yml", inventories["dev"])


def text(run) -> str:
    return " ".join(run.output.split())


def test_dev_from_scratch_under_aws_timing_and_faults(dev, rehearsal, aws):
    assert dev.rc == 0, dev.output[-8000:]
    assert dev.changed() > 0
    # The faults really happened, and were retried: throttling in each service's protocol and 5xx.
    assert dev.faults("Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown",
                      "TooManyRequestsException"), "no call was throttled"  # fmt: skip
    assert dev.faults("ServiceUnavailable", "Unavailable", "InternalError"), "no call was answered 5xx"
    outputs = json.loads((rehearsal.workdir / "outputs" / "dev.json").read_text())["regions"]
    for region in REGIONS:
        assert outputs[region]["s3_bucket_name"] == data_bucket("dev", region)  # 4: names carry the account
        rds = aws("rds", region)
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=f"aurora-dev-{region}")["DBClusters"]
        assert cluster["Status"] == "available"
        instances = [rds.describe_db_instances(DBInstanceIdentifier=m["DBInstanceIdentifier"])["DBInstances"][0]
                     for m in cluster["DBClusterMembers"]]  # fmt: skip
        zones = [i["AvailabilityZone"] for i in instances]
        assert len(zones) == 2 and len(set(zones)) == 2, f"{region}: both instances in {zones}"  # 12
        assert {i["DBInstanceClass"] for i in instances} == {"db.t4g.medium"}  # 1
        function = aws("lambda", region).get_function(FunctionName=f"data-processor-dev-{region}")
        assert function["Configuration"]["State"] == "Active"  # 2
        assert "Concurrency" not in function  # 3: no reserved concurrency unless configured
        endpoints = aws("ec2", region).describe_vpc_endpoints(
            Filters=[{"Name": "service-name", "Values": [f"com.amazonaws.{region}.s3"]}])["VpcEndpoints"]
        actions = {a for s in json.loads(endpoints[0]["PolicyDocument"])["Statement"] for a in s["Action"]}
        assert "s3:GetObjectVersion" in actions  # 10
        (flow_log,) = aws("ec2", region).describe_flow_logs()["FlowLogs"]
        assert flow_log["FlowLogStatus"] == "ACTIVE" and flow_log["DeliverLogsStatus"] == "SUCCESS"  # 8
    assert deploy_lock(aws, "dev", "us-east-1") is None  # released


def calls_in(run, region: str, operation: str) -> list[int]:
    return [c["seq"] for c in run.calls if c["region"] == region and c["operation"] == operation]


def test_each_region_is_built_while_aurora_and_the_replicas_are_created(dev):
    assert dev.rc == 0, "the first converge failed"
    tasks = task_results(dev.stdout)
    primary, *others = REGIONS
    for region in REGIONS:
        # Started, the Lambda and the alarms built meanwhile, then waited for at the end of the region.
        assert position(tasks, START_AURORA, region) < position(tasks, FUNCTION, region) \
            < position(tasks, ALARMS, region) < position(tasks, WAIT_AURORA, region)
        created = calls_in(dev, region, "CreateDBCluster")
        function = calls_in(dev, region, "POST /2015-03-31/functions")
        assert created and function and created[0] < function[0]
        # The waiting call read the cluster again after the function was created.
        assert max(calls_in(dev, region, "DescribeDBClusters")) > function[0]
    assert position(tasks, START_TABLE, primary) < position(tasks, FUNCTION, primary) \
        < position(tasks, FINISH_TABLE, primary)
    assert all(ran(tasks, START_TABLE).get(region, "skipping") == "skipping" for region in others)
    for region in others:
        assert calls_in(dev, region, "DescribeTable")  # each replica was waited for in its region


def converged_without_waiting(run) -> None:
    """A run after a converge: nothing changed, and the tasks that wait for long creations had nothing to do."""
    assert run.rc == 0, run.output[-8000:]
    assert run.changed() == 0, run.stdout[-8000:]
    tasks = task_results(run.stdout)
    assert set(ran(tasks, WAIT_AURORA).values()) <= {"skipping"}
    assert set(ran(tasks, FINISH_TABLE).values()) <= {"skipping"}
    written = {(c["service"], c["operation"]) for c in run.writes()}
    assert written <= BOOKKEEPING, f"a no-op wrote to the stack: {sorted(written - BOOKKEEPING)}"


def test_a_second_run_changes_nothing_and_writes_only_the_lock_and_the_record(dev, rehearsal, inventories):
    assert dev.rc == 0, "the first converge failed"
    converged_without_waiting(rehearsal.play("dev-no-op", "site.yml", inventories["dev"]))


def make_drift(aws) -> list[str]:
    """Changes behind the tool's back, two per region; returns the sentences of site.yml's repairs."""
    east1, east2, west1 = REGIONS
    aws("s3", east1).put_bucket_versioning(Bucket=data_bucket("dev", east1),
                                           VersioningConfiguration={"Status": "Suspended"})
    kms = aws("kms", east1)
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=f"alias/tap-dev-{east1}")["KeyMetadata"]["KeyId"])
    aws("lambda", east2).update_function_configuration(FunctionName=f"data-processor-dev-{east2}", MemorySize=128)
    aws("rds", east2).modify_db_cluster(DBClusterIdentifier=f"aurora-dev-{east2}", BackupRetentionPeriod=5,
                                        ApplyImmediately=True)
    ec2 = aws("ec2", west1)
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"tap-db-dev-{west1}"]}])["SecurityGroups"]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    (flow_log,) = ec2.describe_flow_logs()["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[flow_log["FlowLogId"]])
    return [
        f"bucket {data_bucket('dev', east1)}: versioning Suspended -> Enabled",
        f"key alias/tap-dev-{east1}: rotation false -> true",
        f"function data-processor-dev-{east2}: memory size 128 -> 256",
        f"DB cluster aurora-dev-{east2}: backup_retention_period 5 -> 1",
        f"security group tap-db-dev-{west1}: revoke ingress tcp 3306 0.0.0.0/0",
        f"create flow log tap-dev-{west1}-flow-log",
    ]


def test_drift_behind_the_tools_back_is_repaired(dev, rehearsal, inventories, aws):
    assert dev.rc == 0, "the first converge failed"
    repairs = make_drift(aws)
    # -v: the summary lists each change made.
    repair = rehearsal.play("dev-drift-repair", "site.yml", inventories["dev"], "-v")
    assert repair.rc == 0, repair.output[-8000:]
    said = text(repair)
    missing = [sentence for sentence in repairs if sentence not in said]
    assert not missing, f"the repair does not say {missing}\n{repair.stdout[-8000:]}"
    assert repair.changed() == len(repairs), repair.stdout[-8000:]  # one task per repair, nothing else
    east1, east2, west1 = REGIONS
    assert aws("s3", east1).get_bucket_versioning(Bucket=data_bucket("dev", east1))["Status"] == "Enabled"
    kms = aws("kms", east1)
    key = kms.describe_key(KeyId=f"alias/tap-dev-{east1}")["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
    config = aws("lambda", east2).get_function_configuration(FunctionName=f"data-processor-dev-{east2}")
    assert config["MemorySize"] == 256 and config["LastUpdateStatus"] == "Successful"
    (cluster,) = aws("rds", east2).describe_db_clusters(DBClusterIdentifier=f"aurora-dev-{east2}")["DBClusters"]
    assert cluster["BackupRetentionPeriod"] == 1
    ec2 = aws("ec2", west1)
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"tap-db-dev-{west1}"]}])["SecurityGroups"]
    assert not [r for p in group["IpPermissions"] for r in p.get("IpRanges", [])], group["IpPermissions"]
    (flow_log,) = ec2.describe_flow_logs()["FlowLogs"]
    assert flow_log["FlowLogStatus"] == "ACTIVE" and flow_log["DeliverLogsStatus"] == "SUCCESS"


# Kept on purpose by a dev teardown: the backup vault (recovery points outlive a teardown), the keys
# (scheduled for deletion, their aliases kept so that a later deploy finds and recovers them).
KEPT = {
    "backup_vault": lambda region, names: names == [f"tap-backup-dev-{region}"],
    "kms_key": lambda region, names: len(names) == 1 and names[0].endswith("(PendingDeletion)"),
    "kms_alias": lambda region, names: names == [f"alias/tap-dev-{region}"],
    "db_cluster_snapshot": lambda region, names: all(n.startswith(f"rds:aurora-dev-{region}") for n in names),
}


def test_teardown_completes_in_one_run_despite_lingering_interfaces_and_late_logs(dev, rehearsal, inventories, aws):
    assert dev.rc == 0, "the first converge failed"
    released, refused_in = [], set()

    def release_interfaces_once_refused(calls):
        # Lambda lets go of its interfaces only after the teardown has met them in every region (see HELD):
        # released at the first refusal, a region whose deletes came later would never be refused. Each call
        # of the watch brings only the calls since the last one, so the regions are collected across them.
        refused_in.update(c["region"] for c in calls if c["operation"] in NETWORK_DELETES and c["status"] == 400
                          and not c.get("fault"))  # fmt: skip
        if not released and refused_in >= set(REGIONS):
            control.set_profile(rehearsal.url, durations=dict(SETTINGS["durations"], **{LINGER: LINGER_AFTER}))
            released.append(True)

    teardown = rehearsal.play("dev-teardown", "playbooks/teardown.yml", inventories["dev"],
                              watch=release_interfaces_once_refused)
    control.set_profile(rehearsal.url, durations=SETTINGS["durations"])
    assert teardown.rc == 0, teardown.output[-8000:]
    refused = teardown.refused(*NETWORK_DELETES)
    assert refused, "the network was never refused: Lambda's interfaces did not hold it"
    assert {c["region"] for c in refused} == set(REGIONS)
    for region in REGIONS:
        left = {kind: names for kind, names in stack_resources(aws, "dev", region).items() if names}
        unexpected = {kind: names for kind, names in left.items()
                      if kind != "kms_key_enabled" and not KEPT.get(kind, lambda *_: False)(region, names)}
        assert not unexpected, f"{region}: left after the teardown: {unexpected}"
        interfaces = aws("ec2", region).describe_network_interfaces(
            Filters=[{"Name": "interface-type", "Values": ["lambda"]}])["NetworkInterfaces"]
        assert not interfaces
    assert deploy_lock(aws, "dev", "us-east-1") is None


@pytest.fixture(scope="module")
def prod(rehearsal, inventories):
    return rehearsal.play("prod-first-converge", "site.yml", inventories["prod"])


def test_prod_from_scratch_with_the_global_database_and_replicas(prod, rehearsal, aws):
    assert prod.rc == 0, prod.output[-8000:]
    primary, *secondaries = REGIONS
    (global_cluster,) = aws("rds", primary).describe_global_clusters(
        GlobalClusterIdentifier="aurora-global-prod")["GlobalClusters"]
    members = {m["DBClusterArn"].split(":")[3]: m["IsWriter"] for m in global_cluster["GlobalClusterMembers"]}
    assert members == {primary: True, **{region: False for region in secondaries}}
    for region in REGIONS:
        (cluster,) = aws("rds", region).describe_db_clusters(DBClusterIdentifier=f"aurora-prod-{region}")["DBClusters"]
        assert cluster["Status"] == "available" and cluster["DeletionProtection"]
    table = aws("dynamodb", primary).describe_table(TableName="sessions-prod")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert {r["RegionName"]: r["ReplicaStatus"] for r in table.get("Replicas", [])} == {
        region: "ACTIVE" for region in secondaries}
    outputs = json.loads((rehearsal.workdir / "outputs" / "prod.json").read_text())["regions"]
    assert sorted(outputs) == sorted(REGIONS)
    assert all(ACCOUNT in outputs[region]["s3_bucket_name"] for region in REGIONS)
    assert all(outputs[region]["rds_cluster_endpoint"] for region in REGIONS), outputs


def test_prod_creates_the_global_database_from_the_primary_then_the_secondaries_join(prod):
    assert prod.rc == 0, "the first converge failed"
    tasks = task_results(prod.stdout)
    primary, *secondaries = REGIONS
    # The primary starts its cluster early; a secondary has nothing to join yet.
    assert position(tasks, START_AURORA, primary) < position(tasks, FUNCTION, primary)
    for region in secondaries:
        assert ran(tasks, START_AURORA)[region] == "skipping"
        # AWS's order: the primary available, the global database from it, then the secondary joins.
        assert position(tasks, WAIT_AURORA, primary) < position(tasks, GLOBAL_DATABASE, primary) \
            < position(tasks, JOIN_AURORA, region)
        assert calls_in(prod, primary, "CreateGlobalCluster")[0] < calls_in(prod, region, "CreateDBCluster")[0]


def test_prod_converges_again_without_waiting(prod, rehearsal, inventories):
    assert prod.rc == 0, "the first converge failed"
    converged_without_waiting(rehearsal.play("prod-no-op", "site.yml", inventories["prod"]))

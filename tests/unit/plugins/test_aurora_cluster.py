"""tap.multiregion.aurora_cluster against the emulator (in-process via run_module).

Needs the emulator extension `aurora` (emulator/aurora.py, registered in emulator/extensions.py):
moto 5.2.5 drops Performance Insights and some ModifyDBCluster fields without it.
"""

from __future__ import annotations

import contextlib
import json

import botocore.client
import pytest
from aurora_support import MONITORING_ROLE
from aurora_support import Transitions
from aurora_support import cluster_args
from aurora_support import make_network
from aurora_support import quick_polls  # noqa: F401  # pylint: disable=unused-import  # a fixture
from aurora_support import recorded_calls
from aurora_support import warning_texts
from aurora_support import writes
from botocore.exceptions import ClientError

from emulator import control

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.tap.multiregion.plugins.module_utils import aurora as aurora_utils
from ansible_collections.tap.multiregion.plugins.modules import aurora_cluster

REGION = "ca-central-1"


def test_emulator_has_the_aurora_extension():
    from emulator import extensions

    assert "aurora" in extensions.EXTENSIONS, "register emulator/aurora.py in emulator/extensions.py (EXTENSIONS)"


@pytest.fixture
def created(aws, run_module, request):
    """A cluster created by the module (name derived from the test)."""
    name = "aurora-" + request.node.name.replace("_", "-")[:40].rstrip("-")
    net = make_network(aws, REGION, name)
    args = cluster_args(name, net)
    result = run_module(aurora_cluster.main, args, region=REGION, diff=True)
    assert not result.get("failed"), result
    return name, net, args, result


def test_creates_cluster_with_the_security_baseline(aws, created):
    name, net, args, result = created
    rds = aws("rds", REGION)
    assert result["changed"] is True
    cluster = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    assert cluster["Engine"] == "aurora-mysql"
    assert cluster["EngineVersion"] == "8.0.mysql_aurora.3.04.0"
    assert cluster["DatabaseName"] == "tapdb"
    assert cluster["MasterUsername"] == "tapadmin"
    assert cluster["Port"] == 3306
    assert cluster["BackupRetentionPeriod"] == 1
    assert cluster["PreferredBackupWindow"] == "03:00-04:00"
    assert sorted(cluster["EnabledCloudwatchLogsExports"]) == ["audit", "error", "general", "slowquery"]
    assert cluster["DBSubnetGroup"] == net["subnet_group"]
    assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [net["sg"]]
    assert cluster["StorageEncrypted"] is True and cluster["KmsKeyId"] == net["key"]
    assert cluster["IAMDatabaseAuthenticationEnabled"] is True
    assert cluster["CopyTagsToSnapshot"] is True
    assert cluster["BacktrackWindow"] == 86400
    assert cluster["DeletionProtection"] is False
    assert {t["Key"]: t["Value"] for t in cluster["TagList"]} == args["tags"]

    # require_secure_transport=ON in the module's own parameter group
    assert cluster["DBClusterParameterGroup"] == name
    group = rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name)["DBClusterParameterGroups"][0]
    assert group["DBParameterGroupFamily"] == "aurora-mysql8.0"
    params = rds.describe_db_cluster_parameters(DBClusterParameterGroupName=name)["Parameters"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in params}["require_secure_transport"] == "ON"

    # master password generated and held by Secrets Manager, encrypted with the region's key
    secret = cluster["MasterUserSecret"]
    assert secret["KmsKeyId"] == net["key"]
    assert aws("secretsmanager", REGION).describe_secret(SecretId=secret["SecretArn"])["KmsKeyId"] == net["key"]

    instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [name]}])["DBInstances"]
    assert sorted(i["DBInstanceIdentifier"] for i in instances) == [f"{name}-1", f"{name}-2"]
    for instance in instances:
        assert instance["DBInstanceClass"] == "db.r5.large"
        assert instance["PubliclyAccessible"] is False
        assert instance["MonitoringInterval"] == 60 and instance["MonitoringRoleArn"] == MONITORING_ROLE
        assert instance["PerformanceInsightsEnabled"] is True
        assert instance["PerformanceInsightsKMSKeyId"] == net["key"]

    # two instances in two zones of the subnet group, each placed explicitly
    zones = sorted({s["SubnetAvailabilityZone"]["Name"] for s in rds.describe_db_subnet_groups(
        DBSubnetGroupName=net["subnet_group"])["DBSubnetGroups"][0]["Subnets"]})
    placed = {i["DBInstanceIdentifier"]: i["AvailabilityZone"] for i in instances}
    assert placed == {f"{name}-1": zones[0], f"{name}-2": zones[1]}
    assert result["changes"] == [
        f"create DB cluster parameter group {name} (aurora-mysql8.0)",
        f"DB cluster parameter group {name}: require_secure_transport none -> ON",
        f"create DB cluster {name} (aurora-mysql 8.0.mysql_aurora.3.04.0)",
        f"create DB instance {name}-1 (db.r5.large in {zones[0]})",
        f"create DB instance {name}-2 (db.r5.large in {zones[1]})",
    ]
    assert [i["availability_zone"] for i in result["instances"]] == zones[:2]
    assert result["is_writer"] is True and result["global_writer_region"] is None

    assert result["cluster_arn"] == cluster["DBClusterArn"]
    assert result["endpoint"] == cluster["Endpoint"]
    assert result["reader_endpoint"] == cluster["ReaderEndpoint"]
    assert result["master_user_secret_arn"] == secret["SecretArn"]
    assert result["cluster"]["tags"] == args["tags"]
    assert [i["is_cluster_writer"] for i in result["instances"]] == [True, False]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["cluster"]["backup_retention_period"] == 1


def test_result_holds_no_password(aws, created):
    _name, _net, _args, result = created
    value = aws("secretsmanager", REGION).get_secret_value(SecretId=result["master_user_secret_arn"])["SecretString"]
    password = json.loads(value)["password"]
    assert password not in json.dumps(result)
    assert not {"password", "master_user_password", "MasterUserPassword"} & all_keys(result)


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in all_keys(v)}
    return set()


def test_rerun_changes_nothing_and_writes_nothing(aws, run_module, created, monkeypatch):
    _name, _net, args, _result = created
    with recorded_calls(monkeypatch) as calls:
        again = run_module(aurora_cluster.main, args, region=REGION, diff=True)
    assert again["changed"] is False, again.get("diff")
    assert writes(calls) == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert "warnings" not in again


def test_check_mode_creates_nothing(aws, run_module, monkeypatch):
    name = "aurora-check-mode"
    net = make_network(aws, REGION, name)
    with recorded_calls(monkeypatch) as calls:
        result = run_module(aurora_cluster.main, cluster_args(name, net), region=REGION, check_mode=True, diff=True)
    assert result["changed"] is True
    assert writes(calls) == []
    assert result["diff"]["after"]["cluster"]["kms_key_id"] == net["key"]
    assert sorted(result["diff"]["after"]["instances"]) == [f"{name}-1", f"{name}-2"]
    rds = aws("rds", REGION)
    with pytest.raises(ClientError):
        rds.describe_db_clusters(DBClusterIdentifier=name)
    with pytest.raises(ClientError):
        rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name)


def test_changed_settings_are_modified_in_place(aws, run_module, created, monkeypatch):
    name, _net, args, _result = created
    rds = aws("rds", REGION)
    before = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    changed = dict(args, backup_retention_period=7, enable_cloudwatch_logs_exports=["audit", "error", "slowquery"],
                   instance_class="db.r5.xlarge")

    preview = run_module(aurora_cluster.main, changed, region=REGION, check_mode=True, diff=True)
    assert preview["changed"] is True
    assert rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]["BackupRetentionPeriod"] == 1

    with recorded_calls(monkeypatch) as calls:
        result = run_module(aurora_cluster.main, changed, region=REGION, diff=True)
    assert result["changed"] is True
    assert sorted(set(writes(calls))) == [("rds", "ModifyDBCluster"), ("rds", "ModifyDBInstance")]
    assert result["changes"] == [
        f"DB cluster {name}: backup_retention_period 1 -> 7, enabled_cloudwatch_logs_exports "
        '["audit","error","general","slowquery"] -> ["audit","error","slowquery"]',
        f"DB instance {name}-1: db_instance_class db.r5.large -> db.r5.xlarge",
        f"DB instance {name}-2: db_instance_class db.r5.large -> db.r5.xlarge",
    ]
    assert preview["changes"] == result["changes"]
    assert result["diff"]["before"]["cluster"]["backup_retention_period"] == 1
    assert result["diff"]["after"]["cluster"]["backup_retention_period"] == 7
    assert result["diff"]["after"]["cluster"]["enabled_cloudwatch_logs_exports"] == ["audit", "error", "slowquery"]

    after = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    assert after["DBClusterArn"] == before["DBClusterArn"]
    assert after["ClusterCreateTime"] == before["ClusterCreateTime"]  # the same cluster, not a new one
    assert after["BackupRetentionPeriod"] == 7
    assert sorted(after["EnabledCloudwatchLogsExports"]) == ["audit", "error", "slowquery"]
    classes = {i["DBInstanceClass"] for i in rds.describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [name]}])["DBInstances"]}
    assert classes == {"db.r5.xlarge"}
    assert run_module(aurora_cluster.main, changed, region=REGION)["changed"] is False


def test_tags_and_instance_count_converge(aws, run_module, created):
    name, _net, args, _result = created
    rds = aws("rds", REGION)
    changed = dict(args, instance_count=1, tags=dict(args["tags"], Owner="db-team"))
    result = run_module(aurora_cluster.main, changed, region=REGION)
    assert result["changed"] is True
    assert result["changes"] == [
        f"DB cluster {name}: tags Owner=db-team",
        f"DB instance {name}-1: tags Owner=db-team",
        f"delete DB instance {name}-2 (beyond instance_count 1)",
    ]
    assert [i["db_instance_identifier"] for i in result["instances"]] == [f"{name}-1"]
    cluster = rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]
    assert {t["Key"]: t["Value"] for t in cluster["TagList"]}["Owner"] == "db-team"
    assert run_module(aurora_cluster.main, changed, region=REGION)["changed"] is False


def test_absent_refuses_deletion_protection_then_deletes_with_final_snapshot(aws, run_module):
    name = "aurora-absent-protected"
    net = make_network(aws, REGION, name)
    assert run_module(aurora_cluster.main, cluster_args(name, net, deletion_protection=True), region=REGION)["changed"]
    rds = aws("rds", REGION)

    refused = run_module(aurora_cluster.main, dict(cluster_identifier=name, state="absent"), region=REGION)
    assert refused["failed"] is True and "deletion protection" in refused["msg"]
    assert rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]

    absent = dict(cluster_identifier=name, state="absent", disable_deletion_protection=True,
                  final_snapshot_identifier=f"{name}-final")
    preview = run_module(aurora_cluster.main, absent, region=REGION, check_mode=True, diff=True)
    assert preview["changed"] is True and preview["diff"]["after"] == {}
    assert rds.describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]

    result = run_module(aurora_cluster.main, absent, region=REGION)
    assert result["changed"] is True
    assert result["changes"] == [
        f"DB cluster {name}: deletion_protection true -> false",
        f"delete DB instance {name}-1",
        f"delete DB instance {name}-2",
        f"delete DB cluster {name} (final snapshot {name}-final)",
        f"delete DB cluster parameter group {name}",
    ]
    assert preview["changes"] == result["changes"]
    with pytest.raises(ClientError):
        rds.describe_db_clusters(DBClusterIdentifier=name)
    assert not rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [name]}])["DBInstances"]
    snapshots = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=f"{name}-final")["DBClusterSnapshots"]
    assert len(snapshots) == 1
    with pytest.raises(ClientError):
        rds.describe_db_cluster_parameter_groups(DBClusterParameterGroupName=name)
    assert run_module(aurora_cluster.main, absent, region=REGION)["changed"] is False


def test_throttling_is_retried(aws, run_module, monkeypatch):
    name = "aurora-throttled"
    net = make_network(aws, REGION, name)
    attempts: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def throttle_first_describe(self, operation_name, api_params):
        if operation_name == "DescribeDBClusters":
            attempts.append(operation_name)
            if len(attempts) == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    sleeps: list[float] = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)  # AWSRetry's back-off, not the test's time
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_first_describe)
    result = run_module(aurora_cluster.main, cluster_args(name, net, instance_count=1), region=REGION)
    monkeypatch.undo()

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert attempts[:2] == ["DescribeDBClusters", "DescribeDBClusters"]  # the throttled call, then its retry
    assert len(sleeps) == 1
    assert aws("rds", REGION).describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"master_username": "admin"}, "master_username"),
        ({"kms_key_id": "alias/tap-test"}, "not an alias"),
        ({"global_cluster_identifier": "g", "master_user_secret_name": "s"}, "backtrack"),
        ({"global_cluster_identifier": "g", "backtrack_window": 0}, "master_user_secret_name"),
        ({"role": "secondary"}, "global_cluster_identifier"),
        ({"enable_cloudwatch_logs_exports": ["audit", "binlog"]}, "binlog"),
        (
            {"global_cluster_identifier": "g", "master_user_secret_name": "s", "backtrack_window": 0,
             "instance_class": "db.t4g.medium"},
            "instance_class: db.t4g.medium is not allowed; Aurora global databases take no burstable (db.t*) class",
        ),
    ],
)
def test_invalid_settings_fail_before_any_call(run_module, monkeypatch, overrides, message):
    net = {"key": "arn:aws:kms:ca-central-1:123456789012:key/x", "subnet_group": "x", "sg": "sg-1"}
    with recorded_calls(monkeypatch) as calls:
        result = run_module(aurora_cluster.main, cluster_args("aurora-invalid", net, **overrides), region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert calls == []
    assert not result.get("changes")


def test_drift_is_reported_in_check_mode_without_a_write(aws, run_module, created, emulator_url):
    name, _net, args, _result = created
    aws("rds", REGION).modify_db_cluster(DBClusterIdentifier=name, BackupRetentionPeriod=5, ApplyImmediately=True)
    mark = control.last_call_seq(emulator_url)
    plan = run_module(aurora_cluster.main, args, region=REGION, check_mode=True, diff=True)
    assert plan["changes"] == [f"DB cluster {name}: backup_retention_period 5 -> 1"]
    assert plan["diff"]["before"]["cluster"]["backup_retention_period"] == 5
    assert plan["diff"]["after"]["cluster"]["backup_retention_period"] == 1
    assert control.write_calls(emulator_url, mark) == []


@pytest.mark.usefixtures("quick_polls")
def test_a_busy_cluster_and_instance_are_waited_for_before_they_are_changed(aws, run_module, created, monkeypatch):
    """AWS refuses ModifyDBCluster/ModifyDBInstance while not available: the module waits, then compares."""
    name, _net, args, _result = created
    changed = dict(args, backup_retention_period=7, instance_class="db.r5.xlarge")
    transitions = Transitions(
        clusters={name: ["modifying", "modifying", "backing-up"]},
        instances={f"{name}-1": ["configuring-enhanced-monitoring", "configuring-enhanced-monitoring"]},
    ).install(monkeypatch)
    result = run_module(aurora_cluster.main, changed, region=REGION)
    monkeypatch.undo()
    assert not result.get("failed"), result
    assert transitions.refused == []
    assert transitions.operations("ModifyDBCluster", "ModifyDBInstance") == [
        "ModifyDBCluster", "ModifyDBInstance", "ModifyDBInstance"]
    modify = transitions.operations().index("ModifyDBCluster")
    assert transitions.operations()[:modify].count("DescribeDBClusters") >= 4  # polled until available
    assert result["changes"] == [
        f"DB cluster {name}: backup_retention_period 1 -> 7",
        f"DB instance {name}-1: db_instance_class db.r5.large -> db.r5.xlarge",
        f"DB instance {name}-2: db_instance_class db.r5.large -> db.r5.xlarge",
    ]
    assert aws("rds", REGION).describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0][
        "BackupRetentionPeriod"] == 7


def test_wait_false_leaves_the_changes_of_a_busy_cluster_to_a_waiting_run(run_module, created, monkeypatch):
    name, _net, args, _result = created
    changed = dict(args, backup_retention_period=7, wait=False)
    transitions = Transitions(clusters={name: ["modifying"] * 20}).install(monkeypatch)
    result = run_module(aurora_cluster.main, changed, region=REGION)
    monkeypatch.undo()
    assert not result.get("failed"), result
    assert transitions.writes() == [] and transitions.refused == []
    assert result["changed"] is False and result["changes"] == []
    assert warning_texts(result) == [
        f"DB cluster {name}: backup_retention_period 1 -> 7 is modifying; AWS changes it only once available, so "
        "this is left to a run with wait: true"]
    assert run_module(aurora_cluster.main, dict(changed, wait=True), region=REGION)["changes"] == [
        f"DB cluster {name}: backup_retention_period 1 -> 7"]


@pytest.mark.usefixtures("quick_polls")
def test_wait_false_starts_the_creation_and_a_later_waiting_run_changes_nothing(aws, run_module, monkeypatch):
    name = "aurora-started-early"
    args = cluster_args(name, make_network(aws, REGION, name), wait=False)
    started = Transitions(clusters={name: ["creating"] * 50}, instances={
        f"{name}-1": ["creating"] * 50, f"{name}-2": ["creating"] * 50}).install(monkeypatch)
    first = run_module(aurora_cluster.main, args, region=REGION)
    monkeypatch.undo()
    assert not first.get("failed"), first
    assert first["changes"] == [
        f"create DB cluster parameter group {name} (aurora-mysql8.0)",
        f"DB cluster parameter group {name}: require_secure_transport none -> ON",
        f"create DB cluster {name} (aurora-mysql 8.0.mysql_aurora.3.04.0)",
        f"create DB instance {name}-1 (db.r5.large in ca-central-1a)",
        f"create DB instance {name}-2 (db.r5.large in ca-central-1b)",
    ]
    # Returned at once: one describe before the creation, one for the facts; no polling.
    assert started.operations("DescribeDBClusters") == ["DescribeDBClusters"] * 2
    assert first["cluster"]["status"] == "creating" and "waits" not in first
    assert [i["status"] for i in first["instances"]] == ["creating", "creating"]

    waiting = Transitions(clusters={name: ["creating"] * 3}, instances={
        f"{name}-1": ["creating", "configuring-enhanced-monitoring", "configuring-enhanced-monitoring"],
        f"{name}-2": ["creating"] * 2}).install(monkeypatch)
    second = run_module(aurora_cluster.main, dict(args, wait=True), region=REGION, diff=True)
    monkeypatch.undo()
    assert not second.get("failed"), second
    assert second["changed"] is False and second["changes"] == [] and "warnings" not in second
    assert waiting.writes() == []
    assert len(waiting.operations("DescribeDBClusters")) >= 4  # waited until everything was available
    assert second["cluster"]["status"] == "available"
    assert [i["status"] for i in second["instances"]] == ["available", "available"]


@pytest.mark.usefixtures("quick_polls")
def test_a_cluster_already_deleting_is_not_deleted_again(run_module, created, monkeypatch):
    name, _net, _args, _result = created
    transitions = Transitions(clusters={name: ["deleting", "deleting", "gone"]},
                              instances={f"{name}-1": ["deleting", "gone"], f"{name}-2": ["deleting", "gone"]})
    transitions.install(monkeypatch)
    result = run_module(aurora_cluster.main, dict(cluster_identifier=name, state="absent"), region=REGION)
    monkeypatch.undo()
    assert not result.get("failed"), result
    assert transitions.refused == []
    assert transitions.operations("DeleteDBCluster", "DeleteDBInstance") == []
    assert result["changes"] == [f"delete DB cluster parameter group {name}"]  # the re-run finishes the job


@pytest.mark.usefixtures("quick_polls")
def test_instances_already_deleting_are_not_deleted_again(aws, run_module, created, monkeypatch):
    name, _net, _args, _result = created
    rds = aws("rds", REGION)
    ghost = rds.describe_db_instances(DBInstanceIdentifier=f"{name}-1")["DBInstances"][0]
    rds.delete_db_instance(DBInstanceIdentifier=f"{name}-1")  # instant here; AWS keeps it "deleting" for minutes
    transitions = Transitions(instances={f"{name}-1": ["deleting"] * 100},
                              ghosts={f"{name}-1": dict(ghost, DBInstanceStatus="deleting")}).install(monkeypatch)
    result = run_module(aurora_cluster.main, dict(cluster_identifier=name, state="absent"), region=REGION)
    monkeypatch.undo()
    assert not result.get("failed"), result
    assert transitions.refused == []
    deletes = [(c[1], c[3].get("DBInstanceIdentifier") or c[3].get("DBClusterIdentifier")) for c in transitions.calls
               if c[1] in ("DeleteDBInstance", "DeleteDBCluster")]
    assert deletes == [("DeleteDBInstance", f"{name}-2"), ("DeleteDBCluster", name)]
    assert result["changes"] == [
        f"delete DB instance {name}-2",
        f"delete DB cluster {name} (no final snapshot)",
        f"delete DB cluster parameter group {name}",
    ]


def test_instances_in_one_zone_are_reported_and_new_ones_placed_elsewhere(aws, run_module, monkeypatch):
    name = "aurora-one-zone"
    net = make_network(aws, REGION, name)
    args = cluster_args(name, net, instance_count=1)
    assert run_module(aurora_cluster.main, args, region=REGION)["changed"] is True
    rds = aws("rds", REGION)
    zone = rds.describe_db_instances(DBInstanceIdentifier=f"{name}-1")["DBInstances"][0]["AvailabilityZone"]
    rds.create_db_instance(DBInstanceIdentifier=f"{name}-2", DBClusterIdentifier=name, Engine="aurora-mysql",
                           DBInstanceClass="db.r5.large", AvailabilityZone=zone, MonitoringInterval=60,
                           MonitoringRoleArn=MONITORING_ROLE, EnablePerformanceInsights=True,
                           PerformanceInsightsKMSKeyId=net["key"],
                           Tags=[{"Key": k, "Value": v} for k, v in args["tags"].items()])

    plan = run_module(aurora_cluster.main, dict(args, instance_count=3), region=REGION, check_mode=True)
    assert plan["changes"] == [f"create DB instance {name}-3 (db.r5.large in ca-central-1b)"]
    assert "warnings" not in plan  # the third instance would leave the cluster in two zones
    kept = run_module(aurora_cluster.main, dict(args, instance_count=2), region=REGION, check_mode=True)
    assert kept["changes"] == []
    assert warning_texts(kept) == [
        f"availability zones: the 2 instances of DB cluster {name} are all in {zone}; AWS does not move an "
        "instance to another zone (delete one and run again to create it in another zone)"
    ]


def test_comparison_helpers():
    assert aurora_utils.version_key("8.0.mysql_aurora.3.04.0") < aurora_utils.version_key("8.0.mysql_aurora.3.10.1")
    assert aurora_utils.same_kms_key("abc", "arn:aws:kms:r:1:key/abc")
    assert not aurora_utils.same_kms_key("arn:aws:kms:r:1:key/abc", "arn:aws:kms:r:1:key/def")
    assert aurora_utils.global_cluster_name("arn:aws:rds::1:global-cluster:g1") == "g1"
    assert aurora_utils.parameter_changes({"require_secure_transport": "on"}, {"require_secure_transport": "ON"}) == {}
    assert aurora_utils.surplus_instances("c", 1, ["c-1", "c-2", "c-10", "other-3"]) == ["c-10", "c-2"]
    add, remove = aurora_utils.secret_replica_changes(
        [{"Region": "eu-west-1"}, {"Region": "us-east-2"}],
        [{"region": "eu-west-1"}, {"region": "ap-south-1", "kms_key_id": "k"}],
    )
    assert add == [{"Region": "ap-south-1", "KmsKeyId": "k"}] and remove == ["us-east-2"]
    current = {"DBClusterIdentifier": "c", "BacktrackWindow": 0, "StorageEncrypted": True, "KmsKeyId": "k",
               "EngineVersion": "8.0.mysql_aurora.3.05.2", "MasterUserSecret": {"KmsKeyId": "k"}}
    params = dict(backup_retention_period=None, preferred_backup_window=None, port=None, parameter_group_name=None,
                  iam_database_authentication=None, deletion_protection=None, copy_tags_to_snapshot=None,
                  preferred_maintenance_window=None, vpc_security_group_ids=[], enable_cloudwatch_logs_exports=[],
                  backtrack_window=86400, kms_key_id="k", engine_version="8.0.mysql_aurora.3.04.0",
                  db_subnet_group_name=None, master_username=None, database_name=None)
    changes, warnings = aurora_utils.cluster_modifications(current, params, global_member=False, secondary=False)
    assert changes == {}  # backtrack cannot be enabled later; engines are never downgraded
    assert any("backtrack" in w for w in warnings) and any("downgraded" in w for w in warnings)


def test_placement_and_sentence_helpers():
    place = aurora_utils.place_instances
    assert place(["c-1", "c-2"], [], ["z-b", "z-a", "z-c", "z-a"]) == {"c-1": "z-a", "c-2": "z-b"}
    assert place(["c-2"], ["z-a"], ["z-a", "z-b"]) == {"c-2": "z-b"}
    assert place(["c-3", "c-4"], ["z-a", "z-b"], ["z-a", "z-b"]) == {"c-3": "z-a", "c-4": "z-b"}
    assert place(["c-1"], [], []) == {"c-1": None}
    assert aurora_utils.one_zone_warning("c", ["z-a", "z-b"], "g", ["z-a", "z-b"]) is None
    assert aurora_utils.one_zone_warning("c", ["z-a"], "g", ["z-a", "z-b"]) is None
    assert "subnets in that zone only" in aurora_utils.one_zone_warning("c", ["z-a", "z-a"], "g", ["z-a"])
    assert [aurora_utils.is_burstable(c) for c in ("db.t3.medium", "db.t4g.medium", "db.r5.large", "db.x2g.large")] \
        == [True, True, False, False]
    sentence = aurora_utils.change_sentence("DB cluster c", aurora_utils.changed_attributes(
        {"port": 3306, "deletion_protection": False}, {"port": 3307, "deletion_protection": False}),
        ["master password reset from secret s"])
    assert sentence == "DB cluster c: port 3306 -> 3307, master password reset from secret s"
    writer = aurora_utils.writer_of({"GlobalClusterMembers": [
        {"DBClusterArn": "arn:aws:rds:eu-west-1:1:cluster:b", "IsWriter": True},
        {"DBClusterArn": "arn:aws:rds:us-east-1:1:cluster:a", "IsWriter": False}]})
    assert (writer["region"], writer["db_cluster_identifier"]) == ("eu-west-1", "b")
    assert aurora_utils.writer_of(None) is None


def test_any_of_retries_each_propagation_rule_for_its_own_time(monkeypatch):
    from ansible_collections.tap.multiregion.plugins.module_utils import base, rds

    clock = [1000.0]
    monkeypatch.setattr(rds.time, "time", lambda: clock[0])
    either = rds.AnyOf(base.Propagation(["A"], seconds=10), base.Propagation(["B"], seconds=100))

    def error(code):
        return ClientError({"Error": {"Code": code, "Message": "m"}}, "CreateDBInstance")

    clock[0] += 50
    assert not either.matches(error("A")) and either.matches(error("B")) and not either.matches(error("C"))
    clock[0] += 60
    assert not either.matches(error("B"))


@pytest.mark.usefixtures("quick_polls")
def test_under_the_aws_profile_no_change_is_refused_and_waiting_runs_find_nothing_to_do(aws_profile):
    """Start early, wait late, change, change again at once, tear down without waiting and finish the job.

    Against the aws-profile emulator: as far as it models AWS's RDS states (creating, modifying, deleting,
    configuring-enhanced-monitoring) and refusals, no write of the module may be refused.
    """
    from support import FAKE_CREDENTIALS, call_module

    name, region = "aurora-rehearsed", REGION
    connection = dict(region=region, endpoint_url=aws_profile.url, access_key=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                      secret_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    ensure_monitoring_role(aws_profile)

    def run(args, **kwargs):
        return call_module(aurora_cluster.main, dict(connection, **args), **kwargs)

    args = cluster_args(name, make_network(aws_profile.client, region, name), wait=False)
    started = run(args)
    assert not started.get("failed"), started
    assert started["cluster"]["status"] in ("creating", "available")
    assert {i["availability_zone"] for i in started["instances"]} == {"ca-central-1a", "ca-central-1b"}
    waited = run(dict(args, wait=True))
    assert waited["changed"] is False, waited["changes"]
    assert [i["status"] for i in waited["instances"]] == ["available", "available"]
    changed = dict(args, wait=True, backup_retention_period=7, instance_class="db.r5.xlarge")
    assert run(changed)["changes"] == [
        f"DB cluster {name}: backup_retention_period 1 -> 7",
        f"DB instance {name}-1: db_instance_class db.r5.large -> db.r5.xlarge",
        f"DB instance {name}-2: db_instance_class db.r5.large -> db.r5.xlarge",
    ]
    assert run(dict(changed, port=3307))["changes"] == [f"DB cluster {name}: port 3306 -> 3307"]

    absent = dict(cluster_identifier=name, state="absent", wait=False)
    assert run(absent)["changes"] == [f"delete DB instance {name}-1", f"delete DB instance {name}-2",
                                      f"delete DB cluster {name} (no final snapshot)"]
    assert run(dict(absent, wait=True))["changes"] == [f"delete DB cluster parameter group {name}"]
    assert run(dict(absent, wait=True))["changed"] is False
    refused = [c for c in aws_profile.calls() if c["kind"] == "write" and c["status"] >= 400]
    assert refused == []


@pytest.mark.usefixtures("quick_polls")
def test_under_the_aws_profile_a_cluster_that_just_left_its_global_database_is_deleted_once_promoted(aws_profile):
    """prod's teardown: the global database detaches its members (each is then promoting for minutes), and the
    clusters, protected against deletion, are deleted right after. AWS refuses to modify a promoting cluster
    (InvalidDBClusterStateFault "... with status promoting"); the module waits for available first."""
    from support import FAKE_CREDENTIALS, call_module

    from ansible_collections.tap.multiregion.plugins.modules import aurora_global_cluster

    primary_region, secondary_region = REGION, "sa-east-1"
    gid, secret = "aurora-global-promoted", "tap/aurora-global-promoted/master"
    aws_profile.set(durations={"rds.global.detach": 3600})  # an AWS hour: still promoting when deleted
    ensure_monitoring_role(aws_profile)

    def run(main, region, args):
        connection = dict(region=region, endpoint_url=aws_profile.url,
                          access_key=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                          secret_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip
        result = call_module(main, dict(connection, **args))
        assert not result.get("failed"), result
        return result

    common = dict(global_cluster_identifier=gid, master_user_secret_name=secret, backtrack_window=0,
                  instance_count=1, deletion_protection=True)  # fmt: skip
    primary_net = make_network(aws_profile.client, primary_region, "aurora-promoted-p")
    secondary_net = make_network(aws_profile.client, secondary_region, "aurora-promoted-s")
    primary = run(aurora_cluster.main, primary_region, cluster_args(
        "aurora-promoted-p", primary_net, role="primary", **common,
        master_user_secret_replica_regions=[{"region": secondary_region, "kms_key_id": secondary_net["key"]}]))
    run(aurora_global_cluster.main, primary_region, dict(
        global_cluster_identifier=gid, source_db_cluster_identifier=primary["cluster_arn"], deletion_protection=True))
    run(aurora_cluster.main, secondary_region, cluster_args("aurora-promoted-s", secondary_net, role="secondary",
                                                            **common))

    detached = run(aurora_global_cluster.main, primary_region, dict(
        global_cluster_identifier=gid, disable_deletion_protection=True, state="absent"))
    assert detached["changes"][-1] == f"delete global cluster {gid}", detached
    members = (("aurora-promoted-p", primary_region), ("aurora-promoted-s", secondary_region))
    for name, region in members:
        (cluster,) = aws_profile.client("rds", region).describe_db_clusters(DBClusterIdentifier=name)["DBClusters"]
        assert cluster["Status"] == "promoting" and cluster["DeletionProtection"]
    for name, region in members:  # one after the other: the second is promoted while the first waits
        deleted = run(aurora_cluster.main, region, dict(cluster_identifier=name, disable_deletion_protection=True,
                                                        state="absent"))
        assert deleted["changes"][0] == f"DB cluster {name}: deletion_protection true -> false", deleted["changes"]
        if name == members[0][0]:  # it was still promoting: waited for, not refused
            assert deleted["waits"][0]["what"] == f"DB cluster {name} and its instances to be available before " \
                                                  "they are deleted"
        left = aws_profile.client("rds", region).describe_db_clusters()["DBClusters"]
        assert name not in [c["DBClusterIdentifier"] for c in left]
    refused = [c for c in aws_profile.calls() if c["kind"] == "write" and c["status"] >= 400 and c["service"] == "rds"]
    assert refused == [], refused


def ensure_monitoring_role(aws_profile):
    """The monitoring role of the aws-profile emulator, which the tests of this session share."""
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "monitoring.rds.amazonaws.com"}}]}
    iam = aws_profile.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=MONITORING_ROLE.rsplit("/", 1)[-1], AssumeRolePolicyDocument=json.dumps(trust))

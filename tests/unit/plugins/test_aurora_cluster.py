"""tap.multiregion.aurora_cluster against the emulator (in-process via run_module).

Needs the emulator extension `aurora` (emulator/aurora.py, registered in emulator/extensions.py):
moto 5.2.5 drops Performance Insights and some ModifyDBCluster fields without it.
"""

from __future__ import annotations

import json

import botocore.client
import pytest
from aurora_support import MONITORING_ROLE
from aurora_support import cluster_args
from aurora_support import make_network
from aurora_support import recorded_calls
from aurora_support import writes
from botocore.exceptions import ClientError

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
    ],
)
def test_invalid_settings_fail_before_any_call(run_module, monkeypatch, overrides, message):
    net = {"key": "arn:aws:kms:ca-central-1:123456789012:key/x", "subnet_group": "x", "sg": "sg-1"}
    with recorded_calls(monkeypatch) as calls:
        result = run_module(aurora_cluster.main, cluster_args("aurora-invalid", net, **overrides), region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert calls == []


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

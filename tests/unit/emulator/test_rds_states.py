"""emulator.rds_states: Aurora clusters and instances go through AWS's transitional states (aws profile)."""

from __future__ import annotations

import json

from rds_support import (
    FAST,
    SEEN,
    cluster_status,
    create_cluster,
    create_instance,
    instance_status,
    name,
    observe,
    wait_available,
)


def members(rds, cluster: str) -> list[str]:
    found = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterMembers"]
    return sorted(m["DBInstanceIdentifier"] for m in found)


def test_a_cluster_is_creating_before_it_is_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.cluster.create": SEEN}))
    rds = aws_profile.client("rds")
    cluster = name("states")
    assert create_cluster(rds, cluster)["Status"] == "creating"
    seen = observe(lambda: cluster_status(rds, cluster), lambda s: s == "available")
    assert seen[0] == "creating" and seen[-1] == "available"


def test_an_instance_configures_enhanced_monitoring_before_it_is_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.create": 2 * SEEN, "rds.instance.monitoring": SEEN}))
    rds = aws_profile.client("rds")
    cluster, instance = name("states"), name("states-i")
    create_cluster(rds, cluster)
    wait_available(rds, cluster)
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam = aws_profile.client("iam")
    role = iam.create_role(RoleName=name("monitoring"), AssumeRolePolicyDocument=json.dumps(trust))
    created = create_instance(rds, instance, cluster, MonitoringInterval=60, MonitoringRoleArn=role["Role"]["Arn"])
    assert created["DBInstanceStatus"] == "creating"
    seen = observe(lambda: instance_status(rds, instance), lambda s: s == "available")
    assert seen == ["creating", "configuring-enhanced-monitoring", "available"]


def test_an_instance_without_monitoring_goes_straight_to_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.create": SEEN}))
    rds = aws_profile.client("rds")
    cluster, instance = name("states"), name("states-i")
    create_cluster(rds, cluster)
    wait_available(rds, cluster)
    create_instance(rds, instance, cluster)
    assert observe(lambda: instance_status(rds, instance), lambda s: s == "available") == ["creating", "available"]


def test_modifying_a_cluster_setting_applied_with_a_state_change(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.cluster.modify": SEEN}))
    rds = aws_profile.client("rds")
    cluster = name("states")
    create_cluster(rds, cluster)
    wait_available(rds, cluster)
    modified = rds.modify_db_cluster(
        DBClusterIdentifier=cluster,
        CloudwatchLogsExportConfiguration={"EnableLogTypes": ["audit"]},
        ApplyImmediately=True,
    )["DBCluster"]
    assert modified["Status"] == "modifying"
    assert observe(lambda: cluster_status(rds, cluster), lambda s: s == "available")[0] == "modifying"


def test_metadata_changes_keep_a_cluster_available(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    cluster = name("states")
    create_cluster(rds, cluster)
    wait_available(rds, cluster)
    modified = rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=True, BackupRetentionPeriod=7)
    assert modified["DBCluster"]["Status"] == "available"
    assert modified["DBCluster"]["DeletionProtection"] is True


def test_modifying_an_instance_class(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.modify": SEEN}))
    rds = aws_profile.client("rds")
    cluster, instance = name("states"), name("states-i")
    create_cluster(rds, cluster)
    create_instance(rds, instance, cluster)
    wait_available(rds, cluster, (instance,))
    modified = rds.modify_db_instance(
        DBInstanceIdentifier=instance, DBInstanceClass="db.r6g.xlarge", ApplyImmediately=True
    )
    assert modified["DBInstance"]["DBInstanceStatus"] == "modifying"
    assert observe(lambda: instance_status(rds, instance), lambda s: s == "available")[0] == "modifying"
    unchanged = rds.modify_db_instance(DBInstanceIdentifier=instance, PromotionTier=3)
    assert unchanged["DBInstance"]["DBInstanceStatus"] == "available"


def test_deleting_instances_then_their_cluster(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.delete": SEEN, "rds.cluster.delete": SEEN}))
    rds = aws_profile.client("rds")
    cluster, first, second = name("states"), name("states-a"), name("states-b")
    create_cluster(rds, cluster)
    create_instance(rds, first, cluster)
    create_instance(rds, second, cluster)
    wait_available(rds, cluster, (first, second))

    assert rds.delete_db_instance(DBInstanceIdentifier=first)["DBInstance"]["DBInstanceStatus"] == "deleting"
    rds.delete_db_instance(DBInstanceIdentifier=second)
    assert instance_status(rds, first) == "deleting"
    assert members(rds, cluster) == sorted([first, second])  # AWS lists deleting instances as members

    # Accepted while its instances are deleting; the cluster outlives them.
    assert (
        rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)["DBCluster"]["Status"] == "deleting"
    )
    seen = observe(
        lambda: (cluster_status(rds, cluster), instance_status(rds, first), instance_status(rds, second)),
        lambda states: states == (None, None, None),
    )
    assert seen[0] == ("deleting", "deleting", "deleting")
    assert ("deleting", None, None) in seen  # the instances were gone before the cluster


def test_a_secondary_joining_a_global_database_takes_the_join_time(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.global.join": SEEN}))
    east, west = aws_profile.client("rds", "us-east-1"), aws_profile.client("rds", "us-west-2")
    primary, secondary, global_id = name("primary"), name("secondary"), name("global")
    arn = create_cluster(east, primary)["DBClusterArn"]
    wait_available(east, primary)
    east.create_global_cluster(GlobalClusterIdentifier=global_id, SourceDBClusterIdentifier=arn)
    assert create_cluster(west, secondary, global_cluster=global_id)["Status"] == "creating"
    assert cluster_status(west, secondary) == "creating"
    assert observe(lambda: cluster_status(west, secondary), lambda s: s == "available")[0] == "creating"


def test_a_cluster_removed_from_a_global_database_is_promoted(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.global.detach": SEEN}))
    east = aws_profile.client("rds")
    cluster, global_id = name("primary"), name("global")
    arn = create_cluster(east, cluster)["DBClusterArn"]
    wait_available(east, cluster)
    east.create_global_cluster(GlobalClusterIdentifier=global_id, SourceDBClusterIdentifier=arn)
    east.remove_from_global_cluster(GlobalClusterIdentifier=global_id, DbClusterIdentifier=arn)
    assert observe(lambda: cluster_status(east, cluster), lambda s: s == "available")[0] == "promoting"


def test_the_default_profile_keeps_motos_instant_world(aws):
    rds = aws("rds")
    cluster, instance = name("default"), name("default-i")
    create_cluster(rds, cluster)
    assert create_instance(rds, instance, cluster)["DBInstanceStatus"] == "available"
    assert rds.delete_db_instance(DBInstanceIdentifier=instance)["DBInstance"]["DBInstanceStatus"] == "deleting"
    assert instance_status(rds, instance) is None

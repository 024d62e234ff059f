"""emulator.rds_rules: AWS refuses what moto accepts, with AWS's errors (aws profile)."""

from __future__ import annotations

import botocore.exceptions
import pytest
from rds_support import (
    FAST,
    SEEN,
    VERSION_2,
    VERSION_3,
    create_cluster,
    create_instance,
    error_code,
    name,
    wait_available,
)

ClientError = botocore.exceptions.ClientError


def available_cluster(rds, version: str = VERSION_3, instances: tuple[str, ...] = ()) -> str:
    cluster = name("rules")
    create_cluster(rds, cluster, version)
    for instance in instances:
        create_instance(rds, instance, cluster)
    wait_available(rds, cluster, instances)
    return cluster


def global_database(aws_profile) -> tuple[str, str, str]:
    """A primary (us-east-1, one db.r6g.large instance) in a new global database: (global id, primary, instance)."""
    rds = aws_profile.client("rds")
    instance = name("rules-i")
    primary = available_cluster(rds, instances=(instance,))
    arn = rds.describe_db_clusters(DBClusterIdentifier=primary)["DBClusters"][0]["DBClusterArn"]
    global_id = name("rules-global")
    rds.create_global_cluster(GlobalClusterIdentifier=global_id, SourceDBClusterIdentifier=arn)
    return global_id, primary, instance


def test_modifying_a_cluster_that_is_not_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.cluster.create": SEEN}))
    rds = aws_profile.client("rds")
    cluster = name("rules")
    create_cluster(rds, cluster)
    with pytest.raises(ClientError) as error:
        rds.modify_db_cluster(DBClusterIdentifier=cluster, BackupRetentionPeriod=7)
    assert error_code(error) == "InvalidDBClusterStateFault"
    assert (
        error.value.response["Error"]["Message"] == "DB cluster is not available for modification with status creating"
    )


def test_modifying_an_instance_that_is_not_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.create": SEEN}))
    rds = aws_profile.client("rds")
    cluster, instance = available_cluster(rds), name("rules-i")
    create_instance(rds, instance, cluster)
    with pytest.raises(ClientError) as error:
        rds.modify_db_instance(DBInstanceIdentifier=instance, PromotionTier=2)
    assert error_code(error) == "InvalidDBInstanceState"


def test_deleting_an_instance_twice(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.instance.delete": SEEN}))
    rds = aws_profile.client("rds")
    instance = name("rules-i")
    available_cluster(rds, instances=(instance,))
    rds.delete_db_instance(DBInstanceIdentifier=instance)
    with pytest.raises(ClientError) as error:
        rds.delete_db_instance(DBInstanceIdentifier=instance)
    assert error_code(error) == "InvalidDBInstanceState"


def test_deleting_a_cluster_that_still_has_instances(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    instance = name("rules-i")
    cluster = available_cluster(rds, instances=(instance,))
    with pytest.raises(ClientError) as error:
        rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    assert error_code(error) == "InvalidDBClusterStateFault"
    assert "non-deleting state" in error.value.response["Error"]["Message"]


def test_deleting_a_cluster_that_is_already_deleting(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.cluster.delete": SEEN}))
    rds = aws_profile.client("rds")
    cluster = available_cluster(rds)
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    with pytest.raises(ClientError) as error:
        rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    assert error_code(error) == "InvalidDBClusterStateFault"


@pytest.mark.parametrize(
    "version, instance_class", [(VERSION_3, "db.t3.small"), (VERSION_3, "db.t2.medium"), (VERSION_2, "db.r7g.large")]
)
def test_creating_an_instance_of_a_class_not_orderable_for_the_version(aws_profile, version, instance_class):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    cluster = available_cluster(rds, version)
    with pytest.raises(ClientError) as error:
        create_instance(rds, name("rules-i"), cluster, instance_class)
    assert error_code(error) == "InvalidParameterCombination"
    assert error.value.response["Error"]["Message"] == (
        "RDS does not support creating a DB instance with the following combination: "
        f"DBInstanceClass={instance_class}, Engine=aurora-mysql, EngineVersion={version}, "
        "LicenseModel=general-public-license. For supported combinations of instance class and database engine "
        "version, see the documentation."
    )


def test_the_smallest_orderable_classes_are_accepted(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    assert create_instance(rds, name("rules-i"), available_cluster(rds, VERSION_3), "db.t4g.medium")
    assert create_instance(rds, name("rules-i"), available_cluster(rds, VERSION_2), "db.t3.small")


def test_modifying_an_instance_to_a_class_not_orderable(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    instance = name("rules-i")
    available_cluster(rds, instances=(instance,))
    with pytest.raises(ClientError) as error:
        rds.modify_db_instance(DBInstanceIdentifier=instance, DBInstanceClass="db.t3.small", ApplyImmediately=True)
    assert error_code(error) == "InvalidParameterCombination"
    assert "DBInstanceClass=db.t3.small" in error.value.response["Error"]["Message"]


def test_burstable_instances_are_refused_in_a_global_database(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    _global_id, primary, instance = global_database(aws_profile)
    with pytest.raises(ClientError) as error:
        create_instance(rds, name("rules-i"), primary, "db.t4g.medium")
    assert error_code(error) == "InvalidParameterCombination"
    assert error.value.response["Error"]["Message"] == (
        "The requested instance class is not supported by global databases: db.t4g.medium"
    )
    with pytest.raises(ClientError) as error:
        rds.modify_db_instance(DBInstanceIdentifier=instance, DBInstanceClass="db.t3.medium", ApplyImmediately=True)
    assert error_code(error) == "InvalidParameterCombination"


def test_a_global_database_is_not_created_from_a_cluster_with_burstable_instances(aws_profile):
    aws_profile.set(durations=FAST)
    rds = aws_profile.client("rds")
    cluster = name("rules")
    create_cluster(rds, cluster)
    create_instance(rds, name("rules-i"), cluster, "db.t3.medium")
    wait_available(rds, cluster)
    arn = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterArn"]
    with pytest.raises(ClientError) as error:
        rds.create_global_cluster(GlobalClusterIdentifier=name("rules-global"), SourceDBClusterIdentifier=arn)
    assert error_code(error) == "InvalidParameterCombination"
    assert "db.t3.medium" in error.value.response["Error"]["Message"]


def test_the_last_instance_of_a_primary_with_secondaries_stays(aws_profile):
    aws_profile.set(durations=FAST)
    global_id, _primary, instance = global_database(aws_profile)
    west = aws_profile.client("rds", "us-west-2")
    secondary = name("rules-secondary")
    create_cluster(west, secondary, global_cluster=global_id)
    with pytest.raises(ClientError) as error:
        aws_profile.client("rds").delete_db_instance(DBInstanceIdentifier=instance)
    assert error_code(error) == "InvalidDBClusterStateFault"
    assert error.value.response["Error"]["Message"].startswith("Cannot delete the last instance of the master cluster")


def test_the_default_profile_accepts_what_aws_refuses(aws):
    rds = aws("rds")
    cluster = name("default")
    create_cluster(rds, cluster, VERSION_3)
    assert create_instance(rds, name("default-i"), cluster, "db.t3.small")["DBInstanceClass"] == "db.t3.small"
    assert rds.modify_db_cluster(DBClusterIdentifier=cluster, BackupRetentionPeriod=3)["DBCluster"]

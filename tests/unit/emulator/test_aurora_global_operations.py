"""emulator.aurora_global_operations: SwitchoverGlobalCluster and FailoverGlobalCluster, refusals included."""

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
    observe,
    wait_available,
)

ClientError = botocore.exceptions.ClientError


class GlobalDatabase:
    """A primary in us-east-1 and a secondary in us-west-2, each with one instance."""

    def __init__(self, client, secondary_version: str = VERSION_3, wait: bool = True):
        self.east, self.west = client("rds", "us-east-1"), client("rds", "us-west-2")
        self.identifier = name("global")
        self.primary, self.secondary = name("primary"), name("secondary")
        self.primary_arn = create_cluster(self.east, self.primary)["DBClusterArn"]
        create_instance(self.east, name("primary-i"), self.primary)
        if wait:
            wait_available(self.east, self.primary)
        self.east.create_global_cluster(
            GlobalClusterIdentifier=self.identifier, SourceDBClusterIdentifier=self.primary_arn
        )
        self.secondary_arn = create_cluster(
            self.west, self.secondary, secondary_version, global_cluster=self.identifier
        )["DBClusterArn"]
        create_instance(self.west, name("secondary-i"), self.secondary)
        if wait:
            wait_available(self.west, self.secondary)

    def describe(self) -> dict:
        return self.east.describe_global_clusters(GlobalClusterIdentifier=self.identifier)["GlobalClusters"][0]

    def writer(self, answer: dict | None = None) -> str:
        members = (answer or self.describe())["GlobalClusterMembers"]
        (writer,) = [m["DBClusterArn"] for m in members if m["IsWriter"]]
        return writer

    def switchover(self, target: str, client=None) -> dict:
        rds = client or self.east
        return rds.switchover_global_cluster(GlobalClusterIdentifier=self.identifier, TargetDbClusterIdentifier=target)[
            "GlobalCluster"
        ]

    def failover(self, target: str, **extra) -> dict:
        return self.east.failover_global_cluster(
            GlobalClusterIdentifier=self.identifier, TargetDbClusterIdentifier=target, **extra
        )["GlobalCluster"]


def progress(database: GlobalDatabase):
    answer = database.describe()
    return (answer.get("FailoverState", {}).get("Status"), database.writer(answer))


# ---- default profile: done when the call returns ------------------------------------------------------


def test_switchover_and_back(aws):
    database = GlobalDatabase(aws)
    answer = database.switchover(database.secondary_arn, client=database.west)
    assert "FailoverState" not in answer
    assert database.writer(answer) == database.secondary_arn
    members = {m["DBClusterArn"]: m for m in database.describe()["GlobalClusterMembers"]}
    assert members[database.secondary_arn]["Readers"] == [database.primary_arn]
    assert members[database.primary_arn]["GlobalWriteForwardingStatus"] == "disabled"
    assert {m["SynchronizationStatus"] for m in members.values()} == {"connected"}

    database.switchover(database.primary_arn)
    assert database.writer() == database.primary_arn


def test_failover_with_data_loss_keeps_the_old_primary_as_a_secondary(aws):
    database = GlobalDatabase(aws)
    answer = database.failover(database.secondary_arn, AllowDataLoss=True)
    assert database.writer(answer) == database.secondary_arn
    arns = [m["DBClusterArn"] for m in database.describe()["GlobalClusterMembers"]]
    assert sorted(arns) == sorted([database.primary_arn, database.secondary_arn])
    # The old primary is still its own cluster, now a secondary of the global database.
    old = database.east.describe_db_clusters(DBClusterIdentifier=database.primary)["DBClusters"][0]
    assert old["GlobalClusterIdentifier"] == database.identifier and old["Status"] == "available"


def test_failover_without_data_loss_is_a_switchover(aws):
    database = GlobalDatabase(aws)
    assert database.writer(database.failover(database.secondary_arn, Switchover=True)) == database.secondary_arn


@pytest.mark.parametrize(
    "target, code",
    [
        ("primary", "InvalidDBClusterStateFault"),  # already the writer
        ("stranger", "DBClusterNotFoundFault"),  # a cluster outside the global database
        ("nowhere", "DBClusterNotFoundFault"),  # no such cluster
    ],
)
def test_switchover_refusals(aws, target, code):
    database = GlobalDatabase(aws)
    stranger = name("stranger")
    create_cluster(database.west, stranger)
    arns = {
        "primary": database.primary_arn,
        "stranger": database.west.describe_db_clusters(DBClusterIdentifier=stranger)["DBClusters"][0]["DBClusterArn"],
        "nowhere": database.secondary_arn.replace(database.secondary, "nowhere"),
    }
    with pytest.raises(ClientError) as error:
        database.switchover(arns[target])
    assert error_code(error) == code
    assert database.writer() == database.primary_arn


def test_switchover_between_engine_versions_is_refused(aws):
    database = GlobalDatabase(aws, secondary_version=VERSION_2)
    with pytest.raises(ClientError) as error:
        database.switchover(database.secondary_arn)
    assert error_code(error) == "InvalidGlobalClusterStateFault"


def test_an_unknown_global_database(aws):
    with pytest.raises(ClientError) as error:
        aws("rds").switchover_global_cluster(GlobalClusterIdentifier=name("none"), TargetDbClusterIdentifier="x")
    assert error_code(error) == "GlobalClusterNotFoundFault"
    with pytest.raises(ClientError) as error:
        aws("rds").failover_global_cluster(
            GlobalClusterIdentifier=name("none"), TargetDbClusterIdentifier="x", AllowDataLoss=True
        )
    assert error_code(error) == "GlobalClusterNotFoundFault"


def test_data_loss_and_switchover_together_are_refused(aws):
    database = GlobalDatabase(aws)
    with pytest.raises(ClientError) as error:
        database.failover(database.secondary_arn, AllowDataLoss=True, Switchover=True)
    assert error_code(error) == "InvalidParameterCombination"


def test_the_default_answer_has_no_synchronization_status_before_any_switchover(aws):
    members = GlobalDatabase(aws).describe()["GlobalClusterMembers"]
    assert all("SynchronizationStatus" not in m for m in members)


# ---- aws profile: the operation takes time ------------------------------------------------------------


def test_switchover_runs_pending_then_switching_over(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.global.switchover": 2 * SEEN}))
    database = GlobalDatabase(aws_profile.client)
    answer = database.switchover(database.secondary_arn)
    assert answer["FailoverState"] == {
        "Status": "pending",
        "FromDbClusterArn": database.primary_arn,
        "ToDbClusterArn": database.secondary_arn,
        "IsDataLossAllowed": False,
    }
    assert database.writer(answer) == database.primary_arn  # roles change at the end

    with pytest.raises(ClientError) as error:
        database.switchover(database.secondary_arn)
    assert error_code(error) == "InvalidGlobalClusterStateFault"  # one operation at a time

    seen = observe(lambda: progress(database), lambda state: state[0] is None)
    assert seen[-1] == (None, database.secondary_arn)
    assert ("switching-over", database.primary_arn) in seen
    assert set(seen[:-1]) <= {("pending", database.primary_arn), ("switching-over", database.primary_arn)}


def test_failover_with_data_loss_then_the_old_primary_resyncs(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.global.failover": 2 * SEEN, "rds.global.join": SEEN}))
    database = GlobalDatabase(aws_profile.client)
    answer = database.failover(database.secondary_arn, AllowDataLoss=True)
    assert answer["FailoverState"]["IsDataLossAllowed"] is True

    def state():
        answer = database.describe()
        sync = {m["DBClusterArn"]: m["SynchronizationStatus"] for m in answer["GlobalClusterMembers"]}
        return (answer.get("FailoverState", {}).get("Status"), database.writer(answer), sync[database.primary_arn])

    seen = observe(state, lambda s: s == (None, database.secondary_arn, "connected"))
    assert seen[-2:] == [(None, database.secondary_arn, "pending-resync"), (None, database.secondary_arn, "connected")]
    assert ("failing-over", database.primary_arn, "connected") in seen
    assert set(seen[:-2]) <= {
        ("pending", database.primary_arn, "connected"),
        ("failing-over", database.primary_arn, "connected"),
    }


def test_switchover_needs_every_member_available(aws_profile):
    aws_profile.set(durations=dict(FAST, **{"rds.global.join": 100 * SEEN}))
    database = GlobalDatabase(aws_profile.client, wait=False)
    wait_available(database.east, database.primary)
    with pytest.raises(ClientError) as error:
        database.switchover(database.secondary_arn)  # still joining
    assert error_code(error) == "InvalidDBClusterStateFault"

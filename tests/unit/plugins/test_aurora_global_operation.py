"""aurora_global_operation: switchover and failover of an Aurora global database against the emulator.

Refusals (AWS's and ours) come before any write; check mode plans; the aws profile shows the phases
(FailoverState) while the module waits, and the resynchronization of the old writer after a failover.
"""

from __future__ import annotations

import pytest
from aurora_support import quick_polls  # noqa: F401  # pylint: disable=unused-import  # a fixture
from aurora_support import recorded_calls, writes
from rds_support import FAST, VERSION_2, create_cluster, create_instance, name, wait_available

from ansible_collections.tap.multiregion.plugins.modules import aurora_global_operation
from ansible_collections.tap.multiregion.plugins.plugin_utils import inprocess
from emulator import control

EAST, WEST = "ap-south-1", "ca-central-1"
OUTSIDER = "eu-central-1"  # a region without a member


class Database:
    """A global database: writer in EAST, secondary in WEST (one instance each), made with boto3."""

    def __init__(self, client, secondary_version=None):
        self.east, self.west = client("rds", EAST), client("rds", WEST)
        self.identifier = name("opsglobal")
        self.writer, self.reader = name("east"), name("west")
        arn = create_cluster(self.east, self.writer)["DBClusterArn"]
        create_instance(self.east, name("east-i"), self.writer)
        wait_available(self.east, self.writer)
        self.east.create_global_cluster(GlobalClusterIdentifier=self.identifier, SourceDBClusterIdentifier=arn)
        extra = {"version": secondary_version} if secondary_version else {}
        create_cluster(self.west, self.reader, global_cluster=self.identifier, **extra)
        create_instance(self.west, name("west-i"), self.reader)
        wait_available(self.west, self.reader)

    def writer_region(self) -> str:
        members = self.east.describe_global_clusters(GlobalClusterIdentifier=self.identifier)["GlobalClusters"][0]
        (arn,) = [m["DBClusterArn"] for m in members["GlobalClusterMembers"] if m["IsWriter"]]
        return arn.split(":")[3]

    def args(self, operation="switchover", target=WEST, **more) -> dict:
        return dict(global_cluster_identifier=self.identifier, operation=operation, target_region=target, **more)


@pytest.fixture
def progress_lines(monkeypatch):
    lines: list[str] = []
    monkeypatch.setattr(inprocess, "_display_progress", lines.append)
    return lines


def test_switchover_and_back_reports_the_checks_and_the_writer(aws, run_module, monkeypatch):
    database = Database(aws)
    plan = run_module(aurora_global_operation.main, database.args(), region=WEST, check_mode=True, diff=True)
    assert plan["changed"] is True and plan["moved"] is True, plan
    assert plan["changes"] == [f"global cluster {database.identifier}: switch the writer over from {EAST} "
                               f"({database.writer}) to {WEST} ({database.reader})"]
    assert plan["diff"] == {"before": {"writer_region": EAST}, "after": {"writer_region": WEST}}
    assert plan["replication_lag_ms"] == {WEST: 120.0}
    assert plan["checks"][0] == "every member is in sync" and "every member is available" in plan["checks"]
    assert database.writer_region() == EAST

    with recorded_calls(monkeypatch) as calls:
        done = run_module(aurora_global_operation.main, database.args(), region=WEST)
    assert done["changed"] is True and done["global_writer_region"] == WEST and done["from_region"] == EAST, done
    assert writes(calls) == [("rds", "SwitchoverGlobalCluster")]
    assert database.writer_region() == WEST
    assert [(m["region"], m["is_writer"], m["synchronization_status"]) for m in done["members"]] == [
        (WEST, True, "connected"), (EAST, False, "connected")]

    back = run_module(aurora_global_operation.main, database.args(target=EAST), region=EAST)
    assert back["changed"] is True and back["from_region"] == WEST and database.writer_region() == EAST, back


def test_refusals_come_before_any_write(aws, run_module, monkeypatch, emulator_url):
    database = Database(aws)
    cases = {
        "unknown global cluster": (dict(database.args(), global_cluster_identifier="nope"),
                                   "GlobalClusterNotFoundFault"),
        "region without a member": (database.args(target=OUTSIDER), "DBClusterNotFoundFault"),
        "target already the writer": (database.args(target=EAST), "is already the writer"),
        "failover to the writer": (database.args("failover", target=EAST), "InvalidDBClusterStateFault"),
    }
    try:
        control.set_profile(emulator_url, account={"aurora_global_replication_lag_ms": {WEST: 30000}})
        cases["lag above the bound"] = (database.args(), "replication lag above max_replication_lag_ms (5000 ms): "
                                                         f"{WEST} 30000 ms")
        with recorded_calls(monkeypatch) as calls:
            results = {case: run_module(aurora_global_operation.main, args, region=WEST)
                       for case, (args, _text) in cases.items()}
    finally:
        control.set_profile(emulator_url, account={})
    for case, (_args, text) in cases.items():
        assert results[case].get("failed") and text in results[case]["msg"], (case, results[case])
    assert writes(calls) == []
    assert database.writer_region() == EAST


def test_a_switchover_between_engine_versions_is_refused(aws, run_module, monkeypatch):
    database = Database(aws, secondary_version=VERSION_2)
    with recorded_calls(monkeypatch) as calls:
        refused = run_module(aurora_global_operation.main, database.args(), region=WEST)
    assert refused["failed"] and "InvalidGlobalClusterStateFault" in refused["msg"], refused
    assert writes(calls) == []


def test_only_if_writer_in_moves_nothing_when_the_writer_is_elsewhere(aws, run_module, monkeypatch):
    database = Database(aws)
    with recorded_calls(monkeypatch) as calls:
        args = database.args(target=EAST, only_if_writer_in=WEST)
        result = run_module(aurora_global_operation.main, args, region=EAST)
    assert result["changed"] is False and result["moved"] is False, result
    assert result["reason"] == f"the writer of global cluster {database.identifier} is in {EAST}, not in {WEST}: " \
                               "nothing to move"
    assert writes(calls) == []


def test_failover_reports_the_data_loss_window(aws, run_module, emulator_url):
    database = Database(aws)
    try:
        control.set_profile(emulator_url, account={"aurora_global_replication_lag_ms": 850})
        result = run_module(aurora_global_operation.main, database.args("failover"), region=WEST)
    finally:
        control.set_profile(emulator_url, account={})
    assert result["changed"] is True and result["data_loss_window_ms"] == 850.0, result
    assert result["changes"] == [f"global cluster {database.identifier}: fail over the writer from {EAST} "
                                 f"({database.writer}) to {WEST} ({database.reader}), allowing data loss "
                                 "(replication lag before: 850 ms)"]
    assert database.writer_region() == WEST


def test_under_the_aws_profile_the_phases_show_and_failback_waits_for_the_resync(
    aws_profile, run_aws_module, progress_lines, quick_polls  # noqa: F811
):
    aws_profile.set(durations=dict(FAST, **{"rds.global.failover": 600, "rds.global.switchover": 600,
                                            "rds.global.join": 1200}))
    database = Database(aws_profile.client)
    failover = run_aws_module(aurora_global_operation.main, database.args("failover"), region=WEST)
    assert failover["changed"] is True and failover["phases"] == ["pending", "failing-over"], failover
    assert f"{WEST}: failover of global cluster {database.identifier} to {WEST}: failing-over" in progress_lines
    old_writer = [m for m in failover["members"] if m["region"] == EAST]
    assert old_writer[0]["synchronization_status"] == "pending-resync"

    # The failback: refused while the old writer resynchronizes, unless asked to wait for it.
    refused = run_aws_module(aurora_global_operation.main, database.args(target=EAST), region=EAST)
    assert refused["failed"] and "pending-resync" in refused["msg"] and "wait_for_resync" in refused["msg"], refused
    back = run_aws_module(aurora_global_operation.main, database.args(target=EAST, wait_for_resync=True), region=EAST)
    assert back["changed"] is True and back["phases"][-1] == "switching-over", back
    assert "every member is in sync (waited for" in back["checks"][0]
    assert database.writer_region() == EAST

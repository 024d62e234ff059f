"""global_table_replication: wait until a global table's ReplicationLatency from this region is within a bound."""

from __future__ import annotations

import uuid

import pytest
from aurora_support import quick_polls  # noqa: F401  # pylint: disable=unused-import  # a fixture

from ansible_collections.tap.multiregion.plugins.modules import global_table_replication
from emulator import control

SOURCE, REPLICA = "eu-west-2", "us-west-1"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.fixture
def table(aws):
    name = f"sessions-{uuid.uuid4().hex[:8]}"
    dynamodb = aws("dynamodb", SOURCE)
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", StreamSpecification=STREAM,
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
    )  # fmt: skip
    return name


def test_caught_up_within_the_bound(aws, run_module, table):
    aws("dynamodb", SOURCE).update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])
    result = run_module(global_table_replication.main, dict(table_name=table), region=SOURCE)
    assert result["changed"] is False and result["caught_up"] is True, result
    assert result["latency_ms"] == {REPLICA: 600.0} and result["replica_regions"] == [REPLICA]


def test_a_latency_above_the_bound_fails_after_the_wait_and_is_reported_in_check_mode(
    aws, run_module, table, emulator_url, quick_polls  # noqa: F811
):
    aws("dynamodb", SOURCE).update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])
    try:
        control.set_profile(emulator_url, account={"dynamodb_replication_latency_ms": {SOURCE: 45000}})
        plan = run_module(global_table_replication.main, dict(table_name=table), region=SOURCE, check_mode=True)
        failed = run_module(global_table_replication.main, dict(table_name=table, wait_timeout=1), region=SOURCE)
    finally:
        control.set_profile(emulator_url, account={})
    assert plan["caught_up"] is False and plan["latency_ms"] == {REPLICA: 45000.0} and plan["reads"] == 1, plan
    assert failed["failed"] and failed["msg"] == (
        f"replication of {table} from {SOURCE} has not caught up after 1 s (wait_timeout): ReplicationLatency "
        f"to {REPLICA} 45000 ms above max_latency_ms 2000"), failed


def test_a_table_without_replicas_is_refused(run_module, table):
    result = run_module(global_table_replication.main, dict(table_name=table), region=SOURCE)
    assert result["failed"] and "is not a global table" in result["msg"], result

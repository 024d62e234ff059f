"""tap.multiregion.deploy_lock against the emulator (in-process via run_module), and its pure logic."""

from __future__ import annotations

import json
import time

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import deploy_lock as logic
from ansible_collections.tap.multiregion.plugins.modules import deploy_lock

REGION = "us-west-2"  # not used by the playbook tests
WRITES = {"CreateTable", "PutItem", "DeleteItem", "UpdateItem"}


@pytest.fixture
def table(request):
    """A lock table of this test only (moto state lives for the whole session)."""
    return "locks-" + request.node.name.replace("_", "-")[:200]


@pytest.fixture
def run(run_module, monkeypatch):
    """run_module for deploy_lock in REGION; each call starts without the warnings of earlier in-process calls."""
    from ansible.module_utils.common import warnings as module_warnings

    def call(args: dict, check_mode: bool = False, diff: bool = False) -> dict:
        monkeypatch.setattr(module_warnings, "_global_warnings", {})
        return run_module(deploy_lock.main, args, region=REGION, check_mode=check_mode, diff=diff)

    return call


@pytest.fixture
def api_calls(monkeypatch):
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


def lock(table, run_id="run-a", holder="alice@ws1", **extra):
    return dict(table=table, lock_id="prod", holder=holder, run_id=run_id, **extra)


def unlock(table, run_id="run-a", **extra):
    return dict(table=table, lock_id="prod", run_id=run_id, state="unlocked", **extra)


def item(aws, table):
    return aws("dynamodb", REGION).get_item(TableName=table, Key={"lock_id": {"S": "prod"}}).get("Item")


def warnings(result) -> str:
    """All warnings of a result as one string (ansible-core 2.19 returns them as structured dicts)."""
    return json.dumps(result.get("warnings", []))


def test_acquire_creates_the_table_and_takes_the_lock(run, aws, table):
    result = run(lock(table, ttl=600, tags={"Environment": "prod", "CostCenter": "x"}))
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["table_created"] is True
    assert result["lock"]["holder"] == "alice@ws1" and result["lock"]["run_id"] == "run-a"
    assert 590 <= result["lock"]["expires_in_seconds"] <= 600 and result["previous_lock"] is None

    ddb = aws("dynamodb", REGION)
    description = ddb.describe_table(TableName=table)["Table"]
    assert description["TableStatus"] == "ACTIVE"
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert description["SSEDescription"]["Status"] == "ENABLED"
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=description["TableArn"])["Tags"]}
    assert tags == {"Environment": "prod", "CostCenter": "x"}
    stored = item(aws, table)
    assert stored["holder"] == {"S": "alice@ws1"} and stored["run_id"] == {"S": "run-a"}
    assert int(stored["expires_at"]["N"]) - int(stored["acquired_at"]["N"]) == 600
    assert stored["expires_at_utc"]["S"] == logic.iso_utc(int(stored["expires_at"]["N"]))


def test_a_free_lock_is_taken_in_one_round_trip(run, table, api_calls):
    result = run(lock(table))  # creates the table: the first take reads the lock, as the table did not exist
    assert result["changed"] is True
    run(unlock(table))
    api_calls.clear()
    again = run(lock(table))
    assert again["changed"] is True and again["lock"]["run_id"] == "run-a" and not again["table_changes"]
    # The conditional put and the reads of the table's settings and key at the same time; no read of the lock.
    assert sorted(api_calls) == ["DescribeContinuousBackups", "DescribeKey", "DescribeTable", "PutItem"]


def test_taking_a_lock_this_run_holds_changes_nothing(run, aws, table, api_calls):
    run(lock(table))
    before = item(aws, table)
    api_calls.clear()
    again = run(lock(table))
    assert again["changed"] is False and again["lock"]["run_id"] == "run-a"
    assert item(aws, table) == before
    # The usual take's conditional put, refused (the lock is not free), then the read that finds it ours.
    assert api_calls[-1] == "GetItem" and api_calls.count("PutItem") == 1


def test_second_run_is_refused_naming_the_holder(run, aws, table):
    first = run(lock(table))
    second = run(lock(table, run_id="run-b", holder="bob@ws2"))
    assert second["failed"] is True
    msg = second["msg"]
    assert msg.startswith("environment prod is locked by alice@ws1 (run run-a) since " + first["lock"]["acquired_at"])
    assert "expires " + first["lock"]["expires_at"] in msg
    assert "run playbooks/unlock.yml -e confirm_unlock=prod" in msg
    assert item(aws, table)["run_id"] == {"S": "run-a"}  # untouched


def test_expired_lock_is_taken_over_with_a_warning(run, aws, table):
    run(lock(table))
    past = int(time.time()) - 120
    aws("dynamodb", REGION).put_item(
        TableName=table, Item=logic.lock_item("prod", "carol@ws3", "run-dead", past - 3600, 3600)
    )
    result = run(lock(table, run_id="run-b", holder="bob@ws2"), diff=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["lock"]["run_id"] == "run-b"
    assert result["previous_lock"]["holder"] == "carol@ws3" and result["previous_lock"]["expired"] is True
    assert "took over the expired deploy lock of carol@ws3 (run run-dead)" in warnings(result)
    assert result["diff"]["before"]["lock"]["run_id"] == "run-dead"
    assert result["diff"]["after"]["lock"]["run_id"] == "run-b"
    assert item(aws, table)["holder"] == {"S": "bob@ws2"}


def test_a_malformed_lock_item_counts_as_expired(run, aws, table):
    run(lock(table))
    aws("dynamodb", REGION).put_item(TableName=table, Item={"lock_id": {"S": "prod"}, "holder": {"S": "by hand"}})
    result = run(lock(table, run_id="run-b", holder="bob@ws2"))
    assert result.get("failed") is not True and result["changed"] is True, result
    assert "took over the expired deploy lock of by hand" in warnings(result)
    assert item(aws, table)["run_id"] == {"S": "run-b"}


def test_release_by_another_run_is_refused(run, aws, table):
    run(lock(table))
    result = run(unlock(table, run_id="run-b"))
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert "held by alice@ws1 (run run-a)" in warnings(result) and "not by this run (run-b)" in warnings(result)
    assert item(aws, table)["run_id"] == {"S": "run-a"}


def test_release_by_the_holder_and_again(run, aws, table, api_calls):
    run(lock(table))
    api_calls.clear()
    released = run(unlock(table), diff=True)
    assert api_calls == ["DeleteItem"]  # the holder's release: one conditional delete, no read
    assert released["changed"] is True and released["lock"] is None
    assert released["previous_lock"]["run_id"] == "run-a"
    assert released["diff"] == {"before": {"lock": released["previous_lock"]}, "after": {"lock": None}}
    assert item(aws, table) is None
    api_calls.clear()
    again = run(unlock(table))
    assert again["changed"] is False and not again.get("warnings") and not again["changes"]
    # One conditional delete (the usual release, no read first), refused; then the read that says why.
    assert api_calls == ["DeleteItem", "GetItem"]


def test_release_without_a_table_changes_nothing(run, table):
    result = run(unlock(table))
    assert result.get("failed") is not True and result["changed"] is False, result


def test_forced_unlock_removes_any_lock(run, aws, table):
    run(lock(table))
    checked = run(unlock(table, run_id=None, force=True), check_mode=True)
    assert checked["changed"] is True and item(aws, table) is not None
    forced = run(unlock(table, run_id=None, force=True))
    assert forced["changed"] is True and forced["previous_lock"]["holder"] == "alice@ws1"
    assert "removed the deploy lock of alice@ws1 (run run-a)" in warnings(forced)
    assert item(aws, table) is None
    assert run(unlock(table, run_id=None, force=True))["changed"] is False


def test_check_mode_writes_nothing(run, aws, table, api_calls):
    # No table yet: would create it and take the lock.
    planned = run(lock(table), check_mode=True)
    assert planned["changed"] is True and planned["table_created"] is True
    assert "would take the deploy lock of prod" in planned["msg"]
    assert not WRITES & set(api_calls), api_calls
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb", REGION).describe_table(TableName=table)

    # Someone holds it: a check-mode run still fails, naming the holder.
    run(lock(table))
    api_calls.clear()
    refused = run(lock(table, run_id="run-b", holder="bob@ws2"), check_mode=True)
    assert refused["failed"] is True and "locked by alice@ws1" in refused["msg"]

    # Releasing in check mode deletes nothing; an expired lock warns about the takeover without taking it.
    assert run(unlock(table), check_mode=True)["changed"] is True
    aws("dynamodb", REGION).put_item(
        TableName=table, Item=logic.lock_item("prod", "carol@ws3", "run-dead", int(time.time()) - 7200, 3600)
    )
    api_calls.clear()
    takeover = run(lock(table, run_id="run-b", holder="bob@ws2"), check_mode=True)
    assert takeover["changed"] is True and "took over the expired deploy lock of carol@ws3" in warnings(takeover)
    # The lock read, then the table's settings (drift of the table shows in a plan), read at the same time.
    assert api_calls[0] == "GetItem"
    assert sorted(api_calls[1:]) == ["DescribeContinuousBackups", "DescribeKey", "DescribeTable"]
    assert item(aws, table)["run_id"] == {"S": "run-dead"}


def test_lost_race_fails_naming_the_winner(run, aws, table, monkeypatch):
    """Both runs read 'free'; the conditional write lets only the first one win."""
    run(lock(table))
    original = botocore.client.BaseClient._make_api_call
    seen = {"get": 0}

    def stale_first_read(self, operation, params):
        if operation == "GetItem" and seen["get"] == 0:
            seen["get"] += 1
            return {}  # as if read just before run-a wrote its lock
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", stale_first_read)
    result = run(lock(table, run_id="run-b", holder="bob@ws2"))
    assert result["failed"] is True and "locked by alice@ws1 (run run-a)" in result["msg"]
    assert item(aws, table)["run_id"] == {"S": "run-a"}


def test_throttling_is_retried(run, aws, table, monkeypatch):
    import ansible.module_utils.api

    run(lock(table))
    monkeypatch.setattr(ansible.module_utils.api.time, "sleep", lambda _seconds: None)
    original = botocore.client.BaseClient._make_api_call
    throttled = {"n": 0}

    def flaky(self, operation, params):
        if operation == "DeleteItem" and throttled["n"] == 0:
            throttled["n"] += 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    result = run(unlock(table))
    assert throttled["n"] == 1
    assert result.get("failed") is not True and result["changed"] is True, result
    assert item(aws, table) is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (dict(lock_id="prod", run_id="r"), "holder"),
        (dict(lock_id="prod", state="unlocked"), "run_id: required"),
        (dict(lock_id="prod", holder="h", run_id="r", force=True), "force: only valid with state=unlocked"),
        (dict(lock_id="prod", holder="h", run_id="r", ttl=0), "ttl: 0 seconds"),
    ],
)
def test_invalid_arguments(run, args, error):
    result = run(args)
    assert result["failed"] is True and error in result["msg"]


def test_pure_logic():
    now = 1_767_225_600  # 2026-01-01T00:00:00Z
    item_ = logic.lock_item("prod", "alice@ws1", "r1", now, 5400)
    current = logic.lock_from_item(item_, now + 60)
    assert current["acquired_at"] == "2026-01-01T00:00:00Z" and current["expires_at"] == "2026-01-01T01:30:00Z"
    assert current["expires_in_seconds"] == 5340 and current["expired"] is False
    assert logic.locked_message("prod", current) == (
        "environment prod is locked by alice@ws1 (run r1) since 2026-01-01T00:00:00Z; "
        "expires 2026-01-01T01:30:00Z (in 1h29m); "
        "if that run is dead, run playbooks/unlock.yml -e confirm_unlock=prod"
    )
    assert logic.decide_acquire(None, "r1") == "create"
    assert logic.decide_acquire(current, "r1") == "held"
    assert logic.decide_acquire(current, "r2") == "refuse"
    assert logic.decide_acquire(logic.lock_from_item(item_, now + 5400), "r2") == "takeover"
    assert logic.decide_release(None, "r1") == "absent"
    assert logic.decide_release(current, "r1") == "release"
    assert logic.decide_release(current, "r2") == "foreign"


def test_the_table_is_encrypted_with_its_own_key_recoverable_and_protected(run, aws, table):
    result = run(lock(table, kms_key_alias="alias/%s" % table, deletion_protection=True))
    assert result["table_changes"] == []  # created on first use: the run's bookkeeping, like a state backend
    assert result["changes"] == [
        "create KMS key alias/%s" % table,
        "create alias alias/%s" % table,
        "KMS key alias/%s: rotation false -> true" % table,
        "create lock table %s" % table,
        "lock table %s: point-in-time recovery false -> true" % table,
        "write the deploy lock prod",
    ]
    ddb = aws("dynamodb", REGION)
    description = ddb.describe_table(TableName=table)["Table"]
    key = aws("kms", REGION).describe_key(KeyId="alias/%s" % table)["KeyMetadata"]
    assert description["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"] and key["KeyManager"] == "CUSTOMER"
    assert description["DeletionProtectionEnabled"] is True
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_drift_of_the_table_is_planned_then_repaired_when_a_run_takes_the_lock(run, aws, table, emulator_url):
    from emulator import control

    args = lock(table, kms_key_alias="alias/%s" % table, deletion_protection=True)
    run(args)
    run(unlock(table))
    ddb = aws("dynamodb", REGION)
    pitr_off = {"PointInTimeRecoveryEnabled": False}
    ddb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification=pitr_off)
    ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
    mark = control.last_call_seq(emulator_url)
    planned = run(dict(args, run_id="run-b"), check_mode=True)
    assert planned["table_changes"] == [
        "lock table %s: point-in-time recovery false -> true" % table,
        "lock table %s: deletion protection false -> true" % table,
    ]
    assert control.write_calls(emulator_url, mark) == []
    repaired = run(dict(args, run_id="run-b"))
    assert repaired["table_changes"] == planned["table_changes"]
    assert ddb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True
    again = run(unlock(table, run_id="run-b")) and run(dict(args, run_id="run-c"))
    assert again["table_changes"] == [] and again["lock_changed"] is True


def test_settings_compares_the_table_beside_a_held_lock_and_leaves_the_lock_alone(run, aws, table, emulator_url):
    """drift.yml's path: another run holds the lock, the table drifted; nothing is refused, read or written."""
    from emulator import control

    args = lock(table, kms_key_alias="alias/%s" % table, deletion_protection=True)
    run(args)  # run-a holds the lock
    held = item(aws, table)
    pitr_off = {"PointInTimeRecoveryEnabled": False}
    aws("dynamodb", REGION).update_continuous_backups(TableName=table, PointInTimeRecoverySpecification=pitr_off)
    settings = dict(table=table, lock_id="prod", state="settings", kms_key_alias="alias/%s" % table,
                    deletion_protection=True)
    mark = control.last_call_seq(emulator_url)
    planned = run(settings, check_mode=True)
    assert planned.get("failed") is not True, planned
    assert planned["changes"] == planned["table_changes"] == [
        "lock table %s: point-in-time recovery false -> true" % table]
    assert planned["lock_changed"] is False
    assert control.write_calls(emulator_url, mark) == []
    assert "GetItem" not in [call["operation"] for call in control.calls(emulator_url, mark)]
    repaired = run(settings)
    assert repaired["changes"] == planned["changes"]
    assert run(settings, check_mode=True)["changes"] == []
    assert item(aws, table) == held  # still run-a's lock


def test_settings_of_a_missing_table_changes_nothing(run, table):
    result = run(dict(table=table, lock_id="prod", state="settings"), check_mode=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["table_changes"] == []
    assert result["msg"] == "no lock table %s yet: the first run that takes the lock creates it" % table


def test_a_run_renews_its_own_lock(run, aws, table):
    run(lock(table, ttl=60))
    first_expiry = int(item(aws, table)["expires_at"]["N"])
    time.sleep(1.1)
    renewed = run(lock(table, ttl=600, renew=True))
    assert renewed["lock_changed"] is True and renewed["table_changes"] == []
    assert int(item(aws, table)["expires_at"]["N"]) >= first_expiry + 540
    assert "renewed the deploy lock of prod" in renewed["msg"]
    refused = run(lock(table, run_id="run-b", holder="bob@ws2", renew=True))
    assert refused["failed"] is True and "locked by alice@ws1" in refused["msg"]

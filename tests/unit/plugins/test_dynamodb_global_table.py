"""tap.multiregion.dynamodb_global_table against the emulator, and its pure planning logic.

The emulator fills moto's global-table gap (emulator/dynamodb_replicas.py); the module runs
its real-AWS code path. KMS keys and aliases are created here (the baseline role creates them
in a real run) under a test-only environment name so no other test's aliases collide.
"""

from __future__ import annotations

import json

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.tap.multiregion.plugins.module_utils import dynamodb_global as dg
from ansible_collections.tap.multiregion.plugins.modules import dynamodb_global_table
from emulator import control
from support import FAKE_CREDENTIALS

PRIMARY = "us-east-1"
OTHERS = ("us-east-2", "eu-west-1")
REGIONS = (PRIMARY, *OTHERS)
ENV = "ddbtest"
TAGS = {"Environment": ENV, "CostCenter": "platform", "ManagedBy": "pytest"}
READ_OPERATIONS = {"DescribeTable", "DescribeContinuousBackups", "ListTagsOfResource", "DescribeKey"}


@pytest.fixture(scope="module")
def kms_keys(emulator_url):
    """{alias suffix: {region: key ARN}} for aliases alias/tap-ddbtest-<region> and alias/tap-ddbtest2-<region>."""
    keys: dict[str, dict[str, str]] = {}
    for env in (ENV, ENV + "2"):
        keys[env] = {}
        for region in REGIONS:
            kms = boto3.client(
                "kms",
                region_name=region,
                endpoint_url=emulator_url,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
            key = kms.create_key(Description=f"tap {env} {region}")["KeyMetadata"]
            kms.create_alias(AliasName=f"alias/tap-{env}-{region}", TargetKeyId=key["KeyId"])
            keys[env][region] = key["Arn"]
    return keys


def table_args(name, replicas=OTHERS, env=ENV, **extra):
    args = {
        "name": name,
        "kms_key": f"alias/tap-{env}-{PRIMARY}",
        "replicas": [{"region": r, "kms_key": f"alias/tap-{env}-{r}"} for r in replicas],
        "deletion_protection": False,
        "tags": TAGS,
    }
    args.update(extra)
    return args


def ok(result):
    assert not result.get("failed"), result.get("msg", result)
    return result


def key(arn):
    """How sentences name a KMS key: key/<id>."""
    return arn.split(":")[-1]


def tag_sentence(label, tags):
    return "%s: tags %s" % (label, ", ".join(f"{k}={v}" for k, v in sorted(tags.items())))


def new_replica(name, region, keys, tags=None):
    """The sentences of a replica created with PITR on and the tags (default TAGS)."""
    label = f"replica {region} of table {name}"
    tags = TAGS if tags is None else tags
    return [
        f"create {label} (KMS key {key(keys[region])})",
        f"{label}: point-in-time recovery false -> true",
        tag_sentence(label, tags),
    ]


@pytest.fixture
def api_calls(monkeypatch):
    """Record every AWS operation the module makes (in-process)."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, params):
        calls.append(operation_name)
        return original(self, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls


# --------------------------------------------------------------------------- module against the emulator
def test_create_with_two_replicas_then_rerun_is_a_no_op(run_module, aws, kms_keys, api_calls):
    name = "sessions-create-two"
    result = ok(run_module(dynamodb_global_table.main, table_args(name)))
    assert result["changed"] is True
    assert result["replica_regions"] == sorted(OTHERS)
    assert result["table_name"] == name
    assert result["table_arn"].endswith(f":table/{name}") and f":{PRIMARY}:" in result["table_arn"]
    # The table (stream enabled at creation) before any replica, one replica per change.
    assert result["changes"] == [
        f"create table {name} ({PRIMARY}, KMS key {key(kms_keys[ENV][PRIMARY])})",
        f"table {name}: point-in-time recovery false -> true",
        *new_replica(name, "eu-west-1", kms_keys[ENV]),
        *new_replica(name, "us-east-2", kms_keys[ENV]),
    ]

    table = result["table"]
    assert table["billing_mode_summary"]["billing_mode"] == "PAY_PER_REQUEST"
    assert table["stream_specification"] == {"stream_enabled": True, "stream_view_type": "NEW_AND_OLD_IMAGES"}
    assert table["key_schema"] == [{"attribute_name": "session_id", "key_type": "HASH"}]
    assert table["attribute_definitions"] == [{"attribute_name": "session_id", "attribute_type": "S"}]
    assert table["global_table_version"] == "2019.11.21"

    # SSE: every region encrypted with its own region's customer managed key (ARN, not alias).
    description = aws("dynamodb", PRIMARY).describe_table(TableName=name)["Table"]
    assert description["SSEDescription"]["KMSMasterKeyArn"] == kms_keys[ENV][PRIMARY]
    assert {r["RegionName"]: r["KMSMasterKeyId"] for r in description["Replicas"]} == {
        r: kms_keys[ENV][r] for r in OTHERS
    }
    for region in REGIONS:
        ddb = aws("dynamodb", region)
        regional = ddb.describe_table(TableName=name)["Table"]
        assert regional["SSEDescription"]["KMSMasterKeyArn"] == kms_keys[ENV][region]
        assert regional["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert regional["DeletionProtectionEnabled"] is False
        pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=regional["TableArn"])["Tags"]}
        assert tags == TAGS

    # Second run: nothing to change, changed=false and not a single write call.
    api_calls.clear()
    again = ok(run_module(dynamodb_global_table.main, table_args(name), diff=True))
    assert again["changed"] is False
    assert again["changes"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["replica_regions"] == sorted(OTHERS)
    assert api_calls and set(api_calls) <= READ_OPERATIONS, api_calls


def test_check_mode_on_fresh_table_reports_change_and_creates_nothing(run_module, aws, kms_keys):
    name = "sessions-check-fresh"
    result = ok(run_module(dynamodb_global_table.main, table_args(name), check_mode=True, diff=True))
    assert result["changed"] is True
    assert result["changes"] == [
        f"create table {name} ({PRIMARY}, KMS key {key(kms_keys[ENV][PRIMARY])})",
        f"table {name}: point-in-time recovery false -> true",
        *new_replica(name, "eu-west-1", kms_keys[ENV]),
        *new_replica(name, "us-east-2", kms_keys[ENV]),
    ]
    assert result["replica_regions"] == sorted(OTHERS)
    assert result["table"] == {} and result["table_arn"] is None
    assert result["diff"]["before"] == {}
    assert sorted(result["diff"]["after"]["replicas"]) == sorted(OTHERS)
    assert result["diff"]["after"]["kms_key_arn"] == kms_keys[ENV][PRIMARY]
    for region in REGIONS:
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            aws("dynamodb", region).describe_table(TableName=name)


def test_diff_lists_replica_to_add_and_removal_needs_the_flag(run_module, aws, kms_keys):
    name = "sessions-add-remove"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))

    # Check mode + diff: eu-west-1 would be added, nothing else changes.
    planned = ok(run_module(dynamodb_global_table.main, table_args(name), check_mode=True, diff=True))
    assert planned["changed"] is True
    assert planned["changes"] == new_replica(name, "eu-west-1", kms_keys[ENV])
    assert sorted(planned["diff"]["before"]["replicas"]) == ["us-east-2"]
    assert sorted(planned["diff"]["after"]["replicas"]) == ["eu-west-1", "us-east-2"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb", "eu-west-1").describe_table(TableName=name)

    # Dropping us-east-2 from the list is refused, naming the region; nothing is removed.
    refused = run_module(dynamodb_global_table.main, table_args(name, replicas=[]))
    assert refused["failed"] is True
    assert "us-east-2" in refused["msg"] and "allow_replica_removal" in refused["msg"]
    assert aws("dynamodb", "us-east-2").describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"

    # Check mode with the flag shows the removal in the diff, then the real run removes it.
    allowed = table_args(name, replicas=[], allow_replica_removal=True)
    planned = ok(run_module(dynamodb_global_table.main, allowed, check_mode=True, diff=True))
    assert planned["changes"] == [f"delete replica us-east-2 of table {name}"]
    assert planned["diff"]["after"]["replicas"] == {}
    removed = ok(run_module(dynamodb_global_table.main, allowed))
    assert removed["changed"] is True and removed["replica_regions"] == []
    assert "Replicas" not in aws("dynamodb", PRIMARY).describe_table(TableName=name)["Table"]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws("dynamodb", "us-east-2").describe_table(TableName=name)


def test_existing_plain_table_converges_stream_first(run_module, aws, kms_keys):
    """A table left by an interrupted run (no stream, AWS owned key, no PITR) is completed in place."""
    name = "sessions-converge"
    aws("dynamodb", PRIMARY).create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
    )
    result = ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))
    assert result["changes"] == [
        f"table {name}: stream none -> NEW_AND_OLD_IMAGES",
        f"table {name}: KMS key none -> {key(kms_keys[ENV][PRIMARY])}",
        f"table {name}: point-in-time recovery false -> true",
        tag_sentence(f"table {name}", TAGS),
        *new_replica(name, "us-east-2", kms_keys[ENV]),
    ]
    description = aws("dynamodb", PRIMARY).describe_table(TableName=name)["Table"]
    assert description["SSEDescription"]["KMSMasterKeyArn"] == kms_keys[ENV][PRIMARY]
    assert description["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))["changed"] is False


def test_key_changes_for_table_and_replica(run_module, aws, kms_keys):
    name = "sessions-rekey"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))
    result = ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"], env=ENV + "2")))
    old, new = kms_keys[ENV], kms_keys[ENV + "2"]
    assert result["changes"] == [
        f"table {name}: KMS key {key(old[PRIMARY])} -> {key(new[PRIMARY])}",
        f"replica us-east-2 of table {name}: KMS key {key(old['us-east-2'])} -> {key(new['us-east-2'])}",
    ]
    description = aws("dynamodb", PRIMARY).describe_table(TableName=name)["Table"]
    assert description["SSEDescription"]["KMSMasterKeyArn"] == kms_keys[ENV + "2"][PRIMARY]
    assert description["Replicas"][0]["KMSMasterKeyId"] == kms_keys[ENV + "2"]["us-east-2"]


def test_state_absent_respects_deletion_protection(run_module, aws, kms_keys):
    name = "sessions-absent"
    created = ok(run_module(dynamodb_global_table.main, table_args(name, deletion_protection=True)))
    assert created["table"]["deletion_protection_enabled"] is True
    for region in REGIONS:
        assert aws("dynamodb", region).describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True

    refused = run_module(dynamodb_global_table.main, {"name": name, "state": "absent"})
    assert refused["failed"] is True and "allow_deletion_protection_removal" in refused["msg"]
    assert all(region in refused["msg"] for region in REGIONS)
    for region in REGIONS:  # nothing was touched
        assert aws("dynamodb", region).describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True

    args = {"name": name, "state": "absent", "allow_deletion_protection_removal": True}
    planned = ok(run_module(dynamodb_global_table.main, args, check_mode=True))
    assert planned["changed"] is True
    assert planned["changes"][-1] == f"delete table {name}"
    deleted = ok(run_module(dynamodb_global_table.main, args))
    assert deleted["changed"] is True and deleted["table"] == {} and deleted["replica_regions"] == []
    # Every replica first (each with its deletion protection lifted), then the table.
    assert deleted["changes"] == planned["changes"] == [
        f"replica eu-west-1 of table {name}: deletion protection true -> false",
        f"delete replica eu-west-1 of table {name}",
        f"replica us-east-2 of table {name}: deletion protection true -> false",
        f"delete replica us-east-2 of table {name}",
        f"table {name}: deletion protection true -> false",
        f"delete table {name}",
    ]
    for region in REGIONS:
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            aws("dynamodb", region).describe_table(TableName=name)
    assert ok(run_module(dynamodb_global_table.main, args))["changed"] is False


def test_throttling_is_retried(run_module, kms_keys, monkeypatch):
    name = "sessions-throttled"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))

    sleeps: list[float] = []
    monkeypatch.setattr(cloud, "time", type("FakeTime", (), {"sleep": staticmethod(sleeps.append)}))
    throttled: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def throttle_once(self, operation_name, params):
        if operation_name in ("DescribeTable", "DescribeKey") and operation_name not in throttled:
            throttled.append(operation_name)
            raise ClientError(
                {
                    "Error": {
                        "Code": "ThrottlingException",
                        "Message": "Rate of requests exceeds the allowed throughput",
                    }
                },
                operation_name,
            )
        return original(self, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_once)
    result = ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))
    assert result["changed"] is False
    assert sorted(throttled) == ["DescribeKey", "DescribeTable"]  # read at the same time
    assert len(sleeps) == 2  # one back-off per throttled call, then success


def test_invalid_input_fails_cleanly(run_module, kms_keys):
    own_region = run_module(dynamodb_global_table.main, table_args("sessions-bad", replicas=[PRIMARY]), check_mode=True)
    assert own_region["failed"] is True and "own region" in own_region["msg"]
    missing_key = run_module(dynamodb_global_table.main, {"name": "sessions-bad"})
    assert missing_key["failed"] is True and "kms_key" in missing_key["msg"]


def test_missing_kms_alias_warns_in_check_mode_and_fails_for_real(run_module, kms_keys):
    """A fresh environment's check run precedes the baseline role that creates the aliases."""
    args = table_args("sessions-no-alias", env="ddbnokey")
    planned = ok(run_module(dynamodb_global_table.main, args, check_mode=True))
    assert planned["changed"] is True
    assert "alias/tap-ddbnokey-us-east-1" in json.dumps(planned.get("warnings", []))
    failed = run_module(dynamodb_global_table.main, args)
    assert failed["failed"] is True and "alias/tap-ddbnokey-us-east-1" in failed["msg"]


def test_drift_in_check_mode_names_the_replica_attribute_and_writes_nothing(run_module, aws, kms_keys, emulator_url):
    name = "sessions-drift"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))
    aws("dynamodb", "us-east-2").update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    mark = control.last_call_seq(emulator_url)
    checked = ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"]), check_mode=True,
                            diff=True))
    assert checked["changes"] == [f"replica us-east-2 of table {name}: point-in-time recovery false -> true"]
    assert checked["diff"]["before"]["replicas"]["us-east-2"]["point_in_time_recovery"] is False
    assert checked["diff"]["after"]["replicas"]["us-east-2"]["point_in_time_recovery"] is True
    assert control.write_calls(emulator_url, mark) == []


def busy_once(monkeypatch, operation, region_created=None):
    """The first `operation` call answers ResourceInUseException, as DynamoDB does while a change runs."""
    original = botocore.client.BaseClient._make_api_call
    attempts: list[dict] = []

    def call(client, operation_name, params):
        if operation_name == operation:
            attempts.append(params)
            if len(attempts) == 1:
                raise ClientError(
                    {"Error": {"Code": "ResourceInUseException",
                               "Message": "Attempt to change a resource which is still in use"}},
                    operation_name,
                )
        return original(client, operation_name, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    monkeypatch.setattr(dynamodb_global_table, "POLL_SECONDS", 0.0)
    return attempts


def test_a_replica_change_refused_while_another_runs_is_retried(run_module, aws, kms_keys, monkeypatch):
    name = "sessions-busy"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=["us-east-2"])))
    from ansible_collections.tap.multiregion.plugins.module_utils import base

    monkeypatch.setattr(base.time, "sleep", lambda _seconds: None)
    attempts = busy_once(monkeypatch, "UpdateTable")
    result = ok(run_module(dynamodb_global_table.main, table_args(name)))
    assert result["changes"] == new_replica(name, "eu-west-1", kms_keys[ENV])
    assert [a["ReplicaUpdates"] for a in attempts] == [
        [{"Create": {"RegionName": "eu-west-1", "KMSMasterKeyId": kms_keys[ENV]["eu-west-1"]}}]
    ] * 2
    assert result["replica_regions"] == ["eu-west-1", "us-east-2"]


class CreatingReplica:
    """DescribeTable of the owning region reports `region`'s replica CREATING (AWS takes minutes for it)."""

    def __init__(self, monkeypatch, region):
        original = botocore.client.BaseClient._make_api_call
        self.describes = 0

        def call(client, operation_name, params):
            answer = original(client, operation_name, params)
            if operation_name == "DescribeTable" and client.meta.region_name == PRIMARY:
                self.describes += 1
                for replica in answer["Table"].get("Replicas", []):
                    if replica["RegionName"] == region:
                        replica["ReplicaStatus"] = "CREATING"
            return answer

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def test_wait_false_returns_while_the_last_replica_is_created(run_module, aws, kms_keys, monkeypatch):
    name = "sessions-nowait"
    ok(run_module(dynamodb_global_table.main, table_args(name, replicas=[])))
    creating = CreatingReplica(monkeypatch, "us-east-2")
    result = ok(run_module(dynamodb_global_table.main, table_args(name, wait=False)))
    # Both replica changes first (the second as soon as DynamoDB takes it); eu-west-1 was ACTIVE by the end,
    # so its settings follow; us-east-2 is still being created: its settings are left for the next run.
    eu_west_1 = new_replica(name, "eu-west-1", kms_keys[ENV])
    assert result["changes"] == [
        eu_west_1[0],
        f"create replica us-east-2 of table {name} (KMS key {key(kms_keys[ENV]['us-east-2'])})",
        *eu_west_1[1:],
    ]
    assert "replica us-east-2 of table sessions-nowait is CREATING" in json.dumps(result["warnings"])
    assert creating.describes == 2  # the first read and the final one: no polling
    ddb = aws("dynamodb", "us-east-2")
    pitr = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    monkeypatch.undo()
    finished = ok(run_module(dynamodb_global_table.main, table_args(name)))
    assert finished["changes"] == new_replica(name, "us-east-2", kms_keys[ENV])[1:]
    assert ok(run_module(dynamodb_global_table.main, table_args(name)))["changed"] is False


# --------------------------------------------------------------------------- pure planning logic
def settings(dp=False, pitr=True, tags=None):
    return {"deletion_protection": dp, "point_in_time_recovery": pitr, "tags": {"A": "1"} if tags is None else tags}


def desired(replicas=("us-east-2", "eu-west-1"), **overrides):
    state = {
        "name": "sessions-dev",
        "region": PRIMARY,
        "key_schema": dg.key_schema_from_params("session_id", "S"),
        "billing_mode": dg.PAY_PER_REQUEST,
        "stream_view_type": dg.STREAM_VIEW_TYPE,
        "kms_key_arn": "key-" + PRIMARY,
        "settings": settings(),
        "replicas": {r: {"kms_key_arn": "key-" + r, "settings": settings()} for r in replicas},
    }
    state.update(overrides)
    return state


def current_from(state, **overrides):
    current = dict(state, status="ACTIVE", global_table_version="2019.11.21")
    current["replicas"] = {r: dict(v, status="ACTIVE") for r, v in state["replicas"].items()}
    current.update(overrides)
    return current


def test_plan_new_table_creates_then_adds_one_replica_per_change():
    changes, errors = dg.plan_present(desired(), None)
    assert errors == []
    actions = [(c["action"], c["region"]) for c in changes]
    assert actions[0] == ("create_table", PRIMARY)
    assert changes[0]["stream_view_type"] == "NEW_AND_OLD_IMAGES" and changes[0]["kms_key_arn"] == "key-us-east-1"
    assert actions[1] == ("set_point_in_time_recovery", PRIMARY)
    replica_creations = [c for c in changes if c["action"] == "create_replica"]
    assert [c["region"] for c in replica_creations] == ["eu-west-1", "us-east-2"]
    assert all(set(c) == {"action", "region", "kms_key_arn"} for c in replica_creations)
    # each new replica gets PITR and tags of its own
    assert ("set_point_in_time_recovery", "eu-west-1") in actions and ("tags", "us-east-2") in actions


def test_plan_equal_state_is_empty():
    want = desired()
    assert dg.plan_present(want, current_from(want)) == ([], [])


def test_plan_stream_is_enabled_before_replicas_and_switched_via_disable():
    want = desired(replicas=("us-east-2",))
    have = current_from(want, stream_view_type=None, replicas={})
    actions = [c["action"] for c in dg.plan_present(want, have)[0]]
    assert actions == ["enable_stream", "create_replica", "set_point_in_time_recovery", "tags"]
    have = current_from(want, stream_view_type="KEYS_ONLY", replicas={})
    assert [c["action"] for c in dg.plan_present(want, have)[0]][:2] == ["disable_stream", "enable_stream"]
    with_replicas = current_from(want, stream_view_type="KEYS_ONLY")
    assert "cannot be switched" in dg.plan_present(want, with_replicas)[1][0]


def test_plan_replica_removal_refused_unless_allowed():
    have = current_from(desired())
    changes, errors = dg.plan_present(desired(replicas=("us-east-2",)), have)
    assert len(errors) == 1 and "eu-west-1" in errors[0] and "allow_replica_removal" in errors[0]
    changes, errors = dg.plan_present(desired(replicas=("us-east-2",)), have, allow_replica_removal=True)
    assert errors == [] and changes == [{"action": "delete_replica", "region": "eu-west-1"}]


def test_plan_replica_removal_with_deletion_protection_needs_second_flag():
    have = current_from(desired())
    have["replicas"]["eu-west-1"]["settings"] = settings(dp=True)
    want = desired(replicas=("us-east-2",))
    errors = dg.plan_present(want, have, allow_replica_removal=True)[1]
    assert "allow_deletion_protection_removal" in errors[0] and "eu-west-1" in errors[0]
    changes, errors = dg.plan_present(want, have, allow_replica_removal=True, allow_deletion_protection_removal=True)
    assert errors == [] and [c["action"] for c in changes] == ["set_deletion_protection", "delete_replica"]


def test_plan_settings_keys_tags_and_schema():
    want = desired(replicas=("us-east-2",))
    have = current_from(want, kms_key_arn="old-key", billing_mode="PROVISIONED")
    have["replicas"]["us-east-2"] = {
        "kms_key_arn": "old",
        "status": "ACTIVE",
        "settings": settings(pitr=False, tags={"A": "2", "Old": "x"}),
    }
    changes, errors = dg.plan_present(want, have)
    assert errors == []
    tags = {"action": "tags", "region": "us-east-2", "current": {"A": "2", "Old": "x"}, "tags": {"A": "1"}}
    assert changes == [
        {"action": "set_billing_mode", "region": PRIMARY, "billing_mode": "PAY_PER_REQUEST", "before": "PROVISIONED"},
        {"action": "set_kms_key", "region": PRIMARY, "kms_key_arn": "key-us-east-1", "before": "old-key"},
        {"action": "set_replica_kms_key", "region": "us-east-2", "kms_key_arn": "key-us-east-2", "before": "old"},
        {"action": "set_point_in_time_recovery", "region": "us-east-2", "enabled": True},
        dict(tags, purge=True),
    ]
    # Without purging, Old stays (the tag sync gets purge=false) and A still changes.
    assert dg.plan_present(want, have, purge_tags=False)[0][-1] == dict(tags, purge=False)
    assert [dg.change_sentence("sessions-dev", PRIMARY, c) for c in changes[:4]] == [
        "table sessions-dev: billing mode PROVISIONED -> PAY_PER_REQUEST",
        "table sessions-dev: KMS key old-key -> key-us-east-1",
        "replica us-east-2 of table sessions-dev: KMS key old -> key-us-east-2",
        "replica us-east-2 of table sessions-dev: point-in-time recovery false -> true",
    ]
    wrong_keys = current_from(want, key_schema=dg.key_schema_from_params("id", "N"))
    assert "cannot change keys" in dg.plan_present(want, wrong_keys)[1][0]
    legacy = current_from(want, global_table_version="2017.11.29")
    assert "2017.11.29" in dg.plan_present(want, legacy)[1][0]


def test_plan_absent_deletes_replicas_first_and_guards_deletion_protection():
    assert dg.plan_absent(None) == ([], [])
    have = current_from(desired(), settings=settings(dp=True))
    changes, errors = dg.plan_absent(have)
    assert len(errors) == 1 and "us-east-1" in errors[0]
    changes, errors = dg.plan_absent(have, allow_deletion_protection_removal=True)
    assert errors == []
    assert [(c["action"], c["region"]) for c in changes] == [
        ("delete_replica", "eu-west-1"),
        ("delete_replica", "us-east-2"),
        ("set_deletion_protection", PRIMARY),
        ("delete_table", PRIMARY),
    ]


def test_state_from_description_and_summaries():
    description = {
        "TableName": "sessions-dev",
        "TableArn": "arn:aws:dynamodb:us-east-1:1:table/sessions-dev",
        "TableStatus": "ACTIVE",
        "KeySchema": [{"AttributeName": "session_id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "session_id", "AttributeType": "S"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "key-us-east-1"},
        "DeletionProtectionEnabled": False,
        "GlobalTableVersion": "2019.11.21",
        "Replicas": [
            {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
            {"RegionName": "us-east-2", "ReplicaStatus": "CREATING", "KMSMasterKeyId": "key-us-east-2"},
        ],
    }
    own = dg.settings_from_aws(
        description, {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}}, {"A": "1"}
    )
    assert own == settings()
    state = dg.state_from_description(description, PRIMARY, own, {"us-east-2": settings()})
    assert state["replicas"] == {
        "us-east-2": {"kms_key_arn": "key-us-east-2", "status": "CREATING", "settings": settings()}
    }
    assert dg.plan_present(desired(replicas=("us-east-2",)), state) == ([], [])
    assert not dg.is_settled(description)
    description["Replicas"][1]["ReplicaStatus"] = "CREATION_FAILED"
    assert dg.failed_statuses(description) == [("us-east-2", "CREATION_FAILED")]
    summary = dg.summarize(dg.expected_state(desired(), None))
    assert summary["key_schema"] == "HASH session_id (S)"
    assert summary["replicas"]["eu-west-1"] == {
        "kms_key_arn": "key-eu-west-1",
        "deletion_protection": False,
        "point_in_time_recovery": True,
        "tags": {"A": "1"},
    }
    assert dg.summarize(None) == {}


def test_change_sentences_name_table_or_replica_and_attribute():
    create = dg.plan_present(desired(replicas=()), None)[0][0]
    sentence = dg.change_sentence("sessions-dev", PRIMARY, create)
    assert sentence == "create table sessions-dev (us-east-1, KMS key key-us-east-1)"
    want = desired(replicas=())
    switched = dg.plan_present(want, current_from(want, stream_view_type="KEYS_ONLY"))[0]
    assert [dg.change_sentence("sessions-dev", PRIMARY, c) for c in switched] == [
        "table sessions-dev: stream KEYS_ONLY -> none",
        "table sessions-dev: stream none -> NEW_AND_OLD_IMAGES",
    ]
    arn = "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    replica = {"action": "create_replica", "region": "us-east-2", "kms_key_arn": arn}
    assert dg.change_sentence("sessions-dev", PRIMARY, replica) == (
        "create replica us-east-2 of table sessions-dev (KMS key key/1234abcd-12ab-34cd-56ef-1234567890ab)"
    )
    assert dg.region_arn("arn:aws:dynamodb:us-east-1:1:table/t", "eu-west-1") == "arn:aws:dynamodb:eu-west-1:1:table/t"
    with pytest.raises(ValueError):
        dg.change_sentence("sessions-dev", PRIMARY, {"action": "tags", "region": PRIMARY})

"""kms_key against the emulator (run in-process through run_module), and its pure logic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.tap.multiregion.plugins.module_utils import kms as logic
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.modules import kms_key as module
from lambda_api_support import CallRecorder

# A region no other test uses: the search by tag lists every key of the region.
REGION = "af-south-1"
ACCOUNT = "123456789012"
TAGS = {"Environment": "test", "Region": REGION, "CostCenter": "cc-1", "ManagedBy": "ansible", "Project": "tap"}
READS = ("Describe", "Get", "List")


def policy(extra_action=None):
    root = "arn:aws:iam::%s:root" % ACCOUNT
    admin = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
    if extra_action:
        admin.append(extra_action)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": root}, "Action": admin, "Resource": "*"},
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
            },
        ],
    }


def args(name, **overrides):
    result = {
        "alias": "alias/%s" % name,
        "description": "key of %s" % name,
        "policy": policy(),
        "tags": TAGS,
        "enabled": True,
        "enable_key_rotation": True,
        "purge_tags": True,
    }
    result.update(overrides)
    return result


@pytest.fixture
def calls(monkeypatch):
    return CallRecorder().install(monkeypatch)


@pytest.fixture
def kms(aws):
    return aws("kms", REGION)


@pytest.fixture
def run(run_module):
    def call(module_args, **kwargs):
        return run_module(module.main, module_args, region=REGION, **kwargs)

    return call


def kms_reads(calls):
    return [c[1] for c in calls.calls if c[0] == "kms" and c[1].startswith(READS)]


def kms_writes(calls):
    return [c[1] for c in calls.calls if c[0] == "kms" and not c[1].startswith(READS)]


def key_tags(kms, key_id):
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}


def keys_tagged(kms, alias):
    return [k["KeyId"] for k in kms.list_keys()["Keys"] if key_tags(kms, k["KeyId"]).get(logic.ALIAS_TAG_KEY) == alias]


# --------------------------------------------------------------------------- against the emulator


def test_create_then_noop_makes_four_reads_and_no_write(run, kms, calls):
    name = "kk-create"
    first = run(args(name), diff=True)
    assert first["changed"] is True, first
    assert first["changes"] == [
        "create key alias/%s" % name,
        "create alias alias/%s" % name,
        "key alias/%s: rotation false -> true" % name,
    ]
    assert first["alias"] == "alias/%s" % name and first["key_state"] == "Enabled"
    assert first["diff"]["before"] is None
    key = kms.describe_key(KeyId="alias/%s" % name)["KeyMetadata"]
    assert key["KeyId"] == first["key_id"] and key["Arn"] == first["key_arn"]
    assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER"
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert key["Description"] == "key of %s" % name
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]) == policy()
    assert key_tags(kms, key["KeyId"]) == dict(TAGS, **{logic.ALIAS_TAG_KEY: "alias/%s" % name})

    calls.clear()
    second = run(args(name), diff=True)
    assert second["changed"] is False, second["changes"]
    assert second["key_id"] == first["key_id"] and second["key_arn"] == first["key_arn"]
    assert kms_writes(calls) == []
    assert sorted(kms_reads(calls)) == ["DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListResourceTags"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_policy_compares_as_a_document(run, kms, calls):
    """Reordered statements and actions, a one-element list for a string and a JSON string are the same policy."""
    name = "kk-equivalent"
    run(args(name))
    reordered = policy()
    reordered["Statement"].reverse()
    reordered["Statement"][0]["Action"].reverse()
    reordered["Statement"][1]["Resource"] = ["*"]
    calls.clear()
    result = run(args(name, policy=json.dumps(reordered)))
    assert result["changed"] is False, result["changes"]
    assert "PutKeyPolicy" not in kms_writes(calls)


def test_check_mode_reports_and_writes_nothing(run, kms, calls):
    name = "kk-check"
    preview = run(args(name), check_mode=True, diff=True)
    assert preview["changed"] is True
    assert "key_id" not in preview and "key_arn" not in preview  # the caller's default() applies
    assert preview["diff"]["after"]["key_state"] == "Enabled"
    assert kms_writes(calls) == []
    assert keys_tagged(kms, "alias/%s" % name) == []

    run(args(name))
    calls.clear()
    preview = run(args(name, policy=policy("kms:TagResource"), description="new"), check_mode=True, diff=True)
    assert preview["changes"] == [
        "key alias/%s: description key of %s -> new" % (name, name),
        "key alias/%s: key policy statements changed Admin" % name,
    ]
    assert preview["diff"]["after"]["policy"] == policy("kms:TagResource")
    assert preview["diff"]["before"]["description"] == "key of %s" % name
    assert kms_writes(calls) == []


def test_drift_is_repaired(run, kms):
    name = "kk-drift"
    key_id = run(args(name))["key_id"]
    kms.disable_key_rotation(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    kms.update_key_description(KeyId=key_id, Description="changed by hand")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy("kms:TagResource")))
    kms.untag_resource(KeyId=key_id, TagKeys=["CostCenter", logic.ALIAS_TAG_KEY])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Stray", "TagValue": "1"}])

    repaired = run(args(name), diff=True)
    assert repaired["changed"] is True
    label = "key alias/%s" % name
    assert repaired["changes"] == [
        "%s: state Disabled -> Enabled" % label,
        "%s: description changed by hand -> key of %s" % (label, name),
        "%s: key policy statements changed Admin" % label,
        "%s: rotation false -> true" % label,
        "%s: remove tags Stray" % label,
        "%s: tags CostCenter=cc-1, %s=alias/%s" % (label, logic.ALIAS_TAG_KEY, name),
    ]
    assert repaired["diff"]["before"]["key_state"] == "Disabled"
    assert repaired["diff"]["before"]["enable_key_rotation"] is False
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["Description"] == "key of %s" % name
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == policy()
    assert key_tags(kms, key_id) == dict(TAGS, **{logic.ALIAS_TAG_KEY: "alias/%s" % name})
    assert run(args(name))["changed"] is False


def test_interrupted_run_adopts_the_tagged_key(run, kms, calls):
    """A key created with the alias tag but without its alias (run interrupted) is adopted, not duplicated."""
    name = "kk-interrupted"
    alias = "alias/%s" % name
    orphan = kms.create_key(
        Description="key of %s" % name,
        Policy=json.dumps(policy()),
        Tags=[{"TagKey": k, "TagValue": v} for k, v in dict(TAGS, **{logic.ALIAS_TAG_KEY: alias}).items()],
    )["KeyMetadata"]["KeyId"]

    calls.clear()
    result = run(args(name))
    assert result["changed"] is True and result["key_id"] == orphan
    assert result["changes"] == ["create alias %s" % alias, "key %s: rotation false -> true" % alias]
    assert "ListKeys" in kms_reads(calls)
    assert keys_tagged(kms, alias) == [orphan]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == orphan

    calls.clear()
    assert run(args(name))["changed"] is False
    assert "ListKeys" not in kms_reads(calls)  # the listing runs only while the alias is missing


def test_absent_schedules_deletion_and_deletes_the_alias(run, kms):
    name = "kk-absent"
    alias = "alias/%s" % name
    key_id = run(args(name))["key_id"]
    removed = run({"alias": alias, "state": "absent", "pending_window_days": 7}, diff=True)
    assert removed["changed"] is True
    assert removed["changes"] == [
        "key %s: schedule the deletion of key %s in 7 days" % (alias, key_id),
        "delete alias %s" % alias,
    ]
    assert removed["key_id"] == key_id and removed["key_state"] == "PendingDeletion"
    assert removed["diff"]["after"] == {"alias": None, "keys": [{"key_id": key_id, "key_state": "PendingDeletion"}]}
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    assert timedelta(days=6) < key["DeletionDate"] - datetime.now(UTC) <= timedelta(days=7)
    assert alias not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]

    # Again: the alias is gone, the key is found by its tag and already pending deletion.
    again = run({"alias": alias, "state": "absent", "pending_window_days": 7})
    assert again["changed"] is False and again["key_id"] == key_id

    # present finds the key by its tag, cancels the deletion and creates the alias again.
    restored = run(args(name))
    assert restored["key_id"] == key_id
    assert restored["changes"][:3] == [
        "key %s: cancel the scheduled deletion" % alias,
        "key %s: state Disabled -> Enabled" % alias,
        "create alias %s" % alias,
    ]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyState"] == "Enabled"
    assert keys_tagged(kms, alias) == [key_id]
    assert run(args(name))["changed"] is False


def test_absent_keeping_the_alias_and_recovery(run, kms, calls):
    name = "kk-keep-alias"
    alias = "alias/%s" % name
    key_id = run(args(name))["key_id"]
    removed = run({"alias": alias, "state": "absent", "pending_window": 10, "delete_alias": False})
    assert removed["changes"] == ["key %s: schedule the deletion of key %s in 10 days" % (alias, key_id)]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    calls.clear()
    again = run({"alias": alias, "state": "absent", "pending_window": 10, "delete_alias": False}, check_mode=True)
    assert again["changed"] is False
    assert kms_reads(calls) == ["DescribeKey"]

    preview = run(args(name), check_mode=True)
    assert preview["changes"] == [
        "key %s: cancel the scheduled deletion" % alias,
        "key %s: state Disabled -> Enabled" % alias,
    ]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    restored = run(args(name))
    assert restored["key_id"] == key_id and restored["key_state"] == "Enabled"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_absent_without_a_key_changes_nothing(run, calls):
    result = run({"alias": "kk-never-created", "state": "absent"})
    assert result["changed"] is False and result["key_state"] is None
    assert "key_id" not in result
    assert kms_writes(calls) == []


def test_disabled_key(run, kms):
    name = "kk-disabled"
    created = run(args(name, enabled=False, enable_key_rotation=False))
    assert created["changes"] == [
        "create key alias/%s" % name,
        "create alias alias/%s" % name,
        "key alias/%s: state Enabled -> Disabled" % name,
    ]
    assert created["key_state"] == "Disabled"
    assert kms.describe_key(KeyId=created["key_id"])["KeyMetadata"]["KeyState"] == "Disabled"
    again = run(args(name, enabled=False, enable_key_rotation=False))
    assert again["changed"] is False and again["key_state"] == "Disabled"
    # Rotation of a key kept disabled cannot change: a warning, no failure.
    warned = run(args(name, enabled=False, enable_key_rotation=True))
    assert warned["changed"] is False
    assert "KMS changes automatic rotation only on an enabled key" in json.dumps(warned.get("warnings")), warned
    # Enabling it turns rotation on in the same run.
    enabled = run(args(name))
    assert enabled["changes"] == [
        "key alias/%s: state Disabled -> Enabled" % name,
        "key alias/%s: rotation false -> true" % name,
    ]


def test_tags_not_given_keep_the_tags_but_add_the_alias_tag(run, kms):
    name = "kk-no-tags"
    key_id = run(args(name))["key_id"]
    kms.untag_resource(KeyId=key_id, TagKeys=[logic.ALIAS_TAG_KEY])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Extra", "TagValue": "1"}])
    result = run(args(name, tags=None))
    assert result["changes"] == ["key alias/%s: tags %s=alias/%s" % (name, logic.ALIAS_TAG_KEY, name)]
    assert key_tags(kms, key_id)["Extra"] == "1"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"state": "absent", "pending_window_days": 5}, "between 7 and 30"),
        ({"state": "absent", "pending_window_days": 31}, "between 7 and 30"),
        ({"alias": "alias/aws/s3"}, "reserved for AWS managed keys"),
        ({"tags": {logic.ALIAS_TAG_KEY: "alias/other"}}, "alias tag"),
        ({"policy": "{not json"}, "policy"),
    ],
    ids=["window-too-short", "window-too-long", "reserved-alias", "alias-tag-clash", "bad-policy"],
)
def test_bad_input_fails_before_any_write(run, calls, overrides, message):
    result = run(args("kk-bad", **overrides))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert kms_writes(calls) == []


def test_fewer_reads_than_amazon_aws_kms_key(run, run_module, calls):
    """The no-op run of amazon.aws.kms_key with the same inputs, for comparison (measured in-process)."""
    from ansible_collections.amazon.aws.plugins.modules import kms_key as amazon_kms_key

    name = "kk-compare"
    run(args(name))
    calls.clear()
    assert run(args(name))["changed"] is False
    ours = kms_reads(calls)

    theirs_args = dict(args(name), policy=json.dumps(policy()), state="present")
    theirs_args.pop("purge_tags")
    theirs_args["tags"] = dict(TAGS, **{logic.ALIAS_TAG_KEY: "alias/%s" % name})
    calls.clear()
    result = run_module(amazon_kms_key.main, theirs_args, region=REGION)
    assert result["changed"] is False, result
    theirs = kms_reads(calls)
    print(
        "no-op reads: tap.multiregion.kms_key %d %s; amazon.aws.kms_key %d %s" % (len(ours), ours, len(theirs), theirs)
    )
    assert len(ours) == 4 and len(theirs) > 2 * len(ours)


# --------------------------------------------------------------------------- pure logic


def test_canonical_alias():
    assert logic.canonical_alias("tap-dev") == "alias/tap-dev"
    assert logic.canonical_alias("alias/tap-dev") == "alias/tap-dev"
    assert logic.canonical_alias("arn:aws:kms:us-east-1:123456789012:alias/tap-dev") == "alias/tap-dev"


def test_policies_equal_ignores_order_and_shape():
    a = policy()
    b = json.loads(json.dumps(a))
    b["Statement"].reverse()
    b["Statement"][0]["Resource"] = ["*"]
    b["Statement"][1]["Action"] = list(reversed(b["Statement"][1]["Action"]))
    assert policies.policies_equal(json.dumps(a), b)
    assert not policies.policies_equal(a, policy("kms:TagResource"))
    assert not policies.policies_equal(None, a)
    assert policies.statement_differences(a, policy("kms:TagResource")) == "changed Admin"
    assert policies.statement_differences(a, b) == "reordered"


def test_pick_key_prefers_a_usable_then_the_oldest_key():
    keys = [
        {"KeyId": "pending", "KeyState": "PendingDeletion", "CreationDate": "2024-01-01"},
        {"KeyId": "newer", "KeyState": "Enabled", "CreationDate": "2024-03-01"},
        {"KeyId": "older", "KeyState": "Enabled", "CreationDate": "2024-02-01"},
    ]
    assert logic.pick_key(keys)["KeyId"] == "older"
    assert logic.pick_key(keys[:1])["KeyId"] == "pending"
    assert logic.pick_key([]) is None


def test_a_key_that_still_encrypts_kept_data_is_not_deleted(run, kms, aws):
    """Teardown keeps the backup vault's recovery points, final snapshots and the global secret: their key stays."""
    name = "kk-in-use"
    alias = "alias/%s" % name
    created = run(args(name))
    backup = aws("backup", REGION)
    backup.create_backup_vault(BackupVaultName="kk-in-use-vault", EncryptionKeyArn=created["key_arn"])
    backup.start_backup_job(BackupVaultName="kk-in-use-vault",
                            ResourceArn="arn:aws:dynamodb:%s:%s:table/sessions-kk" % (REGION, ACCOUNT),
                            IamRoleArn="arn:aws:iam::%s:role/backup" % ACCOUNT)  # fmt: skip
    aws("secretsmanager", REGION).create_secret(Name="kk-in-use-secret", KmsKeyId=created["key_arn"], SecretString="x")

    kept = run({"alias": alias, "state": "absent", "keep_while_in_use": True, "delete_alias": False})
    assert kept["changed"] is False and kept["changes"] == []
    assert kept["kept_for"] == ["1 recovery points in backup vault kk-in-use-vault", "secret kk-in-use-secret"]
    assert "would become unreadable" in json.dumps(kept.get("warnings"))
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyState"] == "Enabled"

    aws("secretsmanager", REGION).delete_secret(SecretId="kk-in-use-secret", ForceDeleteWithoutRecovery=True)
    point = backup.list_recovery_points_by_backup_vault(BackupVaultName="kk-in-use-vault")["RecoveryPoints"][0]
    backup.delete_recovery_point(BackupVaultName="kk-in-use-vault", RecoveryPointArn=point["RecoveryPointArn"])
    removed = run({"alias": alias, "state": "absent", "keep_while_in_use": True, "delete_alias": False})
    assert removed["changes"] == ["key %s: schedule the deletion of key %s in 30 days" % (alias, created["key_id"])]

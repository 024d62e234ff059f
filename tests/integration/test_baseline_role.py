"""The baseline role in every region of the local inventory, through a real playbook run."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest

from emulator import extensions

PLAYBOOK = "tests/integration/playbooks/baseline.yml"
REGIONS = ("us-east-1", "us-east-2", "eu-west-1")
ENV = "dev"
ACCOUNT = "123456789012"
# Emulator extensions the removal path needs (moto gaps: conditional bucket policies deny every
# object request; key-state operations reject key ARNs).
REMOVAL_EXTENSIONS = {"s3_policy_conditions", "kms_key_arns"}


RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:[a-z]+=\d+\s*)+)$", re.MULTILINE)


def recap(run) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host; strict about the line format so that summaries printed
    after the recap by other callbacks are ignored."""
    text = run.stdout.split("PLAY RECAP", 1)[-1]
    return {
        host: {k: int(v) for k, v in (item.split("=") for item in counters.split())}
        for host, counters in RECAP_LINE.findall(text)
    }


def changed(run) -> int:
    return sum(counters.get("changed", 0) for counters in recap(run).values())


def actions(statement):
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else value


def assert_key(aws, region, facts):
    kms = aws("kms", region)
    alias = f"alias/tap-{ENV}-{region}"
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert key["Arn"] == facts["baseline_kms_key_arn"]
    assert key["KeyId"] == facts["baseline_kms_key_id"]
    assert key["KeyState"] == "Enabled"
    assert key["KeyManager"] == "CUSTOMER"
    assert ENV in key["Description"] and region in key["Description"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [alias]

    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert not [a for a in actions(statement) if "*" in a], statement
    root = f"arn:aws:iam::{ACCOUNT}:root"
    admin = statements["EnableAccountAdministration"]
    assert admin["Principal"] == {"AWS": root}
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"} <= set(admin["Action"])
    assert "kms:CreateGrant" not in admin["Action"]  # grants only for AWS resources, below
    assert statements["EnableAccountUseThroughIam"]["Principal"] == {"AWS": root}
    logs = statements["AllowCloudWatchLogsEncryption"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:*"}
    }
    grants = statements["AllowGrantsForAwsResources"]
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert f"rds.{region}.amazonaws.com" in grants["Condition"]["StringEquals"]["kms:ViaService"]
    publishers = statements["AllowServicesToPublishToEncryptedTopicsAndQueues"]
    assert "sns.amazonaws.com" in publishers["Principal"]["Service"]
    assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    assert tags["Environment"] == ENV and tags["Region"] == region and tags["CostCenter"]


def assert_buckets(aws, region, facts):
    s3 = aws("s3", region)
    data, logs = f"tap-data-{ENV}-{region}", f"tap-logs-{ENV}-{region}"
    assert facts["baseline_bucket_name"] == data
    assert facts["baseline_bucket_arn"] == f"arn:aws:s3:::{data}"
    assert facts["baseline_log_bucket_name"] == logs

    rule = s3.get_bucket_encryption(Bucket=data)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": facts["baseline_kms_key_arn"],
        },
        "BucketKeyEnabled": True,
    }
    for bucket in (data, logs):
        assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        tls = [s for s in policy["Statement"] if s.get("Sid") == "DenyInsecureTransport"]
        assert tls and tls[0]["Effect"] == "Deny"
        assert tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert set(tls[0]["Resource"]) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tags["Environment"] == ENV and tags["Region"] == region
        assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] in (region, None)

    assert s3.get_bucket_versioning(Bucket=data)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=data)["Rules"]
    assert rules == [
        {
            "ID": "expire-old-objects",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": 90},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
    assert s3.get_bucket_logging(Bucket=data)["LoggingEnabled"] == {"TargetBucket": logs, "TargetPrefix": f"{data}/"}

    log_rule = s3.get_bucket_encryption(Bucket=logs)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert log_rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert [r["Expiration"] for r in s3.get_bucket_lifecycle_configuration(Bucket=logs)["Rules"]] == [{"Days": 90}]
    log_policy = json.loads(s3.get_bucket_policy(Bucket=logs)["Policy"])
    delivery = [s for s in log_policy["Statement"] if s.get("Sid") == "AllowServerAccessLogDelivery"][0]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{data}"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


@pytest.mark.slow
def test_baseline_role_in_every_region(run_playbook, aws, tmp_path):
    first = run_playbook(PLAYBOOK, "inventories/local", "-e", f"baseline_facts_dir={tmp_path}")
    assert first.rc == 0, first.output
    assert set(recap(first)) == set(REGIONS)
    # The account is looked up once for the whole play, not once per region.
    assert first.output.count("Look up the AWS account once") == 1

    for region in REGIONS:
        facts = json.loads((tmp_path / f"{region}.json").read_text())
        assert facts["tap_account_id"] == ACCOUNT
        assert facts["tap_aws_partition"] == "aws"
        assert_key(aws, region, facts)
        assert_buckets(aws, region, facts)

    second = run_playbook(PLAYBOOK, "inventories/local")
    assert second.rc == 0, second.output
    assert changed(second) == 0, second.output


@pytest.mark.slow
def test_baseline_removal_and_recovery(run_playbook, aws, tmp_path):
    missing = REMOVAL_EXTENSIONS - set(extensions.EXTENSIONS)
    if missing:
        pytest.skip(f"emulator extensions not registered in emulator/extensions.py: {', '.join(sorted(missing))}")
    region = "ap-southeast-2"  # a region of its own: removal must not disturb the other tests
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "group_vars").symlink_to(Path(__file__).resolve().parents[2] / "group_vars")
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    dev:\n      children:\n        regions:\n          hosts:\n"
        f"            {region}: {{vpc_cidr: 10.9.0.0/16}}\n"
        "        controller:\n          hosts:\n            localhost:\n"
        f"    primary:\n      hosts:\n        {region}:\n"
        "    emulator:\n      children:\n        dev:\n"
    )
    hosts = str(inventory / "hosts.yml")
    assert run_playbook(PLAYBOOK, hosts).rc == 0
    s3, kms = aws("s3", region), aws("kms", region)
    data = f"tap-data-{ENV}-{region}"
    s3.put_object(Bucket=data, Key="a.txt", Body=b"one")
    s3.put_object(Bucket=data, Key="a.txt", Body=b"two")
    key_id = kms.describe_key(KeyId=f"alias/tap-{ENV}-{region}")["KeyMetadata"]["KeyId"]

    removed = run_playbook(PLAYBOOK, hosts, "-e", "baseline_state=absent")
    assert removed.rc == 0, removed.output
    assert changed(removed) == 3
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert data not in buckets and f"tap-logs-{ENV}-{region}" not in buckets
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    window = key["DeletionDate"] - datetime.now(UTC)
    assert timedelta(days=9) < window <= timedelta(days=10)  # dev: baseline_kms_deletion_window_days 10
    assert changed(run_playbook(PLAYBOOK, hosts, "-e", "baseline_state=absent")) == 0

    # present again finds the same key by its alias and cancels the deletion.
    restored = run_playbook(PLAYBOOK, hosts)
    assert restored.rc == 0, restored.output
    assert kms.describe_key(KeyId=f"alias/tap-{ENV}-{region}")["KeyMetadata"]["KeyId"] == key_id
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

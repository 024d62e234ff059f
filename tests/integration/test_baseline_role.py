"""The baseline role in every region of the local inventory, through a real playbook run."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest

from emulator import extensions
from integration.helpers import REPO_ROOT, make_inventory
from integration.helpers import data_bucket, log_bucket

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
    data, logs = data_bucket(ENV, region), log_bucket(ENV, region)
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
    # The log bucket is versioned, with a lifecycle of its own (noncurrent versions, incomplete uploads).
    assert s3.get_bucket_versioning(Bucket=logs)["Status"] == "Enabled"
    assert s3.get_bucket_lifecycle_configuration(Bucket=logs)["Rules"] == [
        {
            "ID": "expire-access-logs",
            "Status": "Enabled",
            # Only the access logs expire: the deployment records (deployments/<env>/) are kept.
            "Filter": {"Prefix": f"{data}/"},
            "Expiration": {"Days": 90},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }
    ]
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
    # The account is looked up once for the whole play, not once per region (one STS task, run once).
    assert first.output.count("TASK [tap.multiregion.settings : Look up the AWS account and partition once") == 1

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
    data = data_bucket(ENV, region)
    s3.put_object(Bucket=data, Key="a.txt", Body=b"one")
    s3.put_object(Bucket=data, Key="a.txt", Body=b"two")
    key_id = kms.describe_key(KeyId=f"alias/tap-{ENV}-{region}")["KeyMetadata"]["KeyId"]

    removed = run_playbook(PLAYBOOK, hosts, "-e", "baseline_state=absent")
    assert removed.rc == 0, removed.output
    assert changed(removed) == 3
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert data not in buckets and log_bucket(ENV, region) not in buckets
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


# Two regions no other test uses (test_plan plans prod elsewhere and must find nothing there), in an
# inventory of the prod environment (its settings turn replication on): each data bucket replicates to
# the other region's.
PROD_REGIONS = {"ap-southeast-3": "10.20.0.0/16", "me-central-1": "10.21.0.0/16"}


def assert_replication(aws, region, partner):
    s3, iam = aws("s3", region), aws("iam")
    key_arn = aws("kms", region).describe_key(KeyId=f"alias/tap-prod-{region}")["KeyMetadata"]["Arn"]
    partner_key = aws("kms", partner).describe_key(KeyId=f"alias/tap-prod-{partner}")["KeyMetadata"]["Arn"]
    bucket, destination = data_bucket("prod", region), data_bucket("prod", partner)
    role_name = f"tap-s3-replication-prod-{region}"

    config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    assert config["Rules"] == [
        {
            "ID": "replicate-to-partner-region",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{destination}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": partner_key},
            },
        }
    ]

    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = trust if isinstance(trust, dict) else json.loads(trust)
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
            },
        }
    ]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["replicate-data-bucket"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    document = iam.get_role_policy(RoleName=role_name, PolicyName="replicate-data-bucket")["PolicyDocument"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    for statement in statements.values():
        assert statement["Effect"] == "Allow" and not [a for a in actions(statement) if "*" in a], statement
    assert statements["ReadObjectVersionsToReplicate"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert statements["WriteReplicasToPartnerBucket"]["Resource"] == f"arn:aws:s3:::{destination}/*"
    assert "s3:ReplicateDelete" not in actions(statements["WriteReplicasToPartnerBucket"])
    assert (actions(statements["DecryptWithThisRegionsKey"]), statements["DecryptWithThisRegionsKey"]["Resource"]) == (
        ["kms:Decrypt"], key_arn)
    encrypt = statements["EncryptWithPartnerRegionsKey"]
    assert (actions(encrypt), encrypt["Resource"]) == (["kms:Encrypt"], partner_key)
    assert encrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{partner}.amazonaws.com"}


@pytest.mark.slow
def test_prod_data_buckets_replicate_to_the_partner_region(run_playbook, aws, tmp_path):
    inventory = make_inventory(tmp_path / "prod", "prod", PROD_REGIONS)
    playbook = tmp_path / "baseline_and_replication.yml"
    playbook.write_text(
        f"- ansible.builtin.import_playbook: {REPO_ROOT / PLAYBOOK}\n"
        f"- ansible.builtin.import_playbook: {REPO_ROOT / 'playbooks' / 'replication.yml'}\n"
    )
    hosts = str(inventory / "hosts.yml")
    first = run_playbook(str(playbook), hosts)
    assert first.rc == 0, first.output[-6000:]
    # Both regions' buckets exist before either rule is written (S3 wants the destination versioned).
    assert first.output.index("Replicate data bucket") > first.output.rindex("Ensure data bucket")
    assert_replication(aws, "ap-southeast-3", "me-central-1")
    assert_replication(aws, "me-central-1", "ap-southeast-3")

    again = run_playbook(str(playbook), hosts)
    assert again.rc == 0 and changed(again) == 0, again.output[-6000:]

    removed = run_playbook(PLAYBOOK, hosts, "-e", "baseline_state=absent")
    assert removed.rc == 0, removed.output[-6000:]
    roles = {r["RoleName"] for r in aws("iam").list_roles()["Roles"]}
    assert not roles & {f"tap-s3-replication-prod-{region}" for region in PROD_REGIONS}
    for region in PROD_REGIONS:
        assert data_bucket("prod", region) not in {b["Name"] for b in aws("s3", region).list_buckets()["Buckets"]}

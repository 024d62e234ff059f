"""s3_secure_bucket against the emulator: one invocation configures a whole bucket, re-runs are no-ops."""

from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import s3_bucket as cfg
from ansible_collections.tap.multiregion.plugins.modules import s3_secure_bucket
from emulator import control
from lambda_api_support import CallRecorder

# A region no other test module uses, so these buckets never meet the role's.
REGION = "us-west-2"
ACCOUNT = "123456789012"

LIFECYCLE = [
    {
        "id": "expire-old-objects",
        "expiration_days": 90,
        "noncurrent_version_expiration_days": 30,
        "abort_incomplete_multipart_upload_days": 7,
    }
]
EXPECTED_RULES = [
    {
        "ID": "expire-old-objects",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"Days": 90},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    }
]


def names(request):
    short = request.node.name.replace("test_", "").replace("_", "-")[:40].strip("-[]")
    return f"tap-d-{short}", f"tap-l-{short}"


def log_bucket_args(log_bucket, data_bucket):
    return {
        "name": log_bucket,
        "sse_algorithm": "AES256",
        "versioning": False,
        "policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{log_bucket}/{data_bucket}/*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{data_bucket}"},
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    },
                }
            ],
        },
        "lifecycle_rules": [{"id": "expire-access-logs", "expiration_days": 90}],
        "tags": {"Environment": "test", "Purpose": "access-logs"},
    }


def data_bucket_args(data_bucket, log_bucket, key_arn):
    return {
        "name": data_bucket,
        "kms_key_id": key_arn,
        "lifecycle_rules": LIFECYCLE,
        "access_logging": {"target_bucket": log_bucket, "target_prefix": f"{data_bucket}/"},
        "tags": {"Environment": "test", "Region": REGION},
    }


@pytest.fixture
def stack(request, aws, run_module):
    """A KMS key and an access-log bucket; returns (data_bucket, log_bucket, key_arn, data_args)."""
    data_bucket, log_bucket = names(request)
    key_arn = aws("kms", REGION).create_key(Description=f"test key {data_bucket}")["KeyMetadata"]["Arn"]
    result = run_module(s3_secure_bucket.main, log_bucket_args(log_bucket, data_bucket), region=REGION)
    assert result.get("failed") is not True, result
    return data_bucket, log_bucket, key_arn, data_bucket_args(data_bucket, log_bucket, key_arn)


def assert_secure(s3, bucket, key_arn, log_bucket):
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
            "BucketKeyEnabled": True,
        }
    ]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert cfg.normalize_lifecycle_rules(rules) == EXPECTED_RULES
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {
        "TargetBucket": log_bucket,
        "TargetPrefix": f"{bucket}/",
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_creates_secure_bucket_and_rerun_is_a_noop(stack, aws, run_module):
    data_bucket, log_bucket, key_arn, args = stack
    s3 = aws("s3", REGION)

    created = run_module(s3_secure_bucket.main, args, region=REGION)
    assert created.get("failed") is not True, created
    assert created["changed"] is True
    assert created["bucket"]["arn"] == f"arn:aws:s3:::{data_bucket}"
    assert_secure(s3, data_bucket, key_arn, log_bucket)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=data_bucket)["TagSet"]}
    assert tags == {"Environment": "test", "Region": REGION}
    assert s3.get_bucket_location(Bucket=data_bucket)["LocationConstraint"] == REGION

    # The log bucket: SSE-S3 (server access logging cannot write to SSE-KMS), locked down, 90-day expiry.
    log_sse = s3.get_bucket_encryption(Bucket=log_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert log_sse["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert all(s3.get_public_access_block(Bucket=log_bucket)["PublicAccessBlockConfiguration"].values())
    log_policy = json.loads(s3.get_bucket_policy(Bucket=log_bucket)["Policy"])
    assert [s["Sid"] for s in log_policy["Statement"]] == ["AllowServerAccessLogDelivery", "DenyInsecureTransport"]
    log_rules = s3.get_bucket_lifecycle_configuration(Bucket=log_bucket)["Rules"]
    assert [r["Expiration"] for r in log_rules] == [{"Days": 90}]

    again = run_module(s3_secure_bucket.main, args, region=REGION, diff=True)
    assert again.get("failed") is not True, again
    assert again["changed"] is False
    assert again["changes"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["bucket"]["lifecycle_rules"] == [
        {
            "id": "expire-old-objects",
            "status": "Enabled",
            "prefix": "",
            "expiration_days": 90,
            "noncurrent_version_expiration_days": 30,
            "abort_incomplete_multipart_upload_days": 7,
        }
    ]
    assert again["bucket"]["encryption"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": key_arn,
        "bucket_key_enabled": True,
    }
    log_again = run_module(s3_secure_bucket.main, log_bucket_args(log_bucket, data_bucket), region=REGION)
    assert log_again["changed"] is False, log_again


def test_rerun_makes_no_write_call(stack, run_module, monkeypatch):
    args = stack[3]
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True

    operations = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        operations.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    result = run_module(s3_secure_bucket.main, args, region=REGION)
    assert result["changed"] is False
    writes = [op for op in operations if not op.startswith(("Get", "Head", "List"))]
    assert writes == []
    # head + one read per managed setting
    assert len(operations) == 9, operations


def test_check_mode_creates_nothing(stack, aws, run_module):
    data_bucket, args = stack[0], stack[3]
    result = run_module(s3_secure_bucket.main, args, region=REGION, check_mode=True, diff=True)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["changes"][0] == f"create bucket {data_bucket} ({REGION})"
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["public_access_block"]["BlockPublicAcls"] is True
    with pytest.raises(ClientError) as err:
        aws("s3", REGION).head_bucket(Bucket=data_bucket)
    assert err.value.response["Error"]["Code"] == "404"


def test_drift_is_reported_in_diff_and_repaired(stack, aws, run_module):
    data_bucket, log_bucket, key_arn, args = stack
    s3 = aws("s3", REGION)
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    # Owned by another role: must survive every run of this module.
    sqs = aws("sqs", REGION)
    queue_url = sqs.create_queue(QueueName=data_bucket)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    notification = {
        "QueueConfigurations": [{"Id": "other-role", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
    }
    s3.put_bucket_notification_configuration(Bucket=data_bucket, NotificationConfiguration=notification)

    # Someone turns the public access block off and drops the lifecycle rule behind our back.
    s3.put_public_access_block(
        Bucket=data_bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.delete_bucket_lifecycle(Bucket=data_bucket)

    checked = run_module(s3_secure_bucket.main, args, region=REGION, check_mode=True, diff=True)
    assert checked["changed"] is True
    expected = [
        f"bucket {data_bucket}: public access block nothing blocked -> all blocked",
        f"bucket {data_bucket}: lifecycle rules none -> expire-old-objects: 90 d, noncurrent 30 d, uploads 7 d",
    ]
    assert checked["changes"] == expected
    assert not any(s3.get_public_access_block(Bucket=data_bucket)["PublicAccessBlockConfiguration"].values())

    repaired = run_module(s3_secure_bucket.main, args, region=REGION, diff=True)
    assert repaired.get("failed") is not True, repaired
    assert repaired["changed"] is True
    assert repaired["changes"] == expected
    assert repaired["diff"]["before"]["public_access_block"]["BlockPublicAcls"] is False
    assert repaired["diff"]["after"]["public_access_block"]["BlockPublicAcls"] is True
    assert repaired["diff"]["before"]["lifecycle_rules"] == []
    assert_secure(s3, data_bucket, key_arn, log_bucket)
    kept = s3.get_bucket_notification_configuration(Bucket=data_bucket)
    assert kept["QueueConfigurations"] == notification["QueueConfigurations"]

    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is False


def test_changed_key_and_tags_are_updated(stack, aws, run_module):
    data_bucket, args = stack[0], stack[3]
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    new_key = aws("kms", REGION).create_key()["KeyMetadata"]["Arn"]
    result = run_module(
        s3_secure_bucket.main, dict(args, kms_key_id=new_key, tags={"Environment": "test"}), region=REGION
    )
    old_id, new_id = stack[2].split("/")[-1], new_key.split("/")[-1]
    assert result["changes"] == [
        f"bucket {data_bucket}: default encryption aws:kms {old_id} + bucket key -> aws:kms {new_id} + bucket key",
        f"bucket {data_bucket}: remove tags Region",
    ]
    s3 = aws("s3", REGION)
    rule = s3.get_bucket_encryption(Bucket=data_bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == new_key
    assert s3.get_bucket_tagging(Bucket=data_bucket)["TagSet"] == [{"Key": "Environment", "Value": "test"}]


def test_absent_deletes_every_object_version(stack, aws, run_module):
    data_bucket, args = stack[0], stack[3]
    s3 = aws("s3", REGION)
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    # The emulator speaks plain HTTP and moto treats a statement whose condition it cannot evaluate as a
    # deny, so object writes need the TLS-only policy out of the way (see emulator/s3_policy_conditions.py).
    s3.delete_bucket_policy(Bucket=data_bucket)
    s3.put_object(Bucket=data_bucket, Key="a.txt", Body=b"one")
    s3.put_object(Bucket=data_bucket, Key="a.txt", Body=b"two")
    s3.put_object(Bucket=data_bucket, Key="b/c.txt", Body=b"three")
    s3.delete_object(Bucket=data_bucket, Key="b/c.txt")  # leaves a delete marker

    checked = run_module(
        s3_secure_bucket.main, {"name": data_bucket, "state": "absent"}, region=REGION, check_mode=True
    )
    assert checked["changed"] is True
    assert s3.head_bucket(Bucket=data_bucket)

    result = run_module(s3_secure_bucket.main, {"name": data_bucket, "state": "absent"}, region=REGION)
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["deleted_objects"] == 4
    assert result["changes"] == [f"bucket {data_bucket}: delete 4 object versions", f"delete bucket {data_bucket}"]
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=data_bucket)

    again = run_module(s3_secure_bucket.main, {"name": data_bucket, "state": "absent"}, region=REGION)
    assert again["changed"] is False


def test_throttling_is_retried_once(stack, aws, run_module, monkeypatch):
    data_bucket, args = stack[0], stack[3]
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    aws("s3", REGION).put_bucket_versioning(Bucket=data_bucket, VersioningConfiguration={"Status": "Suspended"})

    calls = []
    original = botocore.client.BaseClient._make_api_call

    def throttle_once(self, operation_name, api_params):
        if operation_name == "PutBucketVersioning":
            calls.append(operation_name)
            if len(calls) == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_once)
    # No real back-off sleep in tests.
    from ansible_collections.amazon.aws.plugins.module_utils import cloud

    monkeypatch.setattr(cloud.time, "sleep", lambda _seconds: None)

    result = run_module(s3_secure_bucket.main, args, region=REGION)
    assert result.get("failed") is not True, result
    assert result["changes"] == [f"bucket {data_bucket}: versioning Suspended -> Enabled"]
    assert calls == ["PutBucketVersioning", "PutBucketVersioning"]
    assert aws("s3", REGION).get_bucket_versioning(Bucket=data_bucket)["Status"] == "Enabled"


def test_bucket_in_another_region_is_refused(stack, run_module):
    log_bucket = stack[1]
    result = run_module(s3_secure_bucket.main, {"name": log_bucket, "sse_algorithm": "AES256"}, region="eu-central-1")
    assert result["failed"] is True
    assert REGION in result["msg"] and "eu-central-1" in result["msg"]


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"lifecycle_rules": [{"id": "nothing"}]}, "has no action"),
        ({"access_logging": {"target_bucket": "tap-bad-args"}}, "must not log to itself"),
        ({"name": "Not_A_Bucket"}, "name:"),
    ],
)
def test_invalid_arguments_fail_before_any_call(run_module, extra, message):
    result = run_module(s3_secure_bucket.main, dict({"name": "tap-bad-args"}, **extra), region=REGION)
    assert result["failed"] is True
    assert message in result["msg"]


def test_lifecycle_normalization_accepts_legacy_and_empty_filters():
    legacy = {
        "ID": "x",
        "Prefix": "",
        "Status": "Enabled",
        "Expiration": {"Days": 3, "ExpiredObjectDeleteMarker": False},
    }
    empty = {"ID": "x", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 3}}
    expected = [{"ID": "x", "Status": "Enabled", "Expiration": {"Days": 3}, "Filter": {"Prefix": ""}}]
    assert cfg.normalize_lifecycle_rules([legacy]) == expected
    assert cfg.normalize_lifecycle_rules([empty]) == expected


def test_encryption_key_arn_and_id_compare_equal():
    arn = "arn:aws:kms:us-east-1:123456789012:key/abcd-1234"
    have = cfg.normalize_encryption(
        {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "abcd-1234"},
                    "BucketKeyEnabled": True,
                }
            ]
        }
    )
    assert cfg.encryption_equal(have, cfg.desired_encryption("aws:kms", arn, True))
    assert not cfg.encryption_equal(have, cfg.desired_encryption("aws:kms", arn, False))
    assert not cfg.encryption_equal({}, cfg.desired_encryption("AES256", None, True))


# --------------------------------------------------------------------------- drift, ownership, teardown


def test_drift_in_check_mode_names_the_attribute_and_writes_nothing(stack, aws, run_module, emulator_url):
    data_bucket, args = stack[0], stack[3]
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    aws("s3", REGION).put_bucket_versioning(Bucket=data_bucket, VersioningConfiguration={"Status": "Suspended"})

    mark = control.last_call_seq(emulator_url)
    checked = run_module(s3_secure_bucket.main, args, region=REGION, check_mode=True, diff=True)
    assert checked["changes"] == [f"bucket {data_bucket}: versioning Suspended -> Enabled"]
    assert checked["diff"]["before"]["versioning"] == "Suspended"
    assert checked["diff"]["after"]["versioning"] == "Enabled"
    assert control.write_calls(emulator_url, mark) == []


class ForeignBucket:
    """HeadBucket of one bucket name answers 403, as S3 does for a bucket another account owns."""

    def __init__(self, monkeypatch, name):
        self.name = name
        self.calls: list[str] = []
        original = botocore.client.BaseClient._make_api_call

        def call(client, operation_name, api_params):
            if api_params.get("Bucket") == name:
                self.calls.append(operation_name)
                if operation_name == "HeadBucket":
                    raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, operation_name)
            return original(client, operation_name, api_params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_name_owned_by_another_account_fails_and_touches_nothing(stack, run_module, monkeypatch, state):
    data_bucket, args = stack[0], stack[3]
    foreign = ForeignBucket(monkeypatch, data_bucket)
    result = run_module(s3_secure_bucket.main, dict(args, state=state), region=REGION)
    assert result["failed"] is True
    assert data_bucket in result["msg"] and "another AWS account" in result["msg"]
    assert "choose other bucket names" in result["msg"].lower()
    assert ("refusing to empty or delete it" in result["msg"]) is (state == "absent")
    assert foreign.calls == ["HeadBucket"]
    assert result.get("changes", []) == []


def test_late_log_objects_are_deleted_before_the_bucket_is(stack, aws, run_module, monkeypatch):
    """Server access logs arrive late: DeleteBucket answers BucketNotEmpty, the module empties again."""
    data_bucket, args = stack[0], stack[3]
    s3 = aws("s3", REGION)
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    s3.delete_bucket_policy(Bucket=data_bucket)  # see test_absent_deletes_every_object_version
    s3.put_object(Bucket=data_bucket, Key="data.txt", Body=b"data")

    original = botocore.client.BaseClient._make_api_call
    attempts: list[str] = []

    def log_object_arrives(client, operation_name, api_params):
        if operation_name == "DeleteBucket" and api_params.get("Bucket") == data_bucket:
            attempts.append(operation_name)
            if len(attempts) == 1:  # a log object lands between the emptying and the delete
                original(client, "PutObject", {"Bucket": data_bucket, "Key": "logs/late.log", "Body": b"late"})
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", log_object_arrives)
    from ansible_collections.tap.multiregion.plugins.module_utils import base

    monkeypatch.setattr(base.time, "sleep", lambda _seconds: None)
    result = run_module(s3_secure_bucket.main, {"name": data_bucket, "state": "absent"}, region=REGION)
    assert result.get("failed") is not True, result
    assert attempts == ["DeleteBucket", "DeleteBucket"]
    assert result["deleted_objects"] == 2
    # In the order they were made: the first DeleteBucket found the late object.
    assert result["changes"] == [
        f"bucket {data_bucket}: delete 1 object versions",
        f"delete bucket {data_bucket}",
        f"bucket {data_bucket}: delete 1 late object versions",
    ]
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=data_bucket)


# --------------------------------------------------------------------------- replication

PARTNER = "eu-central-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/tap-s3-replication-test"


def replication_args(source, destination, key_arn):
    return {
        "name": source,
        "settings": ["replication"],
        "replication": {
            "role_arn": ROLE_ARN,
            "destination_bucket_arn": f"arn:aws:s3:::{destination}",
            "destination_kms_key_arn": key_arn,
        },
    }


@pytest.fixture
def partner(request, aws, run_module):
    """A versioned SSE-KMS bucket in another region: (name, key ARN)."""
    name = names(request)[0].replace("tap-d-", "tap-p-")
    key_arn = aws("kms", PARTNER).create_key(Description=f"partner {name}")["KeyMetadata"]["Arn"]
    result = run_module(s3_secure_bucket.main, {"name": name, "kms_key_id": key_arn}, region=PARTNER)
    assert result.get("failed") is not True, result
    return name, key_arn


def test_replication_added_later(stack, partner, aws, run_module, monkeypatch):
    data_bucket, args = stack[0], stack[3]
    destination, key_arn = partner
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True

    result = run_module(s3_secure_bucket.main, replication_args(data_bucket, destination, key_arn), region=REGION)
    assert result.get("failed") is not True, result
    assert result["changes"] == [
        f"bucket {data_bucket}: replication none -> to {destination} (key {key_arn.split('/')[-1].split('-')[0]})"
    ]
    config = aws("s3", REGION).get_bucket_replication(Bucket=data_bucket)["ReplicationConfiguration"]
    assert config["Role"] == ROLE_ARN
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
                "EncryptionConfiguration": {"ReplicaKmsKeyID": key_arn},
            },
        }
    ]
    assert set(result["bucket"]) == {"name", "arn", "region", "replication"}

    recorder = CallRecorder().install(monkeypatch)
    again = run_module(s3_secure_bucket.main, replication_args(data_bucket, destination, key_arn), region=REGION)
    assert again["changed"] is False, again["changes"]
    assert sorted(op for _service, op in recorder.calls) == ["GetBucketReplication", "HeadBucket"]
    # The other settings stay as the full run made them.
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is False


def test_replication_needs_a_versioned_destination_that_exists(stack, aws, run_module, monkeypatch):
    data_bucket, args = stack[0], stack[3]
    assert run_module(s3_secure_bucket.main, args, region=REGION)["changed"] is True
    unversioned = data_bucket.replace("tap-d-", "tap-u-")
    aws("s3", PARTNER).create_bucket(Bucket=unversioned, CreateBucketConfiguration={"LocationConstraint": PARTNER})
    from ansible_collections.tap.multiregion.plugins.module_utils import base

    monkeypatch.setattr(base.time, "sleep", lambda _seconds: None)
    monkeypatch.setattr(s3_secure_bucket.DESTINATION_VERSIONING, "seconds", 0)

    result = run_module(s3_secure_bucket.main, replication_args(data_bucket, unversioned, "k"), region=REGION)
    assert result["failed"] is True
    assert "Destination bucket must have versioning enabled" in result["msg"]
    assert f"bucket {data_bucket}: replication" in result["msg"]
    missing = run_module(s3_secure_bucket.main, replication_args(data_bucket, "tap-nowhere-x", "k"), region=REGION)
    assert missing["failed"] is True and "Destination bucket must exist" in missing["msg"]
    with pytest.raises(ClientError, match="ReplicationConfigurationNotFoundError"):
        aws("s3", REGION).get_bucket_replication(Bucket=data_bucket)


def test_settings_of_a_missing_bucket_are_planned_in_check_mode_and_refused_for_real(request, run_module):
    source = names(request)[0]
    args = replication_args(source, "tap-partner-x", "k")
    planned = run_module(s3_secure_bucket.main, args, region=REGION, check_mode=True)
    assert planned.get("failed") is not True, planned
    assert planned["changes"] == [f"bucket {source}: replication none -> to tap-partner-x (key k)"]
    refused = run_module(s3_secure_bucket.main, args, region=REGION)
    assert refused["failed"] is True and "does not exist" in refused["msg"] and source in refused["msg"]


@pytest.mark.parametrize(
    "replication, message",
    [
        ({"destination_bucket_arn": "tap-no-arn"}, "replication.destination_bucket_arn"),
        ({"destination_bucket_arn": "arn:aws:s3:::tap-bad-args"}, "must not replicate to itself"),
    ],
)
def test_invalid_replication_fails_before_any_call(run_module, replication, message, monkeypatch):
    recorder = CallRecorder().install(monkeypatch)
    option = dict({"role_arn": ROLE_ARN, "destination_kms_key_arn": "k"}, **replication)
    result = run_module(s3_secure_bucket.main, {"name": "tap-bad-args", "replication": option}, region=REGION)
    assert result["failed"] is True and message in result["msg"]
    assert recorder.calls == []
    option = dict(option, destination_bucket_arn="arn:aws:s3:::x")
    unversioned = run_module(
        s3_secure_bucket.main, {"name": "tap-bad-args", "versioning": False, "replication": option}, region=REGION
    )
    assert unversioned["failed"] is True and "versioning" in unversioned["msg"]


def test_replication_and_sentences_pure_logic():
    option = {"role_arn": "r", "destination_bucket_arn": "arn:aws:s3:::dst", "rule_id": "id", "priority": 1}
    desired = cfg.desired_replication(dict(option, destination_kms_key_arn="arn:aws:kms:x:1:key/k", prefix=""))
    request = cfg.replication_request(desired)
    assert cfg.normalize_replication(request) == desired
    assert cfg.normalize_replication(None) == {} and cfg.desired_replication({"enabled": False}) == {}
    other = dict(request, Rules=request["Rules"] + [dict(request["Rules"][0], ID="second")])
    assert cfg.normalize_replication(other) != desired
    assert cfg.summary("replication", cfg.normalize_replication(other)) == "2 rules"
    disabled = dict(request, Rules=[dict(request["Rules"][0], Status="Disabled")])
    assert cfg.normalize_replication(disabled) != desired
    assert cfg.summary("replication", desired) == "to dst (key k)"
    assert cfg.summary("replication", dict(desired, delete_markers=True)) == "with delete markers to dst (key k)"
    uuid_key = "arn:aws:kms:x:1:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert cfg.summary("replication", dict(desired, destination_kms_key_arn=uuid_key)) == "to dst (key 1234abcd)"
    assert cfg.bucket_of_arn("arn:aws:s3:::dst") == "dst" and cfg.bucket_of_arn("arn:aws:sqs:r:1:q") is None
    assert cfg.summary("public_access_block", cfg.desired_public_access_block(True)) == "all blocked"
    assert cfg.summary("public_access_block", dict(cfg.desired_public_access_block(False), BlockPublicAcls=True)) == (
        "blocks BlockPublicAcls"
    )
    assert cfg.summary("encryption", cfg.desired_encryption("AES256", None, True)) == "AES256"
    assert cfg.summary("access_logging", {}) == "off" and cfg.summary("versioning", None) == "none"
    message = cfg.foreign_owner_message("tap-x", "absent")
    assert "tap-x" in message and "403" in message and "refusing to empty or delete it" in message

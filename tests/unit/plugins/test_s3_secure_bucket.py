"""s3_secure_bucket against the emulator: one invocation configures a whole bucket, re-runs are no-ops."""

from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import s3_bucket as cfg
from ansible_collections.tap.multiregion.plugins.modules import s3_secure_bucket

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
    short = request.node.name.replace("test_", "").replace("_", "-")[:40]
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
    assert again["changed_settings"] == []
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
    assert result["changed_settings"][0] == "bucket"
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
    assert checked["changed_settings"] == ["public_access_block", "lifecycle_rules"]
    assert not any(s3.get_public_access_block(Bucket=data_bucket)["PublicAccessBlockConfiguration"].values())

    repaired = run_module(s3_secure_bucket.main, args, region=REGION, diff=True)
    assert repaired.get("failed") is not True, repaired
    assert repaired["changed"] is True
    assert repaired["changed_settings"] == ["public_access_block", "lifecycle_rules"]
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
    assert result["changed_settings"] == ["encryption", "tags"]
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
    assert result["changed_settings"] == ["versioning"]
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

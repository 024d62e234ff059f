"""emulator.s3_access_log_delivery: access log objects arrive late, so an emptied log bucket refills.

The delay is read when the target bucket is next called: a huge delay holds the objects back, a
delay of 0 lets them arrive, so nothing here waits.
"""

from __future__ import annotations

import json
import uuid

import botocore.exceptions
import pytest

HOLD = {"s3.access_log.delay": 1e9}
ARRIVE = {"s3.access_log.delay": 0}


def logged_buckets(s3) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    source, target = f"source-{suffix}", f"logs-{suffix}"
    s3.create_bucket(Bucket=target)
    s3.create_bucket(Bucket=source)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": ["s3:PutObject"], "Resource": f"arn:aws:s3:::{target}/*",
        }],
    }  # fmt: skip
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps(policy))
    s3.put_bucket_logging(
        Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "access/"}}
    )
    return source, target


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_log_objects_arrive_late_and_make_the_emptied_target_not_empty(aws_profile):
    aws_profile.set(durations=HOLD)
    s3 = aws_profile.client("s3")
    source, target = logged_buckets(s3)
    s3.put_object(Bucket=source, Key="data.txt", Body=b"x")
    s3.get_object(Bucket=source, Key="data.txt")
    assert keys(s3, target) == []  # nothing has arrived yet: the target looks empty

    aws_profile.set(durations=ARRIVE)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.delete_bucket(Bucket=target)
    assert error.value.response["Error"]["Code"] == "BucketNotEmpty"
    assert error.value.response["Error"]["Message"] == "The bucket you tried to delete is not empty"
    arrived = keys(s3, target)
    assert arrived and all(k.startswith("access/") for k in arrived)
    line = s3.get_object(Bucket=target, Key=arrived[0])["Body"].read().decode()
    assert f" {source} [" in line


def test_nothing_is_scheduled_once_the_source_is_gone_but_scheduled_logs_still_arrive(aws_profile):
    aws_profile.set(durations=HOLD)
    s3 = aws_profile.client("s3")
    source, target = logged_buckets(s3)
    s3.delete_bucket(Bucket=source)  # this request is logged too
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_bucket(Bucket=source)  # the bucket is gone: nothing more is scheduled

    aws_profile.set(durations=ARRIVE)
    arrived = keys(s3, target)
    # The DeleteBucket request, scheduled while the source existed, arrives; the HeadBucket after it is not logged.
    assert len(arrived) == 1
    for key in arrived:
        s3.delete_object(Bucket=target, Key=key)
    s3.delete_bucket(Bucket=target)


def test_the_default_profile_writes_logs_at_once(aws):
    s3 = aws("s3")
    source, target = logged_buckets(s3)
    s3.put_object(Bucket=source, Key="data.txt", Body=b"x")
    assert keys(s3, target)  # moto's own, immediate log objects

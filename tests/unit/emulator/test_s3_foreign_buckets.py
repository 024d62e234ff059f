"""emulator.s3_foreign_buckets: names another account owns answer as AWS answers a stranger."""

from __future__ import annotations

import uuid

import botocore.exceptions
import pytest

MESSAGE = (
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
    "Please select a different name and try again."
)


def error_of(call, **kwargs) -> dict:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(**kwargs)
    return {"status": error.value.response["ResponseMetadata"]["HTTPStatusCode"], **error.value.response["Error"]}


def test_a_foreign_bucket_name_is_taken_and_closed(aws_profile):
    name = f"taken-{uuid.uuid4().hex[:8]}"
    aws_profile.set(account={"foreign_buckets": [name]})
    s3 = aws_profile.client("s3")

    assert error_of(s3.head_bucket, Bucket=name) == {"status": 403, "Code": "403", "Message": "Forbidden"}
    created = error_of(s3.create_bucket, Bucket=name)
    assert created["status"] == 409
    assert created["Code"] == "BucketAlreadyExists"
    assert created["Message"] == MESSAGE
    assert created["BucketName"] == name
    for call, kwargs in (
        (s3.list_objects_v2, {}),
        (s3.get_bucket_policy, {}),
        (s3.put_object, {"Key": "k", "Body": b"x"}),
        (s3.get_object, {"Key": "k"}),
        (s3.delete_bucket, {}),
    ):
        denied = error_of(call, Bucket=name, **kwargs)
        assert (denied["status"], denied["Code"], denied["Message"]) == (403, "AccessDenied", "Access Denied")

    free = f"free-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=free)  # other names are unaffected
    s3.head_bucket(Bucket=free)


def test_the_setting_applies_only_to_the_aws_profile(aws_profile, aws):
    name = f"taken-{uuid.uuid4().hex[:8]}"
    aws_profile.set(name="default", account={"foreign_buckets": [name]})
    s3 = aws_profile.client("s3")
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    aws("s3").create_bucket(Bucket=name)  # and the default emulator never heard of it

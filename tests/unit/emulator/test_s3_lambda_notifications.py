"""emulator.s3_lambda_notifications: S3 validates that it may invoke a notification's function, as AWS does."""

from __future__ import annotations

import botocore.exceptions
import pytest
from aws_profile_support import FOREVER, function_kwargs, make_role, unique

INSTANT = {"iam.role.propagation": 0, "lambda.function.create.no_vpc": 0, "lambda.permission.propagation": 0}


def setup(client):
    s3, lam = client("s3"), client("lambda")
    bucket = unique("tap-notified")
    s3.create_bucket(Bucket=bucket)
    name = unique("notified")
    arn = lam.create_function(**function_kwargs(name, make_role(client)))["FunctionArn"]
    configuration = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    return s3, lam, bucket, name, arn, configuration


def allow_s3(lam, name: str, bucket: str, sid: str = "s3") -> None:
    lam.add_permission(
        FunctionName=name, StatementId=sid, Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}", SourceAccount="123456789012",
    )  # fmt: skip


def refused(s3, bucket: str, configuration: dict, arn: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
    answer = error.value.response["Error"]
    assert (answer["Code"], answer["Message"]) == (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
    )
    assert answer["ArgumentName1"] == f"{arn}, null"
    assert answer["ArgumentValue1"] == f"Not authorized to invoke function [{arn}]"
    assert s3.get_bucket_notification_configuration(Bucket=bucket).get("LambdaFunctionConfigurations") is None


def test_s3_needs_a_propagated_permission_for_this_bucket(aws_profile):
    aws_profile.set(durations=dict(INSTANT, **{"lambda.permission.propagation": FOREVER}))
    s3, lam, bucket, name, arn, configuration = setup(aws_profile.client)
    refused(s3, bucket, configuration, arn)

    allow_s3(lam, name, unique("tap-another-bucket"), sid="other-bucket")
    allow_s3(lam, name, bucket)
    refused(s3, bucket, configuration, arn)  # the permission has not propagated yet

    aws_profile.set(durations=INSTANT)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
    found = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert [c["LambdaFunctionArn"] for c in found] == [arn]


def test_a_permission_for_another_bucket_does_not_validate(aws_profile):
    aws_profile.set(durations=INSTANT)
    s3, lam, bucket, name, arn, configuration = setup(aws_profile.client)
    allow_s3(lam, name, unique("tap-another-bucket"))
    refused(s3, bucket, configuration, arn)


def test_the_default_profile_stores_the_notification_at_once(aws):
    s3, _lam, bucket, _name, arn, configuration = setup(aws)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
    found = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert [c["LambdaFunctionArn"] for c in found] == [arn]

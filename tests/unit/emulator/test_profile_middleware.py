"""The emulator's behaviour profile and middleware: control API, call log, latency and faults."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest

from emulator import control, middleware, profile

NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1})


def test_the_default_profile_is_instant_and_changes_nothing():
    settings = profile.Settings()
    assert not settings.aws
    assert settings.latency_ms == 0 and settings.throttle_rate == 0 and settings.error_rate == 0


def test_durations_apply_only_under_the_aws_profile():
    try:
        profile.configure({"name": "default"})
        assert profile.duration("rds.cluster.create") == 0
        profile.configure({"name": "aws", "durations": {"rds.cluster.create": 42}})
        assert profile.duration("rds.cluster.create") == 42
        assert profile.duration("rds.instance.create") == profile.DEFAULT_DURATIONS["rds.instance.create"]
        assert profile.real_seconds(600) == 10  # time_scale 60: an AWS minute is a real second
        with pytest.raises(ValueError, match="unknown profile setting"):
            profile.configure({"name": "aws", "latency": 5})
    finally:
        profile.configure({"name": "default"})


def test_the_call_log_classifies_reads_and_writes(aws_profile):
    ec2 = aws_profile.client("ec2")
    ec2.describe_vpcs()
    ec2.create_vpc(CidrBlock="10.9.0.0/16")
    s3 = aws_profile.client("s3")
    s3.list_buckets()
    s3.create_bucket(Bucket="tap-profile-test")
    aws_profile.client("dynamodb", "eu-west-1").list_tables()
    seen = [(c["service"], c["region"], c["operation"], c["kind"]) for c in aws_profile.calls()]
    assert seen == [
        ("ec2", "us-east-1", "DescribeVpcs", "read"),
        ("ec2", "us-east-1", "CreateVpc", "write"),
        ("s3", "us-east-1", "GET service", "read"),
        ("s3", "us-east-1", "PUT bucket", "write"),
        ("dynamodb", "eu-west-1", "ListTables", "read"),
    ]
    assert [c["operation"] for c in aws_profile.write_calls()] == ["CreateVpc", "PUT bucket"]


@pytest.mark.parametrize(
    "service, call, code",
    [
        ("ec2", "describe_vpcs", "RequestLimitExceeded"),
        ("rds", "describe_db_clusters", "Throttling"),
        ("dynamodb", "list_tables", "ThrottlingException"),
        ("kms", "list_keys", "ThrottlingException"),
        ("s3", "list_buckets", "SlowDown"),
        ("lambda", "list_functions", "TooManyRequestsException"),
        # botocore calls CloudWatch in AWS JSON 1.0; its errors keep the query code (x-amzn-query-error).
        ("cloudwatch", "describe_alarms", "Throttling"),
    ],
)
def test_throttling_answers_in_the_services_own_protocol(aws_profile, service, call, code):
    aws_profile.set(throttle_rate=1.0)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        getattr(aws_profile.client(service, config=NO_RETRIES), call)()
    assert error.value.response["Error"]["Code"] == code
    assert aws_profile.calls()[-1]["fault"] == code


def test_server_errors_are_retried_by_botocore(aws_profile):
    aws_profile.set(error_rate=1.0)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        aws_profile.client("rds", config=NO_RETRIES).describe_db_clusters()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    aws_profile.set(error_rate=0.0)
    # Answered again (other tests' clusters may be listed: the aws-profile emulator is shared by the session).
    assert isinstance(aws_profile.client("rds", config=NO_RETRIES).describe_db_clusters()["DBClusters"], list)


def test_profile_changes_through_the_control_api(aws_profile):
    changed = aws_profile.set(latency_ms=1.0, seed=7)
    assert changed["name"] == "aws" and changed["latency_ms"] == 1.0 and changed["seed"] == 7
    assert control.get_profile(aws_profile.url)["latency_ms"] == 1.0


def test_identify_names_rest_operations():
    environ = {
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/lambda/aws4_request, x",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/2015-03-31/functions/data-processor-dev-eu-west-1/concurrency",
        "QUERY_STRING": "",
    }
    call = middleware.identify(environ, b"")
    assert call == {
        "service": "lambda",
        "region": "eu-west-1",
        "operation": "GET /2015-03-31/functions/{}/concurrency",
        "kind": "read",
    }
    assert middleware.identify({"REQUEST_METHOD": "GET", "PATH_INFO": "/moto-api/"}, b"") is None


def test_a_lost_answer_takes_effect_and_answers_a_server_error(aws_profile):
    aws_profile.set(account={"lost_answers": {"PUT object": 1}})
    s3 = aws_profile.client("s3", config=botocore.config.Config(retries={"total_max_attempts": 1}))
    s3.create_bucket(Bucket="tap-lost-answer")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_object(Bucket="tap-lost-answer", Key="k", Body=b"written")
    assert error.value.response["Error"]["Code"] == "InternalError"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert s3.get_object(Bucket="tap-lost-answer", Key="k")["Body"].read() == b"written"  # it took effect
    s3.put_object(Bucket="tap-lost-answer", Key="k2", Body=b"answered")  # only the first answer is lost
    puts = [c for c in aws_profile.calls() if c["operation"] == "PUT object"]
    assert [(c["status"], c.get("fault"), c.get("took_effect")) for c in puts] == [
        (500, "InternalError", True), (200, None, None)]

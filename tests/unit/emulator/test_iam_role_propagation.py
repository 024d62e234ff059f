"""emulator.iam_role_propagation: a role a service cannot assume yet, as Lambda, VPC flow logs and RDS see it."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest
from aws_profile_support import FOREVER, function_kwargs, make_role, unique

NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1})
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
MONITORING = "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING"


def error_of(call, **kwargs) -> dict:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]


def test_lambda_cannot_assume_a_role_before_it_propagates(aws_profile):
    aws_profile.set(durations={"iam.role.propagation": FOREVER, "lambda.function.create.no_vpc": 0})
    lam = aws_profile.client("lambda", config=NO_RETRIES)
    name = unique("young-role")
    young = make_role(aws_profile)
    assert error_of(lam.create_function, **function_kwargs(name, young)) == {
        "Code": "InvalidParameterValueException",
        "Message": CANNOT_ASSUME,
    }

    aws_profile.set(durations={"iam.role.propagation": 0, "lambda.function.create.no_vpc": 0})
    assert lam.create_function(**function_kwargs(name, young))["Role"] == young

    aws_profile.set(durations={"iam.role.propagation": FOREVER, "lambda.function.create.no_vpc": 0})
    newer = make_role(aws_profile)
    assert error_of(lam.update_function_configuration, FunctionName=name, Role=newer)["Message"] == CANNOT_ASSUME
    assert lam.get_function_configuration(FunctionName=name)["Role"] == young


def test_lambda_cannot_assume_a_role_that_trusts_another_service(aws_profile):
    aws_profile.set(durations={"iam.role.propagation": 0})
    lam = aws_profile.client("lambda", config=NO_RETRIES)
    ec2_role = make_role(aws_profile, "ec2.amazonaws.com")
    assert error_of(lam.create_function, **function_kwargs(unique("untrusted"), ec2_role))["Message"] == CANNOT_ASSUME


def flow_log_setup(aws_profile):
    ec2, logs = aws_profile.client("ec2"), aws_profile.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    group = unique("/tap/flow-logs")
    logs.create_log_group(logGroupName=group)
    return ec2, vpc, group


def test_a_flow_log_created_with_a_young_role_fails_delivery_for_good(aws_profile):
    aws_profile.set(durations={"iam.role.propagation": FOREVER})
    ec2, vpc, group = flow_log_setup(aws_profile)
    role = make_role(aws_profile, "vpc-flow-logs.amazonaws.com")
    created = ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogGroupName=group, DeliverLogsPermissionArn=role
    )
    assert created["Unsuccessful"] == [] and len(created["FlowLogIds"]) == 1

    aws_profile.set(durations={"iam.role.propagation": 0})
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=created["FlowLogIds"])["FlowLogs"]
    assert (flow_log["DeliverLogsStatus"], flow_log["DeliverLogsErrorMessage"]) == ("FAILED", "Access error")
    failed = ec2.describe_flow_logs(Filters=[{"Name": "deliver-log-status", "Values": ["FAILED"]}])["FlowLogs"]
    assert created["FlowLogIds"][0] in [f["FlowLogId"] for f in failed]

    other_group = unique("/tap/flow-logs")
    aws_profile.client("logs").create_log_group(logGroupName=other_group)
    later = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=other_group,
        DeliverLogsPermissionArn=role,
    )
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=later["FlowLogIds"])["FlowLogs"]
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"


def test_a_flow_log_role_must_trust_the_flow_logs_service(aws_profile):
    aws_profile.set(durations={"iam.role.propagation": 0})
    ec2, vpc, group = flow_log_setup(aws_profile)
    created = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=group,
        DeliverLogsPermissionArn=make_role(aws_profile, "lambda.amazonaws.com"),
    )
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=created["FlowLogIds"])["FlowLogs"]
    assert flow_log["DeliverLogsStatus"] == "FAILED"


def test_a_flow_log_to_a_missing_bucket_is_unsuccessful_with_awss_text(aws_profile):
    ec2 = aws_profile.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    bucket = unique("tap-missing-bucket")
    created = ec2.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{bucket}",
    )  # fmt: skip
    assert created["FlowLogIds"] == []
    assert created["Unsuccessful"] == [
        {"Error": {"Code": "400", "Message": f"LogDestination: {bucket} does not exist"}, "ResourceId": vpc}
    ]


def test_rds_refuses_a_monitoring_role_before_it_propagates(aws_profile):
    aws_profile.set(durations={"iam.role.propagation": FOREVER})
    rds = aws_profile.client("rds", config=NO_RETRIES)
    role = make_role(aws_profile, "monitoring.rds.amazonaws.com")
    instance = dict(
        DBInstanceIdentifier=unique("monitored"), Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="tap", MasterUserPassword="not-a-secret-1",
        MonitoringInterval=60, MonitoringRoleArn=role,
    )  # fmt: skip
    assert error_of(rds.create_db_instance, **instance) == {
        "Code": "InvalidParameterValue",
        "Message": MONITORING,
        "Type": "Sender",
    }
    aws_profile.set(durations={"iam.role.propagation": 0})
    assert rds.create_db_instance(**instance)["DBInstance"]["MonitoringRoleArn"] == role

    aws_profile.set(durations={"iam.role.propagation": FOREVER})
    newer = make_role(aws_profile, "monitoring.rds.amazonaws.com")
    modify = dict(DBInstanceIdentifier=instance["DBInstanceIdentifier"], MonitoringInterval=60, MonitoringRoleArn=newer)
    assert error_of(rds.modify_db_instance, **modify)["Message"] == MONITORING
    wrong_service = make_role(aws_profile, "rds.amazonaws.com")
    aws_profile.set(durations={"iam.role.propagation": 0})
    modify["MonitoringRoleArn"] = wrong_service
    assert error_of(rds.modify_db_instance, **modify)["Message"] == MONITORING


def test_the_default_profile_lets_services_use_a_new_role_at_once(aws):
    role = make_role(aws)
    created = aws("lambda").create_function(**function_kwargs(unique("instant-role"), role))
    assert created["Role"] == role

"""emulator.lambda_states: Pending/Active/Failed and LastUpdateStatus under the aws profile, as AWS has them."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest
from aws_profile_support import FOREVER, function_kwargs, make_role, unique

NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1})
PENDING = "The operation cannot be performed at this time. The function is currently in the following state: Pending"


def conflict(call, **kwargs) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(**kwargs)
    assert error.value.response["Error"]["Code"] == "ResourceConflictException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    return error.value.response["Error"]["Message"]


def settle(aws_profile, **durations):
    """Durations that make every transition but the given ones end at once."""
    base = {
        "iam.role.propagation": 0,
        "lambda.function.create": 0,
        "lambda.function.create.no_vpc": 0,
        "lambda.function.update": 0,
    }
    aws_profile.set(durations=dict(base, **durations))


def test_a_new_function_is_pending_and_refuses_what_aws_refuses_until_active(aws_profile):
    settle(aws_profile, **{"lambda.function.create.no_vpc": FOREVER})
    lam = aws_profile.client("lambda", config=NO_RETRIES)
    name = unique("pending")
    created = lam.create_function(**function_kwargs(name, make_role(aws_profile)))
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert created["StateReason"] == "The function is being created."
    configuration = lam.get_function(FunctionName=name)["Configuration"]
    assert configuration["State"] == "Pending" and "LastUpdateStatus" not in configuration

    assert conflict(lam.invoke, FunctionName=name, Payload=b"{}") == PENDING
    assert conflict(lam.update_function_code, FunctionName=name, ZipFile=b"PK") == PENDING
    assert conflict(lam.update_function_configuration, FunctionName=name, Timeout=9) == PENDING
    assert conflict(lam.publish_version, FunctionName=name) == PENDING
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 3  # nothing was applied

    settle(aws_profile)
    configuration = lam.get_function_configuration(FunctionName=name)
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Successful")
    assert "StateReasonCode" not in configuration
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert lam.update_function_configuration(FunctionName=name, Timeout=9)["Timeout"] == 9


def test_a_function_in_a_vpc_takes_the_vpc_creation_time(aws_profile):
    settle(aws_profile, **{"lambda.function.create": FOREVER})
    ec2 = aws_profile.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique("sg"), Description="fn", VpcId=vpc)["GroupId"]
    lam = aws_profile.client("lambda")
    role = make_role(aws_profile)
    vpc_config = {"SubnetIds": [subnet], "SecurityGroupIds": [group]}
    in_vpc = lam.create_function(**function_kwargs(unique("vpc"), role, VpcConfig=vpc_config))
    outside = lam.create_function(**function_kwargs(unique("novpc"), role))
    assert in_vpc["State"] == "Pending"
    assert outside["State"] == "Active"


def test_an_update_is_in_progress_and_refuses_further_updates_until_done(aws_profile):
    settle(aws_profile, **{"lambda.function.update": FOREVER})
    lam = aws_profile.client("lambda", config=NO_RETRIES)
    name = unique("updating")
    arn = lam.create_function(**function_kwargs(name, make_role(aws_profile)))["FunctionArn"]
    updated = lam.update_function_configuration(FunctionName=name, Timeout=7)
    assert (updated["State"], updated["LastUpdateStatus"]) == ("Active", "InProgress")
    assert updated["LastUpdateStatusReasonCode"] == "Creating"

    in_progress = f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
    assert conflict(lam.update_function_configuration, FunctionName=name, Timeout=8) == in_progress
    assert conflict(lam.update_function_code, FunctionName=name, ZipFile=b"PK") == in_progress
    assert conflict(lam.publish_version, FunctionName=name) == in_progress
    assert lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "InProgress"

    settle(aws_profile)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 7
    assert lam.update_function_configuration(FunctionName=name, Timeout=8)["LastUpdateStatus"] == "Successful"


def test_an_account_setting_makes_a_named_function_fail(aws_profile):
    failing, failing_update = unique("failing"), unique("failing-update")
    settle(aws_profile)
    aws_profile.set(account={"lambda_failing_functions": {failing: "SubnetOutOfIPAddresses"}})
    lam = aws_profile.client("lambda", config=NO_RETRIES)
    role = make_role(aws_profile)
    lam.create_function(**function_kwargs(failing, role))
    lam.create_function(**function_kwargs(failing_update, role))
    configuration = lam.get_function_configuration(FunctionName=failing)
    assert (configuration["State"], configuration["StateReasonCode"]) == ("Failed", "SubnetOutOfIPAddresses")
    assert configuration["LastUpdateStatus"] == "Failed"
    with pytest.raises(botocore.exceptions.WaiterError):
        lam.get_waiter("function_active_v2").wait(FunctionName=failing, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert conflict(lam.invoke, FunctionName=failing, Payload=b"{}").endswith("in the following state: Failed")
    assert lam.get_function_configuration(FunctionName=failing_update)["State"] == "Active"

    reason = "The security group sg-0abc does not exist."
    aws_profile.set(
        account={"lambda_failing_functions": {failing_update: {"code": "InvalidSecurityGroup", "reason": reason}}}
    )
    lam.update_function_configuration(FunctionName=failing_update, Timeout=5)
    configuration = lam.get_function_configuration(FunctionName=failing_update)
    assert (configuration["State"], configuration["LastUpdateStatus"]) == ("Active", "Failed")
    assert configuration["LastUpdateStatusReasonCode"] == "InvalidSecurityGroup"
    assert configuration["LastUpdateStatusReason"] == reason
    with pytest.raises(botocore.exceptions.WaiterError):
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=failing_update, WaiterConfig={"Delay": 1, "MaxAttempts": 2}
        )


def test_the_default_profile_answers_at_once(aws):
    lam = aws("lambda")
    name = unique("instant")
    created = lam.create_function(**function_kwargs(name, make_role(aws)))
    assert created["State"] == "Active"
    lam.update_function_configuration(FunctionName=name, Timeout=5)
    updated = lam.update_function_configuration(FunctionName=name, Timeout=6)
    assert updated["LastUpdateStatus"] == "Successful" and "LastUpdateStatusReasonCode" not in updated

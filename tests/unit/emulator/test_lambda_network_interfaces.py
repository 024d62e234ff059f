"""emulator.lambda_network_interfaces: a VPC function's network interfaces hold its subnets and groups.

Durations are switched at run time (the lazy states read them when EC2 is asked), so nothing here
waits: a huge linger keeps the interfaces, a linger of 0 lets them go.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import botocore.exceptions
import pytest

# The functions' roles are usable and the functions Active at once (IAM propagation and Lambda's
# states are not what these tests are about).
READY = {"iam.role.propagation": 0, "lambda.function.create": 0, "lambda.function.update": 0}
HOLD = dict(READY, **{"lambda.eni.linger": 1e9})
RELEASE = dict(READY, **{"lambda.eni.linger": 0})
TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("processor.py", "def handler(e, c):\n    return e\n")
    return buffer.getvalue()


def network(ec2) -> dict:
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    group = ec2.create_security_group(GroupName=f"fn-{uuid.uuid4().hex[:8]}", Description="fn", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "group": group}


def create_function(client, iam, name: str, subnets: list[str], groups: list[str]) -> None:
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    client.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="processor.handler",
        Code={"ZipFile": _code()}, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": groups},
    )  # fmt: skip


def interfaces(ec2, vpc: str) -> list[dict]:
    return ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkInterfaces"]


def refused(call, **kwargs) -> dict:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]


def test_a_vpc_function_gets_lambda_interfaces_as_aws_shows_them(aws_profile):
    aws_profile.set(durations=HOLD)
    ec2 = aws_profile.client("ec2")
    net = network(ec2)
    name = f"eni-{uuid.uuid4().hex[:8]}"
    create_function(aws_profile.client("lambda"), aws_profile.client("iam"), name, net["subnets"], [net["group"]])

    found = interfaces(ec2, net["vpc"])
    assert sorted(e["SubnetId"] for e in found) == sorted(net["subnets"])
    for eni in found:
        assert eni["InterfaceType"] == "lambda"
        assert eni["Status"] == "in-use"
        assert eni["RequesterManaged"] is False
        assert eni["Description"].startswith(f"AWS Lambda VPC ENI-{name}-")
        assert [g["GroupId"] for g in eni["Groups"]] == [net["group"]]
        assert eni["Attachment"]["AttachmentId"].startswith("ela-attach-")
        assert eni["Attachment"]["InstanceOwnerId"] == "amazon-aws"
        assert eni["Attachment"]["Status"] == "attached"
        assert "InstanceId" not in eni["Attachment"]
    by_type = ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["lambda"]}, {"Name": "vpc-id", "Values": [net["vpc"]]}]
    )["NetworkInterfaces"]
    assert len(by_type) == 2


def test_interfaces_hold_the_network_until_their_linger_time_has_passed(aws_profile):
    aws_profile.set(durations=HOLD)
    ec2, lam = aws_profile.client("ec2"), aws_profile.client("lambda")
    net = network(ec2)
    name = f"eni-{uuid.uuid4().hex[:8]}"
    create_function(lam, aws_profile.client("iam"), name, net["subnets"], [net["group"]])
    eni = interfaces(ec2, net["vpc"])[0]

    lam.delete_function(FunctionName=name)
    assert len(interfaces(ec2, net["vpc"])) == 2  # Lambda keeps them after the function is gone

    error = refused(ec2.delete_security_group, GroupId=net["group"])
    assert error == {"Code": "DependencyViolation", "Message": f"resource {net['group']} has a dependent object"}
    subnet = net["subnets"][0]
    error = refused(ec2.delete_subnet, SubnetId=subnet)
    assert error["Code"] == "DependencyViolation"
    assert error["Message"] == f"The subnet '{subnet}' has dependencies and cannot be deleted."
    error = refused(ec2.delete_vpc, VpcId=net["vpc"])
    assert error == {
        "Code": "DependencyViolation",
        "Message": f"The vpc '{net['vpc']}' has dependencies and cannot be deleted.",
    }
    error = refused(ec2.delete_network_interface, NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert error == {
        "Code": "InvalidParameterValue",
        "Message": f"Network interface '{eni['NetworkInterfaceId']}' is currently in use.",
    }
    error = refused(ec2.detach_network_interface, AttachmentId=eni["Attachment"]["AttachmentId"], Force=True)
    assert error == {
        "Code": "OperationNotPermitted",
        "Message": "You are not allowed to manage 'ela-attach' attachments.",
    }

    aws_profile.set(durations=RELEASE)
    assert interfaces(ec2, net["vpc"]) == []
    ec2.delete_security_group(GroupId=net["group"])
    for subnet in net["subnets"]:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=net["vpc"])


def test_a_vpc_config_change_releases_the_old_subnet_and_an_interface_is_shared(aws_profile):
    aws_profile.set(durations=HOLD)
    ec2, lam, iam = aws_profile.client("ec2"), aws_profile.client("lambda"), aws_profile.client("iam")
    net = network(ec2)
    first, second = f"eni-{uuid.uuid4().hex[:8]}", f"eni-{uuid.uuid4().hex[:8]}"
    old, new = net["subnets"]
    create_function(lam, iam, first, [old], [net["group"]])
    create_function(lam, iam, second, [old], [net["group"]])
    assert len(interfaces(ec2, net["vpc"])) == 1  # one Hyperplane interface per subnet and group set

    lam.update_function_configuration(
        FunctionName=first, VpcConfig={"SubnetIds": [new], "SecurityGroupIds": [net["group"]]}
    )
    aws_profile.set(durations=RELEASE)
    # The old subnet's interface stays: the second function still uses it.
    assert sorted(e["SubnetId"] for e in interfaces(ec2, net["vpc"])) == sorted([old, new])

    lam.delete_function(FunctionName=second)
    assert [e["SubnetId"] for e in interfaces(ec2, net["vpc"])] == [new]
    assert refused(ec2.delete_subnet, SubnetId=new)["Code"] == "DependencyViolation"
    ec2.delete_subnet(SubnetId=old)


def test_the_default_profile_makes_no_interfaces(aws):
    ec2, lam = aws("ec2"), aws("lambda")
    net = network(ec2)
    name = f"eni-{uuid.uuid4().hex[:8]}"
    create_function(lam, aws("iam"), name, net["subnets"], [net["group"]])
    assert interfaces(ec2, net["vpc"]) == []
    lam.delete_function(FunctionName=name)
    ec2.delete_security_group(GroupId=net["group"])
    for subnet in net["subnets"]:
        ec2.delete_subnet(SubnetId=subnet)

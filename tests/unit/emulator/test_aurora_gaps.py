"""emulator.aurora in-process (moto's decorator mode): ModifyDBSubnetGroup behaves as AWS documents."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulator import aurora

REGION = "us-west-1"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    aurora.install()
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def test_a_modified_subnet_group_keeps_existing_with_its_new_subnets(aws):
    ec2, rds = aws("ec2"), aws("rds")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i, AvailabilityZone=zones[i % len(zones)])["Subnet"][
            "SubnetId"
        ]
        for i in range(3)
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="grp", DBSubnetGroupDescription="d", SubnetIds=subnets[:2])
    rds.modify_db_subnet_group(DBSubnetGroupName="grp", SubnetIds=subnets, DBSubnetGroupDescription="new")
    group = rds.describe_db_subnet_groups(DBSubnetGroupName="grp")["DBSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)
    assert group["DBSubnetGroupDescription"] == "new"


def test_modifying_an_unknown_subnet_group_is_not_found(aws):
    vpc = aws("ec2").create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = aws("ec2").create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as error:
        aws("rds").modify_db_subnet_group(DBSubnetGroupName="nothing", SubnetIds=[subnet])
    assert error.value.response["Error"]["Code"] == "DBSubnetGroupNotFoundFault"

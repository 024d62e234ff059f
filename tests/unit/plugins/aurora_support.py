"""Helpers of the aurora module tests (emulator networks, module arguments, call recording)."""

from __future__ import annotations

import contextlib

import botocore.client

MONITORING_ROLE = "arn:aws:iam::123456789012:role/tap-rds-monitoring-test"
READ_PREFIXES = ("Describe", "List", "Get")


def make_network(aws, region: str, name: str) -> dict:
    """VPC, three private subnets, a security group, a KMS key and a DB subnet group."""
    ec2, kms, rds = aws("ec2", region), aws("kms", region), aws("rds", region)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{10 + i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    sg = ec2.create_security_group(GroupName=f"db-{name}", Description="db", VpcId=vpc)["GroupId"]
    key = kms.create_key(Description=f"test key {name}")["KeyMetadata"]["Arn"]
    rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="private", SubnetIds=subnets)
    return {"vpc": vpc, "subnets": subnets, "sg": sg, "key": key, "subnet_group": name}


def cluster_args(name: str, net: dict, **overrides) -> dict:
    args = dict(
        cluster_identifier=name,
        kms_key_id=net["key"],
        db_subnet_group_name=net["subnet_group"],
        vpc_security_group_ids=[net["sg"]],
        backup_retention_period=1,
        deletion_protection=False,
        instance_class="db.r5.large",
        instance_count=2,
        monitoring_role_arn=MONITORING_ROLE,
        tags={"Environment": "test", "Region": "test", "CostCenter": "platform"},
    )
    args.update(overrides)
    return args


@contextlib.contextmanager
def recorded_calls(monkeypatch):
    """Record (service, operation) of every AWS call made while the block runs."""
    calls: list[tuple[str, str]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
        yield calls


def writes(calls) -> list[tuple[str, str]]:
    return [call for call in calls if not call[1].startswith(READ_PREFIXES)]

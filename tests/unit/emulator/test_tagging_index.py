"""emulator.tagging_index in-process: the tagging API lists RDS event subscriptions, subnet groups, backup plans."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from emulator import tagging_index

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    tagging_index.install()
    tagging_index.install()  # twice: still one entry per resource
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def test_subscriptions_and_subnet_groups_are_indexed_with_their_tags(aws):
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]
               ["SubnetId"] for i, z in enumerate("ab")]
    rds = aws("rds")
    group = rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="d", SubnetIds=subnets,
                                       Tags=[{"Key": "Environment", "Value": "dev"}])["DBSubnetGroup"]
    topic = aws("sns").create_topic(Name="alerts")["TopicArn"]
    subscription = rds.create_event_subscription(SubscriptionName="events", SnsTopicArn=topic,
                                                 Tags=[{"Key": "Environment", "Value": "dev"}])["EventSubscription"]
    arns = [group["DBSubnetGroupArn"], subscription["EventSubscriptionArn"]]

    found = aws("resourcegroupstaggingapi").get_resources(ResourceARNList=arns)["ResourceTagMappingList"]

    assert sorted(m["ResourceARN"] for m in found) == sorted(arns)
    assert all(m["Tags"] == [{"Key": "Environment", "Value": "dev"}] for m in found)
    by_type = aws("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["rds:es"])["ResourceTagMappingList"]
    assert [m["ResourceARN"] for m in by_type] == [subscription["EventSubscriptionArn"]]


def test_backup_plans_are_indexed_with_their_tags(aws):
    backup = aws("backup")
    plan = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "daily", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]},
        BackupPlanTags={"Environment": "dev"})
    vault = backup.create_backup_vault(BackupVaultName="v", BackupVaultTags={"Environment": "dev"})
    arns = [plan["BackupPlanArn"], vault["BackupVaultArn"]]

    found = aws("resourcegroupstaggingapi").get_resources(ResourceARNList=arns)["ResourceTagMappingList"]

    assert sorted(m["ResourceARN"] for m in found) == sorted(arns)
    assert all(m["Tags"] == [{"Key": "Environment", "Value": "dev"}] for m in found)

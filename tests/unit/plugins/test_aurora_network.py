"""aurora_network against the emulator (run in-process through run_module)."""

from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError
from emulator import control

from ansible_collections.tap.multiregion.plugins.module_utils import aurora_network as rules
from ansible_collections.tap.multiregion.plugins.module_utils import teardown
from ansible_collections.tap.multiregion.plugins.plugin_utils import inprocess
from ansible_collections.tap.multiregion.plugins.modules import aurora_network as module

REGION = "ca-central-1"
TAGS = {"Environment": "test", "Region": REGION, "CostCenter": "cc-1", "ManagedBy": "ansible", "Project": "tap"}
READS = ("Describe", "List", "Get")


@pytest.fixture
def calls(monkeypatch):
    """(service, operation) of every botocore call made in this process."""
    recorded = Calls()
    original = botocore.client.BaseClient._make_api_call

    def record(client, operation_name, api_params):
        recorded.append((client.meta.service_model.service_name, operation_name))
        recorded.params.append(api_params)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return recorded


class Calls(list):
    def __init__(self):
        super().__init__()
        self.params = []

    def clear(self):
        super().clear()
        self.params.clear()

    def of(self, operation):
        return [p for call, p in zip(self, self.params, strict=True) if call[1] == operation]


def writes(calls):
    return [c for c in calls if not c[1].startswith(READS)]


@pytest.fixture
def ec2(aws):
    return aws("ec2", REGION)


@pytest.fixture
def rds(aws):
    return aws("rds", REGION)


def make_vpc(ec2, name, octet):
    vpc = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": f"vpc-{name}"}])
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:3]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{octet}.{10 + i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    return vpc, subnets


def args(name, vpc, subnets, **overrides):
    result = {
        "vpc_id": vpc,
        "subnet_group_name": f"aurora-{name}",
        "subnet_group_description": f"Private subnets of aurora-{name}",
        "subnet_ids": subnets,
        "app_security_group_name": f"app-{name}",
        "app_security_group_description": f"Workloads of {name}",
        "db_security_group_name": f"db-{name}",
        "db_security_group_description": f"Aurora {name}: MySQL only from app-{name}",
        "port": 3306,
        "rule_description": f"MySQL from app-{name}",
        "tags": TAGS,
    }
    result.update(overrides)
    return result


def groups_by_name(ec2, vpc):
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    return {g["GroupName"]: g for g in found if g["GroupName"] != "default"}


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or []}


def assert_converged(ec2, rds, name, vpc, subnets, result):
    groups = groups_by_name(ec2, vpc)
    assert sorted(groups) == [f"app-{name}", f"db-{name}"]  # no duplicates
    app, db = groups[f"app-{name}"], groups[f"db-{name}"]
    assert (result["app_security_group_id"], result["db_security_group_id"]) == (app["GroupId"], db["GroupId"])
    assert app["IpPermissions"] == []
    assert rules.atoms(app["IpPermissionsEgress"]) == rules.DEFAULT_EGRESS
    (rule,) = db["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 3306, 3306)
    assert [(p["GroupId"], p.get("Description")) for p in rule["UserIdGroupPairs"]] == [
        (app["GroupId"], f"MySQL from app-{name}")
    ]
    assert rule["IpRanges"] == [] and rule["Ipv6Ranges"] == []
    assert db["IpPermissionsEgress"] == []
    assert tags_of(app) == dict(TAGS, Name=f"app-{name}") and tags_of(db) == dict(TAGS, Name=f"db-{name}")
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=f"aurora-{name}")["DBSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)
    assert group["VpcId"] == vpc
    assert result["subnet_group_name"] == f"aurora-{name}"
    tags = rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"])["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == TAGS


def test_create_then_noop_with_zero_writes(run_module, ec2, rds, calls):
    name = "create"
    vpc, subnets = make_vpc(ec2, name, 101)
    created = run_module(module.main, args(name, vpc, subnets), region=REGION, diff=True)
    assert created["changed"] is True, created
    assert_converged(ec2, rds, name, vpc, subnets, created)
    assert f"security group db-{name}: revoke egress all traffic 0.0.0.0/0" in created["changes"]
    assert created["diff"]["before"]["db_security_group"] is None
    assert created["diff"]["after"]["db_security_group"]["egress"] == []

    calls.clear()
    again = run_module(module.main, args(name, vpc, subnets), region=REGION, diff=True)
    assert again["changed"] is False and again["changes"] == [], again
    assert writes(calls) == []
    # One read each: the subnet group, its tags, and both security groups in one call.
    assert sorted(calls) == [
        ("ec2", "DescribeSecurityGroups"),
        ("rds", "DescribeDBSubnetGroups"),
        ("rds", "ListTagsForResource"),
    ]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert (again["app_security_group_id"], again["db_security_group_id"]) == (
        created["app_security_group_id"],
        created["db_security_group_id"],
    )

    calls.clear()
    checked = run_module(module.main, args(name, vpc, subnets), region=REGION, check_mode=True)
    assert checked["changed"] is False and writes(calls) == []


def test_rule_drift_is_repaired(run_module, ec2, rds, calls):
    name = "drift"
    vpc, subnets = make_vpc(ec2, name, 102)
    result = run_module(module.main, args(name, vpc, subnets), region=REGION)
    app, db = result["app_security_group_id"], result["db_security_group_id"]
    # Someone opens the database to a CIDR, adds another port, allows egress again, opens the app group.
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": app}]},
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=db, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    ec2.authorize_security_group_ingress(
        GroupId=app,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )
    ec2.delete_tags(Resources=[db], Tags=[{"Key": "CostCenter"}])

    calls.clear()
    planned = run_module(module.main, args(name, vpc, subnets), region=REGION, check_mode=True)
    assert planned["changed"] is True and writes(calls) == []
    revoked = f"security group db-{name}: revoke ingress tcp 22 {app} (app-{name}), tcp 3306 0.0.0.0/0"
    assert revoked in planned["changes"]
    assert f"security group db-{name}: revoke egress all traffic 0.0.0.0/0" in planned["changes"]
    assert f"security group app-{name}: revoke ingress tcp 443 10.0.0.0/8" in planned["changes"]
    assert f"security group db-{name}: tags CostCenter=cc-1" in planned["changes"]

    repaired = run_module(module.main, args(name, vpc, subnets), region=REGION)
    assert repaired["changed"] is True
    assert_converged(ec2, rds, name, vpc, subnets, repaired)
    calls.clear()
    assert run_module(module.main, args(name, vpc, subnets), region=REGION)["changed"] is False
    assert writes(calls) == []


def test_rule_description_and_port_drift(run_module, ec2, rds, calls):
    name = "describe"
    vpc, subnets = make_vpc(ec2, name, 103)
    run_module(module.main, args(name, vpc, subnets), region=REGION)
    calls.clear()
    updated = run_module(module.main, args(name, vpc, subnets, rule_description="new words"), region=REGION)
    assert updated["changed"] is True
    # One call, without revoking the rule. (moto 5.2.5 accepts the call but does not change the description of
    # a rule from a security group: it matches the rule including its old description.)
    assert writes(calls) == [("ec2", "UpdateSecurityGroupRuleDescriptionsIngress")]
    assert updated["changes"] == [
        "security group db-%s: description of ingress tcp 3306 %s (app-%s) MySQL from app-%s -> new words"
        % (name, updated["app_security_group_id"], name, name)
    ]

    calls.clear()
    moved = run_module(module.main, args(name, vpc, subnets, port=3307), region=REGION)
    assert moved["changed"] is True
    assert writes(calls) == [("ec2", "RevokeSecurityGroupIngress"), ("ec2", "AuthorizeSecurityGroupIngress")]
    (rule,) = groups_by_name(ec2, vpc)[f"db-{name}"]["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (3307, 3307)


def test_subnet_group_drift(run_module, ec2, rds, calls):
    name = "subnets"
    vpc, subnets = make_vpc(ec2, name, 104)
    assert run_module(module.main, args(name, vpc, subnets), region=REGION)["changed"] is True
    arn = rds.describe_db_subnet_groups(DBSubnetGroupName=f"aurora-{name}")["DBSubnetGroups"][0]["DBSubnetGroupArn"]
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "Stray", "Value": "x"}])
    calls.clear()
    result = run_module(module.main, args(name, vpc, subnets[:2]), region=REGION, diff=True)
    assert result["changed"] is True
    assert sorted(writes(calls)) == [("rds", "ModifyDBSubnetGroup"), ("rds", "RemoveTagsFromResource")]
    assert calls.of("ModifyDBSubnetGroup") == [
        {
            "DBSubnetGroupName": f"aurora-{name}",
            "DBSubnetGroupDescription": f"Private subnets of aurora-{name}",
            "SubnetIds": sorted(subnets[:2]),
        }
    ]
    assert calls.of("RemoveTagsFromResource") == [{"ResourceName": arn, "TagKeys": ["Stray"]}]
    assert result["diff"]["before"]["subnet_group"]["tags"]["Stray"] == "x"
    assert "Stray" not in result["diff"]["after"]["subnet_group"]["tags"]
    assert result["subnet_group"]["subnet_ids"] == sorted(subnets[:2])
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=f"aurora-{name}")["DBSubnetGroups"][0]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets[:2])
    assert run_module(module.main, args(name, vpc, subnets[:2]), region=REGION)["changed"] is False


def test_check_mode_creates_nothing(run_module, ec2, rds, calls):
    name = "plan"
    vpc, subnets = make_vpc(ec2, name, 105)
    calls.clear()
    planned = run_module(module.main, args(name, vpc, subnets), region=REGION, check_mode=True, diff=True)
    assert planned["changed"] is True
    assert writes(calls) == []
    assert planned["app_security_group_id"] is None and planned["db_security_group_id"] is None
    assert planned["changes"] == [
        f"create DB subnet group aurora-{name}",
        f"create security group app-{name}",
        f"create security group db-{name}",
        f"security group db-{name}: authorize ingress tcp 3306 the new group app-{name}: MySQL from app-{name}",
        f"security group db-{name}: revoke egress all traffic 0.0.0.0/0",
    ]
    assert planned["diff"]["after"]["db_security_group"]["ingress"][0]["source"] is None
    assert groups_by_name(ec2, vpc) == {}
    assert not [g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"] == name]


@pytest.mark.parametrize("vpc_id", [None, ""])
def test_check_mode_without_a_vpc_plans_everything(run_module, calls, vpc_id):
    """The plan of an environment whose VPC does not exist yet: no failure, null ids."""
    name = f"novpc{'-empty' if vpc_id == '' else ''}"
    planned = run_module(module.main, args(name, vpc_id, []), region=REGION, check_mode=True, diff=True)
    assert planned.get("failed") is not True, planned
    assert planned["changed"] is True
    assert planned["vpc_id"] is None
    assert planned["app_security_group_id"] is None and planned["db_security_group_id"] is None
    assert planned["subnet_group_name"] == f"aurora-{name}"
    assert planned["changes"][0] == f"create DB subnet group aurora-{name}"
    assert f"create security group db-{name}" in planned["changes"]
    assert writes(calls) == []
    # No security group can exist without a VPC: they are not even looked for.
    assert ("ec2", "DescribeSecurityGroups") not in calls


def test_without_a_vpc_outside_check_mode_fails(run_module):
    result = run_module(module.main, args("novpc-real", None, ["subnet-1"]), region=REGION)
    assert result["failed"] is True and "No VPC" in result["msg"]


def test_interrupted_run_converges(run_module, ec2, rds, calls):
    """Only the app group was created (first case) or only the db group (second case)."""
    name = "resume-app"
    vpc, subnets = make_vpc(ec2, name, 106)
    app = ec2.create_security_group(GroupName=f"app-{name}", Description=f"Workloads of {name}", VpcId=vpc)
    result = run_module(module.main, args(name, vpc, subnets), region=REGION)
    assert result["changed"] is True and result["app_security_group_id"] == app["GroupId"]
    assert_converged(ec2, rds, name, vpc, subnets, result)

    name = "resume-db"
    vpc, subnets = make_vpc(ec2, name, 107)
    db = ec2.create_security_group(
        GroupName=f"db-{name}", Description=f"Aurora {name}: MySQL only from app-{name}", VpcId=vpc
    )
    result = run_module(module.main, args(name, vpc, subnets), region=REGION)
    assert result["changed"] is True and result["db_security_group_id"] == db["GroupId"]
    assert_converged(ec2, rds, name, vpc, subnets, result)
    calls.clear()
    assert run_module(module.main, args(name, vpc, subnets), region=REGION)["changed"] is False
    assert writes(calls) == []


def test_description_differs_warns(run_module, ec2):
    name = "descwarn"
    vpc, subnets = make_vpc(ec2, name, 108)
    ec2.create_security_group(GroupName=f"app-{name}", Description="something else", VpcId=vpc)
    result = run_module(module.main, args(name, vpc, subnets), region=REGION)
    # ansible-core 2.19 returns warnings as structured dicts.
    assert "AWS cannot change it" in json.dumps(result.get("warnings", [])), result
    assert result["app_security_group"]["description"] == "something else"


def test_absent(run_module, ec2, rds, calls):
    name = "absent"
    vpc, subnets = make_vpc(ec2, name, 109)
    run_module(module.main, args(name, vpc, subnets), region=REGION)
    absent = {
        "state": "absent",
        "vpc_name": f"vpc-{name}",
        "subnet_group_name": f"aurora-{name}",
        "app_security_group_name": f"app-{name}",
        "db_security_group_name": f"db-{name}",
    }
    calls.clear()
    planned = run_module(module.main, absent, region=REGION, check_mode=True)
    assert planned["changed"] is True and writes(calls) == []
    assert len(groups_by_name(ec2, vpc)) == 2

    calls.clear()
    deleted = run_module(module.main, absent, region=REGION, diff=True)
    assert deleted["changed"] is True and deleted["vpc_id"] == vpc
    # The db group first (its rule references the app group), then the app group, then the subnet group.
    assert writes(calls) == [
        ("ec2", "DeleteSecurityGroup"),
        ("ec2", "DeleteSecurityGroup"),
        ("rds", "DeleteDBSubnetGroup"),
    ]
    assert deleted["changes"][0].startswith(f"delete security group db-{name}")
    assert groups_by_name(ec2, vpc) == {}
    assert not [
        g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g["DBSubnetGroupName"] == f"aurora-{name}"
    ]

    calls.clear()
    again = run_module(module.main, absent, region=REGION)
    assert again["changed"] is False and writes(calls) == []


def test_absent_when_the_vpc_is_gone(run_module, ec2, rds, calls):
    name = "absent-novpc"
    vpc, subnets = make_vpc(ec2, name, 110)
    run_module(module.main, args(name, vpc, subnets), region=REGION)
    absent = {
        "state": "absent",
        "vpc_name": "vpc-that-does-not-exist",
        "subnet_group_name": f"aurora-{name}",
        "app_security_group_name": f"app-{name}",
        "db_security_group_name": f"db-{name}",
    }
    calls.clear()
    result = run_module(module.main, absent, region=REGION)
    assert result["changed"] is True and result["vpc_id"] is None
    assert writes(calls) == [("rds", "DeleteDBSubnetGroup")]
    assert ("ec2", "DescribeSecurityGroups") not in calls
    # By id, only the db group left over from an interrupted teardown.
    # The groups (left in a VPC that is still there) by the VPC's id.
    by_id = dict(absent, vpc_id=vpc, vpc_name=None)
    result = run_module(module.main, by_id, region=REGION)
    assert result["changed"] is True and groups_by_name(ec2, vpc) == {}
    assert run_module(module.main, by_id, region=REGION)["changed"] is False


def test_drift_is_named_in_check_mode_without_writes(run_module, ec2, rds, emulator_url):
    """One attribute changed behind the module's back: check mode with diff names it and writes nothing."""
    name = "drift-check"
    vpc, subnets = make_vpc(ec2, name, 111)
    created = run_module(module.main, args(name, vpc, subnets), region=REGION)
    rds.modify_db_subnet_group(
        DBSubnetGroupName=f"aurora-{name}", DBSubnetGroupDescription="changed by hand", SubnetIds=subnets
    )
    mark = control.last_call_seq(emulator_url)
    planned = run_module(module.main, args(name, vpc, subnets), region=REGION, check_mode=True, diff=True)
    assert planned["changes"] == [
        f"DB subnet group aurora-{name}: description changed by hand -> Private subnets of aurora-{name}"
    ]
    assert planned["diff"]["before"]["subnet_group"]["description"] == "changed by hand"
    assert planned["diff"]["after"]["subnet_group"]["description"] == f"Private subnets of aurora-{name}"
    assert control.write_calls(emulator_url, mark) == []
    assert planned["db_security_group_id"] == created["db_security_group_id"]


def refuse(monkeypatch, operation, code, message, times, matches=lambda params: True):
    """Make the emulator's answer to operation the AWS error code (times answers), then pass through."""
    original = botocore.client.BaseClient._make_api_call
    refused = []

    def call(client, operation_name, api_params):
        if operation_name == operation and matches(api_params) and len(refused) < times:
            refused.append(api_params)
            raise ClientError({"Error": {"Code": code, "Message": message}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)
    return refused


@pytest.fixture
def progress(monkeypatch):
    lines = []
    monkeypatch.setattr(inprocess, "_display_progress", lines.append)
    monkeypatch.setattr(teardown, "POLL", 0.01)
    return lines


def absent_args(name):
    return {
        "state": "absent",
        "vpc_name": f"vpc-{name}",
        "subnet_group_name": f"aurora-{name}",
        "app_security_group_name": f"app-{name}",
        "db_security_group_name": f"db-{name}",
    }


def test_absent_waits_while_lambda_interfaces_hold_the_groups(run_module, ec2, rds, monkeypatch, progress):
    """AWS answers DependencyViolation while a deleted function's network interfaces linger; the teardown
    retries (with a progress line naming the interface) instead of failing, and deletes each thing once."""
    name = "absent-held"
    vpc, subnets = make_vpc(ec2, name, 112)
    created = run_module(module.main, args(name, vpc, subnets), region=REGION)
    db = created["db_security_group_id"]
    eni = ec2.create_network_interface(SubnetId=subnets[0], Groups=[db], Description="AWS Lambda VPC ENI-fn-1")
    message = f"resource {db} has a dependent object"
    refused = refuse(monkeypatch, "DeleteSecurityGroup", "DependencyViolation", message, 3,
                     lambda params: params["GroupId"] == db)
    deleted = run_module(module.main, absent_args(name), region=REGION)
    assert deleted.get("failed") is not True, deleted
    assert len(refused) == 3
    assert deleted["changes"] == [
        f"delete security group db-{name} ({db})",
        f"delete security group app-{name} ({created['app_security_group_id']})",
        f"delete DB subnet group aurora-{name}",
    ]
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
    assert [line for line in progress if "DependencyViolation" in line] == [
        f"{REGION}: delete security group db-{name} ({db}): AWS refuses it for now (DependencyViolation: {message})"
        f" (held by {eni_id}: AWS Lambda VPC ENI-fn-1); trying again for up to 45 min"
    ]
    assert groups_by_name(ec2, vpc) == {}
    assert run_module(module.main, absent_args(name), region=REGION)["changed"] is False


def test_absent_gives_up_after_the_dependency_timeout(run_module, ec2, rds, monkeypatch, progress):
    name = "absent-timeout"
    vpc, subnets = make_vpc(ec2, name, 113)
    run_module(module.main, args(name, vpc, subnets), region=REGION)
    message = "Cannot delete the subnet group because at least one database instance: x is still using it."
    refuse(monkeypatch, "DeleteDBSubnetGroup", "InvalidDBSubnetGroupStateFault", message, 10**6)
    failed = run_module(module.main, dict(absent_args(name), dependency_timeout=0), region=REGION)
    assert failed["failed"] is True
    assert failed["msg"].startswith(
        f"Failed to delete DB subnet group aurora-{name}: still refused after 0 s (dependency_timeout): "
    ), failed["msg"]
    assert failed["error"]["code"] == "InvalidDBSubnetGroupStateFault" and message in failed["msg"]
    # The groups went before; a re-run deletes only what is left.
    assert [c.split(" (")[0] for c in failed["changes"]] == [
        f"delete security group db-{name}", f"delete security group app-{name}", f"delete DB subnet group aurora-{name}"
    ]
    assert groups_by_name(ec2, vpc) == {}
    monkeypatch.undo()
    again = run_module(module.main, absent_args(name), region=REGION)
    assert again["changes"] == [f"delete DB subnet group aurora-{name}"]


def test_rule_atoms():
    permissions = [
        {
            "IpProtocol": "6",
            "FromPort": 3306,
            "ToPort": 3306,
            "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123", "Description": "d"}],
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
        },
        {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ]
    found = rules.atoms(permissions)
    assert found == {
        ("tcp", 3306, 3306, "group", "sg-1"): "d",
        ("tcp", 3306, 3306, "cidr", "10.0.0.0/8"): None,
        ("-1", None, None, "cidr", "0.0.0.0/0"): None,
    }
    assert rules.atoms(rules.permissions(found)) == found
    revoke, authorize, describe = rules.rule_changes(found, {("tcp", 3306, 3306, "group", "sg-1"): "e"})
    assert sorted(revoke) == [("-1", None, None, "cidr", "0.0.0.0/0"), ("tcp", 3306, 3306, "cidr", "10.0.0.0/8")]
    assert authorize == {} and describe == {("tcp", 3306, 3306, "group", "sg-1"): "e"}

"""vpc_network against the emulator: one invocation builds, re-checks and repairs a region's network."""

import json

import pytest
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import desired_acl_entries
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import diff_acl_entries
from ansible_collections.tap.multiregion.plugins.modules import vpc_network

REGION = "ap-southeast-2"


def network_args(name, cidr="10.20.0.0/16", **extra):
    prefix = cidr.split(".0.0/")[0]
    args = dict(
        name=name,
        cidr_block=cidr,
        public_subnets=[f"{prefix}.{i}.0/24" for i in (0, 1, 2)],
        private_subnets=[f"{prefix}.{i}.0/24" for i in (10, 11, 12)],
        gateway_endpoints=[{"service": "s3"}, {"service": "dynamodb"}],
        tags={"Environment": "test", "Region": REGION, "CostCenter": "qa"},
    )
    args.update(extra)
    return args


@pytest.fixture
def converged(run_module, request):
    name = "net-" + request.node.name.replace("_", "-")[:40]
    result = run_module(vpc_network.main, network_args(name), region=REGION)
    assert result.get("failed") is not True, result
    return name, result


def test_creates_the_whole_network(converged, aws):
    name, result = converged
    ec2 = aws("ec2", REGION)
    vpc = ec2.describe_vpcs(VpcIds=[result["vpc_id"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.20.0.0/16"
    for attr in ("enableDnsSupport", "enableDnsHostnames"):
        value = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attr)
        assert value[attr[0].upper() + attr[1:]]["Value"] is True
    subnets = ec2.describe_subnets(SubnetIds=result["private_subnet_ids"] + result["public_subnet_ids"])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {f"{REGION}a", f"{REGION}b", f"{REGION}c"}
    assert all(not s["MapPublicIpOnLaunch"] for s in subnets)
    tables = {
        t["RouteTableId"]: t
        for t in ec2.describe_route_tables(
            RouteTableIds=[result["public_route_table_id"], result["private_route_table_id"]]
        )["RouteTables"]
    }
    public_routes = {r.get("DestinationCidrBlock"): r for r in tables[result["public_route_table_id"]]["Routes"]}
    assert public_routes["0.0.0.0/0"]["GatewayId"] == result["internet_gateway_id"]
    assert "0.0.0.0/0" not in {
        r.get("DestinationCidrBlock") for r in tables[result["private_route_table_id"]]["Routes"]
    }
    endpoints = ec2.describe_vpc_endpoints(VpcEndpointIds=list(result["vpc_endpoint_ids"].values()))["VpcEndpoints"]
    assert {e["ServiceName"] for e in endpoints} == {f"com.amazonaws.{REGION}.s3", f"com.amazonaws.{REGION}.dynamodb"}
    assert all(e["RouteTableIds"] == [result["private_route_table_id"]] for e in endpoints)


def test_second_run_changes_nothing(converged, run_module):
    name = converged[0]
    again = run_module(vpc_network.main, network_args(name), region=REGION)
    assert again["changed"] is False, again["changes"]
    check = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True, diff=True)
    assert check["changed"] is False, check["changes"]


def test_check_mode_creates_nothing(run_module, aws):
    result = run_module(
        vpc_network.main, network_args("net-check-only", "10.30.0.0/16"), region=REGION, check_mode=True
    )
    assert result["changed"] is True
    assert any("create VPC" in c for c in result["changes"])
    vpcs = aws("ec2", REGION).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["net-check-only"]}])["Vpcs"]
    assert vpcs == []


def test_drift_is_reported_and_repaired(converged, run_module, aws):
    name, result = converged
    ec2 = aws("ec2", REGION)
    ec2.create_route(
        RouteTableId=result["private_route_table_id"],
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=result["internet_gateway_id"],
    )
    ec2.modify_vpc_attribute(VpcId=result["vpc_id"], EnableDnsHostnames={"Value": False})
    plan = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True)
    assert plan["changed"] is True
    assert any("internet route" in c for c in plan["changes"])
    assert any("EnableDnsHostnames" in c for c in plan["changes"])
    repaired = run_module(vpc_network.main, network_args(name), region=REGION)
    assert repaired["changed"] is True
    routes = ec2.describe_route_tables(RouteTableIds=[result["private_route_table_id"]])["RouteTables"][0]["Routes"]
    assert "0.0.0.0/0" not in {r.get("DestinationCidrBlock") for r in routes}
    assert run_module(vpc_network.main, network_args(name), region=REGION)["changed"] is False


def test_security_baseline_network_controls(converged, aws):
    result = converged[1]
    ec2 = aws("ec2", REGION)
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [result["vpc_id"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    assert default_sg["IpPermissions"] == [] and default_sg["IpPermissionsEgress"] == []
    acls = ec2.describe_network_acls(NetworkAclIds=list(result["network_acl_ids"].values()))["NetworkAcls"]
    for acl in acls:
        ingress = [e for e in acl["Entries"] if not e["Egress"] and e["RuleNumber"] != 32767]
        denies = {e["PortRange"]["From"] for e in ingress if e["RuleAction"] == "deny"}
        assert denies == {22, 3389}
        first_allow = min(e["RuleNumber"] for e in ingress if e["RuleAction"] == "allow")
        assert max(e["RuleNumber"] for e in ingress if e["RuleAction"] == "deny") < first_allow
    private = next(a for a in acls if a["NetworkAclId"] == result["network_acl_ids"]["private"])
    associated = {a["SubnetId"] for a in private["Associations"]}
    assert associated == set(result["private_subnet_ids"])


def test_endpoint_policy_is_applied_and_updated(run_module, aws):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::tap-data-x/*"}
        ],
    }
    args = network_args(
        "net-policy", "10.40.0.0/16", gateway_endpoints=[{"service": "s3", "policy": json.dumps(policy)}]
    )
    first = run_module(vpc_network.main, args, region=REGION)
    assert first.get("failed") is not True, first
    assert run_module(vpc_network.main, args, region=REGION)["changed"] is False
    policy["Statement"][0]["Action"] = ["s3:GetObject", "s3:PutObject"]
    args["gateway_endpoints"][0]["policy"] = json.dumps(policy)
    updated = run_module(vpc_network.main, args, region=REGION)
    assert any("PolicyDocument" in c for c in updated["changes"])
    endpoint = aws("ec2", REGION).describe_vpc_endpoints(VpcEndpointIds=[first["vpc_endpoint_ids"]["s3"]])[
        "VpcEndpoints"
    ][0]
    assert json.loads(endpoint["PolicyDocument"])["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]


def test_cidr_change_is_refused(converged, run_module):
    name = converged[0]
    result = run_module(vpc_network.main, network_args(name, "10.21.0.0/16"), region=REGION)
    assert result["failed"] is True
    assert "10.20.0.0/16" in result["msg"] and "10.21.0.0/16" in result["msg"]


def test_absent_deletes_everything(run_module, aws):
    key_arn = aws("kms", REGION).create_key(Description="flow logs")["KeyMetadata"]["Arn"]
    flow_log = {
        "log_group_name": "/test/net-absent/flow",
        "kms_key_arn": key_arn,
        "retention_days": 14,
        "role_name": "net-absent-flowlogs",
        "account_id": "123456789012",
    }
    args = network_args("net-absent", "10.50.0.0/16", flow_log=flow_log)
    created = run_module(vpc_network.main, args, region=REGION)
    assert created.get("failed") is not True, created
    assert created["flow_log_id"]
    logs, iam = aws("logs", REGION), aws("iam", REGION)
    group = logs.describe_log_groups(logGroupNamePrefix="/test/net-absent/flow")["logGroups"][0]
    assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 14
    trust = iam.get_role(RoleName="net-absent-flowlogs")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:ec2:{REGION}:123456789012:vpc-flow-log/*"
    )
    assert run_module(vpc_network.main, args, region=REGION)["changed"] is False

    gone = run_module(vpc_network.main, dict(args, state="absent"), region=REGION)
    assert gone.get("failed") is not True, gone
    assert gone["changed"] is True
    ec2 = aws("ec2", REGION)
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [created["vpc_id"]]}])["Vpcs"] == []
    assert logs.describe_log_groups(logGroupNamePrefix="/test/net-absent/flow")["logGroups"] == []
    assert "net-absent-flowlogs" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert run_module(vpc_network.main, dict(args, state="absent"), region=REGION)["changed"] is False


def test_throttling_is_retried(converged, run_module, monkeypatch):
    """A ThrottlingException on a describe call is retried with backoff, not reported as failure."""
    import botocore.client
    from botocore.exceptions import ClientError

    name = converged[0]
    real = botocore.client.BaseClient._make_api_call
    calls = {"throttled": 0}

    def flaky(self, operation, params):
        if operation == "DescribeSubnets" and calls["throttled"] == 0:
            calls["throttled"] += 1
            raise ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    result = run_module(vpc_network.main, network_args(name), region=REGION)
    assert calls["throttled"] == 1
    assert result.get("failed") is not True and result["changed"] is False


def test_acl_diff_ignores_default_rule_and_detects_changes():
    desired = desired_acl_entries("private", "10.0.0.0/16")
    current = [dict(e, Protocol=e["Protocol"]) for e in desired] + [
        {"RuleNumber": 32767, "Egress": False, "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "Protocol": "-1"}
    ]
    assert diff_acl_entries(current, desired) == ([], [], [])
    current[2] = dict(current[2], CidrBlock="0.0.0.0/0")
    replace = diff_acl_entries(current, desired)[2]
    assert [e["RuleNumber"] for e in replace] == [desired[2]["RuleNumber"]]

"""vpc_network against the emulator: one invocation builds, re-checks and repairs a region's network."""

import json

import botocore.client
import pytest
from ansible_collections.tap.multiregion.plugins.module_utils import base, teardown
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils import vpc_network as plan
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import desired_acl_entries
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import diff_acl_entries
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import entry_changes
from ansible_collections.tap.multiregion.plugins.module_utils.resources import flow_log as flow_log_resource
from ansible_collections.tap.multiregion.plugins.modules import vpc_network
from ansible_collections.tap.multiregion.plugins.plugin_utils import inprocess
from botocore.exceptions import ClientError
from emulator import control
from lambda_api_support import CallRecorder

REGION = "ap-southeast-2"
ACCOUNT = "123456789012"
DEFAULT_FORMAT = plan.DEFAULT_LOG_FORMAT


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


def flow_log_settings(name, key_arn, **extra):
    return dict(
        {"log_group_name": f"/test/{name}/flow", "kms_key_arn": key_arn, "retention_days": 14,
         "role_name": f"{name}-flowlogs", "account_id": ACCOUNT},
        **extra,
    )


@pytest.fixture
def converged(run_module, request):
    name = "net-" + request.node.name.replace("_", "-")[:40]
    result = run_module(vpc_network.main, network_args(name), region=REGION)
    assert result.get("failed") is not True, result
    return name, result


@pytest.fixture
def key_arn(aws):
    return aws("kms", REGION).create_key(Description="flow logs")["KeyMetadata"]["Arn"]


@pytest.fixture
def progress(monkeypatch):
    """Progress lines the module shows on the controller; waits without sleeping."""
    lines = []
    monkeypatch.setattr(inprocess, "_display_progress", lines.append)
    monkeypatch.setattr(teardown, "POLL", 0.01)
    monkeypatch.setattr(flow_log_resource, "RETRY_DELAY", 0.0)
    return lines


def patch_calls(monkeypatch, change):
    """Route every botocore call through change(call, operation, params), call being the real one."""
    original = botocore.client.BaseClient._make_api_call

    def call(client, operation, params):
        return change(lambda: original(client, operation, params), operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def refusal(code, message, operation):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


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


def test_second_run_changes_nothing_with_reads_by_vpc(converged, run_module, monkeypatch):
    name = converged[0]
    calls = CallRecorder().install(monkeypatch)
    again = run_module(vpc_network.main, network_args(name), region=REGION)
    assert again["changed"] is False, again["changes"]
    assert calls.writes() == []
    # The VPC by name, the zones, then one call per kind by the VPC's id (without flow_log: no flow logs read).
    assert sorted(op for _service, op in calls.calls) == sorted([
        "DescribeAvailabilityZones", "DescribeVpcs", "DescribeSubnets", "DescribeInternetGateways",
        "DescribeRouteTables", "DescribeVpcEndpoints", "DescribeNetworkAcls", "DescribeSecurityGroups",
        "DescribeVpcAttribute", "DescribeVpcAttribute",
    ])
    check = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True, diff=True)
    assert check["changed"] is False, check["changes"]
    assert check["diff"]["before"] == check["diff"]["after"]


def test_check_mode_creates_nothing(run_module, aws, emulator_url):
    mark = control.last_call_seq(emulator_url)
    result = run_module(
        vpc_network.main, network_args("net-check-only", "10.30.0.0/16"), region=REGION, check_mode=True
    )
    assert result["changed"] is True
    assert "create VPC net-check-only (10.30.0.0/16)" in result["changes"]
    # The default network ACL and security group AWS gives a new VPC are planned closed too.
    for sentence in (
        "default network ACL of VPC net-check-only: remove rule 100 ingress allow all 0.0.0.0/0",
        "default network ACL of VPC net-check-only: remove rule 100 egress allow all 0.0.0.0/0",
        "default security group of VPC net-check-only: revoke egress all traffic 0.0.0.0/0",
        "network ACL net-check-only-private-nacl: add rule 50 ingress deny tcp 22 0.0.0.0/0",
    ):
        assert sentence in result["changes"]
    assert control.write_calls(emulator_url, mark) == []
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
    plan_ = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True)
    assert plan_["changed"] is True
    assert f"route table {name}-private: route 0.0.0.0/0 {result['internet_gateway_id']} -> none" in plan_["changes"]
    assert f"VPC {name}: EnableDnsHostnames false -> true" in plan_["changes"]
    repaired = run_module(vpc_network.main, network_args(name), region=REGION)
    assert repaired["changed"] is True
    routes = ec2.describe_route_tables(RouteTableIds=[result["private_route_table_id"]])["RouteTables"][0]["Routes"]
    assert "0.0.0.0/0" not in {r.get("DestinationCidrBlock") for r in routes}
    assert run_module(vpc_network.main, network_args(name), region=REGION)["changed"] is False


def test_drift_of_one_attribute_is_named_in_check_mode_without_writes(converged, run_module, aws, emulator_url):
    """The drift test of the conversion rules: one ACL rule changed behind the module's back."""
    name, result = converged
    ec2 = aws("ec2", REGION)
    ec2.replace_network_acl_entry(
        NetworkAclId=result["network_acl_ids"]["private"], RuleNumber=100, Egress=False, RuleAction="allow",
        Protocol="-1", CidrBlock="0.0.0.0/0",
    )
    mark = control.last_call_seq(emulator_url)
    planned = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True, diff=True)
    assert planned["changes"] == [
        f"network ACL {name}-private-nacl: rule 100 ingress allow all 0.0.0.0/0 -> allow all 10.20.0.0/16"
    ]
    assert "rule 100 ingress allow all 0.0.0.0/0" in planned["diff"]["before"]["network_acls"]["private"]
    assert "rule 100 ingress allow all 10.20.0.0/16" in planned["diff"]["after"]["network_acls"]["private"]
    assert control.write_calls(emulator_url, mark) == []


def test_default_network_acl_admits_nothing_and_is_drift_checked(converged, run_module, aws):
    name, result = converged
    ec2 = aws("ec2", REGION)
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [result["vpc_id"]]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]
    (default,) = acls
    assert [e["RuleNumber"] for e in default["Entries"] if e["RuleNumber"] < 32767] == []
    ec2.create_network_acl_entry(NetworkAclId=default["NetworkAclId"], RuleNumber=100, Egress=False,
                                 RuleAction="allow", Protocol="-1", CidrBlock="0.0.0.0/0")
    planned = run_module(vpc_network.main, network_args(name), region=REGION, check_mode=True)
    assert planned["changes"] == [f"default network ACL of VPC {name}: remove rule 100 ingress allow all 0.0.0.0/0"]
    assert run_module(vpc_network.main, network_args(name), region=REGION)["changed"] is True
    default = ec2.describe_network_acls(NetworkAclIds=[default["NetworkAclId"]])["NetworkAcls"][0]
    assert [e["RuleNumber"] for e in default["Entries"] if e["RuleNumber"] < 32767] == []


def test_default_network_acl_needs_explicit_acls(run_module):
    args = network_args("net-no-acls", "10.32.0.0/16", network_acls=False)
    result = run_module(vpc_network.main, args, region=REGION)
    assert result["failed"] is True
    assert result["msg"].startswith("restrict_default_network_acl: true is not allowed; false when network_acls")


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
    assert updated["changes"] == ["gateway endpoint net-policy-s3-endpoint: policy statements changed #0"]
    endpoint = aws("ec2", REGION).describe_vpc_endpoints(VpcEndpointIds=[first["vpc_endpoint_ids"]["s3"]])[
        "VpcEndpoints"
    ][0]
    assert json.loads(endpoint["PolicyDocument"])["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]


def test_cidr_change_is_refused(converged, run_module):
    name = converged[0]
    result = run_module(vpc_network.main, network_args(name, "10.21.0.0/16"), region=REGION)
    assert result["failed"] is True
    assert "10.20.0.0/16" in result["msg"] and "10.21.0.0/16" in result["msg"]


def test_too_few_zones_fail_before_anything_is_written(run_module, aws, emulator_url, key_arn):
    mark = control.last_call_seq(emulator_url)
    args = network_args("net-two-zones", "10.33.0.0/16", flow_log=flow_log_settings("net-two-zones", key_arn))
    result = run_module(vpc_network.main, args, region="us-west-1")
    assert result["failed"] is True
    assert result["msg"] == (
        "region us-west-1 has 2 available availability zones (us-west-1a, us-west-1b); the network needs 3 (zone_count)"
    )
    assert control.write_calls(emulator_url, mark) == []


def test_absent_deletes_everything(run_module, aws, key_arn):
    flow_log = flow_log_settings("net-absent", key_arn)
    args = network_args("net-absent", "10.50.0.0/16", flow_log=flow_log)
    created = run_module(vpc_network.main, args, region=REGION)
    assert created.get("failed") is not True, created
    assert created["flow_log_id"]
    # The delivery role comes first: IAM propagates it while the network is built.
    assert created["changes"][:5] == [
        "create role net-absent-flowlogs",
        "role net-absent-flowlogs: add inline policy flow-log-delivery",
        "create log group /test/net-absent/flow",
        "log group /test/net-absent/flow: retention days none -> 14",
        "create VPC net-absent (10.50.0.0/16)",
    ]
    logs, iam = aws("logs", REGION), aws("iam", REGION)
    group = logs.describe_log_groups(logGroupNamePrefix="/test/net-absent/flow")["logGroups"][0]
    assert group["kmsKeyId"] == key_arn and group["retentionInDays"] == 14
    trust = iam.get_role(RoleName="net-absent-flowlogs")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"
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


def test_flow_log_role_policy_has_every_delivery_action_on_the_group_only(run_module, aws, key_arn):
    name = "net-fl-policy"
    settings = flow_log_settings(name, key_arn, partition="aws-cn")
    result = run_module(vpc_network.main, network_args(name, "10.51.0.0/16", flow_log=settings), region=REGION)
    assert result.get("failed") is not True, result
    iam = aws("iam", REGION)
    document = iam.get_role_policy(RoleName=f"{name}-flowlogs", PolicyName="flow-log-delivery")["PolicyDocument"]
    (statement,) = document["Statement"]
    assert sorted(statement["Action"]) == sorted([
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    ])
    group_arn = f"arn:aws-cn:logs:{REGION}:{ACCOUNT}:log-group:/test/{name}/flow"
    assert statement["Resource"] == [group_arn, group_arn + ":*"]
    trust = iam.get_role(RoleName=f"{name}-flowlogs")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws-cn:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/*"
    )
    assert result["flow_log_role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}-flowlogs"  # what the emulator says


def test_flow_log_drift_is_repaired_by_recreating_it(run_module, aws, key_arn, emulator_url):
    name = "net-fl-drift"
    args = network_args(name, "10.52.0.0/16", flow_log=flow_log_settings(name, key_arn))
    created = run_module(vpc_network.main, args, region=REGION)
    ec2, logs = aws("ec2", REGION), aws("logs", REGION)
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=[created["flow_log_id"]])["FlowLogs"]
    assert (flow_log["TrafficType"], flow_log["MaxAggregationInterval"], flow_log["LogFormat"]) == (
        "ALL", 600, DEFAULT_FORMAT)
    # Behind the module's back: the flow log replaced by one that logs rejected traffic only, a tag removed
    # from the log group.
    ec2.delete_flow_logs(FlowLogIds=[created["flow_log_id"]])
    replaced = ec2.create_flow_logs(
        ResourceIds=[created["vpc_id"]], ResourceType="VPC", TrafficType="REJECT", LogGroupName=f"/test/{name}/flow",
        DeliverLogsPermissionArn=created["flow_log_role_arn"], LogFormat=DEFAULT_FORMAT,
    )["FlowLogIds"][0]
    group_arn = logs.describe_log_groups(logGroupNamePrefix=f"/test/{name}/flow")["logGroups"][0]["logGroupArn"]
    logs.untag_resource(resourceArn=group_arn, tagKeys=["CostCenter"])
    mark = control.last_call_seq(emulator_url)
    planned = run_module(vpc_network.main, args, region=REGION, check_mode=True, diff=True)
    assert planned["changes"] == [
        f"log group /test/{name}/flow: tags CostCenter=qa",
        f"flow log {name}-flow-log ({replaced}): traffic type REJECT -> ALL; delete it (AWS cannot change a flow log)",
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)",
    ]
    assert planned["diff"]["before"]["flow_log"] is None
    assert planned["diff"]["after"]["flow_log"]["TrafficType"] == "ALL"
    assert control.write_calls(emulator_url, mark) == []
    repaired = run_module(vpc_network.main, args, region=REGION)
    assert repaired["changes"] == planned["changes"]
    (flow_log,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [created["vpc_id"]]}])["FlowLogs"]
    assert flow_log["TrafficType"] == "ALL" and flow_log["FlowLogId"] == repaired["flow_log_id"] != replaced
    assert run_module(vpc_network.main, args, region=REGION)["changed"] is False


def test_flow_log_with_a_new_role_is_recreated_until_it_delivers(run_module, aws, key_arn, monkeypatch, progress):
    """AWS answers DeliverLogsStatus FAILED / Access error for a flow log created with a role that has not
    propagated, and never recovers it: the module deletes it and creates it again until it delivers."""
    name = "net-fl-new-role"
    failing = []

    def change(call, operation, params):
        answer = call()
        if operation == "CreateFlowLogs" and len(failing) < 2:
            failing.extend(answer["FlowLogIds"])
        if operation == "DescribeFlowLogs":
            for flow_log in answer["FlowLogs"]:
                if flow_log["FlowLogId"] in failing:
                    flow_log.update(DeliverLogsStatus="FAILED", DeliverLogsErrorMessage="Access error")
        return answer

    patch_calls(monkeypatch, change)
    args = network_args(name, "10.53.0.0/16", flow_log=flow_log_settings(name, key_arn))
    result = run_module(vpc_network.main, args, region=REGION)
    assert result.get("failed") is not True, result
    assert len(failing) == 2
    assert [c for c in result["changes"] if "flow log" in c] == [
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)"
    ]
    (flow_log,) = aws("ec2", REGION).describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [result["vpc_id"]]}])["FlowLogs"]
    assert flow_log["FlowLogId"] == result["flow_log_id"] and result["flow_log_id"] not in failing
    assert [line.split(": ", 1)[1] for line in progress if "FAILED" in line] == [
        f"flow log {name}-flow-log ({fid}): delivery FAILED (Access error) with the new role; creating it again in 0 s"
        for fid in failing
    ]


def test_a_failed_flow_log_is_repaired_on_a_later_run(run_module, key_arn, monkeypatch):
    name = "net-fl-failed"
    args = network_args(name, "10.54.0.0/16", flow_log=flow_log_settings(name, key_arn))
    first = run_module(vpc_network.main, args, region=REGION)

    def change(call, operation, params):
        answer = call()
        for flow_log in answer.get("FlowLogs", []) if operation == "DescribeFlowLogs" else []:
            if flow_log["FlowLogId"] == first["flow_log_id"]:
                flow_log.update(DeliverLogsStatus="FAILED", DeliverLogsErrorMessage="Access error")
        return answer

    patch_calls(monkeypatch, change)
    planned = run_module(vpc_network.main, args, region=REGION, check_mode=True)
    assert planned["changes"] == [
        f"flow log {name}-flow-log ({first['flow_log_id']}): delivery FAILED (Access error); delete it (AWS cannot "
        "change a flow log)",
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)",
    ]
    repaired = run_module(vpc_network.main, args, region=REGION)
    assert repaired["changes"] == planned["changes"] and repaired["flow_log_id"] != first["flow_log_id"]
    assert run_module(vpc_network.main, args, region=REGION)["changed"] is False


def test_an_unsuccessful_flow_log_fails_naming_the_error(run_module, aws, key_arn, monkeypatch):
    name = "net-fl-refused"
    message = f"Access Denied for LogDestination: /test/{name}/flow. Please check LogDestination permission"

    def change(call, operation, params):
        if operation == "CreateFlowLogs":
            refused = {"Error": {"Code": "400", "Message": message}, "ResourceId": params["ResourceIds"][0]}
            return {"ClientToken": "t", "FlowLogIds": [], "Unsuccessful": [refused]}
        return call()

    patch_calls(monkeypatch, change)
    args = network_args(name, "10.55.0.0/16", flow_log=flow_log_settings(name, key_arn))
    result = run_module(vpc_network.main, args, region=REGION)
    assert result["failed"] is True
    vpc_id = aws("ec2", REGION).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"][0]["VpcId"]
    assert result["msg"] == f"create a flow log for {vpc_id}: AWS refused it: 400: {message}"
    assert result["changes"][-1] == (
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)")


def test_the_new_flow_log_group_waits_for_its_key_policy(run_module, key_arn, monkeypatch):
    """CloudWatch Logs refuses a key whose policy has not propagated yet; the log group helper retries."""
    name = "net-fl-key"
    refused = []
    monkeypatch.setattr(base.KMS_POLICY_PROPAGATION, "delay", 0.0)

    def change(call, operation, params):
        if operation == "CreateLogGroup" and not refused:
            refused.append(params)
            raise refusal("AccessDeniedException", f"The specified KMS key does not exist or is not allowed to be "
                          f"used with Arn 'arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/test/{name}/flow'",
                          operation)
        return call()

    patch_calls(monkeypatch, change)
    result = run_module(vpc_network.main, network_args(name, "10.56.0.0/16", flow_log=flow_log_settings(name, key_arn)),
                        region=REGION)
    assert result.get("failed") is not True, result
    assert len(refused) == 1 and f"create log group /test/{name}/flow" in result["changes"]


def test_teardown_waits_while_lambda_interfaces_hold_a_subnet(run_module, aws, monkeypatch, progress):
    name = "net-held"
    created = run_module(vpc_network.main, network_args(name, "10.57.0.0/16"), region=REGION)
    subnet = created["private_subnet_ids"][0]
    message = f"The subnet '{subnet}' has dependencies and cannot be deleted."
    refused = []

    def change(call, operation, params):
        if operation == "DeleteSubnet" and params["SubnetId"] == subnet and len(refused) < 3:
            refused.append(params)
            raise refusal("DependencyViolation", message, operation)
        return call()

    patch_calls(monkeypatch, change)
    gone = run_module(vpc_network.main, network_args(name, "10.57.0.0/16", state="absent"), region=REGION)
    assert gone.get("failed") is not True, gone
    assert len(refused) == 3
    deleted = [c for c in gone["changes"] if c.startswith("delete subnet")]
    assert len(deleted) == 6 and len(set(deleted)) == 6  # each once
    assert [line for line in progress if "DependencyViolation" in line] == [
        f"{REGION}: delete subnet {name}-private-{REGION}a ({subnet}): AWS refuses it for now (DependencyViolation: "
        f"{message}); trying again for up to 45 min"
    ]
    assert aws("ec2", REGION).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"] == []


def test_interrupted_teardown_deletes_only_what_is_left(run_module, aws, monkeypatch, progress):
    name = "net-half-gone"
    args = network_args(name, "10.58.0.0/16")
    created = run_module(vpc_network.main, args, region=REGION)
    held = f"The vpc '{created['vpc_id']}' has dependencies and cannot be deleted."

    def change(call, operation, params):
        if operation == "DeleteVpc":
            raise refusal("DependencyViolation", held, operation)
        return call()

    patch_calls(monkeypatch, change)
    failed = run_module(vpc_network.main, dict(args, state="absent", dependency_timeout=0), region=REGION)
    assert failed["failed"] is True
    assert failed["msg"].startswith(
        f"Failed to delete VPC {name} ({created['vpc_id']}): still refused after 0 s (dependency_timeout): "
    ), failed["msg"]
    monkeypatch.undo()
    again = run_module(vpc_network.main, dict(args, state="absent"), region=REGION)
    assert again["changes"] == [f"delete VPC {name} ({created['vpc_id']})"]
    assert run_module(vpc_network.main, dict(args, state="absent"), region=REGION)["changed"] is False


def test_throttling_is_retried(converged, run_module, monkeypatch):
    """A throttling error on a describe call is retried with backoff, not reported as failure."""
    name = converged[0]
    calls = {"throttled": 0}

    def change(call, operation, params):
        if operation == "DescribeSubnets" and calls["throttled"] == 0:
            calls["throttled"] += 1
            raise refusal("RequestLimitExceeded", "slow down", operation)
        return call()

    patch_calls(monkeypatch, change)
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
    assert [(method, what) for method, what, _kwargs in entry_changes(current, desired)] == [
        ("replace_network_acl_entry", "rule 100 ingress allow all 0.0.0.0/0 -> allow all 10.0.0.0/16")
    ]
    assert [what for _m, what, _k in entry_changes(current, [])][:2] == [
        "remove rule 50 ingress deny tcp 22 0.0.0.0/0", "remove rule 51 ingress deny tcp 3389 0.0.0.0/0"
    ]


def test_planners():
    zones = [{"ZoneName": n, "State": s, "ZoneType": t} for n, s, t in (
        ("r-1b", "available", "availability-zone"), ("r-1a", "available", "availability-zone"),
        ("r-1-lax-1a", "available", "local-zone"), ("r-1c", "impaired", "availability-zone"))]
    names = plan.usable_zones(zones)
    assert names == ["r-1a", "r-1b"]
    assert plan.zone_shortage("r-1", names, 2) is None
    assert plan.zone_shortage("r-1", [], 1) == "region r-1 has 0 available availability zones (none); the network " \
                                               "needs 1 (zone_count)"
    assert plan.default_route_change("public", [], "igw-1") == ("create_route", None, "igw-1")
    assert plan.default_route_change("public", [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0"}],
                                     "igw-1") == ("replace_route", "igw-0", "igw-1")
    assert plan.default_route_change("private", [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"}],
                                     "igw-1") == ("delete_route", "nat-1", None)
    assert plan.default_route_change("private", [{"DestinationCidrBlock": "10.0.0.0/16"}], "igw-1") is None
    view = plan.flow_log_view({"LogDestination": "arn:aws:logs:r:1:log-group:/a/b:*", "TrafficType": "ALL"})
    assert view["LogGroupName"] == "/a/b"
    app = {"GroupId": "sg-app", "IpPermissions": []}
    db = {"GroupId": "sg-db", "IpPermissions": [{"UserIdGroupPairs": [{"GroupId": "sg-app"}]}]}
    ordered, revoke = plan.deletion_order([app, db])
    assert [g["GroupId"] for g in ordered] == ["sg-db", "sg-app"] and revoke == {}
    loop = {"GroupId": "sg-app", "IpPermissionsEgress": [{"UserIdGroupPairs": [{"GroupId": "sg-db"}]}]}
    ordered, revoke = plan.deletion_order([loop, db])
    assert sorted(revoke) == ["sg-app", "sg-db"]


def test_flow_log_policies_take_the_partition():
    trust = policies.flow_log_trust_policy("aws-us-gov", "us-gov-west-1", ACCOUNT)
    assert trust["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws-us-gov:ec2:us-gov-west-1:{ACCOUNT}:vpc-flow-log/*")
    assert policies.wildcard_actions(policies.flow_log_delivery_policy("arn:aws:logs:r:1:log-group:g")) == []

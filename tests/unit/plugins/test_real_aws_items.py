"""Issue 13's real-AWS items at module level, against the aws-profile emulator: no patched AWS answer.

The older tests of these items (test_lambda_function.py, test_s3_secure_bucket.py, test_vpc_network.py,
test_aurora_network.py) patch botocore's ``_make_api_call`` to answer what AWS answers, from before the
emulator modelled it; they stay, as exact checks of the call sequences. Here the emulator itself behaves as
AWS does (its aws profile, docs/emulator.md) and the same outcomes are asserted, with its call log. Each test
names its item:

  2  Lambda: Pending -> Active and update InProgress waited for; a role not yet assumable, a permission S3
     cannot validate yet and a function update in progress retried; a Failed creation or update reported;
  3  a reserved concurrency above the account's quota refused with AWS's message;
  4  a bucket name another account owns: HeadBucket 403, nothing touched;
  5  teardown: Lambda's lingering network interfaces (DependencyViolation) retried; late access logs
     (BucketNotEmpty) emptied again;
  8  a flow log made with a role not yet usable is FAILED "Access error" for good: made again until it
     delivers, and repaired by a later run;
  9  a new key's policy not yet effective for CloudWatch Logs: the flow-log group retried;
  15 a region with fewer zones than the network needs fails before any write.

Items 6 and 12 (Aurora: no change while not available, instances in different zones) are shown under the
profile in test_aurora_cluster.py, prod's teardown of promoting clusters too; 1, 3 and 15 through site.yml in
tests/integration/test_preflight_playbook.py; the whole run in tests/integration/test_rehearsal.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
import uuid
import zipfile

import botocore.client
import botocore.exceptions
import pytest

from ansible_collections.tap.multiregion.plugins.modules import aurora_network
from ansible_collections.tap.multiregion.plugins.modules import lambda_function
from ansible_collections.tap.multiregion.plugins.modules import s3_secure_bucket
from ansible_collections.tap.multiregion.plugins.modules import vpc_network
from ansible_collections.tap.multiregion.plugins.plugin_utils import inprocess

REGION = "ap-northeast-1"  # no other aws-profile test uses it
ACCOUNT = "123456789012"
TIME_SCALE = 600.0  # conftest.AWS_PROFILE_FOR_TESTS
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip


@pytest.fixture(autouse=True)
def aws_polls(monkeypatch):
    """Modules poll every 10 AWS seconds, as on AWS (the rehearsal and the benchmark set the same)."""
    monkeypatch.setenv("TAP_WAIT_POLL_SECONDS", f"{10 / TIME_SCALE:.4f}")


@pytest.fixture
def progress(monkeypatch):
    """Progress lines the modules show on the controller."""
    lines: list[str] = []
    monkeypatch.setattr(inprocess, "_display_progress", lines.append)
    return lines


def refused_writes(aws_profile, operation: str | None = None) -> list[dict]:
    """Writes AWS refused (its rules and states; the profile injects no fault here)."""
    return [c for c in aws_profile.write_calls()
            if c["status"] >= 400 and (operation is None or c["operation"] == operation)]  # fmt: skip


@contextlib.contextmanager
def released_once_refused(aws_profile, operations: tuple[str, ...], durations: dict):
    """While the block runs: as soon as AWS has refused one of operations (the call log), set durations.

    Lambda lets go of its interfaces when it does, not when a test finds it convenient: they stay until the
    module has met them, then go (a fixed linger would have to outlast the module's own reads).
    """
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            if any(c["operation"] in operations for c in refused_writes(aws_profile)):
                aws_profile.set(durations=durations)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def make_zip(body: str = "def handler(event, context):\n    return {}\n") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("processor.py", date_time=(1980, 1, 1, 0, 0, 0)), body)
    return buffer.getvalue()


@pytest.fixture
def lambda_env(aws_profile, tmp_path):
    """A propagated execution role, a VPC with two subnets and its default security group, two packages."""
    iam, ec2 = aws_profile.client("iam", REGION), aws_profile.client("ec2", REGION)
    suffix = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"lambda-aws-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(zones)]  # fmt: skip
    (default_group,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    (tmp_path / "v1.zip").write_bytes(make_zip())
    (tmp_path / "v2.zip").write_bytes(make_zip("def handler(event, context):\n    return {'v': 2}\n"))
    time.sleep(0.1)  # iam.role.propagation: 10 AWS seconds
    return {"role": role["Arn"], "subnets": subnets, "sg": default_group["GroupId"], "suffix": suffix,
            "zip": str(tmp_path / "v1.zip"), "zip2": str(tmp_path / "v2.zip")}  # fmt: skip


def function_args(env: dict, name: str, **overrides) -> dict:
    args = dict(name=name, role=env["role"], runtime="python3.11", handler="processor.handler",
                zip_file=env["zip"], memory_size=256, timeout=30, vpc_subnet_ids=env["subnets"],
                vpc_security_group_ids=[env["sg"]], tags={"Environment": "test"})  # fmt: skip
    args.update(overrides)
    return args


# --------------------------------------------------------------------------------------------- item 2


def test_item2_a_vpc_function_is_waited_for_until_active_and_each_update_until_done(
    run_aws_module, aws_profile, lambda_env
):
    """AWS answers State Pending to CreateFunction (a VPC function for a minute or more) and LastUpdateStatus
    InProgress to an update; a write meanwhile would meet ResourceConflictException (the emulator's too)."""
    aws_profile.set(durations={"lambda.function.create": 600, "lambda.function.update": 300})
    name = f"lf-states-{lambda_env['suffix']}"
    created = run_aws_module(lambda_function.main, function_args(lambda_env, name, reserved_concurrency=5),
                             region=REGION)  # fmt: skip
    assert created.get("failed") is not True, created
    assert [w["what"] for w in created["waits"]] == [f"creation of function {name}"]
    config = aws_profile.client("lambda", REGION).get_function_configuration(FunctionName=name)
    assert config["State"] == "Active"

    updated = run_aws_module(lambda_function.main, function_args(lambda_env, name, reserved_concurrency=5,
                                                                 memory_size=512, zip_file=lambda_env["zip2"]),
                             region=REGION)  # fmt: skip
    assert updated.get("failed") is not True, updated
    assert [w["what"] for w in updated["waits"]] == [f"configuration update of function {name}",
                                                     f"code update of function {name}"]  # fmt: skip
    assert refused_writes(aws_profile) == []  # no write met a function in transition


def test_item2_a_role_lambda_cannot_assume_yet_is_retried(run_aws_module, aws_profile, lambda_env):
    aws_profile.set(durations={"iam.role.propagation": 1200})  # two real seconds
    role = aws_profile.client("iam", REGION).create_role(RoleName=f"lambda-new-{lambda_env['suffix']}",
                                                         AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    name = f"lf-new-role-{lambda_env['suffix']}"
    result = run_aws_module(lambda_function.main, function_args(lambda_env, name, role=role["Arn"]), region=REGION)
    assert result.get("failed") is not True, result
    refusals = refused_writes(aws_profile, "POST /2015-03-31/functions")
    assert refusals, "CreateFunction was never refused: the role had propagated already"
    creations = [c for c in aws_profile.write_calls() if c["operation"] == "POST /2015-03-31/functions"]
    assert creations[-1]["status"] == 201 and len(creations) == len(refusals) + 1


def test_item2_a_failed_creation_and_a_failed_update_fail_naming_aws_reason(run_aws_module, aws_profile, lambda_env):
    created_name, updated_name = f"lf-failed-c-{lambda_env['suffix']}", f"lf-failed-u-{lambda_env['suffix']}"
    aws_profile.set(account={"lambda_failing_functions": {created_name: {
        "code": "EniLimitExceeded", "reason": "The function could not create its network interfaces."}}})
    result = run_aws_module(lambda_function.main, function_args(lambda_env, created_name), region=REGION)
    assert result["failed"] is True
    assert result["msg"] == (f"function {created_name}: creation State Failed (EniLimitExceeded): "
                             "The function could not create its network interfaces.")  # fmt: skip

    assert run_aws_module(lambda_function.main, function_args(lambda_env, updated_name), region=REGION)["changed"]
    aws_profile.set(account={"lambda_failing_functions": {updated_name: {
        "code": "SubnetOutOfIPAddresses", "reason": "All subnets of the function are out of IP addresses."}}})
    result = run_aws_module(lambda_function.main, function_args(lambda_env, updated_name, memory_size=512),
                            region=REGION)  # fmt: skip
    assert result["failed"] is True
    assert result["msg"] == (f"function {updated_name}: configuration update LastUpdateStatus Failed "
                             "(SubnetOutOfIPAddresses): All subnets of the function are out of IP addresses.")
    assert result["changes"] == [f"function {updated_name}: memory size 256 -> 512"]


def test_item2_an_update_in_progress_and_a_permission_s3_cannot_validate_yet_are_waited_for(
    run_aws_module, aws_profile, lambda_env
):
    name, bucket = f"lf-busy-{lambda_env['suffix']}", f"lf-busy-{lambda_env['suffix']}"
    aws_profile.client("s3", REGION).create_bucket(Bucket=bucket,
                                                   CreateBucketConfiguration={"LocationConstraint": REGION})
    assert run_aws_module(lambda_function.main, function_args(lambda_env, name), region=REGION)["changed"]
    aws_profile.set(durations={"lambda.function.update": 1200, "lambda.permission.propagation": 300})
    aws_profile.client("lambda", REGION).update_function_configuration(FunctionName=name, Timeout=45)  # InProgress
    notify = dict(
        permissions=[{"sid": "s3-invoke", "principal": "s3.amazonaws.com", "source_arn": f"arn:aws:s3:::{bucket}",
                      "source_account": ACCOUNT}],
        s3_notifications=[{"bucket": bucket}],
    )  # fmt: skip
    result = run_aws_module(lambda_function.main, function_args(lambda_env, name, timeout=60, **notify),
                            region=REGION)  # fmt: skip
    assert result.get("failed") is not True, result
    assert aws_profile.client("lambda", REGION).get_function_configuration(FunctionName=name)["Timeout"] == 60
    assert [w["what"] for w in result["waits"]][0] == f"last update of function {name}"
    notifications = [c for c in aws_profile.write_calls() if c["operation"] == "PUT bucket?notification"]
    assert [c["status"] for c in notifications][0] == 400 and notifications[-1]["status"] == 200
    config = aws_profile.client("s3", REGION).get_bucket_notification_configuration(Bucket=bucket)
    assert [c["Id"] for c in config["LambdaFunctionConfigurations"]] == [name]


# --------------------------------------------------------------------------------------------- item 3


def test_item3_reserved_concurrency_above_the_quota_is_refused_with_aws_message(
    run_aws_module, aws_profile, lambda_env
):
    aws_profile.set(account={"lambda_concurrent_executions": 120})
    name = f"lf-quota-{lambda_env['suffix']}"
    result = run_aws_module(lambda_function.main, function_args(lambda_env, name, reserved_concurrency=50),
                            region=REGION)  # fmt: skip
    assert result["failed"] is True
    assert result["msg"] == (
        f"Failed to function {name}: reserved concurrency none -> 50: An error occurred "
        "(InvalidParameterValueException) when calling the PutFunctionConcurrency operation: Specified "
        "ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its "
        "minimum value of [100]."
    )


# --------------------------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("state", ["present", "absent"])
def test_item4_a_bucket_name_another_account_owns_fails_and_touches_nothing(run_aws_module, aws_profile, state):
    name = f"tap-foreign-{state}-{uuid.uuid4().hex[:8]}"
    aws_profile.set(account={"foreign_buckets": [name]})
    result = run_aws_module(s3_secure_bucket.main, {"name": name, "state": state, "sse_algorithm": "AES256"},
                            region=REGION)  # fmt: skip
    assert result["failed"] is True
    assert name in result["msg"] and "another AWS account" in result["msg"]
    assert "choose other bucket names" in result["msg"].lower()
    assert ("refusing to empty or delete it" in result["msg"]) is (state == "absent")
    assert [(c["operation"], c["status"]) for c in aws_profile.calls()] == [("HEAD bucket", 403)]
    assert result.get("changes", []) == []


# --------------------------------------------------------------------------------------------- item 5


def test_item5_late_access_logs_are_deleted_before_the_log_bucket_is(run_aws_module, aws_profile, monkeypatch):
    """Access logs arrive late (s3.access_log.delay): logs held back while the module empties the bucket arrive
    before its DeleteBucket, which S3 answers BucketNotEmpty; the module empties it again and deletes it."""
    aws_profile.set(durations={"s3.access_log.delay": 1e9})  # held back
    s3 = aws_profile.client("s3", REGION)
    source, target = (f"tap-late-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("data", "logs"))
    for bucket in (target, source):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    delivery = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{target}/*"}  # fmt: skip
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [delivery]}))
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target,
                                                                                 "TargetPrefix": "access/"}})
    s3.put_object(Bucket=source, Key="data.txt", Body=b"x")
    s3.put_object(Bucket=target, Key="access/early.log", Body=b"an early log")

    # The emulator's clock, not its answers: the held-back logs become due just before the first DeleteBucket.
    original = botocore.client.BaseClient._make_api_call
    deletes: list[str] = []

    def logs_arrive_before_the_first_delete(client, operation_name, api_params):
        if operation_name == "DeleteBucket" and api_params.get("Bucket") == target and not deletes:
            deletes.append(operation_name)
            aws_profile.set(durations={"s3.access_log.delay": 0})
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", logs_arrive_before_the_first_delete)
    result = run_aws_module(s3_secure_bucket.main, {"name": target, "state": "absent"}, region=REGION)
    assert result.get("failed") is not True, result
    late = result["deleted_objects"] - 1
    assert late >= 1  # the log of the PutObject to the source
    assert result["changes"] == [f"bucket {target}: delete 1 object versions", f"delete bucket {target}",
                                 f"bucket {target}: delete {late} late object versions"]  # fmt: skip
    assert [c["status"] for c in aws_profile.calls() if c["operation"] == "DELETE bucket"] == [409, 204]
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_bucket(Bucket=target)


@pytest.fixture
def network(run_aws_module):
    name = f"net-held-{uuid.uuid4().hex[:6]}"
    args = dict(name=name, cidr_block="10.78.0.0/16", public_subnets=[f"10.78.{i}.0/24" for i in (0, 1, 2)],
                private_subnets=[f"10.78.{i}.0/24" for i in (10, 11, 12)], tags={"Environment": "test"})  # fmt: skip
    created = run_aws_module(vpc_network.main, args, region=REGION)
    assert created.get("failed") is not True, created
    return args, created


def vpc_function_gone(aws_profile, lambda_env, name: str, subnets: list[str], group: str) -> None:
    """A VPC function made and deleted behind the module's back: its interfaces stay (held)."""
    aws_profile.set(durations={"lambda.eni.linger": 1e9, "lambda.function.create": 0})
    lam = aws_profile.client("lambda", REGION)
    lam.create_function(FunctionName=name, Role=lambda_env["role"], Runtime="python3.11", Handler="p.handler",
                        Code={"ZipFile": make_zip()}, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": [group]})
    lam.delete_function(FunctionName=name)


def test_item5_the_network_is_deleted_once_lambda_lets_go_of_its_interfaces(
    run_aws_module, aws_profile, lambda_env, network, progress
):
    args, created = network
    (default_group,) = aws_profile.client("ec2", REGION).describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [created["vpc_id"]]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"]  # fmt: skip
    vpc_function_gone(aws_profile, lambda_env, f"lf-held-{lambda_env['suffix']}", created["private_subnet_ids"][:2],
                      default_group["GroupId"])
    with released_once_refused(aws_profile, ("DeleteSubnet", "DeleteVpc"), {"lambda.eni.linger": 1800}):
        gone = run_aws_module(vpc_network.main, dict(args, state="absent"), region=REGION)
    assert gone.get("failed") is not True, gone
    refusals = refused_writes(aws_profile, "DeleteSubnet")
    assert refusals, "no subnet was refused: the interfaces did not hold them"
    deleted = [c for c in gone["changes"] if c.startswith("delete subnet")]
    assert len(deleted) == 6 and len(set(deleted)) == 6  # each once
    held = [line for line in progress if "DependencyViolation" in line]
    assert held and "has dependencies and cannot be deleted." in held[0] and "AWS Lambda VPC ENI-lf-held-" in held[0]
    assert created["vpc_id"] not in [v["VpcId"] for v in aws_profile.client("ec2", REGION).describe_vpcs()["Vpcs"]]


def test_item5_the_app_security_group_is_deleted_once_lambda_lets_go_of_it(
    run_aws_module, aws_profile, lambda_env, network, progress
):
    _args, created = network
    name = f"aurora-held-{lambda_env['suffix']}"
    groups = dict(vpc_id=created["vpc_id"], subnet_group_name=name, app_security_group_name=f"{name}-app",
                  db_security_group_name=f"{name}-db")  # fmt: skip
    made = run_aws_module(aurora_network.main, dict(groups, subnet_ids=created["private_subnet_ids"], port=3306,
                                                    tags={"Environment": "test"}), region=REGION)  # fmt: skip
    assert made.get("failed") is not True, made
    vpc_function_gone(aws_profile, lambda_env, f"lf-app-{lambda_env['suffix']}", created["private_subnet_ids"][:1],
                      made["app_security_group_id"])
    with released_once_refused(aws_profile, ("DeleteSecurityGroup",), {"lambda.eni.linger": 1800}):
        gone = run_aws_module(aurora_network.main, dict(groups, state="absent"), region=REGION)
    assert gone.get("failed") is not True, gone
    assert refused_writes(aws_profile, "DeleteSecurityGroup"), "the app group was never refused"
    held = [line for line in progress if "DependencyViolation" in line]
    assert held and f"resource {made['app_security_group_id']} has a dependent object" in held[0]
    assert f"delete security group {name}-app ({made['app_security_group_id']})" in gone["changes"]


# --------------------------------------------------------------------------------------------- items 8, 9


def logs_key(aws_profile) -> str:
    """A key whose policy lets CloudWatch Logs of the region use it (the emulator checks principal and action)."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "Logs", "Effect": "Allow", "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*"}]}  # fmt: skip
    return aws_profile.client("kms", REGION).create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]


def flow_log_args(name: str, cidr_prefix: str, key_arn: str) -> dict:
    return dict(name=name, cidr_block=f"{cidr_prefix}.0.0/16",
                public_subnets=[f"{cidr_prefix}.{i}.0/24" for i in (0, 1, 2)],
                private_subnets=[f"{cidr_prefix}.{i}.0/24" for i in (10, 11, 12)], tags={"Environment": "test"},
                flow_log={"log_group_name": f"/test/{name}/flow", "kms_key_arn": key_arn, "retention_days": 14,
                          "role_name": f"{name}-flowlogs", "account_id": ACCOUNT})  # fmt: skip


def test_item8_a_flow_log_made_with_a_role_not_yet_usable_is_made_again_until_it_delivers(
    run_aws_module, aws_profile, progress
):
    key = logs_key(aws_profile)
    time.sleep(0.05)  # kms.policy.propagation: 5 AWS seconds
    aws_profile.set(durations={"iam.role.propagation": 1200})  # the new delivery role: two real seconds
    name = f"net-fl-role-{uuid.uuid4().hex[:6]}"
    result = run_aws_module(vpc_network.main, flow_log_args(name, "10.79", key), region=REGION)
    assert result.get("failed") is not True, result
    failed = [line for line in progress if "delivery FAILED (Access error) with the new role" in line]
    assert failed, "the first flow log delivered: the role had propagated already"
    assert [c for c in result["changes"] if "flow log" in c] == [
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)"]
    (flow_log,) = aws_profile.client("ec2", REGION).describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [result["vpc_id"]]}])["FlowLogs"]
    assert flow_log["FlowLogId"] == result["flow_log_id"] and flow_log["DeliverLogsStatus"] == "SUCCESS"


def test_item8_a_failed_flow_log_is_repaired_on_a_later_run(run_aws_module, aws_profile):
    key = logs_key(aws_profile)
    time.sleep(0.05)
    name = f"net-fl-failed-{uuid.uuid4().hex[:6]}"
    args = flow_log_args(name, "10.80", key)
    first = run_aws_module(vpc_network.main, args, region=REGION)
    assert first.get("failed") is not True, first
    # Behind the module's back: the flow log made again right after its role's trust policy was put again (the
    # same document: nothing drifts), which AWS takes time to propagate: the new flow log is FAILED for good.
    ec2, iam = aws_profile.client("ec2", REGION), aws_profile.client("iam", REGION)
    aws_profile.set(durations={"iam.role.propagation": 3600})
    role = iam.get_role(RoleName=f"{name}-flowlogs")["Role"]
    document = role["AssumeRolePolicyDocument"]
    iam.update_assume_role_policy(RoleName=role["RoleName"],
                                  PolicyDocument=document if isinstance(document, str) else json.dumps(document))
    (original,) = ec2.describe_flow_logs(FlowLogIds=[first["flow_log_id"]])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[first["flow_log_id"]])
    failed_id = ec2.create_flow_logs(
        ResourceIds=[first["vpc_id"]], ResourceType="VPC", TrafficType=original["TrafficType"],
        LogGroupName=original["LogGroupName"], DeliverLogsPermissionArn=original["DeliverLogsPermissionArn"],
        LogFormat=original["LogFormat"], MaxAggregationInterval=original["MaxAggregationInterval"],
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": original["Tags"]}])["FlowLogIds"][0]
    (made,) = ec2.describe_flow_logs(FlowLogIds=[failed_id])["FlowLogs"]
    assert (made["DeliverLogsStatus"], made["DeliverLogsErrorMessage"]) == ("FAILED", "Access error")
    aws_profile.set(durations={"iam.role.propagation": 10})  # propagated by the next run
    planned = run_aws_module(vpc_network.main, args, region=REGION, check_mode=True)
    assert planned["changes"] == [
        f"flow log {name}-flow-log ({failed_id}): delivery FAILED (Access error); delete it (AWS cannot change a flow "
        "log)",
        f"create flow log {name}-flow-log (ALL traffic of VPC {name} to log group /test/{name}/flow)",
    ]
    repaired = run_aws_module(vpc_network.main, args, region=REGION)
    assert repaired["changes"] == planned["changes"] and repaired["flow_log_id"] != failed_id
    assert run_aws_module(vpc_network.main, args, region=REGION)["changed"] is False


def test_item9_the_flow_log_group_waits_for_its_new_key_policy(run_aws_module, aws_profile):
    aws_profile.set(durations={"kms.policy.propagation": 1200})  # two real seconds
    key = logs_key(aws_profile)
    name = f"net-fl-key-{uuid.uuid4().hex[:6]}"
    result = run_aws_module(vpc_network.main, flow_log_args(name, "10.81", key), region=REGION)
    assert result.get("failed") is not True, result
    refusals = refused_writes(aws_profile, "CreateLogGroup")
    assert refusals, "CreateLogGroup was never refused: the key policy had propagated already"
    assert f"create log group /test/{name}/flow" in result["changes"]


# --------------------------------------------------------------------------------------------- item 15


def test_item15_too_few_zones_fail_before_anything_is_written(run_aws_module, aws_profile):
    args = dict(name="net-two-zones", cidr_block="10.82.0.0/16", public_subnets=[f"10.82.{i}.0/24" for i in (0, 1, 2)],
                private_subnets=[f"10.82.{i}.0/24" for i in (10, 11, 12)], tags={"Environment": "test"})  # fmt: skip
    result = run_aws_module(vpc_network.main, args, region="us-west-1")
    assert result["failed"] is True
    assert result["msg"] == (
        "region us-west-1 has 2 available availability zones (us-west-1a, us-west-1b); the network needs 3 (zone_count)"
    )
    assert aws_profile.write_calls() == []

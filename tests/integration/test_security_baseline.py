"""The security baseline of spec.md, control by control, on what the emulator holds after site.yml.

Every assertion reads the deployed resources back from the emulator (found from the outputs file
and from each other: the cluster's security group leads to the app group, the function's
invoke config to its queue, ...), never from the roles' variables. Expected values are the
spec's (e.g. dev: backup retention 1 day, deletion protection off). docs/security.md maps each
control to these tests and lists the documented exceptions.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pytest
from integration.helpers import REGIONS
from integration.security_scan import as_list, nacl_verdict, statements, wildcard_allow_actions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

ENV = "dev"
# Spec "Environment settings", dev column.
DEV_BACKUP_RETENTION_DAYS = 1
DEV_DELETION_PROTECTION = False
DEV_LOG_RETENTION_DAYS = 14
# An address outside every VPC of the stack, standing for "the internet".
INTERNET = "203.0.113.50"
PER_REGION = pytest.mark.parametrize("region", sorted(REGIONS))


def tags_of(resource) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagList", []))}


def document(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Region:
    """Handles on one region's deployed stack, found from the outputs file and the emulator."""

    name: str
    account: str
    outputs: dict
    key_arn: str
    vpc: dict
    cluster: dict
    instances: list
    function: dict

    @property
    def cluster_arn(self) -> str:
        return self.cluster["DBClusterArn"]


@pytest.fixture(scope="module")
def clients(aws):
    return functools.lru_cache(maxsize=None)(aws)


@pytest.fixture(scope="module")
def stack(dev_stack, clients):
    account = clients("sts", "us-east-1").get_caller_identity()["Account"]

    @functools.cache
    def region(name: str) -> Region:
        outputs = dev_stack["outputs"]["regions"][name]
        key_arn = clients("kms", name).describe_key(KeyId=outputs["kms_key_id"])["KeyMetadata"]["Arn"]
        vpc = clients("ec2", name).describe_vpcs(VpcIds=[outputs["vpc_id"]])["Vpcs"][0]
        rds = clients("rds", name)
        cluster_id = outputs["rds_cluster_endpoint"].split(".")[0]
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        instances = [
            rds.describe_db_instances(DBInstanceIdentifier=m["DBInstanceIdentifier"])["DBInstances"][0]
            for m in cluster["DBClusterMembers"]
        ]
        function = clients("lambda", name).get_function_configuration(FunctionName=outputs["lambda_function_arn"])
        return Region(name, account, outputs, key_arn, vpc, cluster, instances, function)

    return region


def subnet_tiers(ec2, vpc_id: str) -> tuple[set, set]:
    """(public, private) subnet ids: private subnets' route table has no 0.0.0.0/0 route."""
    public, private = set(), set()
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        subnets = {a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")}
        to_internet = any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in table["Routes"])
        (public if to_internet else private).update(subnets)
    return public, private


def role_trust(clients, role_arn: str) -> list[dict]:
    role = clients("iam", "us-east-1").get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
    return statements(role["AssumeRolePolicyDocument"])


def condition_value(statement: dict, key: str):
    """The value a statement's Condition requires for key, whatever the operator."""
    for operator in (statement.get("Condition") or {}).values():
        for name, value in operator.items():
            if name.lower() == key.lower():
                return value
    return None


# ============================================================================================
# Aurora
# ============================================================================================
@PER_REGION
def test_aurora_parameter_group_requires_secure_transport(stack, clients, region):
    r = stack(region)
    group = r.cluster["DBClusterParameterGroup"]
    assert not group.startswith("default."), "the cluster must use its own parameter group"
    rds = clients("rds", region)
    parameters = {
        p["ParameterName"]: p.get("ParameterValue")
        for page in rds.get_paginator("describe_db_cluster_parameters").paginate(DBClusterParameterGroupName=group)
        for p in page["Parameters"]
    }
    assert parameters["require_secure_transport"] == "ON"
    assert all(m["DBClusterParameterGroupStatus"] == "in-sync" for m in r.cluster["DBClusterMembers"])


@PER_REGION
def test_aurora_iam_database_authentication(stack, region):
    assert stack(region).cluster["IAMDatabaseAuthenticationEnabled"] is True


@PER_REGION
def test_aurora_master_user_secret_and_storage_encryption(stack, region):
    r = stack(region)
    cluster = r.cluster
    assert cluster["MasterUsername"] not in ("admin", "root", "")
    assert cluster["StorageEncrypted"] is True and cluster["KmsKeyId"] == r.key_arn
    secret = cluster["MasterUserSecret"]  # password generated and held by Secrets Manager
    assert secret["SecretStatus"] == "active" and secret["KmsKeyId"] == r.key_arn
    assert cluster.get("PubliclyAccessible") is not True
    for instance in r.instances:
        assert instance["PubliclyAccessible"] is False and instance["StorageEncrypted"] is True


@PER_REGION
def test_aurora_security_group_admits_only_the_app_group(stack, clients, region):
    r = stack(region)
    ec2 = clients("ec2", region)
    group_ids = [g["VpcSecurityGroupId"] for g in r.cluster["VpcSecurityGroups"]]
    (db_group,) = ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
    assert len(db_group["IpPermissions"]) == 1
    (rule,) = db_group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", r.cluster["Port"], r.cluster["Port"])
    assert rule["IpRanges"] == [] and rule["Ipv6Ranges"] == [] and rule.get("PrefixListIds", []) == []
    (source,) = rule["UserIdGroupPairs"]
    app_group = ec2.describe_security_groups(GroupIds=[source["GroupId"]])["SecurityGroups"][0]
    assert app_group["VpcId"] == r.vpc["VpcId"] and app_group["GroupName"] != "default"


@PER_REGION
def test_aurora_copy_tags_to_snapshot(stack, region):
    assert stack(region).cluster["CopyTagsToSnapshot"] is True


@PER_REGION
def test_aurora_backtrack_window_24_hours(stack, region):
    # dev has no global database, so backtracking is on (prod: off, see docs/security.md).
    assert stack(region).cluster["BacktrackWindow"] == 24 * 3600


@PER_REGION
def test_aurora_deletion_protection_matches_environment(stack, region):
    assert stack(region).cluster["DeletionProtection"] is DEV_DELETION_PROTECTION


@PER_REGION
def test_aurora_enhanced_monitoring_with_its_own_role(stack, clients, region):
    r = stack(region)
    iam = clients("iam", "us-east-1")
    role_arns = {i["MonitoringRoleArn"] for i in r.instances}
    assert len(r.instances) == 2 and all(i["MonitoringInterval"] == 60 for i in r.instances)
    (role_arn,) = role_arns
    role_name = role_arn.rsplit("/", 1)[1]
    assert ENV in role_name and region in role_name
    (trust,) = role_trust(clients, role_arn)
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []


@PER_REGION
def test_aurora_performance_insights_encrypted_where_supported(stack, region):
    r = stack(region)
    for instance in r.instances:
        if instance["DBInstanceClass"].startswith(("db.t2.", "db.t3.")):
            # Documented exception: Aurora MySQL has no Performance Insights on db.t2/db.t3 (dev).
            assert not instance.get("PerformanceInsightsEnabled")
        else:
            assert instance["PerformanceInsightsEnabled"] is True
            assert instance["PerformanceInsightsKMSKeyId"] == r.key_arn


@PER_REGION
def test_rds_event_subscriptions_to_the_alert_topic(stack, clients, region):
    r = stack(region)
    subscriptions = clients("rds", region).describe_event_subscriptions()["EventSubscriptionsList"]
    topic_arn = f"arn:aws:sns:{region}:{r.account}:tap-alerts-{ENV}-{region}"
    ours = {s["SourceType"]: s for s in subscriptions if s["SnsTopicArn"] == topic_arn}
    expected = {
        "db-cluster": {"failure", "failover", "maintenance"},
        "db-instance": {"failure", "failover", "maintenance", "configuration change"},
        "db-parameter-group": {"configuration change"},
        "db-security-group": {"configuration change", "failure"},
    }
    assert set(ours) == set(expected)
    for source_type, subscription in ours.items():
        assert subscription["Enabled"] is True and subscription["Status"] == "active"
        assert expected[source_type] <= set(subscription["EventCategoriesList"])
        # No source ids: every source of its type in the region, including ones added later.
        assert subscription.get("SourceIdsList", []) == []


# ============================================================================================
# Backups
# ============================================================================================
@PER_REGION
def test_backup_vault_plan_and_selection(stack, clients, region):
    r = stack(region)
    backup = clients("backup", region)
    table_arn = f"arn:aws:dynamodb:{region}:{r.account}:table/sessions-{ENV}"
    covering = []
    for plan in backup.list_backup_plans()["BackupPlansList"]:
        for selection in backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]:
            detail = backup.get_backup_selection(
                BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"]
            )["BackupSelection"]
            if r.cluster_arn in detail["Resources"]:
                covering.append((plan, detail))
    assert len(covering) == 1, covering
    plan, selection = covering[0]
    assert set(selection["Resources"]) == {r.cluster_arn, table_arn}
    (trust,) = role_trust(clients, selection["IamRoleArn"])
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    (rule,) = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"]
    assert rule["ScheduleExpression"].startswith("cron(") and rule["ScheduleExpression"].endswith("* * *)")  # daily
    assert rule["Lifecycle"]["DeleteAfterDays"] == DEV_BACKUP_RETENTION_DAYS
    vault = backup.describe_backup_vault(BackupVaultName=rule["TargetBackupVaultName"])
    assert vault["EncryptionKeyArn"] == r.key_arn


# ============================================================================================
# DynamoDB
# ============================================================================================
@PER_REGION
def test_dynamodb_sessions_table_encrypted_with_pitr(stack, clients, region):
    r = stack(region)
    dynamodb = clients("dynamodb", region)
    table = dynamodb.describe_table(TableName=r.outputs["dynamodb_table_name"])["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == r.key_arn
    assert table["DeletionProtectionEnabled"] is DEV_DELETION_PROTECTION
    assert table["GlobalTableVersion"] == "2019.11.21"
    for replica in table["Replicas"]:  # every other region's replica with that region's key
        other = stack(replica["RegionName"])
        assert replica["KMSMasterKeyId"] == other.key_arn
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


# ============================================================================================
# S3
# ============================================================================================
FULL_BLOCK = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


def log_bucket_of(s3, bucket: str) -> str:
    return s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"]


@PER_REGION
def test_s3_ownership_enforced_and_public_access_blocked(stack, clients, region):
    s3 = clients("s3", region)
    data = stack(region).outputs["s3_bucket_name"]
    for bucket in (data, log_bucket_of(s3, data)):
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], bucket
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == FULL_BLOCK, bucket
        grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
        assert [g["Grantee"]["Type"] for g in grants] == ["CanonicalUser"], bucket


@PER_REGION
def test_s3_data_bucket_sse_kms_with_bucket_key(stack, clients, region):
    r = stack(region)
    s3 = clients("s3", region)
    (rule,) = s3.get_bucket_encryption(Bucket=r.outputs["s3_bucket_name"])["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": r.key_arn}
    assert rule["BucketKeyEnabled"] is True
    assert s3.get_bucket_versioning(Bucket=r.outputs["s3_bucket_name"])["Status"] == "Enabled"


@PER_REGION
def test_s3_access_logging_to_a_separate_encrypted_log_bucket(stack, clients, region):
    s3 = clients("s3", region)
    data = stack(region).outputs["s3_bucket_name"]
    logging = s3.get_bucket_logging(Bucket=data)["LoggingEnabled"]
    log_bucket = logging["TargetBucket"]
    assert log_bucket != data and logging["TargetPrefix"]
    assert (s3.get_bucket_location(Bucket=log_bucket)["LocationConstraint"] or "us-east-1") == region
    (rule,) = s3.get_bucket_encryption(Bucket=log_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    # Documented exception: server access logs can only be delivered to SSE-S3 buckets.
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=log_bucket)["Rules"]
    assert [r["Expiration"]["Days"] for r in rules if r["Status"] == "Enabled"] == [90]
    # Versioned, noncurrent versions and incomplete uploads expire too.
    assert s3.get_bucket_versioning(Bucket=log_bucket)["Status"] == "Enabled"
    enabled = [r for r in rules if r["Status"] == "Enabled"]
    assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in enabled] == [7]
    assert [r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] for r in enabled] == [1]
    # Only S3 log delivery for the data bucket may write to it.
    allows = [s for s in statements(s3.get_bucket_policy(Bucket=log_bucket)["Policy"]) if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "logging.s3.amazonaws.com"}]
    assert condition_value(allows[0], "aws:SourceArn") == f"arn:aws:s3:::{data}"
    assert condition_value(allows[0], "aws:SourceAccount") == stack(region).account


@PER_REGION
def test_s3_buckets_deny_requests_without_tls(stack, clients, region):
    s3 = clients("s3", region)
    data = stack(region).outputs["s3_bucket_name"]
    for bucket in (data, log_bucket_of(s3, data)):
        denies = [s for s in statements(s3.get_bucket_policy(Bucket=bucket)["Policy"]) if s["Effect"] == "Deny"]
        tls = [s for s in denies if condition_value(s, "aws:SecureTransport") == "false"]
        assert len(tls) == 1, bucket
        assert as_list(tls[0]["Action"]) == ["s3:*"]  # documented: a wildcard in a Deny statement
        assert tls[0]["Principal"] in ("*", {"AWS": "*"})
        assert set(as_list(tls[0]["Resource"])) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


# ============================================================================================
# Lambda
# ============================================================================================
@PER_REGION
def test_lambda_runs_in_private_subnets_with_the_app_group(stack, clients, region):
    r = stack(region)
    ec2 = clients("ec2", region)
    _public, private = subnet_tiers(ec2, r.vpc["VpcId"])
    config = r.function["VpcConfig"]
    assert len(private) == 3 and set(config["SubnetIds"]) == private
    db_group_ids = [g["VpcSecurityGroupId"] for g in r.cluster["VpcSecurityGroups"]]
    db_group = ec2.describe_security_groups(GroupIds=db_group_ids)["SecurityGroups"][0]
    app_group_ids = {pair["GroupId"] for rule in db_group["IpPermissions"] for pair in rule["UserIdGroupPairs"]}
    assert set(config["SecurityGroupIds"]) == app_group_ids


@PER_REGION
def test_lambda_environment_encrypted_with_the_key(stack, region):
    r = stack(region)
    assert r.function["Environment"]["Variables"]
    assert r.function["KMSKeyArn"] == r.key_arn


@PER_REGION
def test_lambda_failed_invocations_go_to_an_encrypted_queue(stack, clients, region):
    r = stack(region)
    lam = clients("lambda", region)
    # The spec asks for both an on-failure destination and a dead-letter config, each the one queue.
    try:
        invoke = lam.get_function_event_invoke_config(FunctionName=r.function["FunctionArn"])
    except lam.exceptions.ResourceNotFoundException:
        invoke = {}
    queue_arn = (invoke.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    assert queue_arn is not None
    assert (r.function.get("DeadLetterConfig") or {}).get("TargetArn") == queue_arn
    assert queue_arn.startswith(f"arn:aws:sqs:{region}:{r.account}:")
    sqs = clients("sqs", region)
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"]).get("Attributes", {})
    assert attributes == {"KmsMasterKeyId": r.key_arn}
    # The function's role may send to exactly this queue.
    iam = clients("iam", "us-east-1")
    role = r.function["Role"].rsplit("/", 1)[1]
    sends = [
        s
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        for s in statements(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        if "sqs:SendMessage" in as_list(s["Action"])
    ]
    assert [as_list(s["Resource"]) for s in sends] == [[queue_arn]]


@PER_REGION
def test_lambda_reserved_concurrency_unset_by_default(stack, clients, region):
    # Spec: configurable, unset by default (AWS keeps 100 of the account's concurrency unreserved; new accounts
    # often have a limit of 10, where any reservation fails).
    concurrency = clients("lambda", region).get_function_concurrency(FunctionName=stack(region).function["FunctionArn"])
    assert "ReservedConcurrentExecutions" not in concurrency


# ============================================================================================
# KMS
# ============================================================================================
@PER_REGION
def test_kms_key_customer_managed_with_rotation(stack, clients, region):
    r = stack(region)
    kms = clients("kms", region)
    metadata = kms.describe_key(KeyId=r.key_arn)["KeyMetadata"]
    assert metadata["KeyManager"] == "CUSTOMER" and metadata["KeyState"] == "Enabled"
    assert ENV in metadata["Description"] and region in metadata["Description"]
    assert kms.get_key_rotation_status(KeyId=r.key_arn)["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=metadata["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/tap-{ENV}-{region}"]
    policy = kms.get_key_policy(KeyId=r.key_arn, PolicyName="default")["Policy"]
    assert wildcard_allow_actions(policy) == []


# ============================================================================================
# IAM
# ============================================================================================
def stack_roles(clients, r: Region) -> dict[str, str]:
    """The stack's service roles in a region, found from the resources that use them."""
    flow_logs = clients("ec2", r.name).describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [r.vpc["VpcId"]]}]
    )["FlowLogs"]
    backup = clients("backup", r.name)
    selection_roles = [
        backup.get_backup_selection(BackupPlanId=p["BackupPlanId"], SelectionId=s["SelectionId"])["BackupSelection"]
        for p in backup.list_backup_plans()["BackupPlansList"]
        for s in backup.list_backup_selections(BackupPlanId=p["BackupPlanId"])["BackupSelectionsList"]
    ]
    return {
        "lambda.amazonaws.com": r.function["Role"],
        "monitoring.rds.amazonaws.com": r.instances[0]["MonitoringRoleArn"],
        "vpc-flow-logs.amazonaws.com": flow_logs[0]["DeliverLogsPermissionArn"],
        "backup.amazonaws.com": next(s["IamRoleArn"] for s in selection_roles if r.cluster_arn in s["Resources"]),
    }


@PER_REGION
def test_trust_policies_require_this_source_account(stack, clients, region):
    r = stack(region)
    for service, role_arn in stack_roles(clients, r).items():
        trust = role_trust(clients, role_arn)
        assert [s["Principal"] for s in trust] == [{"Service": service}], role_arn
        assert trust[0]["Action"] == "sts:AssumeRole"
        assert condition_value(trust[0], "aws:SourceAccount") == r.account, role_arn


@PER_REGION
def test_monitoring_role_trust_limited_to_this_clusters_instances(stack, clients, region):
    r = stack(region)
    (trust,) = role_trust(clients, r.instances[0]["MonitoringRoleArn"])
    source_arn = condition_value(trust, "aws:SourceArn")
    assert source_arn == f"arn:aws:rds:{region}:{r.account}:db:{r.cluster['DBClusterIdentifier']}-*"
    for instance in r.instances:
        assert instance["DBInstanceArn"].startswith(source_arn.rstrip("*"))


@PER_REGION
def test_flow_log_role_trust_limited_to_this_accounts_flow_logs(stack, clients, region):
    r = stack(region)
    (trust,) = role_trust(clients, stack_roles(clients, r)["vpc-flow-logs.amazonaws.com"])
    source_arn = condition_value(trust, "aws:SourceArn")
    assert source_arn and source_arn.startswith(f"arn:aws:ec2:{region}:{r.account}:vpc-flow-log/")


@PER_REGION
def test_lambda_role_least_privilege(stack, clients, region):
    r = stack(region)
    iam = clients("iam", "us-east-1")
    role = r.function["Role"].rsplit("/", 1)[1]
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in attached
    assert all(":iam::aws:policy/service-role/" in arn for arn in attached), attached  # no admin policy
    granted = {}
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document_ = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        assert wildcard_allow_actions(document_) == []
        for statement in statements(document_):
            for action in as_list(statement["Action"]):
                granted.setdefault(action, set()).update(as_list(statement["Resource"]))
    bucket = r.outputs["s3_bucket_name"]
    assert granted["s3:GetObject"] == granted["s3:PutObject"] == {f"arn:aws:s3:::{bucket}/*"}
    assert granted["kms:Decrypt"] == granted["kms:Encrypt"] == granted["kms:GenerateDataKey"] == {r.key_arn}
    table = f"arn:aws:dynamodb:{region}:{r.account}:table/{r.outputs['dynamodb_table_name']}"
    assert granted["dynamodb:GetItem"] == granted["dynamodb:PutItem"] == granted["dynamodb:UpdateItem"] == {table}
    assert all(resource != "*" for resources in granted.values() for resource in resources)


# ============================================================================================
# Network
# ============================================================================================
@PER_REGION
def test_network_acls_deny_admin_ports_and_limit_private_subnets(stack, clients, region):
    r = stack(region)
    ec2 = clients("ec2", region)
    public, private = subnet_tiers(ec2, r.vpc["VpcId"])
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [r.vpc["VpcId"]]}])["NetworkAcls"]
    by_subnet = {a["SubnetId"]: acl for acl in acls for a in acl["Associations"]}
    assert set(by_subnet) == public | private  # every subnet explicitly associated
    public_acl, private_acl = ({by_subnet[s]["NetworkAclId"] for s in tier} for tier in (public, private))
    assert len(public_acl) == len(private_acl) == 1 and public_acl != private_acl
    assert not any(by_subnet[s]["IsDefault"] for s in public | private)
    vpc_host = r.vpc["CidrBlock"].replace("0.0/16", "3.4")
    for subnet in public | private:
        entries = by_subnet[subnet]["Entries"]
        for port in (22, 3389):  # no SSH/RDP from anywhere, not even from inside the VPC
            assert nacl_verdict(entries, False, INTERNET, "tcp", port) == "deny"
            assert nacl_verdict(entries, False, vpc_host, "tcp", port) == "deny"
    public_entries = by_subnet[next(iter(public))]["Entries"]
    assert nacl_verdict(public_entries, False, INTERNET, "tcp", 443) == "allow"
    private_entries = by_subnet[next(iter(private))]["Entries"]
    assert nacl_verdict(private_entries, False, vpc_host, "tcp", 3306) == "allow"
    for port in (80, 443, 1023):
        assert nacl_verdict(private_entries, False, INTERNET, "tcp", port) == "deny"
    assert nacl_verdict(private_entries, False, INTERNET, "udp", 53) == "deny"
    # Documented exception: return traffic (TCP 1024-65535) from anywhere, because NACLs are
    # stateless and the gateway endpoints answer from the services' public addresses.
    outside = [
        e
        for e in private_entries
        if not e["Egress"] and e["RuleAction"] == "allow" and e["CidrBlock"] != r.vpc["CidrBlock"]
    ]
    assert [(e["Protocol"], e["PortRange"]) for e in outside] == [("6", {"From": 1024, "To": 65535})]


@PER_REGION
def test_default_network_acl_admits_nothing(stack, clients, region):
    filters = [{"Name": "vpc-id", "Values": [stack(region).vpc["VpcId"]]}, {"Name": "default", "Values": ["true"]}]
    (acl,) = clients("ec2", region).describe_network_acls(Filters=filters)["NetworkAcls"]
    # Only the fixed deny-all rules (32767, 32768 for IPv6) are left; no subnet uses the ACL.
    assert [e for e in acl["Entries"] if e["RuleNumber"] < 32767] == []
    assert acl["Associations"] == []


@PER_REGION
def test_default_security_group_admits_nothing(stack, clients, region):
    ec2 = clients("ec2", region)
    filters = [
        {"Name": "vpc-id", "Values": [stack(region).vpc["VpcId"]]},
        {"Name": "group-name", "Values": ["default"]},
    ]
    (group,) = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []


@PER_REGION
def test_vpc_flow_logs_to_an_encrypted_log_group(stack, clients, region):
    r = stack(region)
    (flow_log,) = clients("ec2", region).describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [r.vpc["VpcId"]]}]
    )["FlowLogs"]
    assert flow_log["TrafficType"] == "ALL" and flow_log["FlowLogStatus"] == "ACTIVE"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    (group,) = clients("logs", region).describe_log_groups(logGroupNamePrefix=flow_log["LogGroupName"])["logGroups"]
    assert group["kmsKeyId"] == r.key_arn and group["retentionInDays"] == DEV_LOG_RETENTION_DAYS


@PER_REGION
def test_gateway_endpoint_policies_allow_only_this_stacks_bucket_and_table(stack, clients, region):
    r = stack(region)
    ec2 = clients("ec2", region)
    _public, private = subnet_tiers(ec2, r.vpc["VpcId"])
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [r.vpc["VpcId"]]}])["VpcEndpoints"]
    by_service = {e["ServiceName"].rsplit(".", 1)[1]: e for e in endpoints}
    assert set(by_service) == {"s3", "dynamodb"}
    bucket, table = r.outputs["s3_bucket_name"], r.outputs["dynamodb_table_name"]
    expected_resources = {
        "s3": {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"},
        "dynamodb": {f"arn:aws:dynamodb:{region}:{r.account}:table/{table}"},
    }
    for service, endpoint in by_service.items():
        assert endpoint["VpcEndpointType"] == "Gateway"
        private_tables = {
            t["RouteTableId"]
            for t in ec2.describe_route_tables(RouteTableIds=endpoint["RouteTableIds"])["RouteTables"]
            if {a.get("SubnetId") for a in t["Associations"]} & private
        }
        assert private_tables == set(endpoint["RouteTableIds"])
        policy = document(endpoint["PolicyDocument"])
        assert wildcard_allow_actions(policy) == []
        allows = [s for s in statements(policy) if s["Effect"] == "Allow"]
        assert {res for s in allows for res in as_list(s["Resource"])} == expected_resources[service]
    (s3_allow,) = statements(by_service["s3"]["PolicyDocument"])
    assert condition_value(s3_allow, "aws:ResourceAccount") == r.account
    # Only this account's principals, with every action the function needs (it reads object versions).
    for service, endpoint in by_service.items():
        assert [condition_value(s, "aws:PrincipalAccount") for s in statements(endpoint["PolicyDocument"])] == [
            r.account
        ], service
    assert {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"} <= set(as_list(s3_allow["Action"]))


# ============================================================================================
# API
# ============================================================================================
@PER_REGION
def test_api_routes_require_authorization(stack, clients, region):
    api_id = stack(region).outputs["api_gateway_endpoint"].split("//")[1].split(".")[0]
    apigw = clients("apigatewayv2", region)
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    assert "POST /process" in {r["RouteKey"] for r in routes}
    authorizers = {a["AuthorizerId"]: a for a in apigw.get_authorizers(ApiId=api_id)["Items"]}
    for route in routes:
        assert route["AuthorizationType"] in ("AWS_IAM", "JWT"), route
        if route["AuthorizationType"] == "JWT":
            assert authorizers[route["AuthorizerId"]]["AuthorizerType"] == "JWT"
    # Default settings (no issuer/audience configured): AWS_IAM.
    assert {r["RouteKey"]: r["AuthorizationType"] for r in routes}["POST /process"] == "AWS_IAM"


@PER_REGION
def test_api_stage_throttled_with_encrypted_access_logs(stack, clients, region):
    r = stack(region)
    api_id = r.outputs["api_gateway_endpoint"].split("//")[1].split(".")[0]
    stage_name = r.outputs["api_gateway_endpoint"].rsplit("/", 1)[1]
    stage = clients("apigatewayv2", region).get_stage(ApiId=api_id, StageName=stage_name)
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    group_name = stage["AccessLogSettings"]["DestinationArn"].split(":log-group:")[1]
    (group,) = clients("logs", region).describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    assert group["logGroupName"] == group_name and group["kmsKeyId"] == r.key_arn


# ============================================================================================
# SNS
# ============================================================================================
def alert_topic(stack, clients, region) -> tuple[str, dict]:
    r = stack(region)
    arn = f"arn:aws:sns:{region}:{r.account}:tap-alerts-{ENV}-{region}"
    return arn, clients("sns", region).get_topic_attributes(TopicArn=arn)["Attributes"]


@PER_REGION
def test_alert_topic_encrypted_with_the_key_and_used_by_every_alarm(stack, clients, region):
    arn, attributes = alert_topic(stack, clients, region)
    assert attributes.get("KmsMasterKeyId") == stack(region).key_arn
    alarms = clients("cloudwatch", region).describe_alarms(AlarmNamePrefix=f"tap-{ENV}-{region}-")["MetricAlarms"]
    assert len(alarms) >= 4 and all(alarm["AlarmActions"] == [arn] for alarm in alarms)


@PER_REGION
def test_alert_topic_policy_allows_only_cloudwatch_rds_events_and_this_account(stack, clients, region):
    r = stack(region)
    arn, attributes = alert_topic(stack, clients, region)
    publishers = {}
    for statement in statements(attributes["Policy"]):
        assert statement["Effect"] == "Allow"
        assert set(as_list(statement["Resource"])) == {arn}
        assert not [a for a in as_list(statement["Action"]) if "*" in a]
        principal = statement["Principal"]
        assert principal != "*" and principal.get("AWS") != "*"
        if "sns:Publish" in as_list(statement["Action"]):
            publishers[json.dumps(principal, sort_keys=True)] = statement
    assert set(publishers) == {
        json.dumps({"Service": "cloudwatch.amazonaws.com"}),
        json.dumps({"Service": "events.rds.amazonaws.com"}),
        json.dumps({"AWS": f"arn:aws:iam::{r.account}:root"}),
    }
    for principal, statement in publishers.items():
        if "Service" in principal:
            assert condition_value(statement, "aws:SourceAccount") == r.account, principal


# ============================================================================================
# Logs
# ============================================================================================
@PER_REGION
def test_every_log_group_of_the_stack_is_encrypted_with_the_key(stack, clients, region):
    r = stack(region)
    logs = clients("logs", region)
    names = [
        f"/aws/lambda/{r.function['FunctionName']}",
        f"/tap/{ENV}/{region}/api-access",
        f"/tap/{ENV}/{region}/vpc-flow-logs",
    ]
    for name in names:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        (group,) = [g for g in groups if g["logGroupName"] == name]
        assert group["kmsKeyId"] == r.key_arn, name
        assert group["retentionInDays"] == DEV_LOG_RETENTION_DAYS, name

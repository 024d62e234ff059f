"""The security baseline of spec.md, control by control, on what the emulator holds after site.yml.

Two deployments: dev (inventories/local, the `dev_stack` fixture) and prod as the collection's settings
make it (3 regions, an Aurora global database, replication, 365-day logs, port 3307: `prod_stack`). Every
control is a test, parametrized over both deployments' regions (`[prod-ca-west-1]`, ...), and where a
control has several parts (log groups) over those too. Every assertion reads the deployed resources back
from the emulator (found from the outputs file and from each other: the cluster's security group leads to
the app group, the function's invoke config to its queue, ...), never from the roles' variables. Expected
values are the spec's environment table (`EXPECTED`).

The last part changes one representative of every control family behind the tool's back and checks that
playbooks/drift.yml (check mode) reports each, and that site.yml repairs them. docs/security.md maps each
control to these tests and lists the documented exceptions.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pytest
from integration.helpers import PROD_STACK_REGIONS, REGIONS
from integration.security_scan import as_list, nacl_verdict, statements, wildcard_allow_actions

from emulator import control

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]


@dataclass(frozen=True)
class Expected:
    """One column of the spec's "Environment settings" table, and the deployment's primary region."""

    primary: str
    backup_retention_days: int
    deletion_protection: bool
    log_retention_days: int
    port: int
    global_database: bool
    replication: bool


EXPECTED = {
    "dev": Expected("us-east-1", 1, False, 14, 3306, False, False),
    "prod": Expected(next(iter(PROD_STACK_REGIONS)), 30, True, 365, 3307, True, True),
}
# An address outside every VPC of the stack, standing for "the internet".
INTERNET = "203.0.113.50"
CASES = [("dev", region) for region in sorted(REGIONS)] + [("prod", region) for region in sorted(PROD_STACK_REGIONS)]
PER_REGION = pytest.mark.parametrize(("env", "region"), CASES, ids=[f"{env}-{region}" for env, region in CASES])
LOCK_TABLE = "tap-deploy-locks"
LOCK_KEY_ALIAS = "alias/tap-deploy-locks"


def tags_of(resource) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", resource.get("TagList", []))}


def document(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Region:
    """Handles on one region's deployed stack, found from the outputs file and the emulator."""

    env: str
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

    @property
    def expected(self) -> Expected:
        return EXPECTED[self.env]

    @property
    def regions(self) -> list[str]:
        """Every region of this region's deployment."""
        return sorted(REGIONS if self.env == "dev" else PROD_STACK_REGIONS)


@pytest.fixture(scope="module")
def clients(aws):
    return functools.lru_cache(maxsize=None)(aws)


@pytest.fixture(scope="module")
def stack(request, clients):
    """stack(env, region) -> Region; a deployment is made (once per session) when a test first needs it."""
    account = clients("sts", "us-east-1").get_caller_identity()["Account"]

    @functools.cache
    def region(env: str, name: str) -> Region:
        outputs = request.getfixturevalue(f"{env}_stack")["outputs"]["regions"][name]
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
        return Region(env, name, account, outputs, key_arn, vpc, cluster, instances, function)

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
def test_aurora_parameter_group_requires_secure_transport(stack, clients, env, region):
    r = stack(env, region)
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
def test_aurora_iam_database_authentication(stack, env, region):
    assert stack(env, region).cluster["IAMDatabaseAuthenticationEnabled"] is True


def global_master_secret(clients, r: Region) -> tuple[dict, dict]:
    """(DescribeSecret in the region, the credentials' fields without the password) of the global database."""
    secrets = clients("secretsmanager", r.name)
    name = f"tap/aurora-global-{r.env}/master"
    fields = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
    assert len(fields.pop("password")) >= 16
    return secrets.describe_secret(SecretId=name), fields


@PER_REGION
def test_aurora_master_user_secret_and_storage_encryption(stack, clients, env, region):
    r = stack(env, region)
    cluster = r.cluster
    assert cluster["StorageEncrypted"] is True and cluster["KmsKeyId"] == r.key_arn
    # The emulator reports no master user for a secondary of a global database: the secret names it.
    username = cluster.get("MasterUsername") or global_master_secret(clients, r)[1]["username"]
    assert username not in ("admin", "root", "")
    if r.expected.global_database:
        # RDS-managed passwords are not allowed in a global database: aurora_cluster generates the password
        # and keeps it in a secret encrypted with the primary's key, replicated with each region's key.
        assert "MasterUserSecret" not in cluster
        described, fields = global_master_secret(clients, r)
        assert described["KmsKeyId"] == r.key_arn
        assert fields["username"] == username
        replicas = {s["Region"]: s["KmsKeyId"] for s in described["ReplicationStatus"]}
        assert set(replicas) == set(r.regions) - {r.expected.primary}
        assert all(key == stack(env, other).key_arn for other, key in replicas.items())
    else:
        secret = cluster["MasterUserSecret"]  # password generated and held by Secrets Manager
        assert secret["SecretStatus"] == "active" and secret["KmsKeyId"] == r.key_arn
    assert cluster.get("PubliclyAccessible") is not True
    for instance in r.instances:
        assert instance["PubliclyAccessible"] is False and instance["StorageEncrypted"] is True


@PER_REGION
def test_aurora_port_is_the_environments_everywhere_it_appears(stack, clients, env, region):
    """The port is an environment setting (dev 3306, staging and prod non-default): the cluster, the db group's
    only rule, the global database's secret and the outputs follow it."""
    r = stack(env, region)
    port = r.expected.port
    assert r.cluster["Port"] == port
    assert (port == 3306) is (env == "dev")
    group_ids = [g["VpcSecurityGroupId"] for g in r.cluster["VpcSecurityGroups"]]
    (db_group,) = clients("ec2", region).describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
    assert [(p["FromPort"], p["ToPort"]) for p in db_group["IpPermissions"]] == [(port, port)]
    assert r.outputs["rds_cluster_port"] == port
    if r.expected.global_database:
        assert global_master_secret(clients, r)[1]["port"] == port


@PER_REGION
def test_aurora_security_group_admits_only_the_app_group(stack, clients, env, region):
    r = stack(env, region)
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
def test_aurora_copy_tags_to_snapshot(stack, env, region):
    assert stack(env, region).cluster["CopyTagsToSnapshot"] is True


@PER_REGION
def test_aurora_backtrack_window_24_hours_outside_a_global_database(stack, env, region):
    r = stack(env, region)
    # Documented exception: AWS does not support backtracking in a global database (prod).
    assert r.cluster.get("BacktrackWindow", 0) == (0 if r.expected.global_database else 24 * 3600)
    assert bool(r.cluster.get("GlobalClusterIdentifier")) is r.expected.global_database


@PER_REGION
def test_aurora_deletion_protection_matches_environment(stack, env, region):
    r = stack(env, region)
    assert r.cluster["DeletionProtection"] is r.expected.deletion_protection


@PER_REGION
def test_aurora_enhanced_monitoring_with_its_own_role(stack, clients, env, region):
    r = stack(env, region)
    iam = clients("iam", "us-east-1")
    role_arns = {i["MonitoringRoleArn"] for i in r.instances}
    assert len(r.instances) == 2 and all(i["MonitoringInterval"] == 60 for i in r.instances)
    (role_arn,) = role_arns
    role_name = role_arn.rsplit("/", 1)[1]
    assert env in role_name and region in role_name
    (trust,) = role_trust(clients, role_arn)
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    assert attached == ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []


@PER_REGION
def test_aurora_performance_insights_encrypted_where_supported(stack, env, region):
    r = stack(env, region)
    for instance in r.instances:
        if instance["DBInstanceClass"].startswith(("db.t2.", "db.t3.")):
            # Documented exception: Aurora MySQL has no Performance Insights on db.t2/db.t3 (dev).
            assert not instance.get("PerformanceInsightsEnabled")
        else:
            assert instance["PerformanceInsightsEnabled"] is True
            assert instance["PerformanceInsightsKMSKeyId"] == r.key_arn


# Spec: RDS event subscriptions to the region's topic, per source type.
RDS_EVENT_CATEGORIES = {
    "db-cluster": {"failure", "failover", "maintenance"},
    "db-instance": {"failure", "failover", "maintenance", "configuration change"},
    "db-parameter-group": {"configuration change"},
    "db-security-group": {"configuration change", "failure"},
}


@PER_REGION
@pytest.mark.parametrize("source_type", sorted(RDS_EVENT_CATEGORIES))
def test_rds_event_subscription_to_the_alert_topic(stack, clients, env, region, source_type):
    r = stack(env, region)
    subscriptions = clients("rds", region).describe_event_subscriptions()["EventSubscriptionsList"]
    topic_arn = f"arn:aws:sns:{region}:{r.account}:tap-alerts-{env}-{region}"
    ours = [s for s in subscriptions if s["SnsTopicArn"] == topic_arn]
    assert sorted(s["SourceType"] for s in ours) == sorted(RDS_EVENT_CATEGORIES)  # one per source type
    (subscription,) = [s for s in ours if s["SourceType"] == source_type]
    assert subscription["CustSubscriptionId"] == f"tap-rds-events-{env}-{region}-{source_type}"
    assert subscription["Enabled"] is True and subscription["Status"] == "active"
    assert set(subscription["EventCategoriesList"]) == RDS_EVENT_CATEGORIES[source_type]
    # No source ids: every source of its type in the region, including ones added later.
    assert subscription.get("SourceIdsList", []) == []


# ============================================================================================
# Backups
# ============================================================================================
@PER_REGION
def test_backup_vault_plan_and_selection(stack, clients, env, region):
    r = stack(env, region)
    backup = clients("backup", region)
    table_arn = f"arn:aws:dynamodb:{region}:{r.account}:table/sessions-{env}"
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
    assert rule["Lifecycle"]["DeleteAfterDays"] == r.expected.backup_retention_days
    vault = backup.describe_backup_vault(BackupVaultName=rule["TargetBackupVaultName"])
    assert vault["EncryptionKeyArn"] == r.key_arn


# ============================================================================================
# DynamoDB
# ============================================================================================
@PER_REGION
def test_dynamodb_sessions_table_encrypted_with_pitr(stack, clients, env, region):
    r = stack(env, region)
    dynamodb = clients("dynamodb", region)
    table = dynamodb.describe_table(TableName=r.outputs["dynamodb_table_name"])["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS"
    assert table["SSEDescription"]["KMSMasterKeyArn"] == r.key_arn
    assert table["DeletionProtectionEnabled"] is r.expected.deletion_protection
    assert table["GlobalTableVersion"] == "2019.11.21"
    for replica in table["Replicas"]:  # every other region's replica with that region's key
        other = stack(env, replica["RegionName"])
        assert replica["KMSMasterKeyId"] == other.key_arn
    backups = dynamodb.describe_continuous_backups(TableName=table["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


# The deploy lock table lives in the primary region only (one per account and region, shared by the
# environments whose primary it is); the other regions hold none.
def lock_table(clients, r: Region) -> dict | None:
    dynamodb = clients("dynamodb", r.name)
    return LOCK_TABLE in dynamodb.list_tables()["TableNames"] and dynamodb.describe_table(TableName=LOCK_TABLE)["Table"]


@PER_REGION
def test_deploy_lock_table_encrypted_with_its_own_customer_managed_key(stack, clients, env, region):
    r = stack(env, region)
    table = lock_table(clients, r)
    if region != r.expected.primary:
        assert not table
        return
    sse = table["SSEDescription"]
    assert (sse["Status"], sse["SSEType"]) == ("ENABLED", "KMS")
    kms = clients("kms", region)
    key = kms.describe_key(KeyId=LOCK_KEY_ALIAS)["KeyMetadata"]
    assert sse["KMSMasterKeyArn"] == key["Arn"] and key["KeyManager"] == "CUSTOMER" and key["KeyState"] == "Enabled"
    assert key["Arn"] != r.key_arn  # its own key: the lock is taken before any region's key exists
    assert kms.get_key_rotation_status(KeyId=key["Arn"])["KeyRotationEnabled"] is True
    policy = kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")["Policy"]
    assert wildcard_allow_actions(policy) == []
    uses = [s for s in statements(policy) if "kms:Decrypt" in as_list(s["Action"])]
    assert [condition_value(s, "kms:ViaService") for s in uses] == [f"dynamodb.{region}.amazonaws.com"]


@PER_REGION
def test_deploy_lock_table_point_in_time_recovery(stack, clients, env, region):
    r = stack(env, region)
    if region != r.expected.primary:
        assert not lock_table(clients, r)
        return
    backups = clients("dynamodb", region).describe_continuous_backups(TableName=LOCK_TABLE)
    status = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    assert status == "ENABLED"


@PER_REGION
def test_deploy_lock_table_deletion_protection_in_staging_and_prod(stack, clients, env, region):
    r = stack(env, region)
    table = lock_table(clients, r)
    if region != r.expected.primary:
        assert not table
        return
    # dev does not turn it on; a run never turns it off, so the table dev shares with another environment
    # of the account and region may have it (the emulator's us-east-1 also holds a prod deployment).
    if r.expected.deletion_protection:
        assert table["DeletionProtectionEnabled"] is True


# ============================================================================================
# S3
# ============================================================================================
FULL_BLOCK = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


def log_bucket_of(s3, bucket: str) -> str:
    return s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"]


@PER_REGION
def test_s3_ownership_enforced_and_public_access_blocked(stack, clients, env, region):
    s3 = clients("s3", region)
    data = stack(env, region).outputs["s3_bucket_name"]
    for bucket in (data, log_bucket_of(s3, data)):
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], bucket
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == FULL_BLOCK, bucket
        grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
        assert [g["Grantee"]["Type"] for g in grants] == ["CanonicalUser"], bucket


@PER_REGION
def test_s3_data_bucket_sse_kms_with_bucket_key(stack, clients, env, region):
    r = stack(env, region)
    s3 = clients("s3", region)
    (rule,) = s3.get_bucket_encryption(Bucket=r.outputs["s3_bucket_name"])["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": r.key_arn}
    assert rule["BucketKeyEnabled"] is True
    assert s3.get_bucket_versioning(Bucket=r.outputs["s3_bucket_name"])["Status"] == "Enabled"


@PER_REGION
def test_s3_access_logging_to_a_separate_encrypted_log_bucket(stack, clients, env, region):
    s3 = clients("s3", region)
    data = stack(env, region).outputs["s3_bucket_name"]
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
    assert condition_value(allows[0], "aws:SourceAccount") == stack(env, region).account


@PER_REGION
def test_s3_buckets_deny_requests_without_tls(stack, clients, env, region):
    s3 = clients("s3", region)
    data = stack(env, region).outputs["s3_bucket_name"]
    for bucket in (data, log_bucket_of(s3, data)):
        denies = [s for s in statements(s3.get_bucket_policy(Bucket=bucket)["Policy"]) if s["Effect"] == "Deny"]
        tls = [s for s in denies if condition_value(s, "aws:SecureTransport") == "false"]
        assert len(tls) == 1, bucket
        assert as_list(tls[0]["Action"]) == ["s3:*"]  # documented: a wildcard in a Deny statement
        assert tls[0]["Principal"] in ("*", {"AWS": "*"})
        assert set(as_list(tls[0]["Resource"])) == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


def partner_of(r: Region) -> str:
    """The region whose data bucket this region's replicates to: the next of the inventory, the last's the first."""
    ordered = list(PROD_STACK_REGIONS)
    return ordered[(ordered.index(r.name) + 1) % len(ordered)]


@PER_REGION
def test_s3_data_bucket_replicates_to_the_partner_region_re_encrypted(stack, clients, env, region):
    r = stack(env, region)
    s3 = clients("s3", region)
    bucket = r.outputs["s3_bucket_name"]
    if not r.expected.replication:
        with pytest.raises(s3.exceptions.ClientError, match="ReplicationConfigurationNotFoundError"):
            s3.get_bucket_replication(Bucket=bucket)
        return
    partner = stack(env, partner_of(r))
    config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    assert config["Role"] == f"arn:aws:iam::{r.account}:role/tap-s3-replication-{env}-{region}"
    (rule,) = config["Rules"]
    assert rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": ""}  # every object
    assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{partner.outputs['s3_bucket_name']}"
    # Re-encrypted with the destination region's key; SSE-KMS objects (all of them) are replicated.
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": partner.key_arn}
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["DeleteMarkerReplication"] == {"Status": "Disabled"}  # deletes stay in their region
    # S3 wants both ends versioned.
    for end in (bucket, partner.outputs["s3_bucket_name"]):
        assert clients("s3", region).get_bucket_versioning(Bucket=end)["Status"] == "Enabled"


@PER_REGION
def test_s3_replication_role_least_privilege(stack, clients, env, region):
    r = stack(env, region)
    iam = clients("iam", "us-east-1")
    role_name = f"tap-s3-replication-{env}-{region}"
    if not r.expected.replication:
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=role_name)
        return
    partner = stack(env, partner_of(r))
    bucket_arn, destination_arn = (f"arn:aws:s3:::{x.outputs['s3_bucket_name']}" for x in (r, partner))
    (trust,) = role_trust(clients, f"arn:aws:iam::{r.account}:role/{role_name}")
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert condition_value(trust, "aws:SourceAccount") == r.account
    assert condition_value(trust, "aws:SourceArn") == bucket_arn
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    policy = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    assert wildcard_allow_actions(policy) == []
    granted = {}
    for statement in statements(policy):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            granted.setdefault(action, set()).update(as_list(statement["Resource"]))
    assert granted == {
        "s3:GetReplicationConfiguration": {bucket_arn},
        "s3:ListBucket": {bucket_arn},
        "s3:GetObjectVersionForReplication": {f"{bucket_arn}/*"},
        "s3:GetObjectVersionAcl": {f"{bucket_arn}/*"},
        "s3:GetObjectVersionTagging": {f"{bucket_arn}/*"},
        "s3:ReplicateObject": {f"{destination_arn}/*"},  # no s3:ReplicateDelete: delete markers stay
        "s3:ReplicateTags": {f"{destination_arn}/*"},
        "kms:Decrypt": {r.key_arn},
        "kms:Encrypt": {partner.key_arn},
    }
    vias = {
        condition_value(s, "kms:ViaService")
        for s in statements(policy)
        if s["Action"] in ("kms:Decrypt", "kms:Encrypt")
    }
    assert vias == {f"s3.{region}.amazonaws.com", f"s3.{partner.name}.amazonaws.com"}


# ============================================================================================
# Lambda
# ============================================================================================
@PER_REGION
def test_lambda_runs_in_private_subnets_with_the_app_group(stack, clients, env, region):
    r = stack(env, region)
    ec2 = clients("ec2", region)
    _public, private = subnet_tiers(ec2, r.vpc["VpcId"])
    config = r.function["VpcConfig"]
    assert len(private) == 3 and set(config["SubnetIds"]) == private
    db_group_ids = [g["VpcSecurityGroupId"] for g in r.cluster["VpcSecurityGroups"]]
    db_group = ec2.describe_security_groups(GroupIds=db_group_ids)["SecurityGroups"][0]
    app_group_ids = {pair["GroupId"] for rule in db_group["IpPermissions"] for pair in rule["UserIdGroupPairs"]}
    assert set(config["SecurityGroupIds"]) == app_group_ids


@PER_REGION
def test_lambda_environment_encrypted_with_the_key(stack, env, region):
    r = stack(env, region)
    assert r.function["Environment"]["Variables"]
    assert r.function["KMSKeyArn"] == r.key_arn


@PER_REGION
def test_lambda_failed_invocations_go_to_an_encrypted_queue(stack, clients, env, region):
    r = stack(env, region)
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
def test_lambda_reserved_concurrency_unset_by_default(stack, clients, env, region):
    # Spec: configurable, unset by default (AWS keeps 100 of the account's concurrency unreserved; new accounts
    # often have a limit of 10, where any reservation fails).
    concurrency = clients("lambda", region).get_function_concurrency(
        FunctionName=stack(env, region).function["FunctionArn"]
    )
    assert "ReservedConcurrentExecutions" not in concurrency


# ============================================================================================
# KMS
# ============================================================================================
@PER_REGION
def test_kms_key_customer_managed_with_rotation(stack, clients, env, region):
    r = stack(env, region)
    kms = clients("kms", region)
    metadata = kms.describe_key(KeyId=r.key_arn)["KeyMetadata"]
    assert metadata["KeyManager"] == "CUSTOMER" and metadata["KeyState"] == "Enabled"
    assert env in metadata["Description"] and region in metadata["Description"]
    assert kms.get_key_rotation_status(KeyId=r.key_arn)["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=metadata["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/tap-{env}-{region}"]
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
    replication = (
        {"s3.amazonaws.com": f"arn:aws:iam::{r.account}:role/tap-s3-replication-{r.env}-{r.name}"}
        if r.expected.replication
        else {}
    )
    return replication | {
        "lambda.amazonaws.com": r.function["Role"],
        "monitoring.rds.amazonaws.com": r.instances[0]["MonitoringRoleArn"],
        "vpc-flow-logs.amazonaws.com": flow_logs[0]["DeliverLogsPermissionArn"],
        "backup.amazonaws.com": next(s["IamRoleArn"] for s in selection_roles if r.cluster_arn in s["Resources"]),
    }


@PER_REGION
def test_trust_policies_require_this_source_account(stack, clients, env, region):
    r = stack(env, region)
    for service, role_arn in stack_roles(clients, r).items():
        trust = role_trust(clients, role_arn)
        assert [s["Principal"] for s in trust] == [{"Service": service}], role_arn
        assert trust[0]["Action"] == "sts:AssumeRole"
        assert condition_value(trust[0], "aws:SourceAccount") == r.account, role_arn


@PER_REGION
def test_monitoring_role_trust_limited_to_this_clusters_instances(stack, clients, env, region):
    r = stack(env, region)
    (trust,) = role_trust(clients, r.instances[0]["MonitoringRoleArn"])
    source_arn = condition_value(trust, "aws:SourceArn")
    assert source_arn == f"arn:aws:rds:{region}:{r.account}:db:{r.cluster['DBClusterIdentifier']}-*"
    for instance in r.instances:
        assert instance["DBInstanceArn"].startswith(source_arn.rstrip("*"))


@PER_REGION
def test_flow_log_role_trust_limited_to_this_accounts_flow_logs(stack, clients, env, region):
    r = stack(env, region)
    (trust,) = role_trust(clients, stack_roles(clients, r)["vpc-flow-logs.amazonaws.com"])
    source_arn = condition_value(trust, "aws:SourceArn")
    assert source_arn and source_arn.startswith(f"arn:aws:ec2:{region}:{r.account}:vpc-flow-log/")


@PER_REGION
def test_lambda_role_least_privilege(stack, clients, env, region):
    r = stack(env, region)
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
def test_network_acls_deny_admin_ports_and_limit_private_subnets(stack, clients, env, region):
    r = stack(env, region)
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
    assert nacl_verdict(private_entries, False, vpc_host, "tcp", r.expected.port) == "allow"
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
def test_default_network_acl_admits_nothing(stack, clients, env, region):
    filters = [{"Name": "vpc-id", "Values": [stack(env, region).vpc["VpcId"]]}, {"Name": "default", "Values": ["true"]}]
    (acl,) = clients("ec2", region).describe_network_acls(Filters=filters)["NetworkAcls"]
    # Only the fixed deny-all rules (32767, 32768 for IPv6) are left; no subnet uses the ACL.
    assert [e for e in acl["Entries"] if e["RuleNumber"] < 32767] == []
    assert acl["Associations"] == []


@PER_REGION
def test_default_security_group_admits_nothing(stack, clients, env, region):
    ec2 = clients("ec2", region)
    filters = [
        {"Name": "vpc-id", "Values": [stack(env, region).vpc["VpcId"]]},
        {"Name": "group-name", "Values": ["default"]},
    ]
    (group,) = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []


@PER_REGION
def test_vpc_flow_logs_to_an_encrypted_log_group(stack, clients, env, region):
    r = stack(env, region)
    (flow_log,) = clients("ec2", region).describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [r.vpc["VpcId"]]}]
    )["FlowLogs"]
    assert flow_log["TrafficType"] == "ALL" and flow_log["FlowLogStatus"] == "ACTIVE"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    (group,) = clients("logs", region).describe_log_groups(logGroupNamePrefix=flow_log["LogGroupName"])["logGroups"]
    assert group["kmsKeyId"] == r.key_arn and group["retentionInDays"] == r.expected.log_retention_days


@PER_REGION
def test_gateway_endpoint_policies_allow_only_this_stacks_bucket_and_table(stack, clients, env, region):
    r = stack(env, region)
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
def test_api_routes_require_authorization(stack, clients, env, region):
    api_id = stack(env, region).outputs["api_gateway_endpoint"].split("//")[1].split(".")[0]
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
def test_api_stage_throttled_with_encrypted_access_logs(stack, clients, env, region):
    r = stack(env, region)
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
def alert_topic(stack, clients, env, region) -> tuple[str, dict]:
    r = stack(env, region)
    arn = f"arn:aws:sns:{region}:{r.account}:tap-alerts-{env}-{region}"
    return arn, clients("sns", region).get_topic_attributes(TopicArn=arn)["Attributes"]


@PER_REGION
def test_alert_topic_encrypted_with_the_key_and_used_by_every_alarm(stack, clients, env, region):
    arn, attributes = alert_topic(stack, clients, env, region)
    assert attributes.get("KmsMasterKeyId") == stack(env, region).key_arn
    alarms = clients("cloudwatch", region).describe_alarms(AlarmNamePrefix=f"tap-{env}-{region}-")["MetricAlarms"]
    assert len(alarms) >= 4 and all(alarm["AlarmActions"] == [arn] for alarm in alarms)


@PER_REGION
def test_alert_topic_policy_allows_only_cloudwatch_rds_events_and_this_account(stack, clients, env, region):
    r = stack(env, region)
    arn, attributes = alert_topic(stack, clients, env, region)
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
# Every kind of log group the stack writes, by the name of its region's group.
LOG_GROUPS = {
    "lambda": "/aws/lambda/data-processor-{env}-{region}",
    "api-access": "/tap/{env}/{region}/api-access",
    "vpc-flow-logs": "/tap/{env}/{region}/vpc-flow-logs",
}


@PER_REGION
@pytest.mark.parametrize("kind", sorted(LOG_GROUPS))
def test_log_group_encrypted_with_the_key_and_kept_the_environments_retention(stack, clients, env, region, kind):
    r = stack(env, region)
    name = LOG_GROUPS[kind].format(env=env, region=region)
    groups = clients("logs", region).describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    (group,) = [g for g in groups if g["logGroupName"] == name]
    assert group["kmsKeyId"] == r.key_arn
    # Spec: 14 days in dev, 90 in staging, 365 in prod (the foundational baseline asks at least 365 there).
    assert group["retentionInDays"] == r.expected.log_retention_days


# ============================================================================================
# Drift: a change behind the tool's back, one representative of every control family
# ============================================================================================
DRIFT_REGION = "ca-west-1"  # a secondary region of the prod stack
PRIMARY = EXPECTED["prod"].primary


def drift_everything(clients, account: str) -> None:
    """Undo one control of every family of the prod stack, as someone with console access might."""
    region = DRIFT_REGION
    ec2 = clients("ec2", region)
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"tap-prod-{region}"]}])["Vpcs"][0]["VpcId"]
    in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
    # network: the default ACL admits everything again; the table endpoint admits any account's principals.
    (acl,) = ec2.describe_network_acls(Filters=[in_vpc, {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAclId"], RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0",
    )  # fmt: skip
    (endpoint,) = [
        e
        for e in ec2.describe_vpc_endpoints(Filters=[in_vpc])["VpcEndpoints"]
        if e["ServiceName"].endswith(".dynamodb")
    ]
    policy = document(endpoint["PolicyDocument"])
    for statement in policy["Statement"]:
        statement.pop("Condition", None)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(policy))
    # deploy lock table (primary region): no point-in-time recovery, no deletion protection.
    dynamodb = clients("dynamodb", PRIMARY)
    dynamodb.update_continuous_backups(
        TableName=LOCK_TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    dynamodb.update_table(TableName=LOCK_TABLE, DeletionProtectionEnabled=False)
    # access-log bucket: versioning suspended, its lifecycle removed.
    s3 = clients("s3", region)
    logs_bucket, data_bucket = f"tap-logs-prod-{region}-{account}", f"tap-data-prod-{region}-{account}"
    s3.put_bucket_versioning(Bucket=logs_bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_lifecycle(Bucket=logs_bucket)
    # replication: delete markers replicated too.
    replication = s3.get_bucket_replication(Bucket=data_bucket)["ReplicationConfiguration"]
    replication["Rules"][0]["DeleteMarkerReplication"] = {"Status": "Enabled"}
    s3.put_bucket_replication(Bucket=data_bucket, ReplicationConfiguration=replication)
    # RDS events: instance configuration changes no longer notified, security group events not at all.
    rds = clients("rds", region)
    rds.modify_event_subscription(
        SubscriptionName=f"tap-rds-events-prod-{region}-db-instance", EventCategories=["failure"]
    )
    rds.delete_event_subscription(SubscriptionName=f"tap-rds-events-prod-{region}-db-security-group")
    # log retention: 30 days instead of 365, in every kind of group.
    for name in LOG_GROUPS.values():
        clients("logs", region).put_retention_policy(
            logGroupName=name.format(env="prod", region=region), retentionInDays=30
        )
    # Lambda: no dead-letter queue, no on-failure destination.
    function = f"data-processor-prod-{region}"
    clients("lambda", region).update_function_configuration(FunctionName=function, DeadLetterConfig={"TargetArn": ""})
    clients("lambda", region).put_function_event_invoke_config(FunctionName=function, DestinationConfig={})
    # database port: the db group admits the default port; the global database's secret names it.
    (db_group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"tap-db-prod-{region}"]}])[
        "SecurityGroups"
    ]
    (rule,) = db_group["IpPermissions"]
    pairs = [{"GroupId": p["GroupId"]} for p in rule["UserIdGroupPairs"]]
    ec2.revoke_security_group_ingress(GroupId=db_group["GroupId"], IpPermissions=[rule])
    ec2.authorize_security_group_ingress(
        GroupId=db_group["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": pairs}],
    )
    secrets = clients("secretsmanager", PRIMARY)
    name = "tap/aurora-global-prod/master"
    fields = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps(dict(fields, port=3306)))


# family -> (where the drift report names it, what it says); lines are "<where> | <task> | <change>".
DRIFT_REPORTED = {
    "default network ACL": [
        (DRIFT_REGION, f"network ACL of VPC tap-prod-{DRIFT_REGION}: remove rule 100 ingress allow all 0.0.0.0/0"),
    ],
    "gateway endpoint policy": [
        (DRIFT_REGION, f"gateway endpoint tap-prod-{DRIFT_REGION}-dynamodb-endpoint: policy statements changed")
    ],
    "deploy lock table": [
        (f"{PRIMARY} (controller)", f"lock table {LOCK_TABLE}: point-in-time recovery false -> true"),
        (f"{PRIMARY} (controller)", f"lock table {LOCK_TABLE}: deletion protection false -> true"),
    ],
    "access-log bucket": [
        (DRIFT_REGION, f"bucket tap-logs-prod-{DRIFT_REGION}-123456789012: versioning Suspended -> Enabled"),
        (DRIFT_REGION, f"bucket tap-logs-prod-{DRIFT_REGION}-123456789012: lifecycle rules none -> expire-access-logs"),
    ],
    "replication": [
        (DRIFT_REGION, f"bucket tap-data-prod-{DRIFT_REGION}-123456789012: replication with delete markers to "),
    ],
    "RDS event subscriptions": [
        (DRIFT_REGION, f"tap-rds-events-prod-{DRIFT_REGION}-db-instance: event categories ['failure'] -> "),
        (DRIFT_REGION, f"create RDS event subscription tap-rds-events-prod-{DRIFT_REGION}-db-security-group"),
    ],
    "log retention": [
        (DRIFT_REGION, f"log group {name.format(env='prod', region=DRIFT_REGION)}: retention days 30 -> 365")
        for name in LOG_GROUPS.values()
    ],
    "Lambda failure queue": [
        (DRIFT_REGION, f"function data-processor-prod-{DRIFT_REGION}: dead-letter queue none -> arn:aws:sqs:"),
        (DRIFT_REGION, f"function data-processor-prod-{DRIFT_REGION}: on-failure destination none -> arn:aws:sqs:"),
    ],
    "database port": [
        (DRIFT_REGION, f"security group tap-db-prod-{DRIFT_REGION}: revoke ingress tcp 3306 "),
        (DRIFT_REGION, f"security group tap-db-prod-{DRIFT_REGION}: authorize ingress tcp 3307 "),
        (PRIMARY, "secret tap/aurora-global-prod/master: port 3306 -> 3307"),
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def drift_runs(prod_stack, clients, emulator_url, stack):
    """The prod stack drifted in every family, compared (drift.yml, check mode), repaired, compared again."""
    stack("prod", DRIFT_REGION)  # the other tests' view of the stack, read before it drifts
    account = clients("sts", "us-east-1").get_caller_identity()["Account"]
    drift_everything(clients, account)
    mark = control.last_call_seq(emulator_url)
    drifted = prod_stack["playbook"]("playbooks/drift.yml", "--check", "--diff")
    ours = set(PROD_STACK_REGIONS) | {"us-east-1"}  # IAM's calls go to us-east-1
    writes = [c for c in control.write_calls(emulator_url, mark) if c["region"] in ours]
    repair = prod_stack["playbook"]("site.yml")
    again = prod_stack["playbook"]("playbooks/drift.yml", "--check", "--diff")
    return {"drifted": drifted, "writes": writes, "repair": repair, "again": again}


@pytest.mark.parametrize("family", sorted(DRIFT_REPORTED))
def test_drift_of_each_control_family_is_reported_in_check_mode(drift_runs, family):
    drifted = drift_runs["drifted"]
    assert drifted.rc != 0, drifted.output[-3000:]
    report = drifted.output.split("Drift in ", 1)[1].split("Origin:", 1)[0]
    lines = report.splitlines()
    for where, change in DRIFT_REPORTED[family]:
        assert [line for line in lines if line.strip().startswith(f"{where} | ") and change in line], (change, report)


def test_drift_check_writes_nothing_and_site_repairs_every_family(drift_runs):
    assert drift_runs["writes"] == []  # check mode: compared, never changed
    repair = drift_runs["repair"]
    assert repair.rc == 0, repair.output[-6000:]
    assert repair.recap()[DRIFT_REGION]["changed"] > 0 and repair.recap()[PRIMARY]["changed"] > 0
    again = drift_runs["again"]
    assert again.rc == 0 and "No drift: every managed resource matches the declared state" in again.output, (
        again.output[-4000:]
    )

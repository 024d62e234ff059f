"""Security regression: nothing insecure anywhere in the deployed dev and prod stacks.

The scanner (security_scan.py) lists EVERY resource of the scanned kinds in the dev stack's
regions (IAM and S3 listings are global), not only the names the roles are expected to create. A
resource belongs to the stack when it carries the stack's tags (read from the deployed VPC), lives
in one of the stack's VPCs, or is referenced by a stack resource (the role a function runs as, the
secret RDS manages for a cluster, a flow log's role and log group, ...). The test session shares
one emulator with other tests, whose resources (some deliberately insecure) are counted as
skipped, not judged.

Fails on: a wildcard action in any Allow statement (role trust/inline/attached customer policies,
bucket, key, topic, queue, function, endpoint policies; Deny may use wildcards), ingress from
0.0.0.0/0 or ::/0 other than TCP 80/443, a bucket that is not fully public-access-blocked or has a
public ACL/policy, an unencrypted store (S3 default encryption, DynamoDB SSE-KMS with replicas, RDS
storage, SQS/SNS KMS, log groups KMS, secrets with a customer managed key, backup vaults, Lambda
environment) and an API route without AWS_IAM or JWT authorization; and on what a foundational-security
scan asks of the environment (security_scan.Baseline: dev's, prod's): a default network ACL that allows
anything, an endpoint policy any account's principals may use, a table without point-in-time recovery,
deletion protection (staging, prod) or a customer managed key, a bucket without versioning or lifecycle, a
data bucket without cross-region replication (prod), a region whose databases' critical RDS events reach
no topic, logs kept shorter than the environment's retention, a database on its engine's default port
(staging, prod), a function without dead-letter queue or on-failure destination.

test_scanner_flags_a_deliberately_insecure_stack proves the scan sees each of those through the
emulator's real responses (a scan that silently sees nothing would pass everything).
"""

from __future__ import annotations

import functools
import io
import json
import uuid
import zipfile

import pytest
from integration.helpers import log_bucket
from integration.security_scan import Baseline, StackScope, scan

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

SCOPE_TAG_KEYS = ("Environment", "Project", "ManagedBy")
# Kinds the dev stack has in every region; the scan must have seen each of them.
REGIONAL_KINDS = (
    "security_group",
    "vpc_endpoint",
    "kms_key",
    "dynamodb_table",
    "rds_cluster",
    "rds_instance",
    "lambda_function",
    "http_api",
    "sns_topic",
    "sqs_queue",
    "log_group",
    "secret",
    "s3_bucket",
    "backup_vault",
    "network_acl",
    "rds_event_subscription",
)
# A region no other test uses, for the deliberately insecure resources.
CANARY_REGION = "eu-south-2"


@pytest.fixture(scope="module")
def clients(aws):
    """One boto3 client per (service, region) for the whole module (creating one costs ~20 ms)."""
    return functools.lru_cache(maxsize=None)(aws)


ENVIRONMENTS = ("dev", "prod")


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def stack_report(request, clients):
    """(environment, deployed stack, scan report) of the dev stack and of the prod stack, each with its baseline."""
    env = request.param
    deployed = request.getfixturevalue(f"{env}_stack")
    regions = sorted(deployed["outputs"]["regions"])
    first = deployed["outputs"]["regions"][regions[0]]
    vpc = clients("ec2", regions[0]).describe_vpcs(VpcIds=[first["vpc_id"]])["Vpcs"][0]
    vpc_tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    scope = StackScope(tags={k: vpc_tags[k] for k in SCOPE_TAG_KEYS})
    return env, deployed, scan(clients, regions, scope, Baseline.for_environment(env))


def test_deployed_stack_has_no_security_regression(stack_report):
    _env, _deployed, report = stack_report
    assert not report.findings, "\n".join(map(str, report.findings)) + "\n" + report.summary()


def test_scan_covered_the_whole_stack(stack_report):
    env, deployed, report = stack_report
    regions = deployed["outputs"]["regions"]
    for kind in REGIONAL_KINDS:
        assert len(report.scanned[kind]) >= len(regions), f"{kind}: {report.summary()}"
    # Roles are found through their tags or through the resources that use them.
    assert len(report.scanned["iam_role"]) >= 4 * len(regions), report.summary()
    # Four RDS event subscriptions per region, and the deploy lock table of the primary region.
    assert len(report.scanned["rds_event_subscription"]) == 4 * len(regions), report.summary()
    if env == "prod":
        assert any(arn.endswith(":table/tap-deploy-locks") for arn in report.scanned["dynamodb_table"])
    for region, outputs in regions.items():
        assert outputs["lambda_function_arn"] in report.scanned["lambda_function"]
        assert outputs["s3_bucket_name"] in report.scanned["s3_bucket"]
        assert log_bucket(env, region) in report.scanned["s3_bucket"]
        assert any(outputs["kms_key_id"] in arn for arn in report.scanned["kms_key"])
        for group in ("/aws/lambda/data-processor-{}-{}", "/tap/{}/{}/vpc-flow-logs", "/tap/{}/{}/api-access"):
            group = group.format(env, region)
            assert group in report.scanned["log_group"], group
        api_id = outputs["api_gateway_endpoint"].split("//")[1].split(".")[0]
        assert any(label.startswith(api_id) for label in report.scanned["http_api"])
    # What the emulator cannot answer is named, never silently passed.
    assert set(report.unverified) <= {"backup vault access policies"}, report.summary()


# --------------------------------------------------------------------------------------------
# The scanner itself, end to end against the emulator
# --------------------------------------------------------------------------------------------
def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("canary.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def insecure_stack(clients):
    """One insecure resource per rule, tagged Canary=<id> in a region of its own; removed afterwards."""
    region, marker = CANARY_REGION, uuid.uuid4().hex[:10]
    name, tags = f"canary-{marker}", [{"Key": "Canary", "Value": marker}]
    ec2 = clients("ec2", region)
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"][
        "VpcId"
    ]
    group_id = ec2.create_security_group(GroupName=name, Description="canary", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName=f"com.amazonaws.{region}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[table_id],
        PolicyDocument=_document({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
    )["VpcEndpoint"]["VpcEndpointId"]
    key_policy = _document(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}
    )
    kms = clients("kms", region)
    key_id = kms.create_key(Policy=key_policy, Tags=[{"TagKey": "Canary", "TagValue": marker}])["KeyMetadata"]["KeyId"]
    dynamodb = clients("dynamodb", region)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=tags,
    )
    sns = clients("sns", region)
    topic_arn = sns.create_topic(Name=name, Tags=tags)["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic_arn,
        AttributeName="Policy",
        AttributeValue=_document({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": topic_arn}),
    )
    sqs = clients("sqs", region)
    queue_url = sqs.create_queue(QueueName=name, tags={"Canary": marker})["QueueUrl"]
    logs = clients("logs", region)
    logs.create_log_group(logGroupName=f"/canary/{marker}", tags={"Canary": marker})
    logs.put_retention_policy(logGroupName=f"/canary/{marker}", retentionInDays=7)
    secrets = clients("secretsmanager", region)
    secrets.create_secret(Name=name, SecretString="not-a-real-secret", Tags=tags)
    iam = clients("iam", "us-east-1")
    role_arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=_document({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        Tags=tags,
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name, PolicyName="admin", PolicyDocument=_document({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )
    policy_arn = iam.create_policy(
        PolicyName=name, PolicyDocument=_document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    lam = clients("lambda", region)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role_arn,
        Handler="canary.handler",
        Code={"ZipFile": _lambda_zip()},
        Environment={"Variables": {"MODE": "canary"}},
        Tags={"Canary": marker},
    )
    lam.add_permission(FunctionName=name, StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")
    apigw = clients("apigatewayv2", region)
    api_id = apigw.create_api(Name=name, ProtocolType="HTTP", Tags={"Canary": marker})["ApiId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /open", AuthorizationType="NONE")
    rest = clients("apigateway", region)
    rest_id = rest.create_rest_api(name=name, tags={"Canary": marker})["id"]
    root_id = rest.get_resources(restApiId=rest_id)["items"][0]["id"]
    rest.put_method(restApiId=rest_id, resourceId=root_id, httpMethod="GET", authorizationType="NONE")
    s3 = clients("s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    s3.put_bucket_policy(
        Bucket=name,
        Policy=_document(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
        ),
    )
    backup = clients("backup", region)
    backup.create_backup_vault(BackupVaultName=name, BackupVaultTags={"Canary": marker})
    rds = clients("rds", region)
    rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        MasterUsername="canary",
        MasterUserPassword="not-a-real-password",
        StorageEncrypted=False,
        Tags=tags,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBClusterIdentifier=name,
        Engine="aurora-mysql",
        DBInstanceClass="db.r5.large",
        PubliclyAccessible=True,
        Tags=tags,
    )
    yield {"region": region, "marker": marker, "name": name, "group_id": group_id, "endpoint_id": endpoint_id}

    rds.delete_db_instance(DBInstanceIdentifier=f"{name}-1", SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=name, SkipFinalSnapshot=True)
    backup.delete_backup_vault(BackupVaultName=name)
    s3.delete_bucket(Bucket=name)
    rest.delete_rest_api(restApiId=rest_id)
    apigw.delete_api(ApiId=api_id)
    lam.delete_function(FunctionName=name)
    iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    iam.delete_role_policy(RoleName=name, PolicyName="admin")
    iam.delete_role(RoleName=name)
    secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    logs.delete_log_group(logGroupName=f"/canary/{marker}")
    sqs.delete_queue(QueueUrl=queue_url)
    sns.delete_topic(TopicArn=topic_arn)
    dynamodb.delete_table(TableName=name)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    ec2.delete_route_table(RouteTableId=table_id)
    ec2.delete_security_group(GroupId=group_id)
    ec2.delete_vpc(VpcId=vpc_id)


def test_scanner_flags_a_deliberately_insecure_stack(insecure_stack, clients):
    canary = insecure_stack
    report = scan(clients, [canary["region"]], StackScope(tags={"Canary": canary["marker"]}))
    found = {(f.rule, f.kind) for f in report.findings}
    expected = {
        ("open-ingress", "security_group"),
        ("wildcard-action", "vpc_endpoint"),
        ("wildcard-action", "kms_key"),
        ("unencrypted", "dynamodb_table"),
        ("unencrypted", "rds_cluster"),
        ("unencrypted", "rds_instance"),
        ("public-database", "rds_instance"),
        ("unencrypted", "lambda_function"),
        ("public-principal", "lambda_function"),
        ("unauthenticated-route", "http_api"),
        ("unauthenticated-route", "rest_api"),
        ("unencrypted", "sns_topic"),
        ("public-principal", "sns_topic"),
        ("unencrypted", "sqs_queue"),
        ("unencrypted", "backup_vault"),
        ("unencrypted", "log_group"),
        ("unencrypted", "secret"),
        ("public-bucket", "s3_bucket"),
        ("unencrypted", "s3_bucket"),
        ("public-principal", "iam_role_trust"),
        ("wildcard-action", "iam_role_inline"),
        ("wildcard-action", "iam_policy"),
        # What the foundational baseline asks (the canary is judged as prod):
        ("default-nacl", "network_acl"),  # a new VPC's default ACL allows everything
        ("endpoint-principal", "vpc_endpoint"),
        ("recovery", "dynamodb_table"),
        ("bucket-versioning", "s3_bucket"),
        ("bucket-lifecycle", "s3_bucket"),
        ("replication", "s3_bucket"),
        ("rds-events", "rds_event_subscriptions"),
        ("log-retention", "log_group"),
        ("default-port", "rds_cluster"),
        ("lambda-failures", "lambda_function"),
    }
    assert expected <= found, f"not flagged: {sorted(expected - found)}\n{report.summary()}"
    bucket_problems = {f.detail for f in report.findings if f.kind == "s3_bucket" and f.rule == "public-bucket"}
    assert {"no public access block", "statement 0: Allow for any principal, no condition"} <= bucket_problems
    assert any("AllUsers" in p for p in bucket_problems), bucket_problems
    recovery = {f.detail for f in report.findings if f.rule == "recovery"}
    assert recovery == {"point-in-time recovery off", "deletion protection off"}
    failures = {f.detail for f in report.findings if f.rule == "lambda-failures"}
    assert failures == {"no dead-letter queue", "no on-failure destination"}
    events = sorted(f.detail.split(":")[0] for f in report.findings if f.rule == "rds-events")
    assert events == ["db-cluster", "db-instance", "db-parameter-group", "db-security-group"]
    # Only the open SSH rule: HTTPS from anywhere is allowed.
    assert [f.detail for f in report.findings if f.kind == "security_group"] == ["ingress tcp 22-22 from 0.0.0.0/0"]
    # Only the canary was judged: whatever else the emulator holds was skipped as foreign.
    for finding in report.findings:
        assert finding.region in (canary["region"], "global"), finding
        if finding.region == "global":
            assert canary["name"] in finding.resource, finding

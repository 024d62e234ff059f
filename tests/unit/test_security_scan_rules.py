"""The security scanner's rules on small synthetic inputs: each rule must fail on a bad input.

A rule that can never fail would let the regression test pass whatever is deployed; EXAMPLES holds
at least one failing and one passing input for every rule in security_scan.RULES, and
test_every_rule_has_examples fails when a rule is added without them.
"""

from __future__ import annotations

import json

import pytest
from integration import security_scan as scan
from integration.security_scan import StackScope, nacl_verdict, tag_dict

ALL_TRAFFIC = "-1"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::b/*", **extra}


def ingress(protocol, low, high, cidr="0.0.0.0/0", v6=False):
    ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}], "IpRanges": []} if v6 else {"IpRanges": [{"CidrIp": cidr}]}
    permission = {"IpProtocol": protocol, **ranges}
    if protocol != ALL_TRAFFIC:
        permission.update(FromPort=low, ToPort=high)
    return [permission]


def acl_entry(number, action, egress=False):
    return {"RuleNumber": number, "Protocol": "-1", "RuleAction": action, "Egress": egress, "CidrBlock": "0.0.0.0/0"}


def replication_rule(status="Enabled", markers=False):
    return {
        "ID": "r",
        "Status": status,
        "Destination": {"Bucket": "arn:aws:s3:::partner"},
        "DeleteMarkerReplication": {"Status": "Enabled" if markers else "Disabled"},
    }


def table_with_pitr(status, protected):
    return {
        "DeletionProtectionEnabled": protected,
        "ContinuousBackupsDescription": {"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": status}},
    }


def subscription(source_type, categories):
    return {"SourceType": source_type, "EventCategoriesList": sorted(categories), "Enabled": True}


# rule name -> (inputs that must produce problems, inputs that must not)
EXAMPLES = {
    "wildcard_allow_actions": (
        [
            policy(allow("*")),
            policy(allow("s3:*")),
            policy(allow(["s3:GetObject", "s3:Get*"])),
            policy(allow("iam:*Role")),
            policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            json.dumps(policy(allow("*"))),  # as AWS returns it: JSON text
            {"Statement": allow("dynamodb:*")},  # a single statement, not a list
        ],
        [
            policy(allow(["s3:GetObject", "s3:PutObject"])),
            policy({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}),
            None,
            "",
        ],
    ),
    "public_allow_statements": (
        [
            policy(allow("s3:GetObject", Principal="*")),
            policy(allow("sns:Publish", Principal={"AWS": "*"})),
            policy(allow("sns:Publish", Principal={"AWS": ["arn:aws:iam::123456789012:root", "*"]})),
            policy(allow("sts:AssumeRole", NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"})),
        ],
        [
            policy(allow("s3:GetObject", Principal="*", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})),
            policy(allow("sns:Publish", Principal={"Service": "cloudwatch.amazonaws.com"})),
            policy(allow("sns:Publish", Principal={"AWS": "arn:aws:iam::123456789012:root"})),
            policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
        ],
    ),
    "open_ingress": (
        [
            ingress("tcp", 22, 22),
            ingress("tcp", 3389, 3389),
            ingress(ALL_TRAFFIC, None, None),
            ingress("tcp", 0, 65535),
            ingress("tcp", 80, 443),  # a range over 80..443 opens everything in between
            ingress("udp", 443, 443),
            ingress("6", 22, 22),
            ingress("tcp", 22, 22, cidr="::/0", v6=True),
        ],
        [
            ingress("tcp", 443, 443),
            ingress("tcp", 80, 80),
            ingress("6", 443, 443),
            ingress("tcp", 443, 443, cidr="::/0", v6=True),
            ingress("tcp", 22, 22, cidr="10.0.0.0/16"),
            [{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": "sg-1"}]}],
            [],
        ],
    ),
    "public_access_block_gaps": (
        [
            None,
            {},
            {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False,
            },
            {
                "BlockPublicAcls": False,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        ],
        [{"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}],
    ),
    "public_acl_grants": (
        [
            [
                {
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ",
                }
            ],
            [
                {
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                    "Permission": "WRITE",
                }
            ],
        ],
        [
            [{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"}],
            [
                {
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
                    "Permission": "WRITE",
                }
            ],
        ],
    ),
    "bucket_encryption_gaps": (
        [None, {"Rules": []}, {"Rules": [{"ApplyServerSideEncryptionByDefault": {}}]}],
        [
            {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]},
        ],
    ),
    "table_encryption_gaps": (
        [
            {"TableName": "t"},
            {"SSEDescription": {"Status": "DISABLED"}},
            {"SSEDescription": {"Status": "ENABLED", "SSEType": "AES256"}},
            {
                "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "k"},
                "Replicas": [{"RegionName": "us-east-2", "KMSMasterKeyId": "k2"}, {"RegionName": "eu-west-1"}],
            },
        ],
        [
            {
                "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": "k"},
                "Replicas": [{"RegionName": "us-east-2", "KMSMasterKeyId": "k2"}],
            }
        ],
    ),
    "rds_encryption_gaps": (
        [
            {"StorageEncrypted": False},
            {"StorageEncrypted": True, "PerformanceInsightsEnabled": True},
        ],
        [
            {"StorageEncrypted": True},
            {"StorageEncrypted": True, "PerformanceInsightsEnabled": True, "PerformanceInsightsKMSKeyId": "k"},
        ],
    ),
    "queue_encryption_gaps": (
        [{"QueueArn": "q"}, {"SqsManagedSseEnabled": "true"}],  # SSE-SQS is not the customer managed key
        [{"KmsMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"}],
    ),
    "topic_encryption_gaps": ([{"TopicArn": "t"}], [{"KmsMasterKeyId": "k"}]),
    "log_group_encryption_gaps": ([{"logGroupName": "g"}], [{"logGroupName": "g", "kmsKeyId": "k"}]),
    "secret_encryption_gaps": ([{"Name": "s"}], [{"Name": "s", "KmsKeyId": "k"}]),
    "vault_encryption_gaps": ([{"BackupVaultName": "v"}], [{"EncryptionKeyArn": "k"}]),
    "function_environment_gaps": (
        [{"Environment": {"Variables": {"A": "b"}}}],
        [{"Environment": {"Variables": {"A": "b"}}, "KMSKeyArn": "k"}, {"Environment": {"Variables": {}}}, {}],
    ),
    "route_authorization_gaps": (
        [
            {"RouteKey": "POST /process", "AuthorizationType": "NONE"},
            {"RouteKey": "POST /process"},
            {"RouteKey": "POST /process", "AuthorizationType": "CUSTOM", "AuthorizerId": "a"},
            {"RouteKey": "POST /process", "AuthorizationType": "JWT"},
        ],
        [
            {"RouteKey": "POST /process", "AuthorizationType": "AWS_IAM"},
            {"RouteKey": "POST /process", "AuthorizationType": "JWT", "AuthorizerId": "a1"},
        ],
    ),
    "rest_method_authorization_gaps": (
        [{"httpMethod": "GET", "authorizationType": "NONE"}, {"httpMethod": "GET"}],
        [
            {"httpMethod": "GET", "authorizationType": "AWS_IAM"},
            {"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": True},
        ],
    ),
    "default_network_acl_gaps": (
        [
            {"Entries": [acl_entry(100, "allow"), acl_entry(32767, "deny")]},  # AWS's default ACL of a new VPC
            {"Entries": [acl_entry(100, "allow", egress=True)]},
        ],
        [{"Entries": [acl_entry(32767, "deny"), acl_entry(32767, "deny", egress=True)]}, {"Entries": []}],
    ),
    "endpoint_principal_gaps": (
        [
            policy(allow("dynamodb:GetItem", Principal="*")),
            policy(allow("s3:GetObject", Principal="*", Condition={"StringEquals": {"aws:ResourceAccount": "1"}})),
            json.dumps(policy(allow("s3:GetObject", Principal={"AWS": "*"}))),
        ],
        [
            policy(allow("s3:GetObject", Principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": "1"}})),
            policy(allow("s3:GetObject", Principal="*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})),
            policy({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}),
        ],
    ),
    "bucket_versioning_gaps": ([None, {}, {"Status": "Suspended"}], [{"Status": "Enabled"}]),
    "bucket_lifecycle_gaps": (
        [
            None,
            [],
            [{"ID": "off", "Status": "Disabled", "Expiration": {"Days": 90}}],
            [{"ID": "abort", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}],
        ],
        [
            [{"ID": "x", "Status": "Enabled", "Expiration": {"Days": 90}}],
            [{"ID": "v", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}],
        ],
    ),
    "bucket_replication_gaps": (
        [None, {"Rules": []}, {"Rules": [replication_rule("Disabled")]}, {"Rules": [replication_rule(markers=True)]}],
        [{"Rules": [replication_rule()]}],
    ),
    "customer_key_gaps": (
        [{"Arn": "arn:aws:kms:r:1:key/aws", "KeyManager": "AWS"}, {"KeyId": "k"}],
        [{"Arn": "arn:aws:kms:r:1:key/k", "KeyManager": "CUSTOMER"}],
    ),
    "table_recovery_gaps": (
        [
            {"DeletionProtectionEnabled": True},
            table_with_pitr("DISABLED", protected=True),
            table_with_pitr("ENABLED", protected=False),
        ],
        [table_with_pitr("ENABLED", protected=True)],
    ),
    "default_port_gaps": (
        [{"Engine": "aurora-mysql", "Port": 3306}, {"Engine": "aurora-postgresql", "Port": 5432}],
        [{"Engine": "aurora-mysql", "Port": 3307}, {"Engine": "aurora-postgresql", "Port": 5433}],
    ),
    "rds_event_subscription_gaps": (
        [
            [],
            [subscription(t, c) for t, c in scan.RDS_EVENT_CATEGORIES.items() if t != "db-security-group"],
            [subscription(t, c - {"configuration change"}) for t, c in scan.RDS_EVENT_CATEGORIES.items()],
            [dict(subscription(t, c), Enabled=False) for t, c in scan.RDS_EVENT_CATEGORIES.items()],
        ],
        [
            [subscription(t, c) for t, c in scan.RDS_EVENT_CATEGORIES.items()],
            [subscription(t, set()) for t in scan.RDS_EVENT_CATEGORIES],  # no categories: every event
        ],
    ),
    "log_retention_gaps": (
        [{"logGroupName": "g", "retentionInDays": 90}, {"logGroupName": "g", "retentionInDays": 14}],
        [{"logGroupName": "g", "retentionInDays": 365}, {"logGroupName": "g", "retentionInDays": 3653}, {}],
    ),
    "dead_letter_gaps": ([{}, {"DeadLetterConfig": {}}], [{"DeadLetterConfig": {"TargetArn": "arn:aws:sqs:r:1:q"}}]),
    "on_failure_destination_gaps": (
        [None, {"DestinationConfig": {}}, {"DestinationConfig": {"OnSuccess": {"Destination": "q"}}}],
        [{"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:r:1:q"}}}],
    ),
}


def test_every_rule_has_examples():
    assert set(EXAMPLES) == set(scan.RULES)
    for name, (bad, good) in EXAMPLES.items():
        assert bad and good, name


@pytest.mark.parametrize(
    "rule,value", [(name, value) for name, (bad, _good) in EXAMPLES.items() for value in bad], ids=str
)
def test_rule_fails_on_insecure_input(rule, value):
    problems = scan.RULES[rule](value)
    assert problems, f"{rule} accepted {value!r}"
    assert all(isinstance(p, str) and p for p in problems)


@pytest.mark.parametrize(
    "rule,value", [(name, value) for name, (_bad, good) in EXAMPLES.items() for value in good], ids=str
)
def test_rule_passes_secure_input(rule, value):
    assert scan.RULES[rule](value) == []


def test_wildcard_problems_name_the_statement_and_action():
    document = policy(allow(["s3:GetObject"], Sid="Fine"), allow(["s3:*"], Sid="TooBroad"))
    assert scan.wildcard_allow_actions(document) == ["TooBroad: Allow action 's3:*'"]


def test_open_ingress_reports_only_the_open_rule():
    permissions = ingress("tcp", 443, 443) + ingress("tcp", 22, 22) + ingress("tcp", 5432, 5432, cidr="10.0.0.0/8")
    assert scan.open_ingress(permissions) == ["ingress tcp 22-22 from 0.0.0.0/0"]


# Network ACL evaluation (the baseline tests use it on the entries the emulator holds).
PRIVATE = [
    {"RuleNumber": 50, "Egress": False, "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "Protocol": "6",
     "PortRange": {"From": 22, "To": 22}},
    {"RuleNumber": 51, "Egress": False, "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "Protocol": "6",
     "PortRange": {"From": 3389, "To": 3389}},
    {"RuleNumber": 100, "Egress": False, "RuleAction": "allow", "CidrBlock": "10.0.0.0/16", "Protocol": "-1"},
    {"RuleNumber": 110, "Egress": False, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0", "Protocol": "6",
     "PortRange": {"From": 1024, "To": 65535}},
    {"RuleNumber": 100, "Egress": True, "RuleAction": "allow", "CidrBlock": "10.0.0.0/16", "Protocol": "-1"},
    {"RuleNumber": 32767, "Egress": False, "RuleAction": "deny", "CidrBlock": "0.0.0.0/0", "Protocol": "-1"},
]  # fmt: skip


@pytest.mark.parametrize(
    "egress,address,protocol,port,verdict",
    [
        (False, "203.0.113.9", "tcp", 22, "deny"),  # rule 50 before anything else
        (False, "10.0.3.4", "tcp", 22, "deny"),  # the deny also covers the VPC: it comes first
        (False, "203.0.113.9", "tcp", 3389, "deny"),  # inside the ephemeral range, denied by rule 51 first
        (False, "203.0.113.9", "tcp", 40000, "allow"),  # return traffic (rule 110)
        (False, "203.0.113.9", "tcp", 443, "deny"),  # below the ephemeral range: catch-all deny
        (False, "203.0.113.9", "udp", 40000, "deny"),  # rule 110 is TCP only
        (False, "10.0.3.4", "udp", 53, "allow"),  # anything from the VPC (rule 100)
        (True, "10.0.3.4", "tcp", 3306, "allow"),
        (True, "203.0.113.9", "tcp", 443, "deny"),  # no egress rule for it in this list: default deny
    ],
)
def test_nacl_verdict_first_matching_rule_wins(egress, address, protocol, port, verdict):
    assert nacl_verdict(PRIVATE, egress, address, protocol, port) == verdict


def test_nacl_verdict_without_entries_denies():
    assert nacl_verdict([], False, "10.0.0.1", "tcp", 443) == "deny"


# Scope: which resources belong to the scanned stack.
STACK_TAGS = {"Environment": "dev", "Project": "tap", "ManagedBy": "ansible-tap.multiregion"}


@pytest.mark.parametrize(
    "tags",
    [
        STACK_TAGS,
        [{"Key": k, "Value": v} for k, v in STACK_TAGS.items()] + [{"Key": "Name", "Value": "x"}],
        [{"TagKey": k, "TagValue": v} for k, v in STACK_TAGS.items()],
    ],
)
def test_scope_owns_resources_carrying_the_stack_tags(tags):
    assert StackScope(tags=STACK_TAGS).owns(tags=tags)


def test_scope_skips_foreign_resources_and_adopts_referenced_ones():
    scope = StackScope(tags=STACK_TAGS, vpc_ids={"vpc-1"})
    assert not scope.owns(tags=dict(STACK_TAGS, Environment="prod"))
    assert not scope.owns(tags={})
    assert not scope.owns(tags=None, vpc_id="vpc-2")
    assert scope.owns(tags=None, vpc_id="vpc-1")
    assert not scope.owns(identifiers=("arn:aws:iam::1:role/r",))
    scope.refer("arn:aws:iam::1:role/r", None)
    assert scope.owns(identifiers=(None, "arn:aws:iam::1:role/r"))


def test_scope_without_tags_owns_everything():
    assert StackScope(tags=None).owns(tags={"Environment": "other"})


def test_tag_dict_accepts_every_aws_shape():
    expected = {"A": "1", "B": "2"}
    assert tag_dict([{"Key": "A", "Value": "1"}, {"Key": "B", "Value": "2"}]) == expected
    assert tag_dict([{"TagKey": "A", "TagValue": "1"}, {"TagKey": "B", "TagValue": "2"}]) == expected
    assert tag_dict(expected) == expected
    assert tag_dict(None) == {}


def test_report_summary_names_scanned_skipped_and_unverified():
    report = scan.Report()
    report.scanned["s3_bucket"].append("b")
    report.skipped["iam_role"] += 2
    report.unverified.append("backup vault access policies")
    report.add("public-bucket", "s3_bucket", "us-east-1", "b", ["no public access block"])
    assert report.summary() == (
        "scanned: s3_bucket=1; skipped as foreign: iam_role=2; unverified: backup vault access policies"
    )
    assert str(report.findings[0]) == "[public-bucket] s3_bucket b (us-east-1): no public access block"


def test_environment_baselines_follow_the_spec():
    dev, staging, prod = (scan.Baseline.for_environment(e) for e in ("dev", "staging", "prod"))
    assert (dev.log_retention_days, staging.log_retention_days, prod.log_retention_days) == (14, 90, 365)
    assert (dev.deletion_protection, staging.deletion_protection, prod.deletion_protection) == (False, True, True)
    assert (dev.non_default_port, staging.non_default_port, prod.non_default_port) == (False, True, True)
    assert (dev.replication, staging.replication, prod.replication) == (False, False, True)
    assert scan.Baseline() == prod  # without a baseline everything is judged as prod


def test_baseline_dependent_rules_take_the_environments_value():
    assert scan.log_retention_gaps({"retentionInDays": 14}, minimum_days=14) == []
    assert scan.log_retention_gaps({"retentionInDays": 14}) == ["retention 14 days, less than 365"]
    assert scan.table_recovery_gaps(table_with_pitr("ENABLED", protected=False), deletion_protection=False) == []

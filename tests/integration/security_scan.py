"""Security scanner for what an AWS account (or the emulator) holds in a set of regions.

Two layers:

* rules: pure functions over one AWS response each (a policy document, a security group's
  ingress, a bucket's public access block, a table description, ...). They return a list of
  problems (empty = compliant) and are unit-tested on synthetic inputs in
  tests/unit/test_security_scan_rules.py. ``RULES`` lists every one of them.
* ``scan()``: lists every resource of the scanned kinds in the given regions (not only the names
  a deployment is expected to create), decides which of them belong to the stack (``StackScope``)
  and applies the rules to those. The report says what was scanned and what was skipped as foreign,
  so a scan that silently sees nothing can be caught by its caller.

Deny statements may use wildcards (e.g. the TLS-only bucket policy denies ``s3:*``); only Allow
statements are checked for wildcard actions.
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

ANYWHERE = {"0.0.0.0/0", "::/0"}
HTTP_PORTS = {80, 443}
AUTHORIZED_ROUTE_TYPES = {"AWS_IAM", "JWT"}
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
PUBLIC_ACCESS_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


# --------------------------------------------------------------------------------------------
# Policy documents
# --------------------------------------------------------------------------------------------
def as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def load_document(document) -> dict:
    """A policy as dict, whether AWS returned it as JSON text, URL-decoded dict or None."""
    if document is None or document == "":
        return {}
    if isinstance(document, str):
        return json.loads(document)
    return document


def statements(document) -> list[dict]:
    return as_list(load_document(document).get("Statement"))


def wildcard_allow_actions(document) -> list[str]:
    """Allow statements granting a wildcard action (``*``, ``svc:*``, ``svc:Get*``) or using NotAction."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        label = statement.get("Sid") or f"statement {index}"
        for action in as_list(statement.get("Action")):
            if "*" in action:
                problems.append(f"{label}: Allow action {action!r}")
        if "NotAction" in statement:
            problems.append(f"{label}: Allow with NotAction {statement['NotAction']!r}")
    return problems


def _principal_is_anyone(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


def public_allow_statements(document) -> list[str]:
    """Allow statements for any principal (``*``) without a condition that narrows who may call."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        if (_principal_is_anyone(statement.get("Principal")) or "NotPrincipal" in statement) and not statement.get(
            "Condition"
        ):
            problems.append(f"{statement.get('Sid') or f'statement {index}'}: Allow for any principal, no condition")
    return problems


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------
def open_ingress(permissions: Iterable[dict]) -> list[str]:
    """Ingress from 0.0.0.0/0 or ::/0 other than TCP 80 or 443 (one port each)."""
    problems = []
    for permission in permissions:
        sources = [r.get("CidrIp") for r in permission.get("IpRanges", [])]
        sources += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])]
        open_sources = [s for s in sources if s in ANYWHERE]
        if not open_sources:
            continue
        protocol = str(permission.get("IpProtocol"))
        low, high = permission.get("FromPort"), permission.get("ToPort")
        if protocol in ("tcp", "6") and low == high and low in HTTP_PORTS:
            continue
        ports = "all ports" if protocol == "-1" else f"{low}-{high}"
        problems.append(f"ingress {protocol} {ports} from {', '.join(open_sources)}")
    return problems


def nacl_verdict(entries: Iterable[dict], egress: bool, address: str, protocol: str, port: int | None = None) -> str:
    """What a network ACL does with one packet: 'allow' or 'deny' (first matching rule wins)."""
    ip = ipaddress.ip_address(address)
    protocol = PROTOCOL_NUMBERS.get(protocol, protocol)
    for entry in sorted((e for e in entries if bool(e["Egress"]) == egress), key=lambda e: e["RuleNumber"]):
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        if ip.version != ipaddress.ip_network(cidr).version or ip not in ipaddress.ip_network(cidr):
            continue
        if str(entry["Protocol"]) not in ("-1", protocol):
            continue
        ports = entry.get("PortRange")
        if str(entry["Protocol"]) != "-1" and ports and port is not None and not ports["From"] <= port <= ports["To"]:
            continue
        return entry["RuleAction"]
    return "deny"


def default_network_acl_gaps(acl: dict) -> list[str]:
    """A VPC's default network ACL with any allow rule (a subnet that falls back to it must get nothing)."""
    return [
        "default network ACL allows %s %s %s"
        % (
            "egress" if entry.get("Egress") else "ingress",
            entry.get("Protocol"),
            entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"),
        )
        for entry in acl.get("Entries", [])
        if entry.get("RuleAction") == "allow"
    ]


# Condition keys that say whose principals may use what a policy allows.
PRINCIPAL_CONDITION_KEYS = {"aws:principalaccount", "aws:principalorgid", "aws:principalarn", "aws:principalorgpaths"}


def endpoint_principal_gaps(document) -> list[str]:
    """Endpoint policy Allow statements for any principal without a condition on the principal's account."""
    problems = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not _principal_is_anyone(statement.get("Principal")):
            continue
        keys = {key.lower() for values in (statement.get("Condition") or {}).values() for key in values}
        if not keys & PRINCIPAL_CONDITION_KEYS:
            problems.append(f"{statement.get('Sid') or f'statement {index}'}: any account's principals may use it")
    return problems


# --------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------
def public_access_block_gaps(configuration: dict | None) -> list[str]:
    if not configuration:
        return ["no public access block"]
    return [f"{flag} is off" for flag in PUBLIC_ACCESS_BLOCK_FLAGS if not configuration.get(flag)]


def public_acl_grants(grants: Iterable[dict]) -> list[str]:
    return [
        f"ACL grants {g.get('Permission')} to {g['Grantee']['URI']}"
        for g in grants
        if g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES
    ]


def bucket_encryption_gaps(configuration: dict | None) -> list[str]:
    rules = (configuration or {}).get("Rules", [])
    algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]
    if not any(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in algorithms):
        return ["no default encryption"]
    return []


def bucket_versioning_gaps(versioning: dict | None) -> list[str]:
    """GetBucketVersioning: versioning must be on (a deleted or overwritten object stays recoverable)."""
    status = (versioning or {}).get("Status")
    return [] if status == "Enabled" else [f"versioning {status or 'never enabled'}"]


def bucket_lifecycle_gaps(rules: list | None) -> list[str]:
    """GetBucketLifecycleConfiguration's rules: at least one enabled rule that expires objects or versions."""
    expiring = [
        r
        for r in rules or []
        if r.get("Status") == "Enabled" and (r.get("Expiration") or r.get("NoncurrentVersionExpiration"))
    ]
    return [] if expiring else ["no enabled lifecycle rule that expires objects"]


def bucket_replication_gaps(configuration: dict | None) -> list[str]:
    """GetBucketReplication: an enabled rule to another bucket, delete markers not replicated."""
    rules = [r for r in (configuration or {}).get("Rules", []) if r.get("Status") == "Enabled"]
    if not rules:
        return ["not replicated to another region"]
    return [
        f"rule {r.get('ID')}: delete markers are replicated (a delete in one region deletes in the other)"
        for r in rules
        if (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"
    ]


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------
def table_encryption_gaps(table: dict) -> list[str]:
    """DynamoDB table (and each of its global-table replicas) encrypted with a KMS key."""
    sse = table.get("SSEDescription") or {}
    problems = []
    if sse.get("Status") not in ("ENABLED", "UPDATING") or sse.get("SSEType") != "KMS":
        problems.append("table not encrypted with a KMS key (SSE type %s)" % (sse.get("SSEType") or "AWS owned"))
    for replica in table.get("Replicas", []):
        if not replica.get("KMSMasterKeyId"):
            problems.append(f"replica in {replica.get('RegionName')} has no KMS key")
    return problems


def customer_key_gaps(key_metadata: dict) -> list[str]:
    """DescribeKey of the key a store is encrypted with: it must be a customer managed key."""
    if key_metadata.get("KeyManager") == "CUSTOMER":
        return []
    return [f"encrypted with an AWS managed key ({key_metadata.get('Arn') or key_metadata.get('KeyId')})"]


def table_recovery_gaps(table: dict, deletion_protection: bool = True) -> list[str]:
    """DescribeTable plus DescribeContinuousBackups' ContinuousBackupsDescription (as the scanner adds it)."""
    backups = table.get("ContinuousBackupsDescription") or {}
    pitr = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    problems = [] if pitr == "ENABLED" else ["point-in-time recovery off"]
    if deletion_protection and not table.get("DeletionProtectionEnabled"):
        problems.append("deletion protection off")
    return problems


# Engine default ports (RDS.23: a non-default port makes scans for the engine find nothing).
DEFAULT_PORTS = {"aurora-mysql": 3306, "mysql": 3306, "mariadb": 3306, "aurora-postgresql": 5432, "postgres": 5432}


def default_port_gaps(cluster: dict) -> list[str]:
    """An RDS cluster listening on its engine's default port."""
    default = DEFAULT_PORTS.get(cluster.get("Engine"))
    return [f"listens on the engine's default port {default}"] if default and cluster.get("Port") == default else []


# Spec (and AWS Foundational Security Best Practices RDS.19-22): an enabled subscription per source type
# with at least these categories (an empty category list means every category).
RDS_EVENT_CATEGORIES = {
    "db-cluster": {"failure", "maintenance"},
    "db-instance": {"failure", "maintenance", "configuration change"},
    "db-parameter-group": {"configuration change"},
    "db-security-group": {"configuration change", "failure"},
}


def rds_event_subscription_gaps(subscriptions: list) -> list[str]:
    """DescribeEventSubscriptions of a region: the critical events of every source type are subscribed to."""
    problems = []
    for source_type, wanted in sorted(RDS_EVENT_CATEGORIES.items()):
        covered = set()
        for subscription in subscriptions or []:
            if subscription.get("SourceType") != source_type or not subscription.get("Enabled"):
                continue
            categories = set(subscription.get("EventCategoriesList") or [])
            covered |= categories or wanted
        if wanted - covered:
            problems.append(f"{source_type}: no enabled subscription to {', '.join(sorted(wanted - covered))}")
    return problems


def log_retention_gaps(group: dict, minimum_days: int = 365) -> list[str]:
    """A log group kept shorter than minimum_days (a group without retention never expires)."""
    days = group.get("retentionInDays")
    return [f"retention {days} days, less than {minimum_days}"] if days is not None and days < minimum_days else []


def dead_letter_gaps(configuration: dict) -> list[str]:
    """GetFunctionConfiguration: failed asynchronous events go to a dead-letter queue."""
    return [] if (configuration.get("DeadLetterConfig") or {}).get("TargetArn") else ["no dead-letter queue"]


def on_failure_destination_gaps(invoke_config: dict | None) -> list[str]:
    """GetFunctionEventInvokeConfig (None when there is none): failed invocations have a destination."""
    destination = (((invoke_config or {}).get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return [] if destination else ["no on-failure destination"]


def rds_encryption_gaps(resource: dict) -> list[str]:
    """An RDS cluster or instance: storage encrypted; Performance Insights (when on) with a key."""
    problems = []
    if not resource.get("StorageEncrypted"):
        problems.append("storage not encrypted")
    if resource.get("PerformanceInsightsEnabled") and not resource.get("PerformanceInsightsKMSKeyId"):
        problems.append("Performance Insights without a KMS key")
    return problems


def queue_encryption_gaps(attributes: dict) -> list[str]:
    return [] if attributes.get("KmsMasterKeyId") else ["queue not encrypted with a KMS key"]


def topic_encryption_gaps(attributes: dict) -> list[str]:
    return [] if attributes.get("KmsMasterKeyId") else ["topic not encrypted with a KMS key"]


def log_group_encryption_gaps(group: dict) -> list[str]:
    return [] if group.get("kmsKeyId") else ["log group not encrypted with a KMS key"]


def secret_encryption_gaps(secret: dict) -> list[str]:
    return [] if secret.get("KmsKeyId") else ["secret uses the AWS managed key, not a customer managed key"]


def vault_encryption_gaps(vault: dict) -> list[str]:
    return [] if vault.get("EncryptionKeyArn") else ["backup vault without an encryption key"]


def function_environment_gaps(configuration: dict) -> list[str]:
    has_variables = bool((configuration.get("Environment") or {}).get("Variables"))
    if has_variables and not configuration.get("KMSKeyArn"):
        return ["environment variables not encrypted with a customer managed key"]
    return []


# --------------------------------------------------------------------------------------------
# API Gateway
# --------------------------------------------------------------------------------------------
def route_authorization_gaps(route: dict) -> list[str]:
    kind = route.get("AuthorizationType") or "NONE"
    if kind not in AUTHORIZED_ROUTE_TYPES:
        return [f"route {route.get('RouteKey')} has authorization {kind}"]
    if kind == "JWT" and not route.get("AuthorizerId"):
        return [f"route {route.get('RouteKey')} is JWT without an authorizer"]
    return []


def rest_method_authorization_gaps(method: dict) -> list[str]:
    kind = method.get("authorizationType") or "NONE"
    if kind == "NONE" and not method.get("apiKeyRequired"):
        return [f"method {method.get('httpMethod')} has no authorization"]
    return []


# Every rule, by name: the unit tests hold a failing and a passing example for each one.
RULES: dict[str, Callable] = {
    "wildcard_allow_actions": wildcard_allow_actions,
    "public_allow_statements": public_allow_statements,
    "open_ingress": open_ingress,
    "public_access_block_gaps": public_access_block_gaps,
    "public_acl_grants": public_acl_grants,
    "bucket_encryption_gaps": bucket_encryption_gaps,
    "table_encryption_gaps": table_encryption_gaps,
    "rds_encryption_gaps": rds_encryption_gaps,
    "queue_encryption_gaps": queue_encryption_gaps,
    "topic_encryption_gaps": topic_encryption_gaps,
    "log_group_encryption_gaps": log_group_encryption_gaps,
    "secret_encryption_gaps": secret_encryption_gaps,
    "vault_encryption_gaps": vault_encryption_gaps,
    "function_environment_gaps": function_environment_gaps,
    "route_authorization_gaps": route_authorization_gaps,
    "rest_method_authorization_gaps": rest_method_authorization_gaps,
    "default_network_acl_gaps": default_network_acl_gaps,
    "endpoint_principal_gaps": endpoint_principal_gaps,
    "bucket_versioning_gaps": bucket_versioning_gaps,
    "bucket_lifecycle_gaps": bucket_lifecycle_gaps,
    "bucket_replication_gaps": bucket_replication_gaps,
    "customer_key_gaps": customer_key_gaps,
    "table_recovery_gaps": table_recovery_gaps,
    "default_port_gaps": default_port_gaps,
    "rds_event_subscription_gaps": rds_event_subscription_gaps,
    "log_retention_gaps": log_retention_gaps,
    "dead_letter_gaps": dead_letter_gaps,
    "on_failure_destination_gaps": on_failure_destination_gaps,
}


@dataclass(frozen=True)
class Baseline:
    """What an environment must meet besides the rules every environment follows (spec, environment table).

    The defaults are prod's, the strictest: a scan without a baseline judges everything as prod.
    """

    log_retention_days: int = 365
    deletion_protection: bool = True
    non_default_port: bool = True
    replication: bool = True

    @classmethod
    def for_environment(cls, environment: str) -> Baseline:
        return {
            "dev": cls(log_retention_days=14, deletion_protection=False, non_default_port=False, replication=False),
            "staging": cls(log_retention_days=90, replication=False),
        }.get(environment, cls())


# --------------------------------------------------------------------------------------------
# Scope: which resources belong to the scanned stack
# --------------------------------------------------------------------------------------------
def tag_dict(tags) -> dict:
    """Tags as a dict from any AWS shape: dict, [{Key, Value}], [{TagKey, TagValue}]."""
    if isinstance(tags, dict):
        return dict(tags)
    result = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("TagKey"))
        result[key] = tag.get("Value", tag.get("TagValue"))
    return result


@dataclass
class StackScope:
    """A resource belongs to the stack when it carries all of ``tags``, lives in one of the stack's
    VPCs, or is referenced by a resource of the stack (e.g. the role a function runs as, the secret
    RDS manages for a cluster). ``tags=None`` scans everything in the regions (no filter)."""

    tags: dict | None
    vpc_ids: set = field(default_factory=set)
    references: set = field(default_factory=set)

    def owns(self, tags=None, vpc_id: str | None = None, identifiers: Iterable[str] = ()) -> bool:
        if self.tags is None:
            return True
        present = tag_dict(tags)
        if all(present.get(k) == v for k, v in self.tags.items()):
            return True
        if vpc_id and vpc_id in self.vpc_ids:
            return True
        return any(i and i in self.references for i in identifiers)

    def refer(self, *identifiers: str | None) -> None:
        self.references.update(i for i in identifiers if i)


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    region: str
    resource: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.kind} {self.resource} ({self.region}): {self.detail}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    scanned: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Checks the endpoint could not answer (an emulator without the operation): not passed, not failed.
    unverified: list[str] = field(default_factory=list)

    def add(self, rule: str, kind: str, region: str, resource: str, problems: Iterable[str]) -> None:
        self.findings.extend(Finding(rule, kind, region, resource, p) for p in problems)

    def summary(self) -> str:
        scanned = ", ".join(f"{k}={len(v)}" for k, v in sorted(self.scanned.items()))
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(self.skipped.items()))
        unverified = ", ".join(sorted(set(self.unverified))) or "none"
        return f"scanned: {scanned}; skipped as foreign: {skipped or 'none'}; unverified: {unverified}"


# --------------------------------------------------------------------------------------------
# Collection: every resource of a kind in a region, then the rules on the stack's ones
# --------------------------------------------------------------------------------------------
def _pages(client, method: str, key: str, **kwargs) -> list:
    if client.can_paginate(method):
        items = []
        for page in client.get_paginator(method).paginate(**kwargs):
            items.extend(page.get(key, []))
        return items
    return getattr(client, method)(**kwargs).get(key, [])


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


# What an emulator answers for an operation it does not implement.
NOT_IMPLEMENTED = {"404", "NotImplemented", "InvalidAction", "UnknownOperationException"}


def _optional(call: Callable, *missing_codes: str, unverified: list | None = None, what: str = ""):
    """The result of an AWS call, or None when it reports that the thing is not configured.

    An operation the endpoint does not implement is recorded in ``unverified`` (when given) and
    also yields None, so the caller can report what could not be checked instead of passing it.
    """
    try:
        return call()
    except Exception as exc:  # botocore ClientError; kept generic so the module needs no botocore import
        code = _error_code(exc)
        if code in missing_codes:
            return None
        if unverified is not None and code in NOT_IMPLEMENTED:
            unverified.append(what or code)
            return None
        raise


class Scanner:
    def __init__(
        self,
        client: Callable,
        regions: Iterable[str],
        scope: StackScope,
        iam_region: str = "us-east-1",
        baseline: Baseline | None = None,
    ):
        self.client = client
        self.regions = list(regions)
        self.scope = scope
        self.iam_region = iam_region
        self.baseline = baseline or Baseline()
        self.report = Report()
        # Regions where the stack has a database, and the stack's topics: RDS events must reach one of them.
        self.database_regions: set[str] = set()

    # one resource ------------------------------------------------------------------------
    def _keep(self, kind: str, resource: str, **ownership) -> bool:
        if self.scope.owns(**ownership):
            self.report.scanned[kind].append(resource)
            return True
        self.report.skipped[kind] += 1
        return False

    def _policy(self, kind: str, region: str, resource: str, document, public_check: bool = True) -> None:
        if not document:
            return
        self.report.add("wildcard-action", kind, region, resource, wildcard_allow_actions(document))
        if public_check:
            self.report.add("public-principal", kind, region, resource, public_allow_statements(document))

    # per region ------------------------------------------------------------------------------
    def scan_network(self, region: str) -> None:
        ec2 = self.client("ec2", region)
        for vpc in _pages(ec2, "describe_vpcs", "Vpcs"):
            if self.scope.owns(tags=vpc.get("Tags")):
                self.scope.vpc_ids.add(vpc["VpcId"])
        for group in _pages(ec2, "describe_security_groups", "SecurityGroups"):
            label = f"{group['GroupId']} ({group.get('GroupName')})"
            if self._keep("security_group", label, tags=group.get("Tags"), vpc_id=group.get("VpcId")):
                self.report.add("open-ingress", "security_group", region, label, open_ingress(group["IpPermissions"]))
        for endpoint in _pages(ec2, "describe_vpc_endpoints", "VpcEndpoints"):
            if self._keep(
                "vpc_endpoint", endpoint["VpcEndpointId"], tags=endpoint.get("Tags"), vpc_id=endpoint.get("VpcId")
            ):
                # Endpoint policies name Principal "*" by design; a condition must limit it to this account's
                # principals (aws:PrincipalAccount), or any account's credentials could use the endpoint.
                document = endpoint.get("PolicyDocument")
                self._policy("vpc_endpoint", region, endpoint["VpcEndpointId"], document, False)
                self.report.add(
                    "endpoint-principal",
                    "vpc_endpoint",
                    region,
                    endpoint["VpcEndpointId"],
                    endpoint_principal_gaps(document),
                )
        stack_vpcs = sorted(self.scope.vpc_ids) if self.scope.tags is not None else None
        acl_filters = [{"Name": "default", "Values": ["true"]}]
        if stack_vpcs is not None:
            acl_filters.append({"Name": "vpc-id", "Values": stack_vpcs or ["none"]})
        for acl in _pages(ec2, "describe_network_acls", "NetworkAcls", Filters=acl_filters):
            if self._keep("network_acl", acl["NetworkAclId"], tags=acl.get("Tags"), vpc_id=acl.get("VpcId")):
                self.report.add(
                    "default-nacl", "network_acl", region, acl["NetworkAclId"], default_network_acl_gaps(acl)
                )
        for flow_log in _pages(ec2, "describe_flow_logs", "FlowLogs"):
            if self.scope.owns(tags=flow_log.get("Tags"), vpc_id=flow_log.get("ResourceId")):
                self.scope.refer(flow_log.get("DeliverLogsPermissionArn"), flow_log.get("LogGroupName"))

    def scan_kms(self, region: str) -> None:
        kms = self.client("kms", region)
        for key in _pages(kms, "list_keys", "Keys"):
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if metadata.get("KeyManager") != "CUSTOMER":
                continue
            tags = _pages(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"])
            if not self._keep("kms_key", metadata["Arn"], tags=tags, identifiers=(metadata["Arn"], key["KeyId"])):
                continue
            for name in kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"]:
                policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName=name)["Policy"]
                self._policy("kms_key", region, metadata["Arn"], policy)

    def scan_dynamodb(self, region: str) -> None:
        dynamodb = self.client("dynamodb", region)
        for name in _pages(dynamodb, "list_tables", "TableNames"):
            table = dynamodb.describe_table(TableName=name)["Table"]
            tags = _pages(dynamodb, "list_tags_of_resource", "Tags", ResourceArn=table["TableArn"])
            if self._keep("dynamodb_table", table["TableArn"], tags=tags):
                arn = table["TableArn"]
                self.report.add("unencrypted", "dynamodb_table", region, arn, table_encryption_gaps(table))
                key_arn = (table.get("SSEDescription") or {}).get("KMSMasterKeyArn")
                if key_arn:
                    key = self.client("kms", region).describe_key(KeyId=key_arn)["KeyMetadata"]
                    self.report.add("customer-key", "dynamodb_table", region, arn, customer_key_gaps(key))
                backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
                recovery = table_recovery_gaps(
                    dict(table, ContinuousBackupsDescription=backups), self.baseline.deletion_protection
                )
                self.report.add("recovery", "dynamodb_table", region, arn, recovery)

    def scan_rds(self, region: str) -> None:
        rds = self.client("rds", region)
        for cluster in _pages(rds, "describe_db_clusters", "DBClusters"):
            arn = cluster["DBClusterArn"]
            if not self._keep("rds_cluster", arn, tags=cluster.get("TagList")):
                continue
            self.scope.refer(arn, (cluster.get("MasterUserSecret") or {}).get("SecretArn"))
            self.database_regions.add(region)
            self.report.add("unencrypted", "rds_cluster", region, arn, rds_encryption_gaps(cluster))
            if self.baseline.non_default_port:
                self.report.add("default-port", "rds_cluster", region, arn, default_port_gaps(cluster))
            self.report.add(
                "public-database",
                "rds_cluster",
                region,
                arn,
                ["publicly accessible"] if cluster.get("PubliclyAccessible") else [],
            )
        for instance in _pages(rds, "describe_db_instances", "DBInstances"):
            arn = instance["DBInstanceArn"]
            if not self._keep("rds_instance", arn, tags=instance.get("TagList")):
                continue
            self.scope.refer(
                instance.get("MonitoringRoleArn"), (instance.get("MasterUserSecret") or {}).get("SecretArn")
            )
            self.report.add("unencrypted", "rds_instance", region, arn, rds_encryption_gaps(instance))
            self.report.add(
                "public-database",
                "rds_instance",
                region,
                arn,
                ["publicly accessible"] if instance.get("PubliclyAccessible") else [],
            )

    def scan_lambda(self, region: str) -> None:
        lam = self.client("lambda", region)
        for function in _pages(lam, "list_functions", "Functions"):
            arn = function["FunctionArn"]
            tags = lam.list_tags(Resource=arn).get("Tags", {})
            if not self._keep("lambda_function", arn, tags=tags, vpc_id=(function.get("VpcConfig") or {}).get("VpcId")):
                continue
            self.scope.refer(function.get("Role"), f"/aws/lambda/{function['FunctionName']}")
            self.report.add("unencrypted", "lambda_function", region, arn, function_environment_gaps(function))
            policy = _optional(lambda a=arn: lam.get_policy(FunctionName=a)["Policy"], "ResourceNotFoundException")
            self._policy("lambda_function", region, arn, policy)
            self.report.add("lambda-failures", "lambda_function", region, arn, dead_letter_gaps(function))
            invoke_config = _optional(
                lambda a=arn: lam.get_function_event_invoke_config(FunctionName=a), "ResourceNotFoundException"
            )
            self.report.add(
                "lambda-failures", "lambda_function", region, arn, on_failure_destination_gaps(invoke_config)
            )

    def scan_apis(self, region: str) -> None:
        apigw = self.client("apigatewayv2", region)
        for api in _pages(apigw, "get_apis", "Items"):
            label = f"{api['ApiId']} ({api.get('Name')})"
            if not self._keep("http_api", label, tags=api.get("Tags")):
                continue
            for stage in _pages(apigw, "get_stages", "Items", ApiId=api["ApiId"]):
                destination = (stage.get("AccessLogSettings") or {}).get("DestinationArn", "")
                self.scope.refer(destination, destination.split(":log-group:")[-1] if destination else None)
            for route in _pages(apigw, "get_routes", "Items", ApiId=api["ApiId"]):
                self.report.add("unauthenticated-route", "http_api", region, label, route_authorization_gaps(route))
        rest = self.client("apigateway", region)
        for api in _pages(rest, "get_rest_apis", "items"):
            label = f"{api['id']} ({api.get('name')})"
            if not self._keep("rest_api", label, tags=api.get("tags")):
                continue
            for resource in _pages(rest, "get_resources", "items", restApiId=api["id"]):
                for method in (resource.get("resourceMethods") or {}).values():
                    self.report.add(
                        "unauthenticated-route",
                        "rest_api",
                        region,
                        f"{label} {resource.get('path')}",
                        rest_method_authorization_gaps(method),
                    )

    def scan_messaging(self, region: str) -> None:
        sns = self.client("sns", region)
        for topic in _pages(sns, "list_topics", "Topics"):
            arn = topic["TopicArn"]
            tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
            if not self._keep("sns_topic", arn, tags=tags, identifiers=(arn,)):
                continue
            attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
            self.report.add("unencrypted", "sns_topic", region, arn, topic_encryption_gaps(attributes))
            self._policy("sns_topic", region, arn, attributes.get("Policy"))
        sqs = self.client("sqs", region)
        for url in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
            if not self._keep("sqs_queue", attributes["QueueArn"], tags=tags, identifiers=(attributes["QueueArn"],)):
                continue
            self.report.add(
                "unencrypted", "sqs_queue", region, attributes["QueueArn"], queue_encryption_gaps(attributes)
            )
            self._policy("sqs_queue", region, attributes["QueueArn"], attributes.get("Policy"))

    def scan_logs_and_secrets(self, region: str) -> None:
        logs = self.client("logs", region)
        for group in _pages(logs, "describe_log_groups", "logGroups"):
            arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
            tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
            if self._keep("log_group", group["logGroupName"], tags=tags, identifiers=(group["logGroupName"], arn)):
                name = group["logGroupName"]
                self.report.add("unencrypted", "log_group", region, name, log_group_encryption_gaps(group))
                retention = log_retention_gaps(group, self.baseline.log_retention_days)
                self.report.add("log-retention", "log_group", region, name, retention)
        secrets = self.client("secretsmanager", region)
        for secret in _pages(secrets, "list_secrets", "SecretList"):
            owner = tag_dict(secret.get("Tags")).get("aws:rds:primaryDBClusterArn")
            if self._keep("secret", secret["ARN"], tags=secret.get("Tags"), identifiers=(secret["ARN"], owner)):
                self.report.add("unencrypted", "secret", region, secret["ARN"], secret_encryption_gaps(secret))

    def scan_backup(self, region: str) -> None:
        backup = self.client("backup", region)
        for vault in _pages(backup, "list_backup_vaults", "BackupVaultList"):
            arn = vault["BackupVaultArn"]
            if not self._keep("backup_vault", arn, tags=backup.list_tags(ResourceArn=arn).get("Tags", {})):
                continue
            self.report.add("unencrypted", "backup_vault", region, arn, vault_encryption_gaps(vault))
            policy = _optional(
                lambda n=vault["BackupVaultName"]: backup.get_backup_vault_access_policy(BackupVaultName=n).get(
                    "Policy"
                ),
                "ResourceNotFoundException",
                unverified=self.report.unverified,
                what="backup vault access policies",
            )
            self._policy("backup_vault", region, arn, policy)
        for plan in _pages(backup, "list_backup_plans", "BackupPlansList"):
            if not self.scope.owns(tags=backup.list_tags(ResourceArn=plan["BackupPlanArn"]).get("Tags", {})):
                continue
            for selection in _pages(
                backup, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan["BackupPlanId"]
            ):
                self.scope.refer(selection.get("IamRoleArn"))

    def scan_rds_events(self, region: str) -> None:
        """A region where the stack has a database: the critical RDS events reach one of the stack's topics."""
        if region not in self.database_regions:
            return
        topics = set(self.report.scanned["sns_topic"])
        subscriptions = [
            s
            for s in _pages(self.client("rds", region), "describe_event_subscriptions", "EventSubscriptionsList")
            if s.get("SnsTopicArn") in topics and s.get("Status", "active") == "active"
        ]
        self.report.scanned["rds_event_subscription"].extend(s["CustSubscriptionId"] for s in subscriptions)
        self.report.add(
            "rds-events", "rds_event_subscriptions", region, region, rds_event_subscription_gaps(subscriptions)
        )

    def scan_buckets(self) -> None:
        s3 = self.client("s3", self.iam_region)
        # Buckets that receive another bucket's access logs: documented exception, they are not replicated.
        log_targets, replicable = set(), []
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            if region not in self.regions:
                continue
            tags = _optional(lambda n=name: s3.get_bucket_tagging(Bucket=n)["TagSet"], "NoSuchTagSet") or []
            if not self._keep("s3_bucket", name, tags=tags, identifiers=(name,)):
                continue
            regional = self.client("s3", region)
            block = _optional(
                lambda n=name, c=regional: c.get_public_access_block(Bucket=n)["PublicAccessBlockConfiguration"],
                "NoSuchPublicAccessBlockConfiguration",
            )
            self.report.add("public-bucket", "s3_bucket", region, name, public_access_block_gaps(block))
            self.report.add(
                "public-bucket",
                "s3_bucket",
                region,
                name,
                public_acl_grants(regional.get_bucket_acl(Bucket=name)["Grants"]),
            )
            policy = _optional(lambda n=name, c=regional: c.get_bucket_policy(Bucket=n)["Policy"], "NoSuchBucketPolicy")
            if policy:
                self.report.add("public-bucket", "s3_bucket", region, name, public_allow_statements(policy))
                self.report.add("wildcard-action", "s3_bucket", region, name, wildcard_allow_actions(policy))
            encryption = _optional(
                lambda n=name, c=regional: c.get_bucket_encryption(Bucket=n)["ServerSideEncryptionConfiguration"],
                "ServerSideEncryptionConfigurationNotFoundError",
            )
            self.report.add("unencrypted", "s3_bucket", region, name, bucket_encryption_gaps(encryption))
            versioning = regional.get_bucket_versioning(Bucket=name)
            self.report.add("bucket-versioning", "s3_bucket", region, name, bucket_versioning_gaps(versioning))
            lifecycle = _optional(
                lambda n=name, c=regional: c.get_bucket_lifecycle_configuration(Bucket=n)["Rules"],
                "NoSuchLifecycleConfiguration",
            )
            self.report.add("bucket-lifecycle", "s3_bucket", region, name, bucket_lifecycle_gaps(lifecycle))
            logging = regional.get_bucket_logging(Bucket=name).get("LoggingEnabled") or {}
            if logging.get("TargetBucket"):
                log_targets.add(logging["TargetBucket"])
            replicable.append((region, name))
        for region, name in replicable if self.baseline.replication else []:
            if name in log_targets:
                continue
            regional = self.client("s3", region)
            replication = _optional(
                lambda n=name, c=regional: c.get_bucket_replication(Bucket=n)["ReplicationConfiguration"],
                "ReplicationConfigurationNotFoundError",
            )
            self.report.add("replication", "s3_bucket", region, name, bucket_replication_gaps(replication))

    def scan_iam(self) -> None:
        """Roles (trust, inline, attached customer managed), users and groups (inline), customer policies."""
        iam = self.client("iam", self.iam_region)
        attached_customer = set()
        for role in _pages(iam, "list_roles", "Roles"):
            name = role["RoleName"]
            if role.get("Path", "/").startswith("/aws-service-role/"):
                continue  # service-linked roles are defined by AWS
            tags = _pages(iam, "list_role_tags", "Tags", RoleName=name)
            if not self._keep("iam_role", role["Arn"], tags=tags, identifiers=(role["Arn"], name)):
                continue
            self._policy("iam_role_trust", "global", name, role.get("AssumeRolePolicyDocument"))
            for policy_name in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
                document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
                self._policy("iam_role_inline", "global", f"{name}/{policy_name}", document)
            for attached in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
                if ":iam::aws:policy/" not in attached["PolicyArn"]:
                    attached_customer.add(attached["PolicyArn"])
        for policy in _pages(iam, "list_policies", "Policies", Scope="Local"):
            if policy["Arn"] not in attached_customer and not self.scope.owns(tags=policy.get("Tags")):
                self.report.skipped["iam_policy"] += 1
                continue
            self.report.scanned["iam_policy"].append(policy["Arn"])
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            self._policy("iam_policy", "global", policy["Arn"], version["PolicyVersion"]["Document"])
        for user in _pages(iam, "list_users", "Users"):
            if self._keep(
                "iam_user", user["Arn"], tags=_pages(iam, "list_user_tags", "Tags", UserName=user["UserName"])
            ):
                for policy_name in _pages(iam, "list_user_policies", "PolicyNames", UserName=user["UserName"]):
                    document = iam.get_user_policy(UserName=user["UserName"], PolicyName=policy_name)["PolicyDocument"]
                    self._policy("iam_user_inline", "global", f"{user['UserName']}/{policy_name}", document)

    # all -------------------------------------------------------------------------------------
    def run(self) -> Report:
        # Order matters: resources that reference others (flow logs, clusters, functions, APIs,
        # backup plans) are scanned before the things they reference (roles, log groups, secrets).
        for region in self.regions:
            self.scan_network(region)
            self.scan_kms(region)
            self.scan_dynamodb(region)
            self.scan_rds(region)
            self.scan_lambda(region)
            self.scan_apis(region)
            self.scan_messaging(region)
            self.scan_backup(region)
        for region in self.regions:
            self.scan_logs_and_secrets(region)
            self.scan_rds_events(region)
        self.scan_buckets()
        self.scan_iam()
        return self.report


def scan(
    client: Callable, regions: Iterable[str], scope: StackScope | None = None, baseline: Baseline | None = None
) -> Report:
    """Scan every resource of the scanned kinds in ``regions`` (IAM and S3 listings are global).

    ``client(service, region)`` returns a boto3 client. ``scope`` limits the rules to the resources
    of one stack (default: everything); ``baseline`` is what the environment must meet (default: prod's).
    """
    return Scanner(client, regions, scope or StackScope(tags=None), baseline=baseline).run()

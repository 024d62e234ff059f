"""What the emulator holds of one environment in one region, by name and tag (for lifecycle tests).

`stack_resources(aws, env, region)` returns {kind: sorted list of names/ids}; a list (not a set)
so that a duplicate shows up as two entries. Only resources whose name carries the environment
(and the region, where names carry it) or that are tagged Environment=<env> are listed.
"""

from __future__ import annotations

import re

LOCK_TABLE = "tap-deploy-locks"


def _all(client, operation: str, key: str, **kwargs) -> list:
    """Every item of a list/describe call, across pages when the client can paginate it."""
    if client.can_paginate(operation):
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]
    return getattr(client, operation)(**kwargs).get(key, [])


def _tags(resource) -> dict:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", []) or []}


# Resources whose name carries <env>-<region>: kind -> (service, list operation, result key, name field).
# (IAM is global: role names carry env and region too.)
NAMED = {
    "security_group": ("ec2", "describe_security_groups", "SecurityGroups", "GroupName"),
    "function": ("lambda", "list_functions", "Functions", "FunctionName"),
    "http_api": ("apigatewayv2", "get_apis", "Items", "Name"),
    "alarm": ("cloudwatch", "describe_alarms", "MetricAlarms", "AlarmName"),
    "db_cluster": ("rds", "describe_db_clusters", "DBClusters", "DBClusterIdentifier"),
    "db_instance": ("rds", "describe_db_instances", "DBInstances", "DBInstanceIdentifier"),
    "db_subnet_group": ("rds", "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroupName"),
    "db_event_subscription": ("rds", "describe_event_subscriptions", "EventSubscriptionsList", "CustSubscriptionId"),
    "db_cluster_snapshot": (
        "rds",
        "describe_db_cluster_snapshots",
        "DBClusterSnapshots",
        "DBClusterSnapshotIdentifier",
    ),
    "backup_vault": ("backup", "list_backup_vaults", "BackupVaultList", "BackupVaultName"),
    "backup_plan": ("backup", "list_backup_plans", "BackupPlansList", "BackupPlanName"),
    "iam_role": ("iam", "list_roles", "Roles", "RoleName"),
}


def stack_resources(aws, env: str, region: str) -> dict[str, list[str]]:
    ec2, rds, kms = aws("ec2", region), aws("rds", region), aws("kms", region)
    suffix = f"{env}-{region}"
    tagged = [{"Name": "tag:Environment", "Values": [env]}]
    found: dict[str, list[str]] = {}

    vpcs = _all(ec2, "describe_vpcs", "Vpcs", Filters=tagged)
    found["vpc"] = [_tags(v).get("Name", v["VpcId"]) for v in vpcs]
    found["subnet"] = [s["CidrBlock"] for s in _all(ec2, "describe_subnets", "Subnets", Filters=tagged)]
    found["internet_gateway"] = [
        g["InternetGatewayId"] for g in _all(ec2, "describe_internet_gateways", "InternetGateways", Filters=tagged)
    ]
    found["route_table"] = [
        _tags(t).get("Name", t["RouteTableId"])
        for t in _all(ec2, "describe_route_tables", "RouteTables", Filters=tagged)
    ]
    found["vpc_endpoint"] = [
        e["ServiceName"]
        for e in _all(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=tagged)
        if e.get("State", "").lower() not in ("deleted", "deleting")
    ]
    # Bucket names carry the account id after environment and region (S3 names are global).
    buckets = aws("s3", region).list_buckets()["Buckets"]
    found["bucket"] = [b["Name"] for b in buckets if re.search(f"-{suffix}(-[0-9]{{12}})?$", b["Name"])]
    found["table"] = [t for t in _all(aws("dynamodb", region), "list_tables", "TableNames") if t == f"sessions-{env}"]
    found["queue"] = [q.rsplit("/", 1)[-1] for q in _all(aws("sqs", region), "list_queues", "QueueUrls") if suffix in q]
    found["log_group"] = [
        g["logGroupName"]
        for g in _all(aws("logs", region), "describe_log_groups", "logGroups")
        if suffix in g["logGroupName"] or f"/{env}/{region}/" in g["logGroupName"]
    ]
    found["topic"] = [
        t["TopicArn"].rsplit(":", 1)[-1]
        for t in _all(aws("sns", region), "list_topics", "Topics")
        if suffix in t["TopicArn"]
    ]
    found["db_global_cluster"] = [
        g["GlobalClusterIdentifier"]
        for g in _all(rds, "describe_global_clusters", "GlobalClusters")
        if g["GlobalClusterIdentifier"].endswith(f"-{env}")
        and any(f":{region}:" in m["DBClusterArn"] for m in g.get("GlobalClusterMembers", []))
    ]
    found["secret"] = [
        s["Name"]
        for s in _all(aws("secretsmanager", region), "list_secrets", "SecretList")
        if not s.get("DeletedDate")
        and (
            _tags(s).get("Environment") == env
            # RDS-managed master user secrets carry the cluster, not our tags.
            or _tags(s).get("aws:rds:primaryDBClusterArn", "").endswith(f":cluster:aurora-{suffix}")
        )
    ]

    keys = []
    for key in _all(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "CUSTOMER" and f" {env} {region}" in f" {meta.get('Description', '')}":
            keys.append(f"{meta['KeyId']} ({meta['KeyState']})")
    found["kms_key"] = keys
    found["kms_key_enabled"] = [k for k in keys if k.endswith("(Enabled)")]
    found["kms_alias"] = [
        a["AliasName"] for a in _all(kms, "list_aliases", "Aliases") if a["AliasName"].endswith(suffix)
    ]

    for kind, (service, operation, key, field) in NAMED.items():
        found[kind] = [item[field] for item in _all(aws(service, region), operation, key) if suffix in item[field]]
    return {kind: sorted(names) for kind, names in found.items()}


def deploy_lock(aws, env: str, primary: str) -> dict | None:
    """The deploy lock item of env in the primary region's lock table, or None."""
    dynamodb = aws("dynamodb", primary)
    if LOCK_TABLE not in _all(dynamodb, "list_tables", "TableNames"):
        return None
    return dynamodb.get_item(TableName=LOCK_TABLE, Key={"lock_id": {"S": env}}, ConsistentRead=True).get("Item")

"""Managed resources of the stack, counted from the emulator after a converge (for reads per resource)."""

from __future__ import annotations

import contextlib
import json

from bench.runner import SAFE_ENV


def count_resources(url: str, regions: list[str]) -> dict[str, dict[str, int | None]]:
    """{region: {resource type: count, total}} of what the stack manages.

    Everything in the private emulator belongs to the stack; IAM roles (global) count for the region
    their name carries, S3 buckets for their location. A type the emulator cannot list is None.
    """
    import boto3

    def client(service, region):
        return boto3.client(service, region_name=region, endpoint_url=url,
                            aws_access_key_id=SAFE_ENV["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=SAFE_ENV["AWS_SECRET_ACCESS_KEY"])

    iam_roles: list[str] = []
    with contextlib.suppress(Exception):
        for page in client("iam", "us-east-1").get_paginator("list_roles").paginate():
            iam_roles += [r["RoleName"] for r in page["Roles"]]
    buckets: dict[str, str] = {}
    with contextlib.suppress(Exception):
        s3 = client("s3", "us-east-1")
        for b in s3.list_buckets()["Buckets"]:
            buckets[b["Name"]] = s3.get_bucket_location(Bucket=b["Name"]).get("LocationConstraint") or "us-east-1"
    return {region: _count_region(client, region, iam_roles, buckets) for region in regions}


def _count_region(client, region: str, iam_roles: list[str], buckets: dict[str, str]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}

    def count(kind, fn, *args):
        try:
            counts[kind] = int(fn(*args))
        except Exception:  # noqa: BLE001 - a type moto cannot list is reported as n/a, not fatal
            counts[kind] = None

    ec2 = client("ec2", region)
    vpc_ids = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]

    def in_vpcs(describe, key, filter_name="vpc-id", param="Filters"):
        if not vpc_ids:
            return 0
        items = describe(**{param: [{"Name": filter_name, "Values": vpc_ids}]})[key]
        return len([i for i in items if i.get("State") not in ("deleted", "deleting")])

    counts["vpc"] = len(vpc_ids)
    count("subnet", in_vpcs, ec2.describe_subnets, "Subnets")
    count("route_table", in_vpcs, ec2.describe_route_tables, "RouteTables")
    count("network_acl", in_vpcs, ec2.describe_network_acls, "NetworkAcls")
    count("security_group", in_vpcs, ec2.describe_security_groups, "SecurityGroups")
    count("vpc_endpoint", in_vpcs, ec2.describe_vpc_endpoints, "VpcEndpoints")
    count("nat_gateway", in_vpcs, ec2.describe_nat_gateways, "NatGateways", "vpc-id", "Filter")
    count("internet_gateway", in_vpcs, ec2.describe_internet_gateways, "InternetGateways", "attachment.vpc-id")
    count("flow_log", in_vpcs, ec2.describe_flow_logs, "FlowLogs", "resource-id")
    count("elastic_ip", lambda: len(ec2.describe_addresses()["Addresses"]))
    logs = client("logs", region)
    count("log_group", lambda: len(logs.describe_log_groups()["logGroups"]))
    counts["s3_bucket"] = sum(1 for location in buckets.values() if location == region)
    kms = client("kms", region)
    count("kms_key", lambda: len(kms.list_keys()["Keys"]))
    count("kms_alias", lambda: len([a for a in kms.list_aliases()["Aliases"]
                                    if not a["AliasName"].startswith("alias/aws/")]))
    counts["iam_role"] = sum(1 for name in iam_roles if region in name)
    rds = client("rds", region)
    count("db_cluster", lambda: len(rds.describe_db_clusters()["DBClusters"]))
    count("db_instance", lambda: len(rds.describe_db_instances()["DBInstances"]))
    count("db_subnet_group", lambda: len(rds.describe_db_subnet_groups()["DBSubnetGroups"]))
    count("rds_event_subscription", lambda: len(rds.describe_event_subscriptions()["EventSubscriptionsList"]))
    count("db_cluster_parameter_group", lambda: len([
        g for g in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
        if not g["DBClusterParameterGroupName"].startswith("default.")]))
    secrets = client("secretsmanager", region)
    count("secret", lambda: len(secrets.list_secrets()["SecretList"]))
    awslambda = client("lambda", region)
    functions: list[str] = []
    with contextlib.suppress(Exception):
        functions = [f["FunctionName"] for f in awslambda.list_functions()["Functions"]]
    counts["lambda_function"] = len(functions)

    def permissions():
        total = 0
        for name in functions:
            with contextlib.suppress(awslambda.exceptions.ResourceNotFoundException):
                total += len(json.loads(awslambda.get_policy(FunctionName=name)["Policy"])["Statement"])
        return total

    count("lambda_permission", permissions)

    def invoke_configs():
        total = 0
        for name in functions:
            with contextlib.suppress(awslambda.exceptions.ResourceNotFoundException):
                awslambda.get_function_event_invoke_config(FunctionName=name)
                total += 1
        return total

    count("lambda_event_invoke_config", invoke_configs)
    sqs = client("sqs", region)
    count("sqs_queue", lambda: len(sqs.list_queues().get("QueueUrls", [])))
    apigw = client("apigatewayv2", region)
    api_ids: list[str] = []
    with contextlib.suppress(Exception):
        api_ids = [a["ApiId"] for a in apigw.get_apis()["Items"]]
    counts["http_api"] = len(api_ids)
    count("api_route", lambda: sum(len(apigw.get_routes(ApiId=a)["Items"]) for a in api_ids))
    count("api_integration", lambda: sum(len(apigw.get_integrations(ApiId=a)["Items"]) for a in api_ids))
    count("api_stage", lambda: sum(len(apigw.get_stages(ApiId=a)["Items"]) for a in api_ids))
    sns = client("sns", region)
    count("sns_topic", lambda: len(sns.list_topics()["Topics"]))
    count("sns_subscription", lambda: len(sns.list_subscriptions()["Subscriptions"]))
    cloudwatch = client("cloudwatch", region)
    count("cloudwatch_alarm", lambda: len(cloudwatch.describe_alarms()["MetricAlarms"]))
    dynamodb = client("dynamodb", region)
    count("dynamodb_table", lambda: len(dynamodb.list_tables()["TableNames"]))
    backup = client("backup", region)
    count("backup_vault", lambda: len(backup.list_backup_vaults()["BackupVaultList"]))
    plans: list[str] = []
    with contextlib.suppress(Exception):
        plans = [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]]
    counts["backup_plan"] = len(plans)
    count("backup_selection", lambda: sum(len(backup.list_backup_selections(BackupPlanId=p)["BackupSelectionsList"])
                                          for p in plans))
    counts["total"] = sum(v for v in counts.values() if v)
    return counts

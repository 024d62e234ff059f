"""Features the emulator adds to moto, loaded before the server starts.

Each extension fills a documented gap of moto so that our modules run their
real-AWS code paths against the emulator. They live here, beside the harness,
and never in roles or modules.
"""

from __future__ import annotations

import importlib

# Modules under emulator/ that expose install(); each patches one moto gap.
EXTENSIONS: tuple[str, ...] = (
    "dynamodb_replicas",
    # After dynamodb_replicas, whose replica groups it reads.
    "dynamodb_replication",
    "apigatewayv2_gaps",
    # DeleteRouteSettings, in front of moto (route keys hold a "/").
    "apigatewayv2_route_settings",
    "s3_policy_conditions",
    "kms_key_arns",
    "aurora",
    # After aurora, whose global-cluster patches they build on; the rules wrap the states' patches.
    "rds_catalog",
    "rds_states",
    "rds_rules",
    "aurora_global_operations",
    # CloudWatch replication metrics of global tables and Aurora global databases (reads both fillers' state).
    "cloudwatch_replication_metrics",
    "backup",
    "backup_recovery_points",
    "iam_managed_policies",
    "lambda_gaps",
    "rds_event_subscriptions",
    "tagging_index",
    # aws-profile fillers (inactive under the default profile); after the fillers they wrap
    # (lambda_gaps' AddPermission check must run before a permission is stamped).
    "dynamodb_table_states",
    "lambda_network_interfaces",
    "s3_foreign_buckets",
    "s3_access_log_delivery",
    "propagation",
    "lambda_states",
    "lambda_concurrency",
    "iam_role_propagation",
    "kms_policy_propagation",
    "s3_lambda_notifications",
    # The function really runs (both profiles).
    "lambda_runtime",
    "s3_notification_delivery",
    "apigateway_invoke",
    "s3_replication",
)


def install() -> None:
    for name in EXTENSIONS:
        importlib.import_module(f"emulator.{name}").install()

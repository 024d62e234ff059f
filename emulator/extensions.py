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
    "apigatewayv2_gaps",
    "s3_policy_conditions",
    "kms_key_arns",
    "aurora",
    "backup",
    "iam_managed_policies",
    "lambda_gaps",
    "rds_event_subscriptions",
    "s3_replication",
)


def install() -> None:
    for name in EXTENSIONS:
        importlib.import_module(f"emulator.{name}").install()

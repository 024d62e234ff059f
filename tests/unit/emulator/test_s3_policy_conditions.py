"""The emulator's bucket-policy evaluation: conditional statements do not apply, the rest as moto."""

from __future__ import annotations

import json

from moto.iam.access_control import PermissionResult

from emulator.s3_policy_conditions import evaluate

BUCKET = "arn:aws:s3:::b"
TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [BUCKET, BUCKET + "/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_tls_only_statement_does_not_deny_a_tls_request():
    assert evaluate(policy(TLS_ONLY), "s3:PutObject", BUCKET + "/k") == PermissionResult.NEUTRAL


def test_unconditional_deny_still_denies():
    deny = dict(TLS_ONLY, Condition={})
    assert evaluate(policy(TLS_ONLY, deny), "s3:GetObject", BUCKET + "/k") == PermissionResult.DENIED


def test_unconditional_allow_permits_and_other_resources_are_neutral():
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": BUCKET + "/*"}
    assert evaluate(policy(allow), "s3:GetObject", BUCKET + "/k") == PermissionResult.PERMITTED
    assert evaluate(policy(allow), "s3:GetObject", "arn:aws:s3:::other/k") == PermissionResult.NEUTRAL

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Policy documents our modules manage (IAM, KMS, S3, SNS, endpoints): loading, comparing as documents,
and the rule that every action is named (no `*` action anywhere)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from urllib.parse import unquote


def load_policy(document):
    """A policy document (dict, JSON string, or the URL-encoded JSON IAM returns) as a dict; None stays None."""
    if document is None or isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))


def _canonical(value):
    """A policy value in a canonical form: one-element lists as the element, lists sorted, scalars as text."""
    if isinstance(value, dict):
        return dict((k, _canonical(v)) for k, v in value.items())
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def normalize_policy(policy):
    """The policy as one canonical JSON string: statement order, list order and the shape of single
    values do not matter, as AWS evaluates them the same."""
    if policy is None:
        return None
    return json.dumps(_canonical(load_policy(policy)), sort_keys=True, separators=(",", ":"))


def policies_equal(current, desired):
    return normalize_policy(current) == normalize_policy(desired)


def statement_differences(current, desired):
    """What differs between two policy documents, by statement (Sid, else position): 'added X, changed Y'."""

    def by_sid(document):
        statements = _as_list((load_policy(document) or {}).get("Statement"))
        return dict((s.get("Sid") or "#%d" % i, normalize_policy(s)) for i, s in enumerate(statements))

    have, want = by_sid(current), by_sid(desired)
    parts = []
    for label, names in (
        ("added", sorted(set(want) - set(have))),
        ("removed", sorted(set(have) - set(want))),
        ("changed", sorted(k for k in set(want) & set(have) if want[k] != have[k])),
    ):
        if names:
            parts.append("%s %s" % (label, ", ".join(names)))
    return "; ".join(parts) or "reordered"


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wildcard_actions(document, where="policy"):
    """Statements that allow a wildcard action (`*`, `s3:*`, `s3:Get*`) or use NotAction, as messages.

    document is a policy document or a plain list of actions.
    """
    if isinstance(document, list):
        document = {"Statement": [{"Sid": where, "Effect": "Allow", "Action": document}]}
    problems = []
    for index, statement in enumerate(_as_list((document or {}).get("Statement"))):
        label = statement.get("Sid") or "#%d" % index
        if statement.get("Effect", "Allow") != "Allow":
            continue
        if "NotAction" in statement:
            problems.append("%s statement %s uses NotAction (it allows every other action)" % (where, label))
        for action in _as_list(statement.get("Action")):
            if "*" in str(action) or "?" in str(action):
                problems.append("%s statement %s allows the wildcard action %r" % (where, label, action))
    return problems


def service_trust_policy(service, account_id, source_arn=None):
    """Trust policy letting one AWS service assume a role, guarded against the confused deputy."""
    condition = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def flow_log_trust_policy(partition, region, account_id):
    """Trust policy of a VPC flow-log delivery role: this account's flow logs in this region only."""
    source_arn = "arn:%s:ec2:%s:%s:vpc-flow-log/*" % (partition, region, account_id)
    return service_trust_policy("vpc-flow-logs.amazonaws.com", account_id, source_arn=source_arn)


# What the flow-logs service calls with the delivery role (VPC User Guide, "IAM role for publishing flow
# logs to CloudWatch Logs"); AWS's example grants them on "*", here on the one log group.
FLOW_LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
)


def flow_log_delivery_policy(log_group_arn):
    """Permissions policy of the delivery role: every action the service needs, on this log group only
    (the group and its streams)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DeliverFlowLogsToThisGroup",
                "Effect": "Allow",
                "Action": list(FLOW_LOG_DELIVERY_ACTIONS),
                "Resource": [log_group_arn, log_group_arn + ":*"],
            },
        ],
    }

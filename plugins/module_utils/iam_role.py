# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.iam_service_role: policy documents and the no-wildcard-action rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from urllib.parse import unquote


def load_policy(document):
    """A policy document as IAM returns it (URL-encoded JSON string, JSON string or dict) as a dict."""
    if document is None or isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return json.loads(unquote(document))


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wildcard_actions(document, where="policy"):
    """Statements that allow a wildcard action (`*`, `s3:*`, `s3:Get*`) or use NotAction, as messages."""
    problems = []
    statements = _as_list((document or {}).get("Statement"))
    for index, statement in enumerate(statements):
        label = statement.get("Sid") or "#%d" % index
        if statement.get("Effect", "Allow") != "Allow":
            continue
        if "NotAction" in statement:
            problems.append("%s statement %s uses NotAction (it allows every other action)" % (where, label))
        for action in _as_list(statement.get("Action")):
            if "*" in str(action) or "?" in str(action):
                problems.append("%s statement %s allows the wildcard action %r" % (where, label, action))
    return problems


def attachment_changes(current_arns, desired_arns, purge=True):
    """(ARNs to attach, ARNs to detach) of managed policies."""
    current, desired = set(current_arns or ()), set(desired_arns or ())
    to_detach = sorted(current - desired) if purge else []
    return sorted(desired - current), to_detach


def role_arn(partition, account_id, path, name):
    return "arn:%s:iam::%s:role%s%s" % (partition, account_id, path, name)

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.lambda_function: desired state, comparisons and merges (no AWS calls)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json

# Throttling codes of Lambda, CloudWatch Logs, SQS and S3 that AWSRetry's default list lacks.
THROTTLING_CODES = ["ThrottlingException", "RequestThrottled", "SlowDown", "TooManyRequestsException"]
DEFAULT_ACTION = "lambda:InvokeFunction"
DEFAULT_S3_EVENTS = ("s3:ObjectCreated:*",)
# Condition keys a permission entry manages (lower case: IAM condition keys are case-insensitive).
SOURCE_ARN_KEY = "aws:sourcearn"
SOURCE_ACCOUNT_KEY = "aws:sourceaccount"


def code_sha256(data):
    """SHA-256 of a deployment package in the form Lambda reports as CodeSha256 (base64 of the digest)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def arn_parts(arn):
    """(partition, account) of an ARN such as the execution role's; (None, None) when it is not one."""
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None, None
    return parts[1], parts[4]


def function_arn(partition, region, account, name):
    return "arn:%s:lambda:%s:%s:function:%s" % (partition, region, account, name)


def queue_arn(partition, region, account, name):
    return "arn:%s:sqs:%s:%s:%s" % (partition, region, account, name)


def log_group_arn(partition, region, account, name):
    return "arn:%s:logs:%s:%s:log-group:%s" % (partition, region, account, name)


# --------------------------------------------------------------------------- function configuration


def normalize_vpc(vpc):
    vpc = vpc or {}
    return {
        "SubnetIds": sorted(vpc.get("SubnetIds") or []),
        "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or []),
    }


def desired_configuration(params):
    """The UpdateFunctionConfiguration keys the module manages, from the module's parameters."""
    config = {
        "Role": params["role"],
        "Runtime": params["runtime"],
        "Handler": params["handler"],
        "MemorySize": params["memory_size"],
        "Timeout": params["timeout"],
        "Environment": {"Variables": {k: str(v) for k, v in (params.get("environment_variables") or {}).items()}},
        "KMSKeyArn": params.get("kms_key_arn") or "",
        "VpcConfig": normalize_vpc(
            {"SubnetIds": params.get("vpc_subnet_ids"), "SecurityGroupIds": params.get("vpc_security_group_ids")}
        ),
    }
    if params.get("description") is not None:
        config["Description"] = params["description"]
    return config


def current_configuration(config):
    """The managed keys of a GetFunction Configuration, in the form of desired_configuration()."""
    config = config or {}
    return {
        "Role": config.get("Role"),
        "Runtime": config.get("Runtime"),
        "Handler": config.get("Handler"),
        "MemorySize": config.get("MemorySize"),
        "Timeout": config.get("Timeout"),
        "Environment": {"Variables": dict((config.get("Environment") or {}).get("Variables") or {})},
        "KMSKeyArn": config.get("KMSKeyArn") or "",
        "VpcConfig": normalize_vpc(config.get("VpcConfig")),
        "Description": config.get("Description") or "",
    }


def configuration_changes(current, desired):
    """Keys of desired whose value differs from the current configuration (both as returned above)."""
    return {key: value for key, value in desired.items() if current.get(key) != value}


def create_function_kwargs(name, desired, zip_bytes, tags):
    kwargs = {
        "FunctionName": name,
        "Role": desired["Role"],
        "Runtime": desired["Runtime"],
        "Handler": desired["Handler"],
        "Code": {"ZipFile": zip_bytes},
        "MemorySize": desired["MemorySize"],
        "Timeout": desired["Timeout"],
        "Publish": False,
        "PackageType": "Zip",
    }
    if desired.get("Description"):
        kwargs["Description"] = desired["Description"]
    if desired["Environment"]["Variables"]:
        kwargs["Environment"] = desired["Environment"]
    if desired["KMSKeyArn"]:
        kwargs["KMSKeyArn"] = desired["KMSKeyArn"]
    if desired["VpcConfig"]["SubnetIds"]:
        kwargs["VpcConfig"] = desired["VpcConfig"]
    if tags:
        kwargs["Tags"] = tags
    return kwargs


# --------------------------------------------------------------------------- tags


def tag_changes(current, desired, purge=True):
    """(tags to set, keys to remove); keys with the reserved prefix aws: are never touched."""
    current = {k: v for k, v in (current or {}).items() if not k.lower().startswith("aws:")}
    desired = {k: str(v) for k, v in (desired or {}).items()}
    to_set = {k: v for k, v in desired.items() if current.get(k) != v}
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    return to_set, to_remove


# --------------------------------------------------------------------------- asynchronous invocation


def desired_event_invoke_config(destination_arn, maximum_retry_attempts, maximum_event_age_seconds):
    return {
        "MaximumRetryAttempts": maximum_retry_attempts,
        "MaximumEventAgeInSeconds": maximum_event_age_seconds,
        "DestinationConfig": {"OnFailure": {"Destination": destination_arn}},
    }


def normalize_event_invoke_config(config):
    if not config:
        return None
    destinations = config.get("DestinationConfig") or {}
    return {
        "maximum_retry_attempts": config.get("MaximumRetryAttempts"),
        "maximum_event_age_seconds": config.get("MaximumEventAgeInSeconds"),
        "on_failure": (destinations.get("OnFailure") or {}).get("Destination"),
        "on_success": (destinations.get("OnSuccess") or {}).get("Destination"),
    }


# --------------------------------------------------------------------------- resource policy


def desired_permissions(entries):
    """{sid: normalized statement} of the module's `permissions` option."""
    result = {}
    for entry in entries or []:
        result[entry["sid"]] = {
            "principal": entry["principal"],
            "action": entry.get("action") or DEFAULT_ACTION,
            "source_arn": entry.get("source_arn"),
            "source_account": entry.get("source_account"),
            "other_conditions": {},
        }
    return result


def _one(value):
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def normalize_statement(statement):
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = _one(principal.get("Service") or principal.get("AWS") or principal.get("Federated"))
    result = {
        "principal": principal,
        "action": _one(statement.get("Action")),
        "source_arn": None,
        "source_account": None,
        "other_conditions": {},
    }
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, value in (conditions or {}).items():
            lowered = key.lower()
            if lowered == SOURCE_ARN_KEY and operator in ("ArnLike", "ArnEquals", "StringEquals", "StringLike"):
                result["source_arn"] = _one(value)
            elif lowered == SOURCE_ACCOUNT_KEY and operator == "StringEquals":
                result["source_account"] = _one(value)
            else:
                result["other_conditions"]["%s:%s" % (operator, key)] = value
    if statement.get("Effect", "Allow") != "Allow":
        result["other_conditions"]["Effect"] = statement.get("Effect")
    return result


def current_permissions(policy):
    """{sid: normalized statement} of a GetPolicy answer's Policy (JSON string or dict; None = no policy)."""
    if not policy:
        return {}
    if isinstance(policy, str):
        policy = json.loads(policy)
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {s.get("Sid"): normalize_statement(s) for s in statements if s.get("Sid")}


def permission_changes(current, desired, purge=False):
    """(sids to remove, sids to add): a changed statement is removed and added again (Lambda has no update)."""
    to_add = sorted(sid for sid, statement in desired.items() if current.get(sid) != statement)
    to_remove = sorted(sid for sid in current if sid in to_add or (purge and sid not in desired))
    return to_remove, to_add


def add_permission_kwargs(name, sid, statement):
    kwargs = {
        "FunctionName": name,
        "StatementId": sid,
        "Action": statement["action"],
        "Principal": statement["principal"],
    }
    if statement.get("source_arn"):
        kwargs["SourceArn"] = statement["source_arn"]
    if statement.get("source_account"):
        kwargs["SourceAccount"] = statement["source_account"]
    return kwargs


# --------------------------------------------------------------------------- S3 notifications


def desired_notifications(function_arn_value, entries, default_id):
    """{bucket: [LambdaFunctionConfiguration]} of the module's `s3_notifications` option (error string on clash)."""
    result = {}
    for entry in entries or []:
        config = {
            "Id": entry.get("id") or default_id,
            "LambdaFunctionArn": function_arn_value,
            "Events": sorted(set(entry.get("events") or DEFAULT_S3_EVENTS)),
        }
        rules = []
        if entry.get("prefix"):
            rules.append({"Name": "prefix", "Value": entry["prefix"]})
        if entry.get("suffix"):
            rules.append({"Name": "suffix", "Value": entry["suffix"]})
        if rules:
            config["Filter"] = {"Key": {"FilterRules": rules}}
        configs = result.setdefault(entry["bucket"], [])
        if any(c["Id"] == config["Id"] for c in configs):
            return None, "s3_notifications: two notifications of bucket %s have the id %s; give each its own id" % (
                entry["bucket"],
                config["Id"],
            )
        configs.append(config)
    return result, None


def normalize_lambda_notification(config):
    rules = ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    return (
        config.get("Id"),
        config.get("LambdaFunctionArn"),
        tuple(sorted(config.get("Events") or [])),
        tuple(sorted((r.get("Name", "").lower(), r.get("Value")) for r in rules)),
    )


def ours(config, function_arn_value, ids):
    return config.get("Id") in ids or config.get("LambdaFunctionArn") == function_arn_value


def merge_notifications(current, desired_configs, function_arn_value, ids=None):
    """The bucket's whole notification configuration with ours in place of every configuration of this function.

    Ours are the configurations that target this function or carry one of `ids` (default: the desired ids).
    Topic, queue and EventBridge configurations and other functions' configurations are kept as they are.
    Returns (new configuration for PutBucketNotificationConfiguration, changed).
    """
    current = {k: v for k, v in (current or {}).items() if k != "ResponseMetadata"}
    ids = set(ids or ()) | {c["Id"] for c in desired_configs}
    existing = current.get("LambdaFunctionConfigurations") or []
    kept = [c for c in existing if not ours(c, function_arn_value, ids)]
    mine = [c for c in existing if ours(c, function_arn_value, ids)]
    changed = sorted(normalize_lambda_notification(c) for c in mine) != sorted(
        normalize_lambda_notification(c) for c in desired_configs
    )
    new = {}
    for key in ("TopicConfigurations", "QueueConfigurations"):
        if current.get(key):
            new[key] = current[key]
    if "EventBridgeConfiguration" in current:
        new["EventBridgeConfiguration"] = current["EventBridgeConfiguration"]
    lambdas = kept + list(desired_configs)
    if lambdas:
        new["LambdaFunctionConfigurations"] = lambdas
    return new, changed


def summarize_notifications(config, function_arn_value, ids=()):
    """Our notifications of one bucket, for diffs and results."""
    return [
        {
            "id": c.get("Id"),
            "events": sorted(c.get("Events") or []),
            "filter_rules": {
                r.get("Name", "").lower(): r.get("Value")
                for r in ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            },
        }
        for c in (config or {}).get("LambdaFunctionConfigurations") or []
        if ours(c, function_arn_value, set(ids))
    ]

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic of tap.multiregion.lambda_function: desired state, comparisons, merges and the sentences that
name a difference (no AWS calls), and the rules of when Lambda and S3 refuse a write for a while."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.tap.multiregion.plugins.module_utils.base import IAM_ROLE_PROPAGATION
from ansible_collections.tap.multiregion.plugins.module_utils.base import Propagation
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_message
from ansible_collections.tap.multiregion.plugins.module_utils.base import show
from ansible_collections.tap.multiregion.plugins.module_utils.resources.log_group import check_retention

DEFAULT_ACTION = "lambda:InvokeFunction"
DEFAULT_S3_EVENTS = ("s3:ObjectCreated:*",)
# Condition keys a permission entry manages (lower case: IAM condition keys are case-insensitive).
SOURCE_ARN_KEY = "aws:sourcearn"
SOURCE_ACCOUNT_KEY = "aws:sourceaccount"


# --------------------------------------------------------------------------- when AWS refuses for a while


class LambdaConflict(Propagation):
    """ResourceConflictException while the function is Pending or another update of it (or of its policy) runs:
    "The operation cannot be performed at this time. An update is in progress for resource: <arn>" or "... The
    function is currently in the following state: Pending". A function or statement id that already exists is
    a real conflict and is not retried."""

    def matches(self, error):
        return error_code(error) in self.codes and "already exist" not in error_message(error).lower()


class AnyOf(Propagation):
    """Retry while any of several rules matches (a new role and an update in progress, for one write)."""

    def __init__(self, *rules):  # pylint: disable=super-init-not-called  # the rules hold codes and timing
        self.rules = rules

    @property
    def seconds(self):
        return max(rule.seconds for rule in self.rules)

    @property
    def delay(self):
        return min(rule.delay for rule in self.rules)

    def matches(self, error):
        return any(rule.matches(error) for rule in self.rules)


# A VPC function stays Pending for a minute or more while Lambda builds its network interfaces.
LAMBDA_CONFLICT = LambdaConflict(["ResourceConflictException"], seconds=300, delay=5.0)
# Writes of the function's configuration: the execution role may be brand new, an update may be running.
FUNCTION_WRITE = AnyOf(IAM_ROLE_PROPAGATION, LAMBDA_CONFLICT)
# S3 checks, when a notification is put, that it may invoke the function; a permission added seconds ago
# has not propagated yet.
S3_DESTINATION_VALIDATION = Propagation(
    ["InvalidArgument"], ["Unable to validate the following destination configurations"], seconds=90, delay=3.0
)


def check_parameters(params, log_groups):
    """(errors, partition, account) of the module's parameters, before any AWS call; partition and account are
    the execution role's (None without a role)."""
    errors = []
    partition = account = None
    if params["state"] == "present":
        role = parse_aws_arn(params["role"] or "") or {}
        if role.get("service") != "iam" or not role.get("account_id") or role.get("resource_type") != "role":
            errors.append("role must be the ARN of an IAM role, got %r" % params["role"])
        partition, account = role.get("partition"), role.get("account_id")
    if bool(params["vpc_subnet_ids"]) != bool(params["vpc_security_group_ids"]):
        errors.append("vpc_subnet_ids and vpc_security_group_ids must be given together")
    if params["reserved_concurrency"] is not None and params["reserved_concurrency"] < 0:
        errors.append("reserved_concurrency must be 0 or more, got %d" % params["reserved_concurrency"])
    if not 0 <= params["maximum_retry_attempts"] <= 2:
        errors.append("maximum_retry_attempts must be 0, 1 or 2")
    if not 60 <= params["maximum_event_age_seconds"] <= 21600:
        errors.append("maximum_event_age_seconds must be between 60 and 21600")
    errors += [check_retention(g["name"], g["retention_days"]) for g in log_groups]
    errors.append(desired_notifications("-", params["s3_notifications"], params["name"])[1])
    return [e for e in errors if e], partition, account


def log_groups(params):
    """The log groups of the log_group (named /aws/lambda/<name>) and additional_log_groups options."""
    groups = []
    if params["log_group"] is not None:
        groups.append(dict(params["log_group"], name="/aws/lambda/%s" % params["name"]))
    return groups + [dict(g) for g in params["additional_log_groups"]]


def queue_attributes(spec):
    """SQS attributes (strings) of the failure_queue option."""
    attributes = {"MessageRetentionPeriod": str(spec["message_retention_seconds"])}
    if spec["kms_key_arn"]:
        attributes["KmsMasterKeyId"] = spec["kms_key_arn"]
        attributes["KmsDataKeyReusePeriodSeconds"] = str(spec["kms_data_key_reuse_period_seconds"])
    return attributes


def function_arn(partition, region, account, name):
    return "arn:%s:lambda:%s:%s:function:%s" % (partition, region, account, name)


def differences(before, after, labels):
    """'<label> <before> -> <after>' for each key of labels ((key, label) pairs) whose values differ."""
    before, after = before or {}, after or {}
    return ", ".join(
        "%s %s -> %s" % (label, show(before.get(key)), show(after.get(key)))
        for key, label in labels
        if key in after and before.get(key) != after.get(key)
    )


# --------------------------------------------------------------------------- function configuration

CONFIGURATION_LABELS = (
    ("Role", "role"),
    ("Runtime", "runtime"),
    ("Handler", "handler"),
    ("Description", "description"),
    ("MemorySize", "memory size"),
    ("Timeout", "timeout"),
    ("Environment", "environment variables"),
    ("KMSKeyArn", "KMS key"),
    ("SubnetIds", "VPC subnets"),
    ("SecurityGroupIds", "VPC security groups"),
    ("DeadLetterConfig", "dead-letter queue"),
)


def normalize_vpc(vpc):
    vpc = vpc or {}
    return {
        "SubnetIds": sorted(vpc.get("SubnetIds") or []),
        "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or []),
    }


def desired_configuration(params, dead_letter_arn=None):
    """The UpdateFunctionConfiguration keys the module manages, from the module's parameters.

    dead_letter_arn: the failure queue, also the dead-letter queue (None: the dead-letter config is not managed).
    """
    config = {
        "Role": params["role"],
        "Runtime": params["runtime"],
        "Handler": params["handler"],
        "MemorySize": params["memory_size"],
        "Timeout": params["timeout"],
        "Environment": {"Variables": dict((k, str(v)) for k, v in (params.get("environment_variables") or {}).items())},
        "KMSKeyArn": params.get("kms_key_arn") or "",
        "VpcConfig": normalize_vpc(
            {"SubnetIds": params.get("vpc_subnet_ids"), "SecurityGroupIds": params.get("vpc_security_group_ids")}
        ),
    }
    if params.get("description") is not None:
        config["Description"] = params["description"]
    if dead_letter_arn:
        config["DeadLetterConfig"] = {"TargetArn": dead_letter_arn}
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
        # AWS answers no DeadLetterConfig (or an empty TargetArn) for a function without one.
        "DeadLetterConfig": {"TargetArn": (config.get("DeadLetterConfig") or {}).get("TargetArn") or ""},
    }


def configuration_changes(current, desired):
    """Keys of desired whose value differs from the current configuration (both as returned above)."""
    return dict((key, value) for key, value in desired.items() if current.get(key) != value)


def _sentence_value(key, value):
    if key == "Environment":
        return (value or {}).get("Variables") or {}
    if key == "DeadLetterConfig":
        return (value or {}).get("TargetArn") or None
    if key == "KMSKeyArn":
        return value or None
    return value


def _sentence_view(config):
    view = dict((k, _sentence_value(k, v)) for k, v in config.items() if k != "VpcConfig")
    view.update(config.get("VpcConfig") or {})  # subnets and security groups, each named on its own
    return view


def configuration_sentence(current, changes):
    """'role a -> b, memory size 128 -> 256' for the keys of changes."""
    return differences(_sentence_view(current), _sentence_view(changes), CONFIGURATION_LABELS)


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
    if (desired.get("DeadLetterConfig") or {}).get("TargetArn"):
        kwargs["DeadLetterConfig"] = desired["DeadLetterConfig"]
    if tags:
        kwargs["Tags"] = tags
    return kwargs


def function_summary(configuration, concurrency, tags):
    """The managed settings of a function, for the diff."""
    if configuration is None:
        return None
    current = current_configuration(configuration)
    return {
        "role": current["Role"],
        "runtime": current["Runtime"],
        "handler": current["Handler"],
        "memory_size": current["MemorySize"],
        "timeout": current["Timeout"],
        "description": current["Description"],
        "environment_variables": current["Environment"]["Variables"],
        "kms_key_arn": current["KMSKeyArn"] or None,
        "vpc_subnet_ids": current["VpcConfig"]["SubnetIds"],
        "vpc_security_group_ids": current["VpcConfig"]["SecurityGroupIds"],
        "dead_letter_target_arn": current["DeadLetterConfig"]["TargetArn"] or None,
        "code_sha256": configuration.get("CodeSha256"),
        "reserved_concurrency": concurrency,
        "tags": tags,
    }


def function_result(configuration, tags, concurrency):
    """The function as the module returns it: GetFunction's configuration in snake_case (environment variable
    names unchanged) with its tags and reserved concurrency."""
    function = camel_dict_to_snake_dict(
        dict((k, v) for k, v in configuration.items() if k not in ("ResponseMetadata", "Environment")))
    variables = dict((configuration.get("Environment") or {}).get("Variables") or {})
    function.update(environment={"variables": variables}, tags=tags, reserved_concurrency=concurrency)
    return function


# --------------------------------------------------------------------------- function state


def in_progress(configuration):
    """Whether Lambda is still creating the function (Pending) or applying its last update (InProgress)."""
    return configuration.get("State") == "Pending" or configuration.get("LastUpdateStatus") == "InProgress"


def failure(configuration):
    """Why the function's creation or last update failed, with AWS's reason code (None: it did not)."""
    if configuration.get("State") == "Failed":
        return "State Failed (%s): %s" % (configuration.get("StateReasonCode"), configuration.get("StateReason"))
    if configuration.get("LastUpdateStatus") == "Failed":
        return "LastUpdateStatus Failed (%s): %s" % (
            configuration.get("LastUpdateStatusReasonCode"),
            configuration.get("LastUpdateStatusReason"),
        )
    return None


# --------------------------------------------------------------------------- asynchronous invocation

EVENT_INVOKE_LABELS = (
    ("on_failure", "on-failure destination"),
    ("maximum_retry_attempts", "maximum retry attempts"),
    ("maximum_event_age_seconds", "maximum event age seconds"),
)


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

PERMISSION_LABELS = (
    ("principal", "principal"),
    ("action", "action"),
    ("source_arn", "source ARN"),
    ("source_account", "source account"),
    ("other_conditions", "other conditions"),
)


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
    return dict((s.get("Sid"), normalize_statement(s)) for s in statements if s.get("Sid"))


def permission_changes(current, desired, purge=False):
    """(sids to remove, sids to add): a changed statement is removed and added again (Lambda has no update)."""
    to_add = sorted(sid for sid, statement in desired.items() if current.get(sid) != statement)
    to_remove = sorted(sid for sid in current if sid in to_add or (purge and sid not in desired))
    return to_remove, to_add


def permission_text(statement):
    """'s3.amazonaws.com may lambda:InvokeFunction from <source arn>, account <id>'."""
    text = "%s may %s" % (statement["principal"], statement["action"])
    if statement.get("source_arn"):
        text += " from %s" % statement["source_arn"]
    if statement.get("source_account"):
        text += ", account %s" % statement["source_account"]
    return text


def permission_sentence(current, desired):
    """How a statement differs: 'source ARN a -> b' (current and desired normalized)."""
    return differences(current, desired, PERMISSION_LABELS)


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
    return config.get("Id") in ids or (function_arn_value and config.get("LambdaFunctionArn") == function_arn_value)


def merge_notifications(current, desired_configs, function_arn_value, ids=None):
    """The bucket's whole notification configuration with ours in place of every configuration of this function.

    Ours are the configurations that target this function or carry one of `ids` (default: the desired ids).
    Topic, queue and EventBridge configurations and other functions' configurations are kept as they are.
    Returns (new configuration for PutBucketNotificationConfiguration, changed).
    """
    current = dict((k, v) for k, v in (current or {}).items() if k != "ResponseMetadata")
    ids = set(ids or ()) | set(c["Id"] for c in desired_configs)
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
            "filter_rules": dict(
                (r.get("Name", "").lower(), r.get("Value"))
                for r in ((c.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            ),
        }
        for c in (config or {}).get("LambdaFunctionConfigurations") or []
        if ours(c, function_arn_value, set(ids))
    ]


def notifications_text(summary):
    """'<id> s3:ObjectCreated:* prefix in/' per notification of a summary, or 'none'."""
    if not summary:
        return "none"
    return "; ".join(
        "%s %s%s" % (n["id"], ",".join(n["events"]),
                     "".join(" %s %s" % (k, v) for k, v in sorted(n["filter_rules"].items())))
        for n in summary
    )


def notification_plan(bucket, current, entries, function_arn_value, name, state):
    """(new bucket configuration, our notifications before, after, change sentence or None) of one bucket."""
    ids = [n.get("id") or name for n in entries if n["bucket"] == bucket]
    configs = desired_notifications(function_arn_value, entries, name)[0][bucket] if state == "present" else []
    new, changed = merge_notifications(current, configs, function_arn_value, ids)
    before = summarize_notifications(current, function_arn_value, ids)
    after = summarize_notifications(new, function_arn_value, ids)
    if state == "absent":
        sentence = "remove the notifications to function %s (%s)" % (name, notifications_text(before))
        changed = bool(before)
    else:
        sentence = "notifications to function %s %s -> %s" % (
            name, notifications_text(before), notifications_text(after))
    return new, before, after, "bucket %s: %s" % (bucket, sentence) if changed else None

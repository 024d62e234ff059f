# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Pure logic shared by the monitoring modules (alert_topic, cloudwatch_alarms).

Nothing here calls AWS, so every function is unit-testable without the emulator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.tap.multiregion.plugins.module_utils.base import show

# Keys of an alarm as PutMetricAlarm takes them and DescribeAlarms returns them, mapped to the
# module's option names. Only these keys are compared and written.
ALARM_FIELDS = (
    ("AlarmDescription", "description"),
    ("ActionsEnabled", "actions_enabled"),
    ("AlarmActions", "alarm_actions"),
    ("OKActions", "ok_actions"),
    ("InsufficientDataActions", "insufficient_data_actions"),
    ("Namespace", "namespace"),
    ("MetricName", "metric_name"),
    ("Statistic", "statistic"),
    ("Dimensions", "dimensions"),
    ("Period", "period"),
    ("Unit", "unit"),
    ("EvaluationPeriods", "evaluation_periods"),
    ("DatapointsToAlarm", "datapoints_to_alarm"),
    ("Threshold", "threshold"),
    ("ComparisonOperator", "comparison_operator"),
    ("TreatMissingData", "treat_missing_data"),
)

# The options every alarm needs when state=present.
ALARM_REQUIRED = (
    "namespace",
    "metric_name",
    "statistic",
    "period",
    "evaluation_periods",
    "threshold",
    "comparison_operator",
)

# Defaults applied from the module's top-level options when an alarm does not set its own.
ALARM_SHARED = ("alarm_actions", "ok_actions", "insufficient_data_actions", "treat_missing_data", "actions_enabled")

DEFAULT_ACCOUNT_ACTIONS = ("sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic")
DEFAULT_PUBLISHER_SERVICES = ("cloudwatch.amazonaws.com", "events.rds.amazonaws.com")


# ---------------------------------------------------------------------------------------------
# CloudWatch alarms
# ---------------------------------------------------------------------------------------------
def alarm_spec_errors(alarms):
    """Problems with a list of alarm option dicts for state=present (one message each)."""
    errors = []
    seen = set()
    for index, alarm in enumerate(alarms):
        name = alarm.get("name")
        if name in seen:
            errors.append("alarms[%d]: duplicate alarm name %r" % (index, name))
        seen.add(name)
        missing = [key for key in ALARM_REQUIRED if alarm.get(key) is None]
        if missing:
            errors.append("alarms[%d] (%s): missing %s" % (index, name, ", ".join(missing)))
        datapoints, periods = alarm.get("datapoints_to_alarm"), alarm.get("evaluation_periods")
        if datapoints is not None and periods is not None and datapoints > periods:
            errors.append(
                "alarms[%d] (%s): datapoints_to_alarm (%d) exceeds evaluation_periods (%d)"
                % (index, name, datapoints, periods)
            )
    return errors


def apply_alarm_defaults(alarm, shared):
    """The alarm's options with the module-level values filled in where the alarm has none."""
    merged = dict(alarm)
    for key in ALARM_SHARED:
        if merged.get(key) is None:
            merged[key] = shared.get(key)
    return merged


def put_alarm_params(alarm):
    """PutMetricAlarm keyword arguments for one alarm's option dict (without Tags)."""
    params = {"AlarmName": alarm["name"]}
    for api_key, option in ALARM_FIELDS:
        value = alarm.get(option)
        if value is None:
            continue
        if option == "dimensions":
            value = [{"Name": k, "Value": str(v)} for k, v in sorted(value.items())]
        elif option == "threshold":
            value = float(value)
        elif option in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            value = list(value)
        params[api_key] = value
    return params


def normalize_alarm(alarm):
    """A comparable view of an alarm given as PutMetricAlarm params or a DescribeAlarms entry.

    Applies the defaults AWS applies (no description = "", missing data = "missing",
    datapoints = evaluation periods) and ignores the order of actions and dimensions.
    """
    if alarm is None:
        return None
    view = {}
    for api_key, option in ALARM_FIELDS:
        value = alarm.get(api_key)
        if option == "dimensions":
            value = {d["Name"]: str(d["Value"]) for d in value or []}
        elif option in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            value = sorted(value or [])
        elif option == "threshold" and value is not None:
            value = float(value)
        elif option == "description":
            value = value or ""
        elif option == "actions_enabled":
            value = True if value is None else bool(value)
        elif option == "treat_missing_data":
            value = value or "missing"
        view[option] = value
    if view["datapoints_to_alarm"] is None:
        view["datapoints_to_alarm"] = view["evaluation_periods"]
    return view


def alarm_differences(current, desired_params):
    """Option names whose value differs between a described alarm and the desired params."""
    have, want = normalize_alarm(current), normalize_alarm(desired_params)
    return sorted(key for key in want if have.get(key) != want[key])


def alarm_change_sentence(name, current, desired_params, differences):
    """'alarm <name>: threshold 80.0 -> 90.0, ...' for the options that differ (one PutMetricAlarm)."""
    have, want = normalize_alarm(current), normalize_alarm(desired_params)
    return "alarm %s: %s" % (name, ", ".join(
        "%s %s -> %s" % (option.replace("_", " "), show(have.get(option)), show(want[option])) for option in differences
    ))


def diff_view(params):
    """Readable, comparable alarm configuration for --diff (snake_case option names)."""
    view = normalize_alarm(params)
    return None if view is None else dict(sorted(view.items()))


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# SNS topic policy
# ---------------------------------------------------------------------------------------------
def _sid(text):
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def topic_policy(
    topic_arn,
    account_id,
    partition,
    region,
    publisher_services=DEFAULT_PUBLISHER_SERVICES,
    account_actions=DEFAULT_ACCOUNT_ACTIONS,
):
    """The topic policy: this account may use the topic; the named AWS services may only Publish.

    Every service statement carries aws:SourceAccount (confused-deputy protection); CloudWatch
    alarms are further limited to alarms of this account and region by aws:SourceArn.
    """
    statements = [
        {
            "Sid": "AllowThisAccount",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:%s:iam::%s:root" % (partition, account_id)},
            "Action": sorted(account_actions),
            "Resource": topic_arn,
        }
    ]
    for service in publisher_services:
        condition = {"StringEquals": {"aws:SourceAccount": account_id}}
        if service == "cloudwatch.amazonaws.com":
            alarms = "arn:%s:cloudwatch:%s:%s:alarm:*" % (partition, region, account_id)
            condition["ArnLike"] = {"aws:SourceArn": alarms}
        statements.append(
            {
                "Sid": "AllowPublishFrom" + _sid(service),
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": condition,
            }
        )
    return {"Version": "2012-10-17", "Id": "tap-alert-topic-policy", "Statement": statements}

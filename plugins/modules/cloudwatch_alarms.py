#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_alarms
short_description: Ensure a list of CloudWatch metric alarms in one invocation
version_added: 0.1.0
description:
  - Creates, updates or deletes several CloudWatch metric alarms of one region in a single module run.
  - Describes all named alarms with one C(DescribeAlarms) call per 100 names, compares each with the
    requested configuration (order of actions and dimensions ignored, AWS defaults applied) and calls
    C(PutMetricAlarm) only for alarms that are missing or differ.
  - A run where every alarm already matches makes no write call and returns C(changed=false).
  - Tags are set on creation and reconciled on existing alarms with C(TagResource)/C(UntagResource)
    (C(PutMetricAlarm) ignores tags of an existing alarm).
  - Alarms not named in O(alarms) are never touched.
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  state:
    description:
      - V(present) creates or updates the alarms, V(absent) deletes them (only O(alarms[].name) is used).
    type: str
    choices: [present, absent]
    default: present
  alarms:
    description: The alarms to ensure.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Alarm name, unique in the account and region.
        type: str
        required: true
      description:
        description: Alarm description.
        type: str
      namespace:
        description: Metric namespace, for example V(AWS/Lambda). Required when O(state=present).
        type: str
      metric_name:
        description: Metric name, for example V(Errors). Required when O(state=present).
        type: str
      statistic:
        description: Statistic applied to the metric. Required when O(state=present).
        type: str
        choices: [SampleCount, Average, Sum, Minimum, Maximum]
      dimensions:
        description: Metric dimensions as a name-to-value map.
        type: dict
      period:
        description: Length of one evaluation period in seconds. Required when O(state=present).
        type: int
      evaluation_periods:
        description: Number of periods compared with the threshold. Required when O(state=present).
        type: int
      datapoints_to_alarm:
        description: Breaching datapoints (of O(alarms[].evaluation_periods)) that trigger the alarm; default all.
        type: int
      threshold:
        description: Threshold the statistic is compared with. Required when O(state=present).
        type: float
      comparison_operator:
        description: How the statistic is compared with the threshold. Required when O(state=present).
        type: str
        choices:
          - GreaterThanOrEqualToThreshold
          - GreaterThanThreshold
          - LessThanThreshold
          - LessThanOrEqualToThreshold
      unit:
        description: Unit of the metric.
        type: str
      treat_missing_data:
        description: How missing datapoints are treated; default O(treat_missing_data).
        type: str
        choices: [breaching, notBreaching, ignore, missing]
      alarm_actions:
        description: ARNs notified when the alarm enters ALARM; default O(alarm_actions).
        type: list
        elements: str
      ok_actions:
        description: ARNs notified when the alarm enters OK; default O(ok_actions).
        type: list
        elements: str
      insufficient_data_actions:
        description: ARNs notified on INSUFFICIENT_DATA; default O(insufficient_data_actions).
        type: list
        elements: str
      actions_enabled:
        description: Whether the actions run; default O(actions_enabled).
        type: bool
  alarm_actions:
    description: Default alarm actions of every alarm that does not set its own.
    type: list
    elements: str
    default: []
  ok_actions:
    description: Default OK actions of every alarm that does not set its own.
    type: list
    elements: str
    default: []
  insufficient_data_actions:
    description: Default INSUFFICIENT_DATA actions of every alarm that does not set its own.
    type: list
    elements: str
    default: []
  treat_missing_data:
    description: Default treatment of missing data for every alarm that does not set its own.
    type: str
    choices: [breaching, notBreaching, ignore, missing]
    default: missing
  actions_enabled:
    description: Default for O(alarms[].actions_enabled).
    type: bool
    default: true
  tags:
    description:
      - Tags every alarm carries. When omitted, tags of existing alarms are not managed.
    type: dict
  purge_tags:
    description: Remove tags of existing alarms that are not in O(tags) (keys starting with C(aws:) are kept).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Metric math alarms (C(Metrics)) and extended statistics are not supported.
"""

EXAMPLES = r"""
- name: Ensure the Lambda alarms of this region
  tap.multiregion.cloudwatch_alarms:
    alarm_actions: ["{{ monitoring_topic_arn }}"]
    treat_missing_data: notBreaching
    tags: "{{ tap_tags }}"
    alarms:
      - name: "tap-dev-us-east-1-lambda-errors"
        description: Lambda errors above 10 in 5 minutes
        namespace: AWS/Lambda
        metric_name: Errors
        statistic: Sum
        dimensions:
          FunctionName: data-processor-dev-us-east-1
        period: 300
        evaluation_periods: 1
        threshold: 10
        comparison_operator: GreaterThanThreshold

- name: Delete them again
  tap.multiregion.cloudwatch_alarms:
    state: absent
    alarms:
      - name: "tap-dev-us-east-1-lambda-errors"
"""

RETURN = r"""
alarms:
  description: The alarms after the run (as DescribeAlarms returns them; in check mode the requested configuration).
  returned: state=present
  type: list
  elements: dict
  sample:
    - alarm_name: tap-dev-us-east-1-lambda-errors
      alarm_arn: arn:aws:cloudwatch:us-east-1:123456789012:alarm:tap-dev-us-east-1-lambda-errors
      alarm_actions: ["arn:aws:sns:us-east-1:123456789012:tap-alerts-dev-us-east-1"]
      metric_name: Errors
      namespace: AWS/Lambda
      threshold: 10.0
created:
  description: Names of the alarms created (or that would be created in check mode).
  returned: always
  type: list
  elements: str
updated:
  description: Names of the alarms whose configuration or tags were changed.
  returned: always
  type: list
  elements: str
deleted:
  description: Names of the alarms deleted.
  returned: always
  type: list
  elements: str
differences:
  description: Per updated alarm, the option names that differed.
  returned: always
  type: dict
  sample: {tap-dev-us-east-1-lambda-errors: [threshold]}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import alarm_differences
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import alarm_spec_errors
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import apply_alarm_defaults
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import chunks
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import normalize_alarm
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import put_alarm_params

# DescribeAlarms and DeleteAlarms accept at most 100 names per call.
MAX_NAMES = 100

ALARM_OPTIONS = dict(
    name=dict(type="str", required=True),
    description=dict(type="str"),
    namespace=dict(type="str"),
    metric_name=dict(type="str"),
    statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
    dimensions=dict(type="dict"),
    period=dict(type="int"),
    evaluation_periods=dict(type="int"),
    datapoints_to_alarm=dict(type="int"),
    threshold=dict(type="float"),
    comparison_operator=dict(
        type="str",
        choices=[
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ],
    ),
    unit=dict(type="str"),
    treat_missing_data=dict(type="str", choices=["breaching", "notBreaching", "ignore", "missing"]),
    alarm_actions=dict(type="list", elements="str"),
    ok_actions=dict(type="list", elements="str"),
    insufficient_data_actions=dict(type="list", elements="str"),
    actions_enabled=dict(type="bool"),
)


@AWSRetry.jittered_backoff()
def _describe_alarms(client, names):
    paginator = client.get_paginator("describe_alarms")
    return paginator.paginate(AlarmNames=names, AlarmTypes=["MetricAlarm"]).build_full_result()


def describe_alarms(module, client, names):
    """Existing metric alarms among names, by name (one call per 100 names)."""
    found = {}
    for batch in chunks(names, MAX_NAMES):
        try:
            result = _describe_alarms(client, batch)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Failed to describe CloudWatch alarms %s" % ", ".join(batch))
        for alarm in result.get("MetricAlarms", []):
            found[alarm["AlarmName"]] = alarm
    return found


def alarm_tags(module, client, alarm):
    try:
        response = client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"], aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to list the tags of alarm %s" % alarm["AlarmName"])
    return boto3_tag_list_to_ansible_dict(response.get("Tags", []))


def diff_view(params):
    """Readable, comparable alarm configuration for --diff (snake_case option names)."""
    view = normalize_alarm(params)
    return None if view is None else dict(sorted(view.items()))


def ensure_present(module, client):
    params = module.params
    alarms = [apply_alarm_defaults(alarm, params) for alarm in params["alarms"]]
    errors = alarm_spec_errors(alarms)
    if errors:
        module.fail_json(msg="Invalid alarm definitions: " + "; ".join(errors))

    wanted = {alarm["name"]: put_alarm_params(alarm) for alarm in alarms}
    existing = describe_alarms(module, client, list(wanted))
    tags = params["tags"]

    result = dict(created=[], updated=[], deleted=[], differences={})
    before, after = {}, {}
    for name, desired in wanted.items():
        current = existing.get(name)
        before[name] = diff_view(current)
        after[name] = diff_view(desired)
        if current is None:
            result["created"].append(name)
            if tags:
                after[name]["tags"] = dict(tags)
            if not module.check_mode:
                put_params = dict(desired)
                if tags:
                    put_params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
                try:
                    client.put_metric_alarm(aws_retry=True, **put_params)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    module.fail_json_aws(e, msg="Failed to create alarm %s" % name)
            continue

        differences = alarm_differences(current, desired)
        if differences and not module.check_mode:
            try:
                client.put_metric_alarm(aws_retry=True, **desired)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg="Failed to update alarm %s" % name)

        if tags is not None:
            current_tags = alarm_tags(module, client, current)
            to_set, to_unset = compare_aws_tags(current_tags, tags, params["purge_tags"])
            before[name]["tags"] = current_tags
            after[name]["tags"] = dict(tags) if params["purge_tags"] else dict(current_tags, **tags)
            if to_set or to_unset:
                differences.append("tags")
                if not module.check_mode:
                    try:
                        if to_unset:
                            client.untag_resource(ResourceARN=current["AlarmArn"], TagKeys=to_unset, aws_retry=True)
                        if to_set:
                            client.tag_resource(
                                ResourceARN=current["AlarmArn"],
                                Tags=ansible_dict_to_boto3_tag_list(to_set),
                                aws_retry=True,
                            )
                    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                        module.fail_json_aws(e, msg="Failed to update the tags of alarm %s" % name)
        if differences:
            result["updated"].append(name)
            result["differences"][name] = differences

    changed = bool(result["created"] or result["updated"])
    if changed and not module.check_mode:
        final = describe_alarms(module, client, list(wanted))
        result["alarms"] = [camel_dict_to_snake_dict(final[name]) for name in wanted if name in final]
    elif module.check_mode:
        result["alarms"] = [
            camel_dict_to_snake_dict(existing[name])
            if name not in result["created"] and name not in result["updated"]
            else camel_dict_to_snake_dict(wanted[name])
            for name in wanted
        ]
    else:
        result["alarms"] = [camel_dict_to_snake_dict(existing[name]) for name in wanted]
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(changed=changed, **result)


def ensure_absent(module, client):
    names = list(dict.fromkeys(alarm["name"] for alarm in module.params["alarms"]))
    existing = describe_alarms(module, client, names)
    doomed = [name for name in names if name in existing]
    if doomed and not module.check_mode:
        for batch in chunks(doomed, MAX_NAMES):
            try:
                client.delete_alarms(AlarmNames=batch, aws_retry=True)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg="Failed to delete alarms %s" % ", ".join(batch))
    result = dict(changed=bool(doomed), created=[], updated=[], deleted=doomed, differences={})
    if module._diff:
        result["diff"] = dict(
            before={name: diff_view(existing[name]) for name in doomed},
            after={name: None for name in doomed},
        )
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        alarms=dict(type="list", elements="dict", required=True, options=ALARM_OPTIONS),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
        treat_missing_data=dict(
            type="str", choices=["breaching", "notBreaching", "ignore", "missing"], default="missing"
        ),
        actions_enabled=dict(type="bool", default=True),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["state"] == "absent":
        ensure_absent(module, client)
    ensure_present(module, client)


if __name__ == "__main__":
    main()

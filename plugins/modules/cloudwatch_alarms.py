#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_alarms
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
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
notes:
  - O(tags) are the tags every alarm carries; without O(tags) the tags of existing alarms are not managed.
  - Read calls of a run with nothing to change are one C(DescribeAlarms) per 100 alarms and, with O(tags), one
    C(tag:GetResources) per 100 alarms (the Resource Groups Tagging API). An alarm the tagging index lacks or shows
    with other tags is read with its own C(ListTagsForResource) before any tag is written, as the index follows
    CloudWatch by seconds.
  - Metric math alarms (C(Metrics)) and extended statistics are not supported.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create alarm tap-dev-us-east-1-lambda-errors
    - "alarm tap-dev-us-east-1-aurora-cpu-high: threshold 80.0 -> 90.0"
    - "alarm tap-dev-us-east-1-lambda-errors: tags CostCenter=platform"
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import monitoring
from ansible_collections.tap.multiregion.plugins.module_utils import tag_index
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure

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


class Alarms(AwsResource):
    SERVICE = "cloudwatch"

    def __init__(self, module):
        super(Alarms, self).__init__(module)
        self.cloudwatch = self.client()
        self.names = list(dict.fromkeys(alarm["name"] for alarm in self.params["alarms"]))

    def validate(self):
        if self.params["state"] != "present":
            return
        alarms = [monitoring.apply_alarm_defaults(alarm, self.params) for alarm in self.params["alarms"]]
        errors = monitoring.alarm_spec_errors(alarms)
        if errors:
            raise Failure("Invalid alarm definitions: " + "; ".join(errors))
        self.wanted = dict((alarm["name"], monitoring.put_alarm_params(alarm)) for alarm in alarms)

    def describe(self, names):
        """Existing metric alarms among names, by name: one call per 100 names, the calls at the same time."""

        def batch(names):
            return lambda: self.paginate("describe CloudWatch alarms %s" % ", ".join(names), self.cloudwatch,
                                         "describe_alarms", AlarmNames=names, AlarmTypes=["MetricAlarm"])

        found = {}
        for result in self.concurrently(*[batch(b) for b in monitoring.chunks(names, MAX_NAMES)]):
            found.update((alarm["AlarmName"], alarm) for alarm in result.get("MetricAlarms", []))
        return found

    def tags_of(self, arn):
        response = self.read("list the tags of alarm %s" % arn.split(":alarm:")[-1],
                             self.cloudwatch.list_tags_for_resource, ResourceARN=arn)
        return boto3_tag_list_to_ansible_dict(response.get("Tags", []))

    def present(self):
        wanted, tags = self.wanted, self.params["tags"]
        existing = self.describe(list(wanted))
        known = [name for name in wanted if name in existing]
        current_tags = {}
        if tags is not None:
            by_arn = tag_index.tags_of(self, [existing[name]["AlarmArn"] for name in known], self.tags_of, tags,
                                       self.params["purge_tags"])
            current_tags = dict((name, by_arn[existing[name]["AlarmArn"]]) for name in known)
        before, after, touched = {}, {}, set()
        for name, desired in wanted.items():
            made = len(self.changes)
            current = existing.get(name)
            before[name], after[name] = monitoring.diff_view(current), monitoring.diff_view(desired)
            if current is None:
                put = dict(desired, Tags=ansible_dict_to_boto3_tag_list(tags)) if tags else desired
                self.write("create alarm %s" % name, self.cloudwatch.put_metric_alarm, **put)
                if tags:
                    after[name]["tags"] = dict((k, str(v)) for k, v in tags.items())
                touched.add(name)
                continue
            differences = monitoring.alarm_differences(current, desired)
            if differences:
                sentence = monitoring.alarm_change_sentence(name, current, desired, differences)
                self.write(sentence, self.cloudwatch.put_metric_alarm, **desired)
            if tags is not None:
                arn = current["AlarmArn"]
                before[name]["tags"] = current_tags[name]
                after[name]["tags"] = self.sync_tags(
                    "alarm %s" % name, current_tags[name], tags,
                    tag=lambda to_set, arn=arn: self.cloudwatch.tag_resource(
                        aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set)),
                    untag=lambda keys, arn=arn: self.cloudwatch.untag_resource(
                        aws_retry=True, ResourceARN=arn, TagKeys=keys),
                )
            if len(self.changes) > made:
                touched.add(name)
        self.set_diff(before, after)
        if self.changes and not self.check_mode:
            final = self.describe(list(wanted))  # the ARNs and state of the alarms just made
            return {"alarms": [camel_dict_to_snake_dict(final[name]) for name in wanted if name in final]}
        # Check mode: the requested configuration of the alarms that would change.
        return {"alarms": [
            camel_dict_to_snake_dict(wanted[name] if name in touched else existing[name]) for name in wanted
        ]}

    def absent(self):
        existing = self.describe(self.names)
        doomed = [name for name in self.names if name in existing]
        for batch in monitoring.chunks(doomed, MAX_NAMES):
            # One DeleteAlarms call per 100 alarms, one sentence per alarm.
            self.write("delete alarm %s" % batch[0], self.cloudwatch.delete_alarms, AlarmNames=batch)
            for name in batch[1:]:
                self.record("delete alarm %s" % name)
        self.set_diff(
            dict((name, monitoring.diff_view(existing[name])) for name in doomed),
            dict((name, None) for name in doomed),
        )
        return {}


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
    )
    Alarms.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()

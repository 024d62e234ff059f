#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alert_topic
short_description: Ensure a KMS-encrypted SNS alert topic, its publish policy and RDS event subscriptions
version_added: 0.1.0
description:
  - Ensures, in one invocation, the SNS topic a region's alarms and RDS events are sent to.
  - The topic is encrypted with the given KMS key and carries a topic policy that lets this account use it
    and lets only the named AWS services (default CloudWatch alarms and RDS events) publish, each restricted
    by C(aws:SourceAccount) (CloudWatch additionally by C(aws:SourceArn) to this region's alarms).
    The policy contains no wildcard action.
  - Ensures RDS event subscriptions that send events to the topic. AWS allows one source type per
    subscription, so covering clusters and instances takes one subscription per source type.
  - The topic is found by its ARN (built from account, partition, region and name), so nothing is
    listed and a topic is never created twice. Policies are compared as normalized JSON; a run where
    everything matches makes no write call and returns C(changed=false).
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  name:
    description: Topic name (standard topic; RDS does not support FIFO topics).
    type: str
    required: true
  state:
    description: V(absent) deletes the listed subscriptions and then the topic.
    type: str
    choices: [present, absent]
    default: present
  kms_master_key_id:
    description:
      - KMS key (ARN, key id or alias) that encrypts the topic. Required when O(state=present).
      - The key policy must let the publishing services use the key (C(kms:GenerateDataKey*), C(kms:Decrypt)),
        or their messages are dropped.
    type: str
  display_name:
    description: Display name of the topic (used by SMS and e-mail subscriptions).
    type: str
  account_id:
    description:
      - AWS account that owns the topic. When omitted it is read with one C(sts:GetCallerIdentity) call.
    type: str
  publisher_services:
    description: Service principals allowed to publish to the topic (only C(sns:Publish)).
    type: list
    elements: str
    default: [cloudwatch.amazonaws.com, events.rds.amazonaws.com]
  account_actions:
    description: Actions the owning account's principals are granted by the topic policy. No wildcards.
    type: list
    elements: str
    default: [sns:Publish, sns:Subscribe, sns:GetTopicAttributes, sns:ListSubscriptionsByTopic]
  tags:
    description: Tags of the topic and of the event subscriptions. When omitted, tags are not managed.
    type: dict
  purge_tags:
    description: Remove tags not in O(tags) (keys starting with C(aws:) are kept).
    type: bool
    default: true
  rds_event_subscriptions:
    description:
      - RDS event subscriptions that publish to the topic. Subscriptions not listed are not touched.
      - A subscription covers every source of its type in the account and region.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Subscription name (letters, digits and hyphens, below 255 characters).
        type: str
        required: true
      source_type:
        description: Source type of the events.
        type: str
        required: true
        choices: [db-instance, db-cluster, db-parameter-group, db-security-group, db-snapshot, db-cluster-snapshot,
                  db-proxy, custom-engine-version, blue-green-deployment]
      event_categories:
        description:
          - Event categories as AWS names them for the source type (see C(aws rds describe-event-categories)),
            for example V(failure), V(failover), V(maintenance). Empty means all categories.
        type: list
        elements: str
        default: []
      enabled:
        description: Whether the subscription sends notifications.
        type: bool
        default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Source identifiers of a subscription are not managed (a subscription covers all sources of its type).
"""

EXAMPLES = r"""
- name: Ensure the alert topic and the Aurora event subscriptions (us-east-1)
  tap.multiregion.alert_topic:
    name: tap-alerts-dev-us-east-1
    kms_master_key_id: "{{ baseline_kms_key_arn }}"
    tags: "{{ tap_tags }}"
    rds_event_subscriptions:
      - name: tap-rds-events-dev-us-east-1-db-cluster
        source_type: db-cluster
        event_categories: [failure, failover, maintenance]
      - name: tap-rds-events-dev-us-east-1-db-instance
        source_type: db-instance
        event_categories: [failure, failover, maintenance]
  register: alert_topic

- name: Delete topic and subscriptions
  tap.multiregion.alert_topic:
    name: tap-alerts-dev-us-east-1
    state: absent
    rds_event_subscriptions:
      - name: tap-rds-events-dev-us-east-1-db-cluster
        source_type: db-cluster
"""

RETURN = r"""
topic_arn:
  description: ARN of the topic (also in check mode when the topic would be created).
  returned: always
  type: str
  sample: arn:aws:sns:us-east-1:123456789012:tap-alerts-dev-us-east-1
account_id:
  description: The account that owns the topic.
  returned: always
  type: str
topic:
  description: The topic's managed settings after the run.
  returned: state=present
  type: dict
  contains:
    kms_master_key_id:
      description: KMS key of the topic.
      type: str
    display_name:
      description: Display name.
      type: str
    policy:
      description: Topic policy.
      type: dict
    tags:
      description: Tags of the topic.
      type: dict
rds_event_subscriptions:
  description: The event subscriptions after the run (as DescribeEventSubscriptions returns them).
  returned: state=present
  type: list
  elements: dict
  sample:
    - cust_subscription_id: tap-rds-events-dev-us-east-1-db-cluster
      source_type: db-cluster
      event_categories_list: [failure, failover, maintenance]
      enabled: true
      sns_topic_arn: arn:aws:sns:us-east-1:123456789012:tap-alerts-dev-us-east-1
changes:
  description: What was changed (or would be in check mode), one short entry per change.
  returned: always
  type: list
  elements: str
  sample: ["topic policy", "subscription tap-rds-events-dev-us-east-1-db-cluster: event_categories"]
"""

import json

try:
    import botocore
    import botocore.session

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import subscription_differences
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import subscription_view
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import topic_policy
from ansible_collections.tap.multiregion.plugins.module_utils.monitoring import wildcard_actions


class AlertTopic:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.sns = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
        self.rds = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
        self.changes = []
        self.before = {}
        self.after = {}
        self.region = module.region
        self.account_id, self.partition = self._account()
        self.topic_arn = "arn:%s:sns:%s:%s:%s" % (self.partition, self.region, self.account_id, self.params["name"])

    # -- helpers -----------------------------------------------------------------------------
    def _account(self):
        account_id = self.params["account_id"]
        if account_id:
            partition = botocore.session.get_session().get_partition_for_region(self.region)
            return account_id, partition
        return get_aws_account_info(self.module)

    def _call(self, what, method, **kwargs):
        try:
            return method(aws_retry=True, **kwargs)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Failed to %s" % what)

    def _change(self, text):
        self.changes.append(text)
        return not self.module.check_mode

    # -- topic -------------------------------------------------------------------------------
    def get_topic_attributes(self):
        try:
            return self.sns.get_topic_attributes(TopicArn=self.topic_arn, aws_retry=True)["Attributes"]
        except is_boto3_error_code("NotFound"):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to read topic %s" % self.topic_arn)

    def topic_tags(self):
        response = self._call(
            "list the tags of topic %s" % self.topic_arn, self.sns.list_tags_for_resource, ResourceArn=self.topic_arn
        )
        return boto3_tag_list_to_ansible_dict(response.get("Tags", []))

    def ensure_topic(self):
        policy = topic_policy(
            self.topic_arn,
            self.account_id,
            self.partition,
            self.region,
            self.params["publisher_services"],
            self.params["account_actions"],
        )
        wanted = {"KmsMasterKeyId": self.params["kms_master_key_id"]}
        if self.params["display_name"] is not None:
            wanted["DisplayName"] = self.params["display_name"]
        tags = self.params["tags"]

        attributes = self.get_topic_attributes()
        if attributes is None:
            self.before["topic"] = None
            self.after["topic"] = dict(self._topic_view(wanted, policy), tags=tags or {})
            if self._change("create topic %s" % self.params["name"]):
                create = dict(Name=self.params["name"], Attributes=dict(wanted, Policy=json.dumps(policy)))
                if tags:
                    create["Tags"] = ansible_dict_to_boto3_tag_list(tags)
                arn = self._call("create topic %s" % self.params["name"], self.sns.create_topic, **create)["TopicArn"]
                if arn != self.topic_arn:
                    self.module.fail_json(
                        msg="Created topic %s but expected %s: is account_id %s right?"
                        % (arn, self.topic_arn, self.account_id)
                    )
            return self.after["topic"]

        current_policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else {}
        self.before["topic"] = self._topic_view(attributes, current_policy)
        for key, value in sorted(wanted.items()):
            if attributes.get(key, "") != value and self._change("topic attribute %s" % key):
                self._call(
                    "set %s of topic %s" % (key, self.topic_arn),
                    self.sns.set_topic_attributes,
                    TopicArn=self.topic_arn,
                    AttributeName=key,
                    AttributeValue=value,
                )
        if compare_policies(current_policy, policy) and self._change("topic policy"):
            self._call(
                "set the policy of topic %s" % self.topic_arn,
                self.sns.set_topic_attributes,
                TopicArn=self.topic_arn,
                AttributeName="Policy",
                AttributeValue=json.dumps(policy),
            )
        after = self._topic_view(dict(attributes, **wanted), policy)

        current_tags = self.topic_tags() if tags is not None or self.module._diff else {}
        self.before["topic"]["tags"] = current_tags
        after["tags"] = current_tags
        if tags is not None:
            to_set, to_unset = compare_aws_tags(current_tags, tags, self.params["purge_tags"])
            after["tags"] = {k: v for k, v in dict(current_tags, **tags).items() if k not in to_unset}
            if to_unset and self._change("topic tags removed"):
                self._call(
                    "untag topic %s" % self.topic_arn,
                    self.sns.untag_resource,
                    ResourceArn=self.topic_arn,
                    TagKeys=to_unset,
                )
            if to_set and self._change("topic tags set"):
                self._call(
                    "tag topic %s" % self.topic_arn,
                    self.sns.tag_resource,
                    ResourceArn=self.topic_arn,
                    Tags=ansible_dict_to_boto3_tag_list(to_set),
                )
        self.after["topic"] = after
        return after

    @staticmethod
    def _topic_view(attributes, policy):
        return {
            "kms_master_key_id": attributes.get("KmsMasterKeyId"),
            "display_name": attributes.get("DisplayName", ""),
            "policy": policy,
        }

    def delete_topic(self):
        attributes = self.get_topic_attributes()
        self.before["topic"] = None if attributes is None else {"kms_master_key_id": attributes.get("KmsMasterKeyId")}
        self.after["topic"] = None
        if attributes is not None and self._change("delete topic %s" % self.params["name"]):
            self._call("delete topic %s" % self.topic_arn, self.sns.delete_topic, TopicArn=self.topic_arn)

    # -- RDS event subscriptions -------------------------------------------------------------
    def describe_subscriptions(self):
        """Existing subscriptions by name: one paginated listing instead of one call per name."""
        found = {}
        try:
            paginator = self.rds.get_paginator("describe_event_subscriptions")
            result = AWSRetry.jittered_backoff()(paginator.paginate().build_full_result)()
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Failed to describe RDS event subscriptions")
        for subscription in result.get("EventSubscriptionsList", []):
            found[subscription["CustSubscriptionId"]] = subscription
        return found

    def subscription_tags(self, subscription):
        response = self._call(
            "list the tags of event subscription %s" % subscription["CustSubscriptionId"],
            self.rds.list_tags_for_resource,
            ResourceName=subscription["EventSubscriptionArn"],
        )
        return boto3_tag_list_to_ansible_dict(response.get("TagList", []))

    def ensure_subscriptions(self):
        wanted = self.params["rds_event_subscriptions"]
        if not wanted:
            return []
        existing = self.describe_subscriptions()
        tags = self.params["tags"]
        touched = False
        self.before["rds_event_subscriptions"] = {}
        self.after["rds_event_subscriptions"] = {}
        for spec in wanted:
            name = spec["name"]
            desired = {
                "SnsTopicArn": self.topic_arn,
                "SourceType": spec["source_type"],
                "EventCategories": sorted(spec["event_categories"]),
                "Enabled": spec["enabled"],
            }
            current = existing.get(name)
            self.before["rds_event_subscriptions"][name] = subscription_view(current)
            self.after["rds_event_subscriptions"][name] = subscription_view(desired)
            if current is None:
                touched = True
                if self._change("create subscription %s" % name):
                    create = dict(desired, SubscriptionName=name)
                    if tags:
                        create["Tags"] = ansible_dict_to_boto3_tag_list(tags)
                    self._call("create RDS event subscription %s" % name, self.rds.create_event_subscription, **create)
                continue
            differences = subscription_differences(current, desired)
            if differences:
                touched = True
                if self._change("subscription %s: %s" % (name, ", ".join(differences))):
                    self._call(
                        "modify RDS event subscription %s" % name,
                        self.rds.modify_event_subscription,
                        SubscriptionName=name,
                        **desired,
                    )
            if tags is not None:
                current_tags = self.subscription_tags(current)
                to_set, to_unset = compare_aws_tags(current_tags, tags, self.params["purge_tags"])
                arn = current["EventSubscriptionArn"]
                if to_unset:
                    touched = True
                    if self._change("subscription %s tags removed" % name):
                        self._call(
                            "untag RDS event subscription %s" % name,
                            self.rds.remove_tags_from_resource,
                            ResourceName=arn,
                            TagKeys=to_unset,
                        )
                if to_set:
                    touched = True
                    if self._change("subscription %s tags set" % name):
                        self._call(
                            "tag RDS event subscription %s" % name,
                            self.rds.add_tags_to_resource,
                            ResourceName=arn,
                            Tags=ansible_dict_to_boto3_tag_list(to_set),
                        )

        if touched and not self.module.check_mode:
            existing = self.describe_subscriptions()
            return [camel_dict_to_snake_dict(existing[s["name"]]) for s in wanted if s["name"] in existing]
        return [
            camel_dict_to_snake_dict(existing[s["name"]])
            if s["name"] in existing
            else dict(cust_subscription_id=s["name"], **self.after["rds_event_subscriptions"][s["name"]])
            for s in wanted
        ]

    def delete_subscriptions(self):
        wanted = [s["name"] for s in self.params["rds_event_subscriptions"]]
        if not wanted:
            return
        existing = self.describe_subscriptions()
        self.before["rds_event_subscriptions"] = {n: subscription_view(existing.get(n)) for n in wanted}
        self.after["rds_event_subscriptions"] = {n: None for n in wanted}
        for name in wanted:
            if name in existing and self._change("delete subscription %s" % name):
                self._call(
                    "delete RDS event subscription %s" % name, self.rds.delete_event_subscription, SubscriptionName=name
                )

    # -- entry points ------------------------------------------------------------------------
    def result(self, **extra):
        result = dict(
            changed=bool(self.changes),
            changes=self.changes,
            topic_arn=self.topic_arn,
            account_id=self.account_id,
            **extra,
        )
        if self.module._diff:
            result["diff"] = dict(before=self.before, after=self.after)
        return result

    def present(self):
        topic = self.ensure_topic()
        subscriptions = self.ensure_subscriptions()
        self.module.exit_json(**self.result(topic=topic, rds_event_subscriptions=subscriptions))

    def absent(self):
        self.delete_subscriptions()
        self.delete_topic()
        self.module.exit_json(**self.result())


def validate(module):
    params = module.params
    if params["state"] == "present" and not params["kms_master_key_id"]:
        module.fail_json(msg="kms_master_key_id is required when state=present: the alert topic must be encrypted")
    if params["name"].endswith(".fifo"):
        module.fail_json(msg="name: RDS event notifications do not support FIFO topics")
    wildcards = wildcard_actions(params["account_actions"])
    if wildcards:
        module.fail_json(msg="account_actions: wildcard actions are not allowed: %s" % ", ".join(wildcards))
    names = [s["name"] for s in params["rds_event_subscriptions"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        module.fail_json(msg="rds_event_subscriptions: duplicate names %s" % ", ".join(duplicates))


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        kms_master_key_id=dict(type="str"),
        display_name=dict(type="str"),
        account_id=dict(type="str"),
        publisher_services=dict(
            type="list", elements="str", default=["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"]
        ),
        account_actions=dict(
            type="list",
            elements="str",
            default=["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"],
        ),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
        rds_event_subscriptions=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                source_type=dict(
                    type="str",
                    required=True,
                    choices=[
                        "db-instance",
                        "db-cluster",
                        "db-parameter-group",
                        "db-security-group",
                        "db-snapshot",
                        "db-cluster-snapshot",
                        "db-proxy",
                        "custom-engine-version",
                        "blue-green-deployment",
                    ],
                ),
                event_categories=dict(type="list", elements="str", default=[]),
                enabled=dict(type="bool", default=True),
            ),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    topic = AlertTopic(module)
    if module.params["state"] == "absent":
        topic.absent()
    topic.present()


if __name__ == "__main__":
    main()

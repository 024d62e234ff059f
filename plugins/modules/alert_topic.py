#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alert_topic
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
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
  rds_event_subscriptions:
    description:
      - RDS event subscriptions that publish to the topic. Subscriptions not listed are not touched.
      - A subscription covers every source of its type in the account and region (source identifiers added
        to it elsewhere are removed).
      - Event categories are named as RDS names them for the source type, for example V(failure),
        V(failover), V(maintenance) and V(configuration change) for C(db-instance), V(configuration change) for
        C(db-parameter-group), V(configuration change) and V(failure) for C(db-security-group).
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
notes:
  - O(tags) are the tags of the topic and of the event subscriptions; without O(tags) tags are not managed.
  - Read calls of a run with nothing to change are C(GetTopicAttributes), one C(DescribeEventSubscriptions) listing
    and one C(tag:GetResources) for the tags of the topic and of every subscription (the Resource Groups Tagging
    API), at the same time; C(sts:GetCallerIdentity) only without O(account_id). A resource the tagging index
    lacks or shows with other tags is read with its own C(ListTagsForResource) before any tag is written, as the
    index follows SNS and RDS by seconds.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create topic tap-alerts-dev-us-east-1
    - "topic tap-alerts-dev-us-east-1: policy statements changed AllowThisAccount"
    - "RDS event subscription tap-rds-events-dev-us-east-1-db-cluster: enabled False -> True"
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
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import kms
from ansible_collections.tap.multiregion.plugins.module_utils import monitoring
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils import tag_index
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.resources import event_subscription

SOURCE_TYPES = ["db-instance", "db-cluster", "db-parameter-group", "db-security-group", "db-snapshot",
                "db-cluster-snapshot", "db-proxy", "custom-engine-version", "blue-green-deployment"]
# Topic attributes this module sets, as change sentences name them.
ATTRIBUTES = {"KmsMasterKeyId": "KMS key", "DisplayName": "display name"}
TOPIC_MISSING = ("NotFound", "NotFoundException", "ResourceNotFound", "ResourceNotFoundException")


class AlertTopic(AwsResource):
    SERVICE = "sns"

    def __init__(self, module):
        super(AlertTopic, self).__init__(module)
        self.sns = self.client()
        self.name = self.params["name"]
        self.label = "topic %s" % self.name
        self.subscriptions = self.params["rds_event_subscriptions"]

    def validate(self):
        p = self.params
        if p["state"] == "present" and not p["kms_master_key_id"]:
            raise Failure("kms_master_key_id is required when state=present: the alert topic must be encrypted")
        if self.name.endswith(".fifo"):
            raise self.invalid("name", self.name, "RDS event notifications do not support FIFO topics")
        wildcards = policies.wildcard_actions(p["account_actions"], "account_actions")
        if wildcards:
            raise Failure("account_actions: wildcard actions are not allowed: %s" % "; ".join(wildcards))
        names = [s["name"] for s in self.subscriptions]
        duplicates = sorted(set(n for n in names if names.count(n) > 1))
        if duplicates:
            raise Failure("rds_event_subscriptions: duplicate names %s" % ", ".join(duplicates))

    # -- reads -------------------------------------------------------------------------------
    def find_account(self):
        """(account id, partition): the given account (no call) or the caller's (sts:GetCallerIdentity)."""
        if self.params["account_id"]:
            return self.params["account_id"], self.sns.meta.partition
        identity = self.read("look up the AWS account", self.client("sts").get_caller_identity)
        return identity["Account"], parse_aws_arn(identity["Arn"])["partition"]

    def read_state(self, with_tags):
        """(topic attributes or None, topic tags or None, subscriptions by name, their tags by name), read at the
        same time: the tags of the topic and of every subscription in one read of the tagging index."""
        names = [s["name"] for s in self.subscriptions]
        arns = dict((name, event_subscription.arn(self, name, self.account_id, self.partition)) for name in names)
        attributes, existing, index = self.concurrently(
            lambda: (self.read("read %s" % self.label, self.sns.get_topic_attributes, TopicArn=self.topic_arn,
                               missing=TOPIC_MISSING) or {}).get("Attributes"),
            lambda: event_subscription.describe_all(self) if self.subscriptions else {},
            lambda: tag_index.indexed(self, [self.topic_arn] + list(arns.values())) if with_tags else {},
        )
        if not with_tags:
            return attributes, None, existing, {}
        # An existing subscription's own ARN (the one built above, unless AWS says otherwise).
        real = dict((n, existing[n].get("EventSubscriptionArn") or arns[n]) for n in names if n in existing)
        present = ([self.topic_arn] if attributes is not None else []) + [real[n] for n in names if n in real]
        tags = tag_index.confirmed(self, present, index, self.own_tags, self.params["tags"], self.params["purge_tags"])
        return attributes, tags.get(self.topic_arn), existing, dict((n, tags[real[n]]) for n in real)

    def own_tags(self, arn):
        """The tags of the topic or of a subscription, read from its own service."""
        if arn != self.topic_arn:
            return event_subscription.read_tags(self, arn)
        found = self.read("list the tags of %s" % self.label, self.sns.list_tags_for_resource,
                          ResourceArn=self.topic_arn, missing=TOPIC_MISSING)
        return boto3_tag_list_to_ansible_dict((found or {}).get("Tags", []))

    # -- topic -------------------------------------------------------------------------------
    def ensure_topic(self, attributes, current_tags):
        p = self.params
        policy = monitoring.topic_policy(self.topic_arn, self.account_id, self.partition, self.region,
                                         p["publisher_services"], p["account_actions"])
        wanted = {"KmsMasterKeyId": p["kms_master_key_id"]}
        if p["display_name"] is not None:
            wanted["DisplayName"] = p["display_name"]
        tags = p["tags"]
        if attributes is None:
            create = dict(Name=self.name, Attributes=dict(wanted, Policy=json.dumps(policy)))
            if tags:
                create["Tags"] = ansible_dict_to_boto3_tag_list(tags)
            created = self.write("create %s" % self.label, self.sns.create_topic, **create)
            if created is not None and created["TopicArn"] != self.topic_arn:
                raise Failure("Created topic %s but expected %s: is account_id %s right?"
                              % (created["TopicArn"], self.topic_arn, self.account_id))
            return None, dict(_topic_view(wanted, policy), tags=dict((k, str(v)) for k, v in (tags or {}).items()))

        current_policy = policies.load_policy(attributes.get("Policy")) or {}
        before = dict(_topic_view(attributes, current_policy), tags=current_tags or {})
        for key, value in sorted(wanted.items()):
            have = attributes.get(key, "")
            if have != value:
                shown = (kms.key_label(have), kms.key_label(value)) if key == "KmsMasterKeyId" else (
                    have, value)
                self.update(self.label, ATTRIBUTES[key], shown[0], shown[1], self.sns.set_topic_attributes,
                            TopicArn=self.topic_arn, AttributeName=key, AttributeValue=value)
        if not policies.policies_equal(current_policy, policy):
            differences = policies.statement_differences(current_policy, policy)
            self.write("%s: policy statements %s" % (self.label, differences), self.sns.set_topic_attributes,
                       TopicArn=self.topic_arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
        after = dict(_topic_view(dict(attributes, **wanted), policy))
        after["tags"] = self.sync_tags(
            self.label, current_tags or {}, tags,
            tag=lambda to_set: self.sns.tag_resource(aws_retry=True, ResourceArn=self.topic_arn,
                                                     Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: self.sns.untag_resource(aws_retry=True, ResourceArn=self.topic_arn, TagKeys=keys),
        )
        return before, after

    # -- entry points ------------------------------------------------------------------------
    def start(self):
        self.account_id, self.partition = self.find_account()
        self.topic_arn = "arn:%s:sns:%s:%s:%s" % (self.partition, self.region, self.account_id, self.name)

    def present(self):
        self.start()
        attributes, current_tags, existing, subscription_tags = self.read_state(
            self.params["tags"] is not None or self.module._diff)
        before, after = {}, {}
        before["topic"], after["topic"] = self.ensure_topic(attributes, current_tags)
        subscriptions = self.ensure_subscriptions(existing, subscription_tags, before, after)
        self.set_diff(before, after)
        return dict(topic_arn=self.topic_arn, account_id=self.account_id, topic=after["topic"],
                    rds_event_subscriptions=subscriptions)

    def ensure_subscriptions(self, existing, tags, before, after):
        """Make each listed subscription match; returns them as AWS has them (check mode: as planned)."""
        if not self.subscriptions:
            return []
        had = before["rds_event_subscriptions"] = {}
        planned = after["rds_event_subscriptions"] = {}
        made = len(self.changes)
        for spec in self.subscriptions:
            name = spec["name"]
            had[name], planned[name], _subscription = event_subscription.ensure(
                self, name, self.topic_arn, spec["source_type"], spec["event_categories"], spec["enabled"],
                tags=self.params["tags"], purge_tags=self.params["purge_tags"], existing=existing,
                current_tags=tags.get(name),
            )
        if len(self.changes) > made and not self.check_mode:
            existing = event_subscription.describe_all(self)  # what AWS made of the changes
        result = []
        for spec in self.subscriptions:
            name = spec["name"]
            if name in existing and not (self.check_mode and had[name] != planned[name]):
                result.append(camel_dict_to_snake_dict(existing[name]))
            else:
                result.append(dict(cust_subscription_id=name, **planned[name]))
        return result

    def absent(self):
        self.start()
        attributes, _tags, existing, _subscription_tags = self.read_state(False)
        before = {"topic": None if attributes is None else {"kms_master_key_id": attributes.get("KmsMasterKeyId")}}
        if self.subscriptions:
            before["rds_event_subscriptions"] = dict(
                (s["name"], event_subscription.view(existing.get(s["name"]))) for s in self.subscriptions)
        for spec in self.subscriptions:
            event_subscription.delete(self, spec["name"], existing=existing)
        if attributes is not None:
            self.write("delete %s" % self.label, self.sns.delete_topic, TopicArn=self.topic_arn)
        after = dict((key, None if key == "topic" else dict((n, None) for n in value)) for key, value in before.items())
        self.set_diff(before, after)
        return dict(topic_arn=self.topic_arn, account_id=self.account_id)


def _topic_view(attributes, policy):
    return {
        "kms_master_key_id": attributes.get("KmsMasterKeyId"),
        "display_name": attributes.get("DisplayName", ""),
        "policy": policy,
    }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        kms_master_key_id=dict(type="str"),
        display_name=dict(type="str"),
        account_id=dict(type="str"),
        publisher_services=dict(type="list", elements="str", default=list(monitoring.DEFAULT_PUBLISHER_SERVICES)),
        account_actions=dict(type="list", elements="str", default=list(monitoring.DEFAULT_ACCOUNT_ACTIONS)),
        rds_event_subscriptions=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                source_type=dict(type="str", required=True, choices=SOURCE_TYPES),
                event_categories=dict(type="list", elements="str", default=[]),
                enabled=dict(type="bool", default=True),
            ),
        ),
    )
    AlertTopic.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()

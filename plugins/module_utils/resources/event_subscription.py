# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""RDS event subscriptions: the one place our modules make them (the monitoring role's alert topic).
The owner is the AwsResource of the calling module; its changes, check mode and failures are the owner's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


def view(subscription):
    """Comparable view of a DescribeEventSubscriptions entry or of the desired create parameters."""
    if subscription is None:
        return None
    return {
        "sns_topic_arn": subscription.get("SnsTopicArn"),
        "source_type": subscription.get("SourceType"),
        "event_categories": sorted(
            c.lower() for c in subscription.get("EventCategoriesList") or subscription.get("EventCategories") or []
        ),
        "source_ids": sorted(subscription.get("SourceIdsList") or subscription.get("SourceIds") or []),
        "enabled": bool(subscription.get("Enabled", True)),
    }


def differences(current, desired):
    have, want = view(current), view(desired)
    return sorted(key for key in want if have.get(key) != want[key])


def describe_all(owner):
    """Every subscription of the account and region by name: one paginated listing for all of them."""
    found = owner.paginate("describe the RDS event subscriptions", owner.client("rds"), "describe_event_subscriptions")
    return dict((s["CustSubscriptionId"], s) for s in found.get("EventSubscriptionsList", []))


def arn(owner, name, account_id, partition):
    return "arn:%s:rds:%s:%s:es:%s" % (partition, owner.region, account_id, name)


def read_tags(owner, subscription_arn):
    found = owner.read("list the tags of RDS event subscription %s" % subscription_arn.split(":es:")[-1],
                       owner.client("rds").list_tags_for_resource, ResourceName=subscription_arn)
    return boto3_tag_list_to_ansible_dict(found.get("TagList", []))


def ensure(owner, name, topic_arn, source_type, event_categories, enabled=True, source_ids=None, tags=None,
           purge_tags=True, existing=None, current_tags=None):
    """Make the subscription match. existing: the describe_all() answer when the caller has it already;
    current_tags: the existing subscription's tags when the caller read them already (tag_index).

    Returns (before view, after view, subscription as snake_case dict or None in check mode).
    """
    rds = owner.client("rds")
    label = "RDS event subscription %s" % name
    existing = describe_all(owner) if existing is None else existing
    desired = {"SnsTopicArn": topic_arn, "SourceType": source_type, "EventCategories": sorted(event_categories),
               "Enabled": enabled}
    if source_ids:
        desired["SourceIds"] = sorted(source_ids)
    current = existing.get(name)
    if current is None:
        create = dict(desired, SubscriptionName=name)
        if tags:
            create["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        created = owner.write("create %s (%s: %s)" % (label, source_type, ", ".join(sorted(event_categories))),
                              rds.create_event_subscription, **create)
        subscription = (created or {}).get("EventSubscription")
        return None, view(desired), camel_dict_to_snake_dict(subscription) if subscription else None

    wrong = differences(current, desired)
    if wrong:
        have, want = view(current), view(desired)
        sentence = ", ".join("%s %s -> %s" % (k.replace("_", " "), have[k], want[k]) for k in wrong)
        modify = dict((k, v) for k, v in desired.items() if k != "SourceIds")
        owner.write("%s: %s" % (label, sentence), rds.modify_event_subscription, SubscriptionName=name, **modify)
        for source_id in sorted(set(want["source_ids"]) - set(have["source_ids"])):
            owner.write("%s: add source %s" % (label, source_id), rds.add_source_identifier_to_subscription,
                        SubscriptionName=name, SourceIdentifier=source_id)
        for source_id in sorted(set(have["source_ids"]) - set(want["source_ids"])):
            owner.write("%s: remove source %s" % (label, source_id), rds.remove_source_identifier_from_subscription,
                        SubscriptionName=name, SourceIdentifier=source_id)
    if tags is not None:
        arn = current["EventSubscriptionArn"]
        if current_tags is None:
            current_tags = read_tags(owner, arn)
        owner.sync_tags(
            label, current_tags, tags,
            tag=lambda to_set: rds.add_tags_to_resource(aws_retry=True, ResourceName=arn,
                                                        Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=keys),
            purge=purge_tags,
        )
    return view(current), view(desired), camel_dict_to_snake_dict(current)


def delete(owner, name, existing=None):
    """Delete the subscription when it exists; returns whether it existed."""
    existing = describe_all(owner) if existing is None else existing
    if name not in existing:
        return False
    owner.write("delete RDS event subscription %s" % name, owner.client("rds").delete_event_subscription,
                SubscriptionName=name, ignore="SubscriptionNotFound")
    return True

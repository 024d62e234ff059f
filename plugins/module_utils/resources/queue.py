# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""SQS queues: the one place our modules make them (the function's failure queue). The owner is the
AwsResource of the calling module; its changes, check mode and failures are the owner's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.module_utils.base import QUEUE_DELETED_RECENTLY

MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def arn(partition, region, account_id, name):
    return "arn:%s:sqs:%s:%s:%s" % (partition, region, account_id, name)


def url_of(owner, name):
    found = owner.read("look up queue %s" % name, owner.client("sqs").get_queue_url, QueueName=name, missing=MISSING)
    return found["QueueUrl"] if found else None


def ensure(owner, name, attributes, tags=None, purge_tags=True):
    """Make the queue exist with these attributes (strings, as SQS takes them) and tags (None: leave).

    Returns (url, arn, before, after); url and arn are None for a queue check mode would create.
    """
    sqs = owner.client("sqs")
    label = "queue %s" % name
    wanted_tags = None if tags is None else dict((k, str(v)) for k, v in tags.items())
    url = url_of(owner, name)
    if url is None:
        kwargs = {"QueueName": name, "Attributes": attributes}
        if wanted_tags:
            kwargs["tags"] = wanted_tags
        # After a teardown the name is free again only 60 s after the delete.
        created = owner.write("create %s" % label, sqs.create_queue, propagation=QUEUE_DELETED_RECENTLY, **kwargs)
        url = (created or {}).get("QueueUrl")
        queue_arn = None
        if url:
            queue_arn = owner.read("read %s" % label, sqs.get_queue_attributes, QueueUrl=url,
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, queue_arn, None, {"attributes": dict(attributes), "tags": wanted_tags or {}}

    current_attributes, current_tags = owner.concurrently(
        lambda: owner.read("read %s" % label, sqs.get_queue_attributes, QueueUrl=url,
                           AttributeNames=["All"]).get("Attributes", {}),
        lambda: (owner.read("list the tags of %s" % label, sqs.list_queue_tags, QueueUrl=url).get("Tags") or {})
        if tags is not None else {},
    )
    current = dict((k, current_attributes.get(k)) for k in attributes)
    before = {"attributes": current, "tags": current_tags}
    changed = dict((k, v) for k, v in attributes.items() if current_attributes.get(k) != v)
    if changed:
        sentence = ", ".join("%s %s -> %s" % (k, current.get(k), v) for k, v in sorted(changed.items()))
        owner.write("%s: %s" % (label, sentence), sqs.set_queue_attributes, QueueUrl=url, Attributes=changed)
    tags_after = owner.sync_tags(
        label, current_tags, wanted_tags,
        tag=lambda to_set: sqs.tag_queue(aws_retry=True, QueueUrl=url, Tags=to_set),
        untag=lambda keys: sqs.untag_queue(aws_retry=True, QueueUrl=url, TagKeys=keys),
        purge=purge_tags,
    )
    after = {"attributes": dict(current, **attributes), "tags": tags_after}
    return url, current_attributes.get("QueueArn"), before, after


def delete(owner, name):
    """Delete the queue when it exists; returns whether it existed."""
    url = url_of(owner, name)
    if url is None:
        return False
    owner.write("delete queue %s" % name, owner.client("sqs").delete_queue, QueueUrl=url, ignore=MISSING)
    return True

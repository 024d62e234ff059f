# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""The tags of many resources of one region in one read: the Resource Groups Tagging API.

Services such as CloudWatch, SNS and RDS answer tags one resource per call
(``ListTagsForResource``). ``tag:GetResources`` with ``ResourceARNList`` answers up to 100 resources
at once. The index follows the services by seconds, so it is trusted only when it shows the tags a
module wants: a resource the index lacks (never tagged) or whose indexed tags would need a change is
read from its own service before anything is written. A no-op costs one call; a change is never
decided on the index alone. The owner is the calling module's AwsResource.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

SERVICE = "resourcegroupstaggingapi"
MAX_ARNS = 100


def in_sync(current, desired, purge):
    """Whether tags current already are what sync_tags would make of them (desired None: left alone)."""
    if desired is None:
        return True
    to_set, to_unset = compare_aws_tags(current, dict((k, str(v)) for k, v in desired.items()), purge)
    return not to_set and not to_unset


def indexed(owner, arns):
    """{arn: tags} of the arns the index holds: one GetResources call per 100 ARNs, at the same time."""
    arns = list(dict.fromkeys(arns))
    client = owner.client(SERVICE)

    def batch(chunk):
        return lambda: owner.paginate("read the tags of %d resources (tag:GetResources)" % len(chunk), client,
                                      "get_resources", ResourceARNList=chunk)

    found = {}
    for page in owner.concurrently(*[batch(arns[i:i + MAX_ARNS]) for i in range(0, len(arns), MAX_ARNS)]):
        for mapping in (page or {}).get("ResourceTagMappingList", []):
            found[mapping["ResourceARN"]] = dict((t["Key"], t["Value"]) for t in mapping.get("Tags", []))
    return found


def confirmed(owner, arns, found, own_read, desired, purge=True):
    """{arn: current tags} for every arn, from the index's answer found; own_read(arn) -> tags, the service's
    own read, is made (at the same time) only for the arns the index lacks or shows out of sync with desired."""
    found = dict(found)
    unsure = [arn for arn in arns if arn not in found or not in_sync(found[arn], desired, purge)]
    answers = owner.concurrently(*[lambda arn=arn: own_read(arn) for arn in unsure])
    found.update((unsure[i], tags) for i, tags in enumerate(answers))
    return dict((arn, found[arn]) for arn in arns)


def tags_of(owner, arns, own_read, desired, purge=True):
    """{arn: current tags} for every arn (existing resources only): the index, then confirmed()."""
    if not arns:
        return {}
    return confirmed(owner, arns, indexed(owner, arns), own_read, desired, purge)

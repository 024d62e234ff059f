"""RDS resources missing from moto 5.2.5's Resource Groups Tagging API index.

moto's ``tag:GetResources`` lists RDS clusters, instances, snapshots and proxies but not event
subscriptions (``rds:es``) or DB subnet groups (``rds:subgrp``). AWS lists every taggable RDS resource
with its tags, so a module that reads many resources' tags in one GetResources call finds them there.
"""

from __future__ import annotations

from typing import Any

# Resource type of the tagging API -> the RDSBackend collection that holds those resources.
MISSING = {"rds:es": "event_subscriptions", "rds:subgrp": "subnet_groups"}


def install() -> None:
    from moto.core.resource_tagging import TaggedResource
    from moto.rds.models import RDSBackend

    listed = RDSBackend.iter_tagged_resources
    if getattr(listed, "lists_every_rds_type", False):
        return

    def iter_tagged_resources(self: Any):
        yield from listed(self)
        for resource_type, collection in MISSING.items():
            for resource in list(getattr(self, collection).values()):
                yield TaggedResource(arn=resource.arn,
                                     tags={tag["Key"]: tag["Value"] for tag in resource.get_tags()},
                                     resource_type=resource_type)

    iter_tagged_resources.lists_every_rds_type = True
    RDSBackend.iter_tagged_resources = iter_tagged_resources

"""Resources missing from moto 5.2.5's Resource Groups Tagging API index (tag:GetResources).

moto's index lists RDS clusters, instances, snapshots and proxies but not event subscriptions
(``rds:es``) or DB subnet groups (``rds:subgrp``), and AWS Backup vaults but not backup plans
(``backup:backup-plan``). AWS lists every taggable resource of these types with its tags, so a module
that reads many resources' tags in one GetResources call finds them there.
"""

from __future__ import annotations

from typing import Any

# Resource type of the tagging API -> the RDSBackend collection that holds those resources.
RDS_MISSING = {"rds:es": "event_subscriptions", "rds:subgrp": "subnet_groups"}


def _extend(backend_class: Any, more) -> None:
    """backend_class's index also yields more(backend)'s resources (once, however often installed)."""
    listed = backend_class.iter_tagged_resources
    if getattr(listed, "extended_by_emulator", False):
        return

    def iter_tagged_resources(self: Any):
        yield from listed(self)
        yield from more(self)

    iter_tagged_resources.extended_by_emulator = True
    backend_class.iter_tagged_resources = iter_tagged_resources


def install() -> None:
    from moto.backup.models import BackupBackend
    from moto.core.resource_tagging import TaggedResource
    from moto.rds.models import RDSBackend

    def rds_resources(backend: Any):
        for resource_type, collection in RDS_MISSING.items():
            for resource in list(getattr(backend, collection).values()):
                yield TaggedResource(arn=resource.arn, tags={t["Key"]: t["Value"] for t in resource.get_tags()},
                                     resource_type=resource_type)

    def backup_plans(backend: Any):
        for plan in list(backend.plans.values()):
            if plan.deletion_date is None:
                yield TaggedResource(arn=plan.backup_plan_arn,
                                     tags=backend.tagger.get_tag_dict_for_resource(plan.backup_plan_arn),
                                     resource_type="backup:backup-plan")

    _extend(RDSBackend, rds_resources)
    _extend(BackupBackend, backup_plans)

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_global_cluster
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
  - tap.multiregion.waits
short_description: Ensure an Aurora global database created from its primary cluster
version_added: 0.1.0
description:
  - Ensures the Aurora global cluster O(global_cluster_identifier). When it does not exist it is created from the
    primary DB cluster O(source_db_cluster_identifier) (C(CreateGlobalCluster) with C(SourceDBClusterIdentifier)),
    which becomes its writer; secondaries then join it with M(tap.multiregion.aurora_cluster) (C(role=secondary)).
  - The source cluster must be available to be the source; the module waits for it (progress lines,
    O(wait_timeout)), even with O(wait=false).
  - Reports the members (writer first) and the writer's region. An existing global cluster is compared
    (deletion protection, tags) and only what differs is changed; a re-run changes nothing.
  - After a switchover (or failover) any member may be the writer. The module takes the current writer as the
    primary. The source of an existing global cluster is not compared, no drift is reported for who writes, and
    nothing moves the writer back or detaches a member.
  - With O(state=absent) every member is detached (C(RemoveFromGlobalCluster) in the member's region), the
    readers first and, once they are gone, the writer, then the global cluster is deleted. The detached clusters
    keep running as standalone clusters. Deletion protection is only lifted with
    O(disable_deletion_protection=true).
options:
  global_cluster_identifier:
    description: Name of the global cluster.
    type: str
    required: true
  source_db_cluster_identifier:
    description:
      - ARN of the primary DB cluster the global cluster is created from (required to create it unless
        O(engine) is given for an empty global cluster).
      - Used only to create the global cluster; an existing one is not compared with it (after a switchover
        another member writes).
    type: str
  engine:
    description: Engine of an empty global cluster (only without O(source_db_cluster_identifier)).
    type: str
  engine_version:
    description: Engine version of an empty global cluster (only without O(source_db_cluster_identifier)).
    type: str
  deletion_protection:
    description: Deletion protection of the global cluster. Left as it is when not set.
    type: bool
  state:
    description: Whether the global cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  disable_deletion_protection:
    description: With O(state=absent), lift the deletion protection first. Without it the module refuses.
    type: bool
    default: false
  wait:
    description:
      - Wait until a new global cluster is available. Members are always waited for to detach before the global
        cluster is deleted (AWS refuses it otherwise).
    type: bool
    default: true
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the prod Aurora global database from the primary region's cluster
  tap.multiregion.aurora_global_cluster:
    global_cluster_identifier: aurora-global-prod
    source_db_cluster_identifier: "{{ primary_cluster.cluster_arn }}"
    deletion_protection: true
    tags: "{{ tap_tags }}"

- name: Detach all members and delete the global database
  tap.multiregion.aurora_global_cluster:
    global_cluster_identifier: aurora-global-prod
    state: absent
    disable_deletion_protection: true
"""

RETURN = r"""
global_writer_region:
  description: Region of the writer member (the primary now, whichever region the inventory names); null without one.
  returned: always
  type: str
  sample: us-east-1
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create global cluster aurora-global-prod (from DB cluster aurora-prod-us-east-1 in us-east-1)
    - "global cluster aurora-global-prod: deletion_protection false -> true"
global_cluster:
  description: The global cluster as DescribeGlobalClusters reports it (snake_case, tags as a dict).
  returned: state=present and not a check-mode creation
  type: dict
global_cluster_arn:
  description: ARN of the global cluster.
  returned: state=present and not a check-mode creation
  type: str
endpoint:
  description: Global writer endpoint, when AWS reports one.
  returned: state=present and not a check-mode creation
  type: str
members:
  description: Member clusters, writer first.
  returned: always
  type: list
  elements: dict
  contains:
    db_cluster_arn:
      description: ARN of the member cluster.
      type: str
    db_cluster_identifier:
      description: Name of the member cluster.
      type: str
    region:
      description: Region of the member cluster.
      type: str
    is_writer:
      description: Whether the member is the writer (primary) cluster now.
      type: bool
"""


from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import global_members
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import writer_of
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.rds import RdsResource


def view(global_cluster):
    """The properties of a described global cluster the module manages or reports (for the diff)."""
    if not global_cluster:
        return {}
    return {
        "global_cluster_identifier": global_cluster["GlobalClusterIdentifier"],
        "engine": global_cluster.get("Engine"),
        "engine_version": global_cluster.get("EngineVersion"),
        "storage_encrypted": bool(global_cluster.get("StorageEncrypted")),
        "deletion_protection": bool(global_cluster.get("DeletionProtection")),
        "members": global_members(global_cluster),
        "tags": boto3_tag_list_to_ansible_dict(global_cluster.get("TagList") or []),
    }


class AuroraGlobalCluster(RdsResource):
    def __init__(self, module):
        super(AuroraGlobalCluster, self).__init__(module)
        self.identifier = self.params["global_cluster_identifier"]
        self.label = "global cluster %s" % self.identifier
        self.rds = self.client()

    def validate(self):
        source = self.params["source_db_cluster_identifier"]
        if source and not source.startswith("arn:"):
            raise self.invalid("source_db_cluster_identifier", source, "the primary cluster's ARN, not its name")

    def present(self):
        current = self.global_cluster(self.identifier)
        if current is None:
            current = self.create()
        else:
            self.converge(current)
        members = global_members(current)
        writer = writer_of(current)
        result = dict(members=members, global_writer_region=writer["region"] if writer else None)
        if current and current.get("GlobalClusterArn"):
            snake = camel_dict_to_snake_dict(dict((k, v) for k, v in current.items() if k != "TagList"))
            snake["tags"] = boto3_tag_list_to_ansible_dict(current.get("TagList") or [])
            result.update(global_cluster=snake, global_cluster_arn=current["GlobalClusterArn"],
                          endpoint=current.get("Endpoint"))
        return result

    def create(self):
        """Create the global cluster; returns it as described (a planned view in check mode)."""
        p = self.params
        source = p["source_db_cluster_identifier"]
        request = dict(GlobalClusterIdentifier=self.identifier)
        if source:
            # AWS creates a global cluster only from an available source cluster.
            if self.db_cluster(source) is None:
                raise Failure("source_db_cluster_identifier: DB cluster %s does not exist" % source)
            self.wait_for_cluster(source, needed=True)
            request["SourceDBClusterIdentifier"] = source
            arn = parse_aws_arn(source)
            how = "from DB cluster %s in %s" % (arn["resource_id"], arn["region"])
        elif self.check_mode:  # planned before the primary cluster exists: it has no ARN yet
            self.record("create %s (from its primary cluster, once that exists)" % self.label)
            self.set_diff({}, {"global_cluster_identifier": self.identifier})
            return None
        elif p["engine"]:
            request["Engine"] = p["engine"]
            if p["engine_version"]:
                request["EngineVersion"] = p["engine_version"]
            how = "empty, %s %s" % (p["engine"], p["engine_version"] or "")
        else:
            raise Failure("%s does not exist; give source_db_cluster_identifier (the primary cluster's ARN) to "
                          "create it" % self.label)
        if p["deletion_protection"] is not None:
            request["DeletionProtection"] = p["deletion_protection"]
        if p["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
        self.write("create %s (%s)" % (self.label, how.strip()), self.rds.create_global_cluster, **request)
        planned = {"GlobalClusterIdentifier": self.identifier, "DeletionProtection": bool(p["deletion_protection"]),
                   "GlobalClusterMembers": [{"DBClusterArn": source, "IsWriter": True}] if source else [],
                   "TagList": ansible_dict_to_boto3_tag_list(p["tags"] or {})}
        self.set_diff({}, view(planned))
        if self.check_mode:
            return planned
        return self.wait_for_global_cluster(self.identifier) or self.global_cluster(self.identifier)

    def converge(self, current):
        p = self.params
        before = view(current)
        after = dict(before)
        wanted = p["deletion_protection"]
        if wanted is not None and before["deletion_protection"] != wanted:
            self.update(self.label, "deletion_protection", before["deletion_protection"], wanted,
                        self.rds.modify_global_cluster, GlobalClusterIdentifier=self.identifier,
                        DeletionProtection=wanted)
            after["deletion_protection"] = wanted
        arn = current["GlobalClusterArn"]
        after["tags"] = self.sync_tags(
            self.label, before["tags"], p["tags"],
            tag=lambda to_set: self.rds.add_tags_to_resource(aws_retry=True, ResourceName=arn,
                                                             Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: self.rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=keys),
        )
        self.set_diff(before, after)
        if self.changes and not self.check_mode:
            current.update(self.global_cluster(self.identifier) or {})

    def absent(self):
        current = self.global_cluster(self.identifier)
        if current is None:
            self.set_diff({}, {})
            return dict(members=[], global_writer_region=None)
        members = global_members(current)
        self.set_diff(view(current), {})
        if current.get("DeletionProtection"):
            if not self.params["disable_deletion_protection"]:
                raise Failure("%s has deletion protection; refusing to delete it. Set disable_deletion_protection="
                              "true to lift the protection and delete it." % self.label)
            self.update(self.label, "deletion_protection", True, False, self.rds.modify_global_cluster,
                        GlobalClusterIdentifier=self.identifier, DeletionProtection=False)
        # AWS detaches the writer last: the readers first, and the writer once they are gone.
        readers = [m for m in members if not m["is_writer"]]
        writers = [m for m in members if m["is_writer"]]
        for group in (readers, writers):
            for member in group:
                self.detach(self.identifier, member)
            if group:
                self.wait_detached(self.identifier, group)
        self.write("delete %s" % self.label, self.rds.delete_global_cluster, GlobalClusterIdentifier=self.identifier,
                   ignore="GlobalClusterNotFoundFault")
        writer = writer_of(current)
        return dict(members=members, global_writer_region=writer["region"] if writer else None)


def main():
    argument_spec = dict(
        global_cluster_identifier=dict(type="str", required=True),
        source_db_cluster_identifier=dict(type="str"),
        engine=dict(type="str"),
        engine_version=dict(type="str"),
        deletion_protection=dict(type="bool"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        disable_deletion_protection=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
    )
    AuroraGlobalCluster.main(argument_spec, mutually_exclusive=[("source_db_cluster_identifier", "engine")], tags=True)


if __name__ == "__main__":
    main()

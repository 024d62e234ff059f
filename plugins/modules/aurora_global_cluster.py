#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_global_cluster
short_description: Ensure an Aurora global database created from its primary cluster
version_added: 0.1.0
description:
  - Ensures the Aurora global cluster I(global_cluster_identifier). When it does not exist it is created from the
    primary DB cluster I(source_db_cluster_identifier) (C(CreateGlobalCluster) with C(SourceDBClusterIdentifier)),
    which becomes its writer; secondaries then join it with M(tap.multiregion.aurora_cluster) (I(role=secondary)).
  - Reports the members (writer first). An existing global cluster is compared (deletion protection, tags) and
    only what differs is changed; a re-run changes nothing.
  - With I(state=absent) every member is detached (C(RemoveFromGlobalCluster), secondaries first, the writer
    last), then the global cluster is deleted. The detached clusters keep running as standalone clusters.
    Deletion protection is only lifted with I(disable_deletion_protection=true).
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  global_cluster_identifier:
    description: Name of the global cluster.
    type: str
    required: true
  source_db_cluster_identifier:
    description:
      - ARN of the primary DB cluster the global cluster is created from (required to create it unless
        I(engine) is given for an empty global cluster).
      - When the global cluster exists and the source is not its member, the module warns (AWS only adds a
        source at creation).
    type: str
  engine:
    description: Engine of an empty global cluster (only without I(source_db_cluster_identifier)).
    type: str
  engine_version:
    description: Engine version of an empty global cluster (only without I(source_db_cluster_identifier)).
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
    description: With I(state=absent), lift the deletion protection first. Without it the module refuses.
    type: bool
    default: false
  wait:
    description: Wait until the global cluster is available, or its members are detached before deleting it.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1800
  tags:
    description: Tags of the global cluster.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
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
      description: Whether the member is the primary (writer) cluster.
      type: bool
"""


try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
# Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
# which ansible-core 2.19 answers with a deprecation warning.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import global_members
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import tags_dict
from ansible_collections.tap.multiregion.plugins.module_utils import rds as rds_calls

POLL_SECONDS = 10


class AuroraGlobalCluster:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.identifier = self.params["global_cluster_identifier"]
        self.rds = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
        self.changed = False

    def describe(self):
        return rds_calls.describe_global_cluster(self.module, self.rds, self.identifier)

    def wait_until(self, what, done):
        rds_calls.wait_until(self.module, what, done, POLL_SECONDS)

    def available(self):
        current = self.describe()
        return current is not None and current.get("Status") == "available"

    @staticmethod
    def view(global_cluster):
        if not global_cluster:
            return {}
        return {
            "global_cluster_identifier": global_cluster["GlobalClusterIdentifier"],
            "engine": global_cluster.get("Engine"),
            "engine_version": global_cluster.get("EngineVersion"),
            "storage_encrypted": bool(global_cluster.get("StorageEncrypted")),
            "deletion_protection": bool(global_cluster.get("DeletionProtection")),
            "members": global_members(global_cluster),
            "tags": tags_dict(global_cluster.get("TagList")),
        }

    def create(self):
        p = self.params
        source = p["source_db_cluster_identifier"]
        request = dict(GlobalClusterIdentifier=self.identifier)
        if source:
            request["SourceDBClusterIdentifier"] = source
        else:
            request["Engine"] = p["engine"]
            if p["engine_version"]:
                request["EngineVersion"] = p["engine_version"]
        if p["deletion_protection"] is not None:
            request["DeletionProtection"] = p["deletion_protection"]
        if p["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
        after = {
            "global_cluster_identifier": self.identifier,
            "deletion_protection": bool(p["deletion_protection"]),
            "members": [{"db_cluster_arn": source, "is_writer": True}] if source else [],
            "tags": dict(p["tags"] or {}),
        }
        self.changed = True
        if not self.module.check_mode:
            try:
                self.rds.create_global_cluster(aws_retry=True, **request)
            except (BotoCoreError, ClientError) as e:
                self.module.fail_json_aws(e, msg="Failed to create global cluster %s" % self.identifier)
            self.wait_until("global cluster %s to be available" % self.identifier, self.available)
        return after

    def update(self, current):
        p = self.params
        after = self.view(current)
        warnings = []
        source = p["source_db_cluster_identifier"]
        if source and all(m["db_cluster_arn"] != source for m in after["members"]):
            warnings.append(
                "source_db_cluster_identifier: %s is not a member of global cluster %s; AWS adds the source only "
                "when the global cluster is created" % (source, self.identifier)
            )
        wanted = p["deletion_protection"]
        if wanted is not None and after["deletion_protection"] != wanted:
            self.changed = True
            after["deletion_protection"] = wanted
            if not self.module.check_mode:
                try:
                    self.rds.modify_global_cluster(
                        aws_retry=True, GlobalClusterIdentifier=self.identifier, DeletionProtection=wanted
                    )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(e, msg="Failed to modify global cluster %s" % self.identifier)
        if p["tags"] is not None:
            to_set, to_unset = compare_aws_tags(after["tags"], p["tags"], p["purge_tags"])
            if to_set or to_unset:
                self.changed = True
                after["tags"] = {k: v for k, v in after["tags"].items() if k not in to_unset}
                after["tags"].update(to_set)
                if not self.module.check_mode:
                    arn = current["GlobalClusterArn"]
                    try:
                        if to_unset:
                            self.rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=to_unset)
                        if to_set:
                            self.rds.add_tags_to_resource(
                                aws_retry=True, ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set)
                            )
                    except (BotoCoreError, ClientError) as e:
                        self.module.fail_json_aws(e, msg="Failed to tag global cluster %s" % self.identifier)
        return after, warnings

    def present(self):
        current = self.describe()
        warnings = []
        if current is None:
            if not self.params["source_db_cluster_identifier"] and not self.params["engine"]:
                self.module.fail_json(
                    msg="global cluster %s does not exist; give source_db_cluster_identifier (the primary "
                    "cluster's ARN) to create it" % self.identifier
                )
            after = self.create()
        else:
            after, warnings = self.update(current)

        result = dict(changed=self.changed)
        final = current if (self.module.check_mode or not self.changed) else self.describe()
        if final:
            snake = camel_dict_to_snake_dict({k: v for k, v in final.items() if k != "TagList"})
            snake["tags"] = tags_dict(final.get("TagList"))
            result.update(
                global_cluster=snake,
                global_cluster_arn=final.get("GlobalClusterArn"),
                endpoint=final.get("Endpoint"),
            )
            result["members"] = global_members(final)
        else:
            result["members"] = after["members"]
        if self.module._diff:
            result["diff"] = dict(before=self.view(current), after=after)
        for warning in warnings:
            warn(warning)
        return result

    def absent(self):
        current = self.describe()
        if current is None:
            return dict(changed=False, members=[])
        result = dict(changed=True, members=global_members(current))
        if self.module._diff:
            result["diff"] = dict(before=self.view(current), after={})
        if current.get("DeletionProtection"):
            if not self.params["disable_deletion_protection"]:
                self.module.fail_json(
                    msg="global cluster %s has deletion protection; refusing to delete it. Set "
                    "disable_deletion_protection=true to lift the protection and delete it." % self.identifier
                )
            if not self.module.check_mode:
                try:
                    self.rds.modify_global_cluster(
                        aws_retry=True, GlobalClusterIdentifier=self.identifier, DeletionProtection=False
                    )
                except (BotoCoreError, ClientError) as e:
                    self.module.fail_json_aws(
                        e, msg="Failed to lift the deletion protection of global cluster %s" % self.identifier
                    )
        if self.module.check_mode:
            return result

        # Secondaries first, the writer last (global_members sorts the writer first).
        for member in reversed(global_members(current)):
            try:
                self.rds.remove_from_global_cluster(
                    aws_retry=True,
                    GlobalClusterIdentifier=self.identifier,
                    DbClusterIdentifier=member["db_cluster_arn"],
                )
            except is_boto3_error_code("DBClusterNotFoundFault"):
                pass
            except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(
                    e, msg="Failed to remove %s from global cluster %s" % (member["db_cluster_arn"], self.identifier)
                )

        def detached():
            now = self.describe()
            return now is None or not now.get("GlobalClusterMembers")

        self.wait_until("the members of global cluster %s to detach" % self.identifier, detached)
        delete = AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidGlobalClusterStateFault"])(
            self.rds.delete_global_cluster
        )
        try:
            delete(GlobalClusterIdentifier=self.identifier)
        except is_boto3_error_code("GlobalClusterNotFoundFault"):
            pass
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to delete global cluster %s" % self.identifier)
        return result


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
        wait_timeout=dict(type="int", default=1800),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("source_db_cluster_identifier", "engine")],
        supports_check_mode=True,
    )
    source = module.params["source_db_cluster_identifier"]
    if source and not source.startswith("arn:"):
        module.fail_json(msg="source_db_cluster_identifier: give the primary cluster's ARN, not its name (%s)" % source)

    global_cluster = AuroraGlobalCluster(module)
    result = global_cluster.present() if module.params["state"] == "present" else global_cluster.absent()
    module.exit_json(**result)


if __name__ == "__main__":
    main()

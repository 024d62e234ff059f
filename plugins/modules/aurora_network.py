#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_network
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Ensure the DB subnet group and the app and db security groups of an Aurora cluster
version_added: 0.1.0
description:
  - In one invocation ensures the network access of an Aurora cluster in a VPC.
  - A DB subnet group over the given subnets.
  - An C(app) security group for the workloads that may reach the database, with no ingress rule and the default
    allow-all egress rule.
  - A C(db) security group for the cluster, with exactly one ingress rule (TCP O(port) from the C(app) group, never
    from a CIDR) and no egress rule (the default allow-all egress rule is revoked).
  - Both security groups carry O(tags) and a C(Name) tag with their name; the subnet group carries O(tags).
  - Reads the subnet group (and its tags) and both security groups (one C(DescribeSecurityGroups) call,
    filtered by VPC and group names), compares, and calls only what differs. Rules that are not wanted are
    revoked, missing ones authorized, and a rule whose description alone differs gets its description
    updated. A run with nothing to change makes no write call and reports C(changed=false).
  - Finds existing resources by name, so a run that was interrupted (for example after the C(app) group was
    created but before the C(db) group) converges without creating duplicates.
  - With O(state=absent) deletes the C(db) group first (its rule references the C(app) group), then the
    C(app) group and the DB subnet group; resources that are already gone are skipped, so a repeated teardown
    changes nothing. A deletion AWS refuses because the resource is still in use (C(DependencyViolation) while
    the network interfaces of a deleted Lambda function linger, 20 to 40 minutes; C(InvalidDBSubnetGroupStateFault)
    while a cluster is being deleted) is retried until O(dependency_timeout), with progress lines.
options:
  state:
    description: Whether the subnet group and the security groups should exist.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description:
      - The VPC the security groups belong to.
      - With O(state=present) in check mode it may be empty (null or C("")), as in the plan of an environment whose
        VPC does not exist yet; the module then reports every resource as to be created and returns null ids.
        Outside check mode an empty O(vpc_id) (and no O(vpc_name)) fails.
    type: str
  vpc_name:
    description:
      - The VPC's C(Name) tag, used when O(vpc_id) is empty (one C(DescribeVpcs) call).
      - With O(state=absent) every VPC of that name is searched; when none exists the security groups are gone
        with it and only the subnet group is looked for.
      - With O(state=present) more than one VPC of that name fails.
    type: str
  subnet_group_name:
    description: Name of the DB subnet group (AWS stores it in lower case).
    type: str
    required: true
  subnet_group_description:
    description:
      - Description of the DB subnet group. Defaults to its name at creation; left as it is when not given.
    type: str
  subnet_ids:
    description:
      - Subnets of the DB subnet group (at least two Availability Zones). Required outside check mode with
        O(state=present). Empty values are ignored.
    type: list
    elements: str
    default: []
  app_security_group_name:
    description: Name of the security group of the workloads that may connect to the database.
    type: str
    required: true
  app_security_group_description:
    description:
      - Description of the C(app) group, set at creation (AWS cannot change a security group's description; the
        module warns when it differs). Defaults to the group's name.
    type: str
  db_security_group_name:
    description: Name of the cluster's security group.
    type: str
    required: true
  db_security_group_description:
    description: Description of the C(db) group, set at creation (see O(app_security_group_description)).
    type: str
  port:
    description: The only port the C(db) group admits (TCP, from the C(app) group).
    type: int
    default: 3306
  rule_description:
    description: Description of the C(db) group's ingress rule.
    type: str
  dependency_timeout:
    description:
      - With O(state=absent), seconds a deletion that AWS refuses while the resource is still in use is retried.
    type: int
    default: 2700
notes:
  - O(tags) are the tags of the subnet group and of both security groups (which also get C(Name)); with
    O(purge_tags) the C(Name) tag of the groups is kept.
  - Check mode reports every change it would make, also when the VPC does not exist yet; diff mode shows the
    subnet group and both security groups (rules, tags) before and after.
  - Retries throttling with jittered exponential backoff; a group that was just created is retried while EC2
    does not know it yet.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the DB subnet group and the app and db security groups
  tap.multiregion.aurora_network:
    vpc_id: "{{ vpc_id }}"
    subnet_group_name: aurora-dev-us-east-1
    subnet_group_description: Private subnets of aurora-dev-us-east-1
    subnet_ids: "{{ vpc_private_subnet_ids }}"
    app_security_group_name: tap-app-dev-us-east-1
    app_security_group_description: Workloads of dev in us-east-1 that may connect to Aurora
    db_security_group_name: tap-db-dev-us-east-1
    db_security_group_description: "Aurora aurora-dev-us-east-1: MySQL only from tap-app-dev-us-east-1"
    port: 3306
    rule_description: MySQL from tap-app-dev-us-east-1
    tags:
      Environment: dev
  register: aurora_net

- name: Delete them (the VPC found by its Name tag)
  tap.multiregion.aurora_network:
    vpc_name: tap-dev-us-east-1
    subnet_group_name: aurora-dev-us-east-1
    app_security_group_name: tap-app-dev-us-east-1
    db_security_group_name: tap-db-dev-us-east-1
    state: absent
"""

RETURN = r"""
vpc_id:
  description:
    - The VPC of the security groups (with O(state=absent), the first VPC found).
    - Null in check mode when the VPC does not exist yet.
  returned: always
  type: str
  sample: vpc-0123456789abcdef0
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create security group tap-app-dev-us-east-1
    - "security group tap-db-dev-us-east-1: revoke egress all traffic 0.0.0.0/0"
subnet_group_name:
  description: Name of the DB subnet group (also in check mode when it would be created).
  returned: when O(state=present)
  type: str
  sample: aurora-dev-us-east-1
app_security_group_id:
  description:
    - Id of the C(app) security group.
    - Null in check mode when the group would be created (for example because the VPC does not exist yet);
      tasks that need the id should be skipped then.
  returned: when O(state=present)
  type: str
  sample: sg-0123456789abcdef0
db_security_group_id:
  description:
    - Id of the C(db) security group.
    - Null in check mode when the group would be created; tasks that need the id should be skipped then.
  returned: when O(state=present)
  type: str
  sample: sg-0fedcba9876543210
subnet_group:
  description: The DB subnet group after the run (null fields where check mode would create it).
  returned: when O(state=present)
  type: dict
  contains:
    name:
      description: Name.
      type: str
    arn:
      description: ARN (null in check mode when it would be created).
      type: str
    description:
      description: Description.
      type: str
    subnet_ids:
      description: Subnet ids, sorted.
      type: list
      elements: str
    tags:
      description: Tags.
      type: dict
app_security_group:
  description: The C(app) group after the run.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Group id (null in check mode when it would be created).
      type: str
    name:
      description: Group name.
      type: str
    description:
      description: Group description.
      type: str
    ingress:
      description:
        - Ingress rules, one per source (C(protocol), C(from_port), C(to_port), C(source_type), C(source),
          C(description)).
      type: list
      elements: dict
    egress:
      description: Egress rules, in the same form as the ingress rules.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
db_security_group:
  description: The C(db) group after the run, as RV(app_security_group).
  returned: when O(state=present)
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import aurora_network as rules
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import Propagation
from ansible_collections.tap.multiregion.plugins.module_utils.base import show
from ansible_collections.tap.multiregion.plugins.module_utils.teardown import delete_when_released

# EC2 may not know a group for a moment after creating it (eventual consistency).
NEW_GROUP = Propagation(["InvalidGroup.NotFound"], seconds=60, delay=2.0)
# RDS refuses to delete a subnet group while a cluster or instance (also one being deleted) uses it.
SUBNET_GROUP_IN_USE = ("InvalidDBSubnetGroupStateFault",)


def _names(values):
    return [v for v in values or [] if v]


class AuroraNetwork(AwsResource):
    SERVICE = "ec2"

    def __init__(self, module):
        super(AuroraNetwork, self).__init__(module)
        self.ec2 = self.client()
        self.rds = self.client("rds")
        self.app_name = self.params["app_security_group_name"]
        self.db_name = self.params["db_security_group_name"]
        self.subnet_group_name = self.params["subnet_group_name"]

    def validate(self):
        p = self.params
        if p["state"] != "present" or self.check_mode:
            return
        if not p["vpc_id"] and not p["vpc_name"]:
            raise self.no_vpc()
        if not _names(p["subnet_ids"]):
            raise self.invalid("subnet_ids", p["subnet_ids"],
                               "the subnets of the DB subnet group %s are required" % self.subnet_group_name)

    def no_vpc(self):
        return Failure("No VPC for the security groups %s and %s: give vpc_id (or the vpc_name of an existing VPC)"
                       % (self.app_name, self.db_name))

    # ------------------------------------------------------------------ reads

    def find_vpcs(self):
        """VPC ids: O(vpc_id), or those named O(vpc_name); [] when there is none."""
        if self.params["vpc_id"]:
            return [self.params["vpc_id"]]
        name = self.params["vpc_name"]
        if not name:
            return []
        found = self.paginate("find the VPC named %s" % name, self.ec2, "describe_vpcs",
                              Filters=[{"Name": "tag:Name", "Values": [name]}])
        return [v["VpcId"] for v in found["Vpcs"]]

    def describe_groups(self, vpc_ids):
        """The app and db groups in the VPCs, in one call."""
        if not vpc_ids:
            return []
        filters = [{"Name": "vpc-id", "Values": vpc_ids},
                   {"Name": "group-name", "Values": [self.app_name, self.db_name]}]
        return self.paginate("describe the security groups %s and %s" % (self.app_name, self.db_name), self.ec2,
                             "describe_security_groups", Filters=filters)["SecurityGroups"]

    def describe_subnet_group(self):
        found = self.read("describe the DB subnet group %s" % self.subnet_group_name,
                          self.rds.describe_db_subnet_groups, DBSubnetGroupName=self.subnet_group_name,
                          missing="DBSubnetGroupNotFoundFault")
        return found["DBSubnetGroups"][0] if found else None

    # ------------------------------------------------------------------ present

    def present(self):
        vpc_ids = self.find_vpcs()
        if len(vpc_ids) > 1:
            raise Failure("Found %d VPCs named %s (%s); remove the duplicates before re-running"
                          % (len(vpc_ids), self.params["vpc_name"], ", ".join(vpc_ids)))
        vpc_id = vpc_ids[0] if vpc_ids else None
        if vpc_id is None and not self.check_mode:
            raise self.no_vpc()
        subnet_group, groups = self.concurrently(
            self.describe_subnet_group, lambda: self.describe_groups([vpc_id] if vpc_id else []))
        groups = dict((g["GroupName"], g) for g in groups)
        subnet_group = self.ensure_subnet_group(subnet_group, sorted(set(_names(self.params["subnet_ids"]))))
        app = self.ensure_group("app_security_group", self.app_name, self.params["app_security_group_description"],
                                groups.get(self.app_name), vpc_id, ingress={}, egress=dict(rules.DEFAULT_EGRESS))
        port, description = self.params["port"], self.params["rule_description"] or None
        db = self.ensure_group("db_security_group", self.db_name, self.params["db_security_group_description"],
                               groups.get(self.db_name), vpc_id,
                               ingress={rules.rule_key("tcp", port, port, "group", app["id"]): description},
                               egress={}, names={app["id"]: self.app_name})
        return {
            "vpc_id": vpc_id,
            "subnet_group_name": subnet_group["name"],
            "app_security_group_id": app["id"],
            "db_security_group_id": db["id"],
            "subnet_group": subnet_group,
            "app_security_group": app,
            "db_security_group": db,
        }

    def subnet_group_tags(self, arn):
        found = self.read("read the tags of DB subnet group %s" % self.subnet_group_name,
                          self.rds.list_tags_for_resource, ResourceName=arn)
        return boto3_tag_list_to_ansible_dict(found.get("TagList") or [])

    def ensure_subnet_group(self, existing, subnet_ids):
        p, name = self.params, self.subnet_group_name
        label = "DB subnet group %s" % name
        wanted_tags = None if p["tags"] is None else dict((k, str(v)) for k, v in p["tags"].items())
        if existing is None:
            description = p["subnet_group_description"] or name
            kwargs = {"DBSubnetGroupName": name, "DBSubnetGroupDescription": description, "SubnetIds": subnet_ids}
            if wanted_tags:
                kwargs["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
            created = self.write("create %s" % label, self.rds.create_db_subnet_group, **kwargs)
            created = (created or {}).get("DBSubnetGroup") or {}
            view = {"name": created.get("DBSubnetGroupName", name.lower()), "arn": created.get("DBSubnetGroupArn"),
                    "description": description, "subnet_ids": subnet_ids, "tags": wanted_tags or {}}
            self.before["subnet_group"], self.after["subnet_group"] = None, view
            return view

        arn = existing.get("DBSubnetGroupArn")
        before = {
            "name": existing["DBSubnetGroupName"],
            "arn": arn,
            "description": existing.get("DBSubnetGroupDescription") or "",
            "subnet_ids": sorted(s["SubnetIdentifier"] for s in existing.get("Subnets") or []),
            "tags": self.subnet_group_tags(arn) if wanted_tags is not None else {},
        }
        description = before["description"] if p["subnet_group_description"] is None else p["subnet_group_description"]
        changed = [("description", before["description"], description), ("subnets", before["subnet_ids"], subnet_ids)]
        changed = [(what, was, wanted) for what, was, wanted in changed if was != wanted]
        if changed:
            sentence = ", ".join("%s %s -> %s" % (what, show(was), show(wanted)) for what, was, wanted in changed)
            # One call sets both (ModifyDBSubnetGroup takes the whole subnet list).
            self.write("%s: %s" % (label, sentence), self.rds.modify_db_subnet_group, DBSubnetGroupName=name,
                       DBSubnetGroupDescription=description, SubnetIds=subnet_ids)
        tags = self.sync_tags(
            label, before["tags"], wanted_tags,
            tag=lambda to_set: self.rds.add_tags_to_resource(aws_retry=True, ResourceName=arn,
                                                             Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: self.rds.remove_tags_from_resource(aws_retry=True, ResourceName=arn, TagKeys=keys),
        )
        view = dict(before, description=description, subnet_ids=subnet_ids, tags=tags)
        self.before["subnet_group"], self.after["subnet_group"] = before, view
        return view

    def group_tags(self, name):
        if self.params["tags"] is None:
            return None
        return dict(dict((k, str(v)) for k, v in self.params["tags"].items()), Name=name)

    def ensure_group(self, key, name, description, existing, vpc_id, ingress, egress, names=None):
        """Ensure one security group with exactly these ingress and egress rules; returns its view."""
        description = description or name
        desired_tags = self.group_tags(name)
        label = "security group %s" % name
        if existing is None:
            kwargs = {"GroupName": name, "Description": description}
            if vpc_id:
                kwargs["VpcId"] = vpc_id
            if desired_tags:
                kwargs["TagSpecifications"] = [
                    {"ResourceType": "security-group", "Tags": ansible_dict_to_boto3_tag_list(desired_tags)}]
            group_id = (self.write("create %s" % label, self.ec2.create_security_group, **kwargs) or {}).get("GroupId")
            current_ingress, current_egress, tags = {}, dict(rules.DEFAULT_EGRESS), desired_tags or {}
            self.before[key] = None
        else:
            group_id = existing["GroupId"]
            if (existing.get("Description") or "") != description:
                self.warn("The description of security group %s is %r, not %r; AWS cannot change it (delete the group "
                          "to recreate it)" % (name, existing.get("Description"), description))
                description = existing.get("Description") or ""
            current_ingress = rules.atoms(existing.get("IpPermissions"))
            current_egress = rules.atoms(existing.get("IpPermissionsEgress"))
            tags = boto3_tag_list_to_ansible_dict(existing.get("Tags") or [])
            self.before[key] = self.group_view(group_id, name, description, vpc_id, current_ingress, current_egress,
                                               tags)
        # Writes to a group created this run are retried while EC2 does not know it yet.
        propagation = NEW_GROUP if existing is None else None
        self.converge_rules(label, group_id, "ingress", current_ingress, ingress, names or {}, propagation)
        self.converge_rules(label, group_id, "egress", current_egress, egress, names or {}, propagation)
        if existing is not None and desired_tags is not None:
            tags = self.sync_tags(
                label, tags, desired_tags,
                tag=lambda to_set: self.ec2.create_tags(aws_retry=True, Resources=[group_id],
                                                        Tags=ansible_dict_to_boto3_tag_list(to_set)),
                untag=lambda keys: self.ec2.delete_tags(aws_retry=True, Resources=[group_id],
                                                        Tags=[{"Key": k} for k in keys]),
            )
        view = self.group_view(group_id, name, description, vpc_id, ingress, egress, tags)
        self.after[key] = view
        return view

    def converge_rules(self, label, group_id, direction, current, desired, names, propagation):
        to_revoke, to_authorize, to_describe = rules.rule_changes(current, desired)

        def listed(changed):
            return ", ".join(rules.describe_rule(k, changed[k], names) for k in sorted(changed, key=rules.sort_key))

        for verb, method, changed in (
            # Revoked as described (EC2 ignores descriptions when it matches the rules to revoke).
            ("revoke", "revoke_security_group_%s", to_revoke),
            ("authorize", "authorize_security_group_%s", to_authorize),
        ):
            if changed:
                self.write("%s: %s %s %s" % (label, verb, direction, listed(changed)),
                           getattr(self.ec2, method % direction), propagation=propagation, GroupId=group_id,
                           IpPermissions=rules.permissions(changed))
        for key in sorted(to_describe, key=rules.sort_key):
            self.update(label, "description of %s %s" % (direction, rules.describe_rule(key, None, names)),
                        current[key], to_describe[key],
                        getattr(self.ec2, "update_security_group_rule_descriptions_%s" % direction),
                        propagation=propagation, GroupId=group_id,
                        IpPermissions=rules.permissions({key: to_describe[key]}))

    @staticmethod
    def group_view(group_id, name, description, vpc_id, ingress, egress, tags):
        return {
            "id": group_id,
            "name": name,
            "description": description,
            "vpc_id": vpc_id,
            "ingress": rules.rule_view(ingress),
            "egress": rules.rule_view(egress),
            "tags": tags,
        }

    # ------------------------------------------------------------------ absent

    def absent(self):
        vpc_ids = self.find_vpcs()
        groups, subnet_group = self.concurrently(lambda: self.describe_groups(vpc_ids), self.describe_subnet_group)
        timeout = self.params["dependency_timeout"]
        before = {"db_security_groups": [], "app_security_groups": [], "subnet_group": None}
        # The db group first: its ingress rule references the app group.
        for name, key in ((self.db_name, "db_security_groups"), (self.app_name, "app_security_groups")):
            for group in [g for g in groups if g["GroupName"] == name]:
                before[key].append({"id": group["GroupId"], "name": name, "vpc_id": group.get("VpcId")})
                delete_when_released(self, "delete security group %s (%s)" % (name, group["GroupId"]),
                                     self.ec2.delete_security_group, timeout, ("group-id", group["GroupId"]),
                                     ignore="InvalidGroup.NotFound", GroupId=group["GroupId"])
        if subnet_group is not None:
            before["subnet_group"] = {"name": subnet_group["DBSubnetGroupName"]}
            delete_when_released(self, "delete DB subnet group %s" % self.subnet_group_name,
                                 self.rds.delete_db_subnet_group, timeout, codes=SUBNET_GROUP_IN_USE,
                                 ignore="DBSubnetGroupNotFoundFault", DBSubnetGroupName=self.subnet_group_name)
        self.set_diff(before, {"db_security_groups": [], "app_security_groups": [], "subnet_group": None})
        return {"vpc_id": vpc_ids[0] if vpc_ids else None}


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        vpc_id=dict(type="str"),
        vpc_name=dict(type="str"),
        subnet_group_name=dict(type="str", required=True),
        subnet_group_description=dict(type="str"),
        subnet_ids=dict(type="list", elements="str", default=[]),
        app_security_group_name=dict(type="str", required=True),
        app_security_group_description=dict(type="str"),
        db_security_group_name=dict(type="str", required=True),
        db_security_group_description=dict(type="str"),
        port=dict(type="int", default=3306),
        rule_description=dict(type="str"),
        dependency_timeout=dict(type="int", default=2700),
    )
    AuroraNetwork.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()

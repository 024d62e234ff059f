#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aurora_network
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
    changes nothing.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  tags:
    description: Tags of the subnet group and of both security groups (which also get C(Name)).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags) (C(Name) of the groups is kept). Ignored when O(tags) is not given.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Reports every change it would make and writes nothing, also when the VPC does not exist yet.
    support: full
  diff_mode:
    description: Shows the subnet group and both security groups (rules, tags) before and after.
    support: full
notes:
  - Retries throttling with jittered exponential backoff; a group that was just created is retried while EC2
    does not know it yet, and deletions are retried for a few minutes while the groups or the subnet group are
    still in use (network interfaces of a deleted cluster or Lambda function are released asynchronously).
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
changes:
  description: What the module changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample:
    - create security group tap-app-dev-us-east-1
    - "revoke egress of tap-db-dev-us-east-1: all traffic 0.0.0.0/0"
"""

# Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
# which ansible-core 2.19 answers with a deprecation warning.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import aurora_network as rules
from ansible_collections.tap.multiregion.plugins.module_utils.changes import AWS_ERRORS
from ansible_collections.tap.multiregion.plugins.module_utils.changes import ChangeRecorder
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_function import tag_changes

# EC2 may not know a group for a moment after creating it.
NEW_GROUP_CODES = ["InvalidGroup.NotFound"]
# A group or subnet group stays in use until the network interfaces of a deleted cluster or Lambda
# function are released, which AWS does asynchronously.
IN_USE_CODES = ["DependencyViolation", "InvalidDBSubnetGroupStateFault"]


@AWSRetry.jittered_backoff(retries=8, catch_extra_error_codes=NEW_GROUP_CODES)
def _call_on_new_group(client, method, **kwargs):
    return getattr(client, method)(aws_retry=True, **kwargs)


@AWSRetry.jittered_backoff(retries=10, delay=5, max_delay=60, catch_extra_error_codes=IN_USE_CODES)
def _delete_in_use(client, method, **kwargs):
    return getattr(client, method)(aws_retry=True, **kwargs)


def _names(values):
    return [v for v in values or [] if v]


class AuroraNetwork(ChangeRecorder):
    def __init__(self, module):
        super(AuroraNetwork, self).__init__(module)
        self.ec2 = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        self.rds = module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
        self.app_name = self.params["app_security_group_name"]
        self.db_name = self.params["db_security_group_name"]
        self.subnet_group_name = self.params["subnet_group_name"]

    # ------------------------------------------------------------------ calls

    def act(self, what, client, method, call=None, **kwargs):
        """Record a change and make it (not in check mode); call wraps the call for special retries."""
        if call is None:
            return self.write(client, what, method, **kwargs)
        self.changes.append(what)
        if self.check_mode:
            return None
        try:
            return call(client, method, **kwargs)
        except AWS_ERRORS as e:
            self.fail(e, what)

    def find_vpcs(self):
        """VPC ids: O(vpc_id), or those named O(vpc_name); [] when there is none."""
        if self.params["vpc_id"]:
            return [self.params["vpc_id"]]
        name = self.params["vpc_name"]
        if not name:
            return []
        try:
            vpcs = self.ec2.describe_vpcs(aws_retry=True, Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        except AWS_ERRORS as e:
            self.fail(e, "find the VPC named %s" % name)
        return [v["VpcId"] for v in vpcs]

    def describe_groups(self, vpc_ids):
        """{group name: group} of the app and db groups in the VPCs, in one call."""
        if not vpc_ids:
            return {}
        filters = [
            {"Name": "vpc-id", "Values": vpc_ids},
            {"Name": "group-name", "Values": [self.app_name, self.db_name]},
        ]
        try:
            groups = self.ec2.describe_security_groups(aws_retry=True, Filters=filters)["SecurityGroups"]
        except AWS_ERRORS as e:
            self.fail(e, "describe the security groups %s and %s" % (self.app_name, self.db_name))
        return groups

    def describe_subnet_group(self):
        try:
            return self.rds.describe_db_subnet_groups(aws_retry=True, DBSubnetGroupName=self.subnet_group_name)[
                "DBSubnetGroups"
            ][0]
        except is_boto3_error_code("DBSubnetGroupNotFoundFault"):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "describe the DB subnet group %s" % self.subnet_group_name)

    def subnet_group_tags(self, arn):
        try:
            return boto3_tag_list_to_ansible_dict(
                self.rds.list_tags_for_resource(aws_retry=True, ResourceName=arn).get("TagList") or []
            )
        except AWS_ERRORS as e:
            self.fail(e, "read the tags of the DB subnet group %s" % self.subnet_group_name)

    # ------------------------------------------------------------------ present

    def present(self):
        vpc_ids = self.find_vpcs()
        if len(vpc_ids) > 1:
            self.module.fail_json(
                msg="Found %d VPCs named %s (%s); remove the duplicates before re-running"
                % (len(vpc_ids), self.params["vpc_name"], ", ".join(vpc_ids))
            )
        vpc_id = vpc_ids[0] if vpc_ids else None
        if vpc_id is None and not self.check_mode:
            self.module.fail_json(
                msg="No VPC for the security groups %s and %s: give vpc_id (or the vpc_name of an existing VPC)"
                % (self.app_name, self.db_name)
            )
        subnet_ids = sorted(set(_names(self.params["subnet_ids"])))
        if not subnet_ids and not self.check_mode:
            self.module.fail_json(
                msg="subnet_ids is required to ensure the DB subnet group %s" % self.subnet_group_name
            )

        before, after = {}, {}
        subnet_group = self.ensure_subnet_group(subnet_ids, before, after)
        groups = {g["GroupName"]: g for g in self.describe_groups([vpc_id] if vpc_id else [])}
        app = self.ensure_group(
            "app_security_group",
            self.app_name,
            self.params["app_security_group_description"],
            groups.get(self.app_name),
            vpc_id,
            ingress={},
            egress=dict(rules.DEFAULT_EGRESS),
            before=before,
            after=after,
        )
        db_ingress = {
            rules.rule_key("tcp", self.params["port"], self.params["port"], "group", app["id"]): self.params[
                "rule_description"
            ]
            or None
        }
        db = self.ensure_group(
            "db_security_group",
            self.db_name,
            self.params["db_security_group_description"],
            groups.get(self.db_name),
            vpc_id,
            ingress=db_ingress,
            egress={},
            before=before,
            after=after,
            names={app["id"]: self.app_name},
        )
        result = {
            "vpc_id": vpc_id,
            "subnet_group_name": subnet_group["name"],
            "app_security_group_id": app["id"],
            "db_security_group_id": db["id"],
            "subnet_group": subnet_group,
            "app_security_group": app,
            "db_security_group": db,
        }
        self.exit(result, before, after)

    def ensure_subnet_group(self, subnet_ids, before, after):
        p = self.params
        name = self.subnet_group_name
        existing = self.describe_subnet_group()
        if existing is None:
            before["subnet_group"] = None
            description = p["subnet_group_description"] or name
            kwargs = {"DBSubnetGroupName": name, "DBSubnetGroupDescription": description, "SubnetIds": subnet_ids}
            if p["tags"]:
                kwargs["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
            created = self.act("create DB subnet group %s" % name, self.rds, "create_db_subnet_group", **kwargs)
            created = (created or {}).get("DBSubnetGroup") or {}
            view = {
                "name": created.get("DBSubnetGroupName", name.lower()),
                "arn": created.get("DBSubnetGroupArn"),
                "description": description,
                "subnet_ids": subnet_ids,
                "tags": {k: str(v) for k, v in (p["tags"] or {}).items()},
            }
            after["subnet_group"] = view
            return view

        current_subnets = sorted(s["SubnetIdentifier"] for s in existing.get("Subnets") or [])
        current_description = existing.get("DBSubnetGroupDescription") or ""
        arn = existing.get("DBSubnetGroupArn")
        tags = self.subnet_group_tags(arn) if p["tags"] is not None else {}
        before["subnet_group"] = {
            "name": existing["DBSubnetGroupName"],
            "arn": arn,
            "description": current_description,
            "subnet_ids": current_subnets,
            "tags": tags,
        }
        description = p["subnet_group_description"]
        if description is None:
            description = current_description
        if description != current_description or subnet_ids != current_subnets:
            what = [
                w
                for w, differs in (
                    ("description", description != current_description),
                    ("subnets", subnet_ids != current_subnets),
                )
                if differs
            ]
            self.act(
                "update %s of DB subnet group %s" % (" and ".join(what), name),
                self.rds,
                "modify_db_subnet_group",
                DBSubnetGroupName=name,
                DBSubnetGroupDescription=description,
                SubnetIds=subnet_ids,
            )
        if p["tags"] is not None:
            to_set, to_remove = tag_changes(tags, p["tags"], p["purge_tags"])
            if to_remove:
                self.act(
                    "untag DB subnet group %s: %s" % (name, ", ".join(to_remove)),
                    self.rds,
                    "remove_tags_from_resource",
                    ResourceName=arn,
                    TagKeys=to_remove,
                )
            if to_set:
                self.act(
                    "tag DB subnet group %s: %s" % (name, ", ".join(sorted(to_set))),
                    self.rds,
                    "add_tags_to_resource",
                    ResourceName=arn,
                    Tags=ansible_dict_to_boto3_tag_list(to_set),
                )
            tags = dict({k: v for k, v in tags.items() if k not in to_remove}, **to_set)
        view = dict(before["subnet_group"], description=description, subnet_ids=subnet_ids, tags=tags)
        after["subnet_group"] = view
        return view

    def group_tags(self, name):
        if self.params["tags"] is None:
            return None
        return dict({k: str(v) for k, v in self.params["tags"].items()}, Name=name)

    def ensure_group(self, key, name, description, existing, vpc_id, ingress, egress, before, after, names=None):
        """Ensure one security group with exactly these ingress and egress rules; returns its view."""
        description = description or name
        desired_tags = self.group_tags(name)
        names = names or {}
        created = existing is None
        if created:
            before[key] = None
            kwargs = {"GroupName": name, "Description": description}
            if vpc_id:
                kwargs["VpcId"] = vpc_id
            if desired_tags:
                kwargs["TagSpecifications"] = [
                    {"ResourceType": "security-group", "Tags": ansible_dict_to_boto3_tag_list(desired_tags)}
                ]
            result = self.act("create security group %s" % name, self.ec2, "create_security_group", **kwargs)
            group_id = (result or {}).get("GroupId")
            current_ingress, current_egress = {}, dict(rules.DEFAULT_EGRESS)
            tags = desired_tags or {}
        else:
            group_id = existing["GroupId"]
            if (existing.get("Description") or "") != description:
                warn(
                    "The description of security group %s is %r, not %r; AWS cannot change it (delete the group to "
                    "recreate it)" % (name, existing.get("Description"), description)
                )
                description = existing.get("Description") or ""
            current_ingress = rules.atoms(existing.get("IpPermissions"))
            current_egress = rules.atoms(existing.get("IpPermissionsEgress"))
            tags = boto3_tag_list_to_ansible_dict(existing.get("Tags") or [])
            before[key] = self.group_view(group_id, name, description, vpc_id, current_ingress, current_egress, tags)

        call = _call_on_new_group if created else None
        self.converge_rules(name, group_id, "ingress", current_ingress, ingress, names, call)
        self.converge_rules(name, group_id, "egress", current_egress, egress, names, call)
        if not created and desired_tags is not None:
            tags = self.converge_group_tags(name, group_id, tags, desired_tags, call)
        view = self.group_view(group_id, name, description, vpc_id, ingress, egress, tags)
        after[key] = view
        return view

    def converge_rules(self, name, group_id, direction, current, desired, names, call):
        to_revoke, to_authorize, to_describe = rules.rule_changes(current, desired)

        def listed(changed):
            return ", ".join(rules.describe_rule(k, changed[k], names) for k in sorted(changed, key=rules.sort_key))

        for verb, method, changed, with_descriptions in (
            # Revoked as described (EC2 ignores descriptions when it matches the rules to revoke).
            ("revoke", "revoke_security_group_%s", to_revoke, True),
            ("authorize", "authorize_security_group_%s", to_authorize, True),
            ("update rule descriptions", "update_security_group_rule_descriptions_%s", to_describe, True),
        ):
            if changed:
                self.act(
                    "%s %s of %s: %s" % (verb, direction, name, listed(changed)),
                    self.ec2,
                    method % direction,
                    call=call,
                    GroupId=group_id,
                    IpPermissions=rules.permissions(changed, with_descriptions=with_descriptions),
                )

    def converge_group_tags(self, name, group_id, tags, desired, call):
        to_set, to_remove = tag_changes(tags, desired, self.params["purge_tags"])
        if to_remove:
            self.act(
                "untag security group %s: %s" % (name, ", ".join(to_remove)),
                self.ec2,
                "delete_tags",
                call=call,
                Resources=[group_id],
                Tags=[{"Key": k} for k in to_remove],
            )
        if to_set:
            self.act(
                "tag security group %s: %s" % (name, ", ".join(sorted(to_set))),
                self.ec2,
                "create_tags",
                call=call,
                Resources=[group_id],
                Tags=ansible_dict_to_boto3_tag_list(to_set),
            )
        return dict({k: v for k, v in tags.items() if k not in to_remove}, **to_set)

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
        groups = self.describe_groups(vpc_ids)
        before = {"db_security_groups": [], "app_security_groups": [], "subnet_group": None}
        # The db group first: its ingress rule references the app group.
        for name, key in ((self.db_name, "db_security_groups"), (self.app_name, "app_security_groups")):
            for group in [g for g in groups if g["GroupName"] == name]:
                before[key].append({"id": group["GroupId"], "name": name, "vpc_id": group.get("VpcId")})
                self.delete_group(name, group["GroupId"])
        subnet_group = self.describe_subnet_group()
        if subnet_group is not None:
            before["subnet_group"] = {"name": subnet_group["DBSubnetGroupName"]}
            self.act(
                "delete DB subnet group %s" % self.subnet_group_name,
                self.rds,
                "delete_db_subnet_group",
                call=_ignore_missing(_delete_in_use, "DBSubnetGroupNotFoundFault"),
                DBSubnetGroupName=self.subnet_group_name,
            )
        after = {"db_security_groups": [], "app_security_groups": [], "subnet_group": None}
        self.exit({"vpc_id": vpc_ids[0] if vpc_ids else None}, before, after)

    def delete_group(self, name, group_id):
        self.act(
            "delete security group %s (%s)" % (name, group_id),
            self.ec2,
            "delete_security_group",
            call=_ignore_missing(_delete_in_use, "InvalidGroup.NotFound"),
            GroupId=group_id,
        )


def _ignore_missing(call, code):
    """call, treating the error code (the resource is already gone) as done."""

    def wrapped(client, method, **kwargs):
        try:
            return call(client, method, **kwargs)
        except is_boto3_error_code(code):
            return None

    return wrapped


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
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    network = AuroraNetwork(module)
    if module.params["state"] == "present":
        network.present()
    else:
        network.absent()


if __name__ == "__main__":
    main()

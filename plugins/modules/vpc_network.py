#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_network
short_description: Manage a region's whole VPC network in one invocation
version_added: 0.1.0
description:
  - Ensures a VPC with DNS support and hostnames, public and private subnets spread over the
    availability zones the region reports, an internet gateway, a public route table with the
    default route, a private route table without one, gateway VPC endpoints on the private route
    table, explicit network ACLs, a default security group that admits nothing and VPC flow logs.
  - Everything is read with one describe call per resource type, compared with the declared
    state, and only what differs is changed, so a converged network costs no write call.
  - Resources are found by their C(Name) tag, so an interrupted run converges without duplicates.
  - In check mode nothing is written; C(changes) lists what would be done (also usable as a drift report).
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  name:
    description: Name of the VPC (C(Name) tag); child resources are named after it.
    type: str
    required: true
  cidr_block:
    description: IPv4 CIDR of the VPC.
    type: str
  public_subnets:
    description: CIDRs of the public subnets, in order; spread round-robin over O(availability_zones).
    type: list
    elements: str
    default: []
  private_subnets:
    description: CIDRs of the private subnets, in order; spread round-robin over O(availability_zones).
    type: list
    elements: str
    default: []
  availability_zones:
    description:
      - Availability zones to spread subnets over.
      - Default is the first O(zone_count) available zones the region reports, in name order.
    type: list
    elements: str
  zone_count:
    description: How many availability zones to use when O(availability_zones) is not given.
    type: int
    default: 3
  gateway_endpoints:
    description: Gateway VPC endpoints to attach to the private route table.
    type: list
    elements: dict
    default: []
    suboptions:
      service:
        description: Short service name, for example C(s3) or C(dynamodb).
        type: str
        required: true
      policy:
        description: Endpoint policy document. When omitted the existing policy is left as it is.
        type: json
  network_acls:
    description: Manage explicit network ACLs for the public and private subnets.
    type: bool
    default: true
  restrict_default_security_group:
    description: Remove every rule from the VPC's default security group.
    type: bool
    default: true
  flow_log:
    description:
      - Deliver VPC flow logs (all traffic) to a KMS-encrypted CloudWatch Logs group.
      - The module also manages the log group and the IAM role the flow-log service assumes
        (trusted by C(vpc-flow-logs.amazonaws.com) only, with an C(aws:SourceAccount) condition).
    type: dict
    suboptions:
      log_group_name:
        description: Destination log group.
        type: str
        required: true
      kms_key_arn:
        description: KMS key that encrypts the log group.
        type: str
        required: true
      retention_days:
        description: Retention of the log group.
        type: int
        default: 14
      role_name:
        description: Name of the delivery role (IAM is global, so include environment and region).
        type: str
        required: true
      account_id:
        description: This account's ID, for the confused-deputy condition of the trust policy.
        type: str
        required: true
  tags:
    description: Tags for every resource (a C(Name) tag is added per resource).
    type: dict
    default: {}
  state:
    description: C(absent) deletes the network and everything in it that this module manages.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
"""

EXAMPLES = r"""
- name: Ensure the network of a region
  tap.multiregion.vpc_network:
    name: tap-dev-us-east-1
    cidr_block: 10.0.0.0/16
    public_subnets: [10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24]
    private_subnets: [10.0.10.0/24, 10.0.11.0/24, 10.0.12.0/24]
    gateway_endpoints:
      - service: s3
      - service: dynamodb
    tags:
      Environment: dev
"""

RETURN = r"""
vpc_id:
  description: ID of the VPC.
  returned: when state is present and the VPC exists
  type: str
public_subnet_ids:
  description: IDs of the public subnets, in the order of O(public_subnets).
  returned: when state is present
  type: list
  elements: str
private_subnet_ids:
  description: IDs of the private subnets, in the order of O(private_subnets).
  returned: when state is present
  type: list
  elements: str
availability_zones:
  description: The zones the subnets are spread over.
  returned: when state is present
  type: list
  elements: str
internet_gateway_id:
  description: ID of the internet gateway.
  returned: when state is present
  type: str
public_route_table_id:
  description: ID of the public route table.
  returned: when state is present
  type: str
private_route_table_id:
  description: ID of the private route table.
  returned: when state is present
  type: str
vpc_endpoint_ids:
  description: Gateway endpoint IDs by short service name.
  returned: when state is present
  type: dict
changes:
  description: What was (or, in check mode, would be) changed, one line per action.
  returned: always
  type: list
  elements: str
"""

import json
from urllib.parse import unquote

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import desired_acl_entries
from ansible_collections.tap.multiregion.plugins.module_utils.network_acl import diff_acl_entries
from ansible_collections.tap.multiregion.plugins.module_utils.policies import flow_log_delivery_policy
from ansible_collections.tap.multiregion.plugins.module_utils.policies import flow_log_trust_policy

ANYWHERE = "0.0.0.0/0"


@AWSRetry.jittered_backoff()
def _paginate(client, method, **kwargs):
    # Paginators bypass the client's retry decorator, so the whole pagination is retried.
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


def index_subnet_attachments(resources, id_key, association_key):
    """Route tables or network ACLs by Name tag, and subnet id -> (association id, resource id)."""
    by_name = {boto3_tag_list_to_ansible_dict(r.get("Tags", [])).get("Name"): r for r in resources}
    association_of = {}
    for resource in resources:
        for assoc in resource.get("Associations", []):
            if assoc.get("SubnetId"):  # a route table's main association has none
                association_of[assoc["SubnetId"]] = (assoc[association_key], resource[id_key])
    return by_name, association_of


class VpcNetwork:
    """Reads the current network once, then converges it step by step."""

    def __init__(self, module):
        self.module = module
        self.client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        self.params = module.params
        self.name = self.params["name"]
        self.changes = []

    # --- helpers -----------------------------------------------------------------------------
    def act(self, description, method, **kwargs):
        """Record a change and perform it with the EC2 client unless in check mode."""
        return self.act_on(self.client, description, method, **kwargs)

    def describe(self, method, key, **kwargs):
        try:
            return _paginate(self.client, method, **kwargs)[key]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to %s" % method.replace("_", " "))

    def tags_for(self, name):
        tags = dict(self.params["tags"])
        tags["Name"] = name
        return tags

    def sync_tags(self, resource_id, current_tag_list, name):
        current = boto3_tag_list_to_ansible_dict(current_tag_list or [])
        missing = {k: v for k, v in self.tags_for(name).items() if current.get(k) != v}
        if missing:
            self.act(
                "tag %s with %s" % (resource_id, ", ".join(sorted(missing))),
                "create_tags",
                Resources=[resource_id],
                Tags=ansible_dict_to_boto3_tag_list(missing),
            )

    def ensure_named(self, existing, name, label, create_method, created_key, id_key, resource_type, vpc_id, empty):
        """The VPC child resource called `name`: created when missing (a placeholder in check mode), tags synced."""
        if existing is None:
            created = self.act(
                "create %s %s" % (label, name),
                create_method,
                VpcId=vpc_id,
                TagSpecifications=boto3_tag_specifications(self.tags_for(name), [resource_type]),
            )
            return created[created_key] if created else dict(empty, **{id_key: None})
        self.sync_tags(existing[id_key], existing.get("Tags"), name)
        return existing

    def vpc_filter(self, vpc_id):
        return [{"Name": "vpc-id", "Values": [vpc_id]}]

    # --- VPC -------------------------------------------------------------------------------------
    def find_vpc(self):
        vpcs = self.describe("describe_vpcs", "Vpcs", Filters=[{"Name": "tag:Name", "Values": [self.name]}])
        if len(vpcs) > 1:
            self.module.fail_json(
                msg="Found %d VPCs named %s (%s); remove the duplicates before re-running"
                % (len(vpcs), self.name, ", ".join(v["VpcId"] for v in vpcs))
            )
        return vpcs[0] if vpcs else None

    def ensure_vpc(self):
        vpc = self.find_vpc()
        cidr = self.params["cidr_block"]
        if vpc is None:
            created = self.act(
                "create VPC %s (%s)" % (self.name, cidr),
                "create_vpc",
                CidrBlock=cidr,
                TagSpecifications=boto3_tag_specifications(self.tags_for(self.name), ["vpc"]),
            )
            if created is None:
                return None
            vpc_id = created["Vpc"]["VpcId"]
            self.wait("vpc_available", VpcIds=[vpc_id])
            self.ensure_vpc_attributes(vpc_id, {"EnableDnsSupport": False, "EnableDnsHostnames": False})
            return vpc_id
        if vpc["CidrBlock"] != cidr:
            self.module.fail_json(
                msg="VPC %s (%s) has CIDR %s but the inventory declares %s; a VPC's CIDR cannot be changed in place"
                % (self.name, vpc["VpcId"], vpc["CidrBlock"], cidr)
            )
        self.sync_tags(vpc["VpcId"], vpc.get("Tags"), self.name)
        self.ensure_vpc_attributes(vpc["VpcId"])
        return vpc["VpcId"]

    def ensure_vpc_attributes(self, vpc_id, known=None):
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            if known is not None:
                enabled = known[attribute]
            else:
                try:
                    result = self.client.describe_vpc_attribute(
                        aws_retry=True, VpcId=vpc_id, Attribute=attribute[0].lower() + attribute[1:]
                    )
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    self.module.fail_json_aws(e, msg="Failed to describe VPC attribute %s" % attribute)
                enabled = result[attribute]["Value"]
            if not enabled:
                self.act(
                    "enable %s on %s" % (attribute, vpc_id),
                    "modify_vpc_attribute",
                    VpcId=vpc_id,
                    **{attribute: {"Value": True}},
                )

    def wait(self, waiter, **kwargs):
        if self.module.check_mode:
            return
        try:
            self.client.get_waiter(waiter).wait(WaiterConfig={"Delay": 2, "MaxAttempts": 60}, **kwargs)
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="Timed out waiting for %s" % waiter)

    # --- availability zones and subnets --------------------------------------------------------
    def availability_zones(self):
        if self.params["availability_zones"]:
            return list(self.params["availability_zones"])
        zones = self.describe_zones()
        names = sorted(
            z["ZoneName"]
            for z in zones
            if z.get("State") == "available" and z.get("ZoneType", "availability-zone") == "availability-zone"
        )
        if len(names) < self.params["zone_count"]:
            self.module.fail_json(
                msg="region reports %d available zones (%s); %d are needed"
                % (len(names), names, self.params["zone_count"])
            )
        return names[: self.params["zone_count"]]

    def describe_zones(self):
        try:
            return self.client.describe_availability_zones(
                aws_retry=True, Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}]
            )["AvailabilityZones"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to describe availability zones")

    def desired_subnets(self, zones):
        desired = []
        for tier in ("public", "private"):
            for index, cidr in enumerate(self.params["%s_subnets" % tier]):
                zone = zones[index % len(zones)]
                desired.append(dict(tier=tier, cidr=cidr, zone=zone, name="%s-%s-%s" % (self.name, tier, zone)))
        return desired

    def ensure_subnets(self, vpc_id, desired):
        current = {}
        if vpc_id:
            for subnet in self.describe("describe_subnets", "Subnets", Filters=self.vpc_filter(vpc_id)):
                current[subnet["CidrBlock"]] = subnet
        for want in desired:
            subnet = current.get(want["cidr"])
            if subnet is None:
                created = self.act(
                    "create %s subnet %s in %s" % (want["tier"], want["cidr"], want["zone"]),
                    "create_subnet",
                    VpcId=vpc_id,
                    CidrBlock=want["cidr"],
                    AvailabilityZone=want["zone"],
                    TagSpecifications=boto3_tag_specifications(self.tags_for(want["name"]), ["subnet"]),
                )
                want["id"] = created["Subnet"]["SubnetId"] if created else None
                continue
            want["id"] = subnet["SubnetId"]
            if subnet["AvailabilityZone"] != want["zone"]:
                self.module.fail_json(
                    msg="subnet %s (%s) is in %s but should be in %s; delete it so it can be recreated"
                    % (want["cidr"], subnet["SubnetId"], subnet["AvailabilityZone"], want["zone"])
                )
            if subnet.get("MapPublicIpOnLaunch"):
                self.act(
                    "stop auto-assigning public IPs in %s" % subnet["SubnetId"],
                    "modify_subnet_attribute",
                    SubnetId=subnet["SubnetId"],
                    MapPublicIpOnLaunch={"Value": False},
                )
            self.sync_tags(subnet["SubnetId"], subnet.get("Tags"), want["name"])
        return desired

    # --- internet gateway ----------------------------------------------------------------------
    def ensure_internet_gateway(self, vpc_id):
        name = "%s-igw" % self.name
        attached = (
            self.describe(
                "describe_internet_gateways",
                "InternetGateways",
                Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
            )
            if vpc_id
            else []
        )
        if attached:
            igw = attached[0]
            self.sync_tags(igw["InternetGatewayId"], igw.get("Tags"), name)
            return igw["InternetGatewayId"]
        # An interrupted run may have created the gateway without attaching it.
        named = self.describe(
            "describe_internet_gateways", "InternetGateways", Filters=[{"Name": "tag:Name", "Values": [name]}]
        )
        detached = [g for g in named if not g.get("Attachments")]
        if detached:
            igw_id = detached[0]["InternetGatewayId"]
        else:
            created = self.act(
                "create internet gateway %s" % name,
                "create_internet_gateway",
                TagSpecifications=boto3_tag_specifications(self.tags_for(name), ["internet-gateway"]),
            )
            igw_id = created["InternetGateway"]["InternetGatewayId"] if created else None
        self.act(
            "attach internet gateway %s to %s" % (name, vpc_id or "the new VPC"),
            "attach_internet_gateway",
            InternetGatewayId=igw_id,
            VpcId=vpc_id,
        )
        return igw_id

    # --- route tables --------------------------------------------------------------------------
    def ensure_route_tables(self, vpc_id, subnets, igw_id):
        tables = (
            self.describe("describe_route_tables", "RouteTables", Filters=self.vpc_filter(vpc_id)) if vpc_id else []
        )
        by_name, association_of = index_subnet_attachments(tables, "RouteTableId", "RouteTableAssociationId")
        ids = {}
        for tier in ("public", "private"):
            name = "%s-%s" % (self.name, tier)
            table = self.ensure_named(
                by_name.get(name),
                name,
                "%s route table" % tier,
                "create_route_table",
                "RouteTable",
                "RouteTableId",
                "route-table",
                vpc_id,
                {"Routes": []},
            )
            table_id = table["RouteTableId"]
            ids[tier] = table_id
            default_route = next(
                (r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == ANYWHERE), None
            )
            if tier == "public":
                if default_route is None:
                    self.act(
                        "add default route to %s via %s" % (name, igw_id or "the new internet gateway"),
                        "create_route",
                        RouteTableId=table_id,
                        DestinationCidrBlock=ANYWHERE,
                        GatewayId=igw_id,
                    )
                elif default_route.get("GatewayId") != igw_id:
                    self.act(
                        "point default route of %s at %s" % (name, igw_id),
                        "replace_route",
                        RouteTableId=table_id,
                        DestinationCidrBlock=ANYWHERE,
                        GatewayId=igw_id,
                    )
            elif default_route is not None:
                self.act(
                    "remove the internet route from private route table %s" % name,
                    "delete_route",
                    RouteTableId=table_id,
                    DestinationCidrBlock=ANYWHERE,
                )
            for subnet in (s for s in subnets if s["tier"] == tier):
                current = association_of.get(subnet["id"])
                if current is None:
                    self.act(
                        "associate %s with %s" % (subnet["cidr"], name),
                        "associate_route_table",
                        RouteTableId=table_id,
                        SubnetId=subnet["id"],
                    )
                elif current[1] != table_id:
                    self.act(
                        "move %s to route table %s" % (subnet["cidr"], name),
                        "replace_route_table_association",
                        AssociationId=current[0],
                        RouteTableId=table_id,
                    )
        return ids

    # --- gateway endpoints ---------------------------------------------------------------------
    def ensure_gateway_endpoints(self, vpc_id, route_table_id):
        wanted = self.params["gateway_endpoints"]
        if not wanted:
            return {}
        region = self.module.region
        existing = {}
        if vpc_id:
            for endpoint in self.describe("describe_vpc_endpoints", "VpcEndpoints", Filters=self.vpc_filter(vpc_id)):
                if endpoint.get("State", "").lower() not in ("deleted", "deleting"):
                    existing[endpoint["ServiceName"]] = endpoint
        ids = {}
        for item in wanted:
            service_name = "com.amazonaws.%s.%s" % (region, item["service"])
            name = "%s-%s-endpoint" % (self.name, item["service"])
            policy = json.loads(item["policy"]) if item.get("policy") else None
            endpoint = existing.get(service_name)
            if endpoint is None:
                kwargs = dict(
                    VpcEndpointType="Gateway",
                    VpcId=vpc_id,
                    ServiceName=service_name,
                    RouteTableIds=[route_table_id],
                    TagSpecifications=boto3_tag_specifications(self.tags_for(name), ["vpc-endpoint"]),
                )
                if policy is not None:
                    kwargs["PolicyDocument"] = json.dumps(policy)
                created = self.act("create gateway endpoint for %s" % item["service"], "create_vpc_endpoint", **kwargs)
                ids[item["service"]] = created["VpcEndpoint"]["VpcEndpointId"] if created else None
                continue
            endpoint_id = endpoint["VpcEndpointId"]
            ids[item["service"]] = endpoint_id
            modify = {}
            current_tables = set(endpoint.get("RouteTableIds", []))
            if route_table_id not in current_tables:
                modify["AddRouteTableIds"] = [route_table_id]
            extra = sorted(current_tables - {route_table_id})
            if extra:
                modify["RemoveRouteTableIds"] = extra
            if policy is not None:
                current_policy = json.loads(endpoint["PolicyDocument"]) if endpoint.get("PolicyDocument") else {}
                if compare_policies(current_policy, policy):
                    modify["PolicyDocument"] = json.dumps(policy)
            if modify:
                self.act(
                    "update %s of gateway endpoint %s" % (", ".join(sorted(modify)), item["service"]),
                    "modify_vpc_endpoint",
                    VpcEndpointId=endpoint_id,
                    **modify,
                )
            self.sync_tags(endpoint_id, endpoint.get("Tags"), name)
        return ids

    # --- network ACLs --------------------------------------------------------------------------
    def ensure_network_acls(self, vpc_id, subnets):
        acls = self.describe("describe_network_acls", "NetworkAcls", Filters=self.vpc_filter(vpc_id)) if vpc_id else []
        by_name, association_of = index_subnet_attachments(acls, "NetworkAclId", "NetworkAclAssociationId")
        ids = {}
        for tier in ("public", "private"):
            name = "%s-%s-nacl" % (self.name, tier)
            acl = self.ensure_named(
                by_name.get(name),
                name,
                "%s network ACL" % tier,
                "create_network_acl",
                "NetworkAcl",
                "NetworkAclId",
                "network-acl",
                vpc_id,
                {"Entries": []},
            )
            acl_id = acl["NetworkAclId"]
            ids[tier] = acl_id
            desired = desired_acl_entries(tier, self.params["cidr_block"])
            to_delete, to_create, to_replace = diff_acl_entries(acl.get("Entries", []), desired)
            for entry in to_delete:
                self.act(
                    "delete rule %d (%s) of %s"
                    % (entry["RuleNumber"], "egress" if entry["Egress"] else "ingress", name),
                    "delete_network_acl_entry",
                    NetworkAclId=acl_id,
                    RuleNumber=entry["RuleNumber"],
                    Egress=entry["Egress"],
                )
            for entry in to_create:
                self.act(
                    "add rule %d (%s) to %s" % (entry["RuleNumber"], "egress" if entry["Egress"] else "ingress", name),
                    "create_network_acl_entry",
                    NetworkAclId=acl_id,
                    **entry,
                )
            for entry in to_replace:
                self.act(
                    "replace rule %d (%s) of %s"
                    % (entry["RuleNumber"], "egress" if entry["Egress"] else "ingress", name),
                    "replace_network_acl_entry",
                    NetworkAclId=acl_id,
                    **entry,
                )
            for subnet in (s for s in subnets if s["tier"] == tier):
                current = association_of.get(subnet["id"])
                if current is not None and current[1] != acl_id:
                    self.act(
                        "associate %s with network ACL %s" % (subnet["cidr"], name),
                        "replace_network_acl_association",
                        AssociationId=current[0],
                        NetworkAclId=acl_id,
                    )
                elif current is None and subnet["id"] is None:
                    self.changes.append("associate %s with network ACL %s" % (subnet["cidr"], name))
        return ids

    # --- default security group ----------------------------------------------------------------
    def restrict_default_security_group(self, vpc_id):
        if not vpc_id:
            self.changes.append("remove all rules of the default security group")
            return
        groups = self.describe(
            "describe_security_groups",
            "SecurityGroups",
            Filters=self.vpc_filter(vpc_id) + [{"Name": "group-name", "Values": ["default"]}],
        )
        for group in groups:
            if group.get("IpPermissions"):
                self.act(
                    "revoke ingress rules of default security group %s" % group["GroupId"],
                    "revoke_security_group_ingress",
                    GroupId=group["GroupId"],
                    IpPermissions=group["IpPermissions"],
                )
            if group.get("IpPermissionsEgress"):
                self.act(
                    "revoke egress rules of default security group %s" % group["GroupId"],
                    "revoke_security_group_egress",
                    GroupId=group["GroupId"],
                    IpPermissions=group["IpPermissionsEgress"],
                )

    # --- flow logs -----------------------------------------------------------------------------
    def ensure_flow_log_group(self, flow_log):
        logs = self.module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
        name = flow_log["log_group_name"]
        groups = [
            g
            for g in _paginate(logs, "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
            if g["logGroupName"] == name
        ]
        if not groups:
            self.act_on(
                logs,
                "create flow-log group %s" % name,
                "create_log_group",
                logGroupName=name,
                kmsKeyId=flow_log["kms_key_arn"],
                tags=self.tags_for(name),
            )
            self.act_on(
                logs,
                "set retention of %s" % name,
                "put_retention_policy",
                logGroupName=name,
                retentionInDays=flow_log["retention_days"],
            )
            return
        group = groups[0]
        if group.get("kmsKeyId") != flow_log["kms_key_arn"]:
            self.act_on(
                logs,
                "encrypt %s with %s" % (name, flow_log["kms_key_arn"]),
                "associate_kms_key",
                logGroupName=name,
                kmsKeyId=flow_log["kms_key_arn"],
            )
        if group.get("retentionInDays") != flow_log["retention_days"]:
            self.act_on(
                logs,
                "set retention of %s" % name,
                "put_retention_policy",
                logGroupName=name,
                retentionInDays=flow_log["retention_days"],
            )

    def ensure_flow_log_role(self, flow_log):
        iam = self.module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
        name = flow_log["role_name"]
        trust = flow_log_trust_policy(self.module.region, flow_log["account_id"])
        delivery = flow_log_delivery_policy(self.module.region, flow_log["account_id"], flow_log["log_group_name"])
        try:
            role = iam.get_role(aws_retry=True, RoleName=name)["Role"]
        except is_boto3_error_code("NoSuchEntity"):
            role = None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to read IAM role %s" % name)
        if role is None:
            created = self.act_on(
                iam,
                "create flow-log delivery role %s" % name,
                "create_role",
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Tags=ansible_dict_to_boto3_tag_list(self.tags_for(name)),
            )
            self.act_on(
                iam,
                "grant %s delivery to %s" % (name, flow_log["log_group_name"]),
                "put_role_policy",
                RoleName=name,
                PolicyName="flow-log-delivery",
                PolicyDocument=json.dumps(delivery),
            )
            return created["Role"]["Arn"] if created else None
        current_trust = role["AssumeRolePolicyDocument"]
        if isinstance(current_trust, str):
            current_trust = json.loads(unquote(current_trust))
        if compare_policies(current_trust, trust):
            self.act_on(
                iam,
                "restore the trust policy of %s" % name,
                "update_assume_role_policy",
                RoleName=name,
                PolicyDocument=json.dumps(trust),
            )
        try:
            current = iam.get_role_policy(aws_retry=True, RoleName=name, PolicyName="flow-log-delivery")[
                "PolicyDocument"
            ]
            current = json.loads(unquote(current)) if isinstance(current, str) else current
        except is_boto3_error_code("NoSuchEntity"):
            current = {}
        if compare_policies(current, delivery):
            self.act_on(
                iam,
                "grant %s delivery to %s" % (name, flow_log["log_group_name"]),
                "put_role_policy",
                RoleName=name,
                PolicyName="flow-log-delivery",
                PolicyDocument=json.dumps(delivery),
            )
        return role["Arn"]

    def act_on(self, client, description, method, **kwargs):
        self.changes.append(description)
        if self.module.check_mode:
            return None
        try:
            return getattr(client, method)(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to %s" % description)

    def ensure_flow_log(self, vpc_id):
        flow_log = self.params["flow_log"]
        if not flow_log:
            return None
        self.ensure_flow_log_group(flow_log)
        role_arn = self.ensure_flow_log_role(flow_log)
        current = (
            self.describe("describe_flow_logs", "FlowLogs", Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
            if vpc_id
            else []
        )
        for log in current:
            if log.get("LogGroupName") == flow_log["log_group_name"]:
                return log["FlowLogId"]
        name = "%s-flow-log" % self.name
        created = self.act(
            "deliver flow logs of %s to %s" % (self.name, flow_log["log_group_name"]),
            "create_flow_logs",
            ResourceIds=[vpc_id],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="cloud-watch-logs",
            LogGroupName=flow_log["log_group_name"],
            DeliverLogsPermissionArn=role_arn,
            TagSpecifications=boto3_tag_specifications(self.tags_for(name), ["vpc-flow-log"]),
        )
        return created["FlowLogIds"][0] if created and created.get("FlowLogIds") else None

    # --- whole network -------------------------------------------------------------------------
    def present(self):
        if not self.params["cidr_block"]:
            self.module.fail_json(msg="cidr_block is required when state is present")
        zones = self.availability_zones()
        vpc_id = self.ensure_vpc()
        subnets = self.ensure_subnets(vpc_id, self.desired_subnets(zones))
        igw_id = self.ensure_internet_gateway(vpc_id)
        tables = self.ensure_route_tables(vpc_id, subnets, igw_id)
        endpoints = self.ensure_gateway_endpoints(vpc_id, tables["private"])
        acls = self.ensure_network_acls(vpc_id, subnets) if self.params["network_acls"] else {}
        if self.params["restrict_default_security_group"]:
            self.restrict_default_security_group(vpc_id)
        flow_log_id = self.ensure_flow_log(vpc_id)
        return dict(
            vpc_id=vpc_id,
            availability_zones=zones,
            public_subnet_ids=[s["id"] for s in subnets if s["tier"] == "public"],
            private_subnet_ids=[s["id"] for s in subnets if s["tier"] == "private"],
            internet_gateway_id=igw_id,
            public_route_table_id=tables["public"],
            private_route_table_id=tables["private"],
            vpc_endpoint_ids=endpoints,
            network_acl_ids=acls,
            flow_log_id=flow_log_id,
        )

    def remove_flow_log_infrastructure(self):
        """Delete the flow-log group and delivery role this module created (teardown)."""
        flow_log = self.params["flow_log"]
        if not flow_log:
            return
        logs = self.module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
        name = flow_log["log_group_name"]
        groups = _paginate(logs, "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
        if any(g["logGroupName"] == name for g in groups):
            self.act_on(logs, "delete flow-log group %s" % name, "delete_log_group", logGroupName=name)
        iam = self.module.client("iam", retry_decorator=AWSRetry.jittered_backoff())
        role = flow_log["role_name"]
        try:
            policies = iam.list_role_policies(aws_retry=True, RoleName=role)["PolicyNames"]
        except is_boto3_error_code("NoSuchEntity"):
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to read IAM role %s" % role)
        for policy in policies:
            self.act_on(
                iam, "delete policy %s of %s" % (policy, role), "delete_role_policy", RoleName=role, PolicyName=policy
            )
        self.act_on(iam, "delete flow-log delivery role %s" % role, "delete_role", RoleName=role)

    def absent(self):
        vpc = self.find_vpc()
        if vpc is None:
            self.remove_flow_log_infrastructure()
            return {}
        vpc_id = vpc["VpcId"]
        for log in self.describe(
            "describe_flow_logs", "FlowLogs", Filters=[{"Name": "resource-id", "Values": [vpc_id]}]
        ):
            self.act("delete flow log %s" % log["FlowLogId"], "delete_flow_logs", FlowLogIds=[log["FlowLogId"]])
        endpoints = [
            e["VpcEndpointId"]
            for e in self.describe("describe_vpc_endpoints", "VpcEndpoints", Filters=self.vpc_filter(vpc_id))
        ]
        if endpoints:
            self.act(
                "delete gateway endpoints %s" % ", ".join(endpoints), "delete_vpc_endpoints", VpcEndpointIds=endpoints
            )
        for igw in self.describe(
            "describe_internet_gateways",
            "InternetGateways",
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
        ):
            self.act(
                "detach internet gateway %s" % igw["InternetGatewayId"],
                "detach_internet_gateway",
                InternetGatewayId=igw["InternetGatewayId"],
                VpcId=vpc_id,
            )
            self.act(
                "delete internet gateway %s" % igw["InternetGatewayId"],
                "delete_internet_gateway",
                InternetGatewayId=igw["InternetGatewayId"],
            )
        for table in self.describe("describe_route_tables", "RouteTables", Filters=self.vpc_filter(vpc_id)):
            if any(a.get("Main") for a in table.get("Associations", [])):
                continue
            for assoc in table.get("Associations", []):
                self.act(
                    "disassociate route table %s" % table["RouteTableId"],
                    "disassociate_route_table",
                    AssociationId=assoc["RouteTableAssociationId"],
                )
            self.act(
                "delete route table %s" % table["RouteTableId"],
                "delete_route_table",
                RouteTableId=table["RouteTableId"],
            )
        acls = self.describe("describe_network_acls", "NetworkAcls", Filters=self.vpc_filter(vpc_id))
        default_acl = next((a["NetworkAclId"] for a in acls if a.get("IsDefault")), None)
        for acl in acls:
            if acl.get("IsDefault"):
                continue
            for assoc in acl.get("Associations", []):
                self.act(
                    "return %s to the default network ACL" % assoc["SubnetId"],
                    "replace_network_acl_association",
                    AssociationId=assoc["NetworkAclAssociationId"],
                    NetworkAclId=default_acl,
                )
            self.act(
                "delete network ACL %s" % acl["NetworkAclId"], "delete_network_acl", NetworkAclId=acl["NetworkAclId"]
            )
        for subnet in self.describe("describe_subnets", "Subnets", Filters=self.vpc_filter(vpc_id)):
            self.act("delete subnet %s" % subnet["CidrBlock"], "delete_subnet", SubnetId=subnet["SubnetId"])
        for group in self.describe("describe_security_groups", "SecurityGroups", Filters=self.vpc_filter(vpc_id)):
            if group["GroupName"] != "default":
                self.act(
                    "delete security group %s" % group["GroupName"], "delete_security_group", GroupId=group["GroupId"]
                )
        self.act("delete VPC %s (%s)" % (self.name, vpc_id), "delete_vpc", VpcId=vpc_id)
        self.remove_flow_log_infrastructure()
        return {"vpc_id": vpc_id}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        cidr_block=dict(type="str"),
        public_subnets=dict(type="list", elements="str", default=[]),
        private_subnets=dict(type="list", elements="str", default=[]),
        availability_zones=dict(type="list", elements="str"),
        zone_count=dict(type="int", default=3),
        gateway_endpoints=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(service=dict(type="str", required=True), policy=dict(type="json")),
        ),
        network_acls=dict(type="bool", default=True),
        restrict_default_security_group=dict(type="bool", default=True),
        flow_log=dict(
            type="dict",
            options=dict(
                log_group_name=dict(type="str", required=True),
                # A key ARN is an identifier, not a secret.
                kms_key_arn=dict(type="str", required=True, no_log=False),
                retention_days=dict(type="int", default=14),
                role_name=dict(type="str", required=True),
                account_id=dict(type="str", required=True),
            ),
        ),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    network = VpcNetwork(module)
    result = network.present() if module.params["state"] == "present" else network.absent()
    module.exit_json(
        changed=bool(network.changes),
        changes=network.changes,
        diff={"prepared": "".join("~ %s: %s\n" % (module.params["name"], c) for c in network.changes)},
        **result,
    )


if __name__ == "__main__":
    main()

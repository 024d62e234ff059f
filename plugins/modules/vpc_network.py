#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: vpc_network
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage a region's whole VPC network in one invocation
version_added: 0.1.0
description:
  - Ensures a VPC with DNS support and hostnames, public and private subnets spread over the
    availability zones the region reports, an internet gateway, a public route table with the
    default route, a private route table without one, gateway VPC endpoints on the private route
    table, explicit network ACLs, a default network ACL and a default security group that admit
    nothing, and VPC flow logs to a KMS-encrypted log group.
  - Reads the VPC by name, then everything in it by its id at the same time (one call per kind), and
    changes only what differs, so a converged network costs no write call.
  - A region with fewer available zones than O(zone_count) fails before anything is written.
  - Resources are found by their C(Name) tag, so an interrupted run converges without duplicates.
  - The flow-log delivery role is made first, so that IAM propagates it while the network is built. A flow
    log whose delivery fails with C(Access error) (a role too new, for good) is deleted and created again
    until it delivers; a re-run repairs one it finds failed or different.
  - With O(state=absent) deletes the network, its flow logs, flow-log group and delivery role; deletions
    AWS refuses with C(DependencyViolation) (network interfaces of a deleted Lambda function linger 20 to
    40 minutes) are retried until O(dependency_timeout), with progress lines. A re-run deletes what is left.
options:
  name:
    description: Name of the VPC (C(Name) tag); child resources are named after it.
    type: str
    required: true
  cidr_block:
    description: IPv4 CIDR of the VPC. Required with O(state=present).
    type: str
  public_subnets:
    description: CIDRs of the public subnets, in order; spread round-robin over the availability zones.
    type: list
    elements: str
    default: []
  private_subnets:
    description: CIDRs of the private subnets, in order; spread round-robin over the availability zones.
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
  restrict_default_network_acl:
    description:
      - Remove every rule from the VPC's default network ACL, so that it admits nothing.
      - Requires O(network_acls=true) (every subnet then has an ACL of its own).
    type: bool
    default: true
  restrict_default_security_group:
    description: Remove every rule from the VPC's default security group.
    type: bool
    default: true
  flow_log:
    description:
      - Deliver VPC flow logs to a KMS-encrypted CloudWatch Logs group.
      - The module also manages the log group and the IAM role the flow-log service assumes (trusted by
        this account's flow logs in this region only; the log actions it needs on this log group only).
      - AWS cannot change a flow log; one that differs in an attribute below is deleted and created again.
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
        description: This account's ID, for the ARNs and the confused-deputy conditions of the role.
        type: str
        required: true
      partition:
        description: The AWS partition of the account (C(aws), C(aws-cn), C(aws-us-gov)), for the ARNs.
        type: str
        default: aws
      traffic_type:
        description: Which traffic is logged.
        type: str
        choices: [ALL, ACCEPT, REJECT]
        default: ALL
      max_aggregation_interval:
        description: Seconds over which a flow is aggregated into one record.
        type: int
        choices: [60, 600]
        default: 600
      log_format:
        description: Fields of a record. Default is AWS's default format (version 2 fields).
        type: str
  wait_timeout:
    description: Seconds to wait for a new VPC to be available and a new flow log to deliver with a new role.
    type: int
    default: 300
  dependency_timeout:
    description:
      - With O(state=absent), seconds a deletion that AWS refuses with C(DependencyViolation) is retried
        (Lambda keeps a deleted function's network interfaces, which hold its subnets, security groups and
        the VPC, 20 to 40 minutes).
    type: int
    default: 2700
  state:
    description: C(absent) deletes the network and everything in it that this module manages.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Every resource also gets a C(Name) tag. Without O(tags), only C(Name) is set and other tags are left.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
    flow_log:
      log_group_name: /tap/dev/us-east-1/vpc-flow-logs
      kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
      role_name: tap-flowlogs-dev-us-east-1
      account_id: "123456789012"
    tags:
      Environment: dev
"""

RETURN = r"""
vpc_id:
  description: ID of the VPC (null in check mode when it would be created).
  returned: when the VPC exists or would be created
  type: str
  sample: vpc-0a1b2c3d4e5f67890
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create VPC tap-dev-us-east-1 (10.0.0.0/16)
    - "VPC tap-dev-us-east-1: EnableDnsHostnames false -> true"
    - "route table tap-dev-us-east-1-private: route 0.0.0.0/0 igw-0123 -> none"
public_subnet_ids:
  description: IDs of the public subnets, in the order of O(public_subnets).
  returned: when O(state=present)
  type: list
  elements: str
private_subnet_ids:
  description: IDs of the private subnets, in the order of O(private_subnets).
  returned: when O(state=present)
  type: list
  elements: str
availability_zones:
  description: The zones the subnets are spread over.
  returned: when O(state=present)
  type: list
  elements: str
internet_gateway_id:
  description: ID of the internet gateway.
  returned: when O(state=present)
  type: str
public_route_table_id:
  description: ID of the public route table.
  returned: when O(state=present)
  type: str
private_route_table_id:
  description: ID of the private route table.
  returned: when O(state=present)
  type: str
vpc_endpoint_ids:
  description: Gateway endpoint IDs by short service name.
  returned: when O(state=present)
  type: dict
network_acl_ids:
  description: IDs of the explicit network ACLs by tier (C(public), C(private)).
  returned: when O(state=present)
  type: dict
flow_log_id:
  description: ID of the flow log (null without O(flow_log), or in check mode when it would be created).
  returned: when O(state=present)
  type: str
flow_log_role_arn:
  description: ARN of the flow-log delivery role.
  returned: when O(state=present) and O(flow_log) is given
  type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.tap.multiregion.plugins.module_utils import network_acl as acls
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils import vpc_network as plan
from ansible_collections.tap.multiregion.plugins.module_utils import vpc_teardown
from ansible_collections.tap.multiregion.plugins.module_utils.aurora_network import atoms
from ansible_collections.tap.multiregion.plugins.module_utils.aurora_network import describe_rule
from ansible_collections.tap.multiregion.plugins.module_utils.aurora_network import sort_key
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import update_sentence
from ansible_collections.tap.multiregion.plugins.module_utils.resources import flow_log
from ansible_collections.tap.multiregion.plugins.module_utils.resources import log_group

ANYWHERE = plan.ANYWHERE
# What read_vpc() returns, in order.
VPC_READS = ("subnets", "gateways", "route_tables", "endpoints", "acls", "default_groups", "flow_logs",
             "EnableDnsSupport", "EnableDnsHostnames")


class VpcNetwork(AwsResource):
    SERVICE = "ec2"

    def __init__(self, module):
        super(VpcNetwork, self).__init__(module)
        self.name = self.params["name"]
        self.flow_log = self.params["flow_log"]
        self.ec2 = self.client()

    def validate(self):
        p = self.params
        if p["state"] != "present":
            return
        if not p["cidr_block"]:
            raise self.invalid("cidr_block", None, "a CIDR is required when state is present")
        if p["zone_count"] < 1 and not p["availability_zones"]:
            raise self.invalid("zone_count", p["zone_count"], "at least 1")
        if p["restrict_default_network_acl"] and not p["network_acls"]:
            raise self.invalid("restrict_default_network_acl", True, "false when network_acls is false (the subnets "
                               "would stay on the default network ACL, which then admits nothing)")
        if self.flow_log:
            message = log_group.check_retention(self.flow_log["log_group_name"], self.flow_log["retention_days"])
            if message:
                raise Failure("flow_log: %s" % message)

    # ------------------------------------------------------------------ helpers

    def tags_for(self, name):
        return dict(self.params["tags"] or {}, Name=name)

    def purge(self):
        return bool(self.params["purge_tags"] and self.params["tags"] is not None)

    def tag_spec(self, name, kind):
        return boto3_tag_specifications(self.tags_for(name), [kind])

    def sync(self, label, resource_id, resource, name):
        ec2 = self.ec2
        return self.sync_tags(
            label, boto3_tag_list_to_ansible_dict(resource.get("Tags") or []), self.tags_for(name),
            tag=lambda tags: ec2.create_tags(aws_retry=True, Resources=[resource_id],
                                             Tags=ansible_dict_to_boto3_tag_list(tags)),
            untag=lambda keys: ec2.delete_tags(aws_retry=True, Resources=[resource_id],
                                               Tags=[{"Key": k} for k in keys]),
            purge=self.purge(),
        )

    def describe(self, method, key, what, filters):
        found = self.paginate(what, self.ec2, method, Filters=[{"Name": k, "Values": v} for k, v in filters.items()])
        return found[key]

    def track(self, key, before, after):
        self.before[key], self.after[key] = before, after

    # ------------------------------------------------------------------ reads

    def find_vpc(self):
        vpcs = self.describe("describe_vpcs", "Vpcs", "find VPC %s" % self.name, {"tag:Name": [self.name]})
        if len(vpcs) > 1:
            raise Failure("Found %d VPCs named %s (%s); remove the duplicates before re-running"
                          % (len(vpcs), self.name, ", ".join(v["VpcId"] for v in vpcs)))
        return vpcs[0] if vpcs else None

    def zones(self):
        """The zones to use; fails (before any write) when the region has too few."""
        if self.params["availability_zones"]:
            return list(self.params["availability_zones"])
        found = self.read("describe the availability zones of %s" % self.region, self.ec2.describe_availability_zones,
                          Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
        names = plan.usable_zones(found["AvailabilityZones"])
        message = plan.zone_shortage(self.region, names, self.params["zone_count"])
        if message:
            raise Failure(message)
        return names[: self.params["zone_count"]]

    def vpc_attribute(self, vpc_id, attribute):
        found = self.read("read %s of VPC %s" % (attribute, self.name), self.ec2.describe_vpc_attribute,
                          VpcId=vpc_id, Attribute=attribute[0].lower() + attribute[1:])
        return found[attribute]["Value"]

    def read_vpc(self, vpc_id):
        """Everything the VPC holds that this module manages, one call per kind, all at the same time."""
        if not vpc_id:  # a VPC check mode would create: what AWS gives a new one
            return dict(dict((k, []) for k in VPC_READS), EnableDnsSupport=True, EnableDnsHostnames=False)
        of_vpc, of = {"vpc-id": [vpc_id]}, " of VPC %s" % self.name
        d = self.describe
        found = self.concurrently(
            lambda: d("describe_subnets", "Subnets", "describe the subnets" + of, of_vpc),
            lambda: d("describe_internet_gateways", "InternetGateways", "describe the internet gateway" + of,
                      {"attachment.vpc-id": [vpc_id]}),
            lambda: d("describe_route_tables", "RouteTables", "describe the route tables" + of, of_vpc),
            lambda: d("describe_vpc_endpoints", "VpcEndpoints", "describe the endpoints" + of, of_vpc),
            lambda: d("describe_network_acls", "NetworkAcls", "describe the network ACLs" + of, of_vpc),
            lambda: d("describe_security_groups", "SecurityGroups", "describe the default security group" + of,
                      dict(of_vpc, **{"group-name": ["default"]})),
            lambda: d("describe_flow_logs", "FlowLogs", "describe the flow logs" + of,
                      {"resource-id": [vpc_id]}) if self.flow_log else [],
            lambda: self.vpc_attribute(vpc_id, "EnableDnsSupport"),
            lambda: self.vpc_attribute(vpc_id, "EnableDnsHostnames"),
        )
        return dict((key, found[i]) for i, key in enumerate(VPC_READS))

    # ------------------------------------------------------------------ present

    def present(self):
        p = self.params
        zones, vpc = self.concurrently(self.zones, self.find_vpc)
        if vpc is not None and vpc["CidrBlock"] != p["cidr_block"]:
            raise Failure("VPC %s (%s) has CIDR %s but the inventory declares %s; a VPC's CIDR cannot be changed in "
                          "place" % (self.name, vpc["VpcId"], vpc["CidrBlock"], p["cidr_block"]))
        if vpc is None:
            role = self.flow_log_prerequisites()  # first: IAM propagates the role while the network is built
            vpc_id = self.create_vpc()
            current = self.read_vpc(vpc_id)
        else:
            vpc_id = vpc["VpcId"]
            role, current = self.concurrently(self.flow_log_prerequisites, lambda: self.read_vpc(vpc_id))
            before = dict((a, current[a]) for a in VPC_READS[-2:])
            before.update(cidr_block=vpc["CidrBlock"], tags=boto3_tag_list_to_ansible_dict(vpc.get("Tags") or []))
            tags = self.sync("VPC %s" % self.name, vpc_id, vpc, self.name)
            self.track("vpc", before, {"cidr_block": vpc["CidrBlock"], "tags": tags})
        self.ensure_dns(vpc_id, current)
        layout = plan.subnet_layout(self.name, p["public_subnets"], p["private_subnets"], zones)
        created_subnets = self.ensure_subnets(vpc_id, layout, current["subnets"])
        igw_id = self.ensure_internet_gateway(vpc_id, current["gateways"])
        tables = self.ensure_route_tables(vpc_id, layout, igw_id, current["route_tables"])
        endpoints = self.ensure_gateway_endpoints(vpc_id, tables["private"], current["endpoints"])
        acl_list = current["acls"]
        if created_subnets and not self.check_mode:  # their associations with the default ACL are new
            acl_list = self.describe("describe_network_acls", "NetworkAcls", "describe the network ACLs of VPC %s"
                                     % self.name, {"vpc-id": [vpc_id]})
        acl_ids = self.ensure_network_acls(vpc_id, layout, acl_list) if p["network_acls"] else {}
        if p["restrict_default_network_acl"]:
            self.restrict_default_acl(vpc_id, acl_list)
        if p["restrict_default_security_group"]:
            self.restrict_default_group(vpc_id, current["default_groups"])
        flow_log_id = None
        if self.flow_log:
            flow_log_id, before, after = flow_log.ensure(
                self, vpc_id, self.name, self.flow_log, current["flow_logs"], role,
                self.tags_for("%s-flow-log" % self.name), self.purge())
            self.track("flow_log", before, after)
        facts = dict(
            vpc_id=vpc_id,
            availability_zones=zones,
            public_subnet_ids=[s["id"] for s in layout if s["tier"] == "public"],
            private_subnet_ids=[s["id"] for s in layout if s["tier"] == "private"],
            internet_gateway_id=igw_id,
            public_route_table_id=tables["public"],
            private_route_table_id=tables["private"],
            vpc_endpoint_ids=endpoints,
            network_acl_ids=acl_ids,
            flow_log_id=flow_log_id,
        )
        if role is not None:
            facts["flow_log_role_arn"] = role["arn"]
        return facts

    def create_vpc(self):
        cidr = self.params["cidr_block"]
        self.track("vpc", None, {"cidr_block": cidr, "tags": self.tags_for(self.name)})
        created = self.write("create VPC %s (%s)" % (self.name, cidr), self.ec2.create_vpc, CidrBlock=cidr,
                             TagSpecifications=self.tag_spec(self.name, "vpc"))
        if created is None:
            return None
        vpc_id = created["Vpc"]["VpcId"]

        def available():
            found = self.read("read VPC %s" % self.name, self.ec2.describe_vpcs, VpcIds=[vpc_id],
                              missing="InvalidVpcID.NotFound")
            return found and found["Vpcs"][0].get("State") == "available"

        self.wait_until("VPC %s to be available" % self.name, available, poll=2.0)
        return vpc_id

    def ensure_dns(self, vpc_id, current):
        for attribute in VPC_READS[-2:]:
            if not current[attribute]:
                self.update("VPC %s" % self.name, attribute, False, True, self.ec2.modify_vpc_attribute,
                            VpcId=vpc_id, **{attribute: {"Value": True}})
            self.after["vpc"][attribute] = True

    def ensure_subnets(self, vpc_id, layout, subnets):
        """Creates the missing subnets (their ids go into layout); returns how many were created."""
        by_cidr = dict((s["CidrBlock"], s) for s in subnets)
        before, after, created_count = {}, {}, 0
        for want in layout:
            subnet, label = by_cidr.get(want["cidr"]), "subnet %s" % want["name"]
            after[want["cidr"]] = {"zone": want["zone"], "map_public_ip_on_launch": False}
            if subnet is None:
                created = self.write("create %s (%s in %s)" % (label, want["cidr"], want["zone"]),
                                     self.ec2.create_subnet, VpcId=vpc_id, CidrBlock=want["cidr"],
                                     AvailabilityZone=want["zone"],
                                     TagSpecifications=self.tag_spec(want["name"], "subnet"))
                want["id"] = created["Subnet"]["SubnetId"] if created else None
                created_count += 1
                continue
            want["id"] = subnet["SubnetId"]
            before[want["cidr"]] = {"zone": subnet["AvailabilityZone"],
                                    "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch"))}
            if subnet["AvailabilityZone"] != want["zone"]:
                raise Failure("subnet %s (%s) is in %s but should be in %s; delete it so it can be recreated"
                              % (want["cidr"], subnet["SubnetId"], subnet["AvailabilityZone"], want["zone"]))
            if subnet.get("MapPublicIpOnLaunch"):
                self.update(label, "MapPublicIpOnLaunch", True, False, self.ec2.modify_subnet_attribute,
                            SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": False})
            self.sync(label, subnet["SubnetId"], subnet, want["name"])
        self.track("subnets", before, after)
        return created_count

    def ensure_internet_gateway(self, vpc_id, attached):
        name = "%s-igw" % self.name
        label = "internet gateway %s" % name
        if attached:
            self.sync(label, attached[0]["InternetGatewayId"], attached[0], name)
            self.track("internet_gateway", {"attached": True}, {"attached": True})
            return attached[0]["InternetGatewayId"]
        # An interrupted run may have created the gateway without attaching it.
        named = self.describe("describe_internet_gateways", "InternetGateways", "find %s" % label,
                              {"tag:Name": [name]})
        detached = [g for g in named if not g.get("Attachments")]
        if detached:
            igw_id = detached[0]["InternetGatewayId"]
        else:
            created = self.write("create %s" % label, self.ec2.create_internet_gateway,
                                 TagSpecifications=self.tag_spec(name, "internet-gateway"))
            igw_id = created["InternetGateway"]["InternetGatewayId"] if created else None
        self.update(label, "VPC", None, self.name, self.ec2.attach_internet_gateway, InternetGatewayId=igw_id,
                    VpcId=vpc_id)
        self.track("internet_gateway", {"attached": False} if detached else None, {"attached": True})
        return igw_id

    def ensure_named(self, existing, name, label, create, key, id_key, kind, vpc_id):
        """The route table or network ACL called name: created when missing (a placeholder in check mode)."""
        if existing is None:
            created = self.write("create %s" % label, create, VpcId=vpc_id, TagSpecifications=self.tag_spec(name, kind))
            return created[key] if created else {id_key: None}
        self.sync(label, existing[id_key], existing, name)
        return existing

    def ensure_route_tables(self, vpc_id, layout, igw_id, tables):
        by_name, association_of, names = plan.index_attachments(tables, "RouteTableId", "RouteTableAssociationId")
        ids, before, after = {}, {}, {}
        for tier in ("public", "private"):
            name = "%s-%s" % (self.name, tier)
            label = "route table %s" % name
            table = self.ensure_named(by_name.get(name), name, label, self.ec2.create_route_table, "RouteTable",
                                      "RouteTableId", "route-table", vpc_id)
            table_id = ids[tier] = table["RouteTableId"]
            change = plan.default_route_change(tier, table.get("Routes"), igw_id)
            route_before = change[1] if change else (igw_id if tier == "public" else None)
            if change:
                method, was, target = change
                kwargs = {"GatewayId": target} if target else {}
                self.update(label, "route %s" % ANYWHERE, was, target or ("none" if was else "the new gateway"),
                            getattr(self.ec2, method), RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, **kwargs)
            for subnet in (s for s in layout if s["tier"] == tier):
                current, subnet_label = association_of.get(subnet["id"]), "subnet %s" % subnet["name"]
                if current is None:
                    self.update(subnet_label, "route table", "main", name, self.ec2.associate_route_table,
                                RouteTableId=table_id, SubnetId=subnet["id"])
                elif current[1] != table_id:
                    self.update(subnet_label, "route table", names.get(current[1], current[1]), name,
                                self.ec2.replace_route_table_association,
                                AssociationId=current[0], RouteTableId=table_id)
            before[tier] = {"default_route": route_before} if table_id else None
            after[tier] = {"default_route": igw_id if tier == "public" else None}
        self.track("route_tables", before, after)
        return ids

    def ensure_gateway_endpoints(self, vpc_id, route_table_id, endpoints):
        existing = dict((e["ServiceName"], e) for e in endpoints
                        if e.get("State", "").lower() not in ("deleted", "deleting"))
        ids, before, after = {}, {}, {}
        for item in self.params["gateway_endpoints"]:
            service = item["service"]
            service_name = "com.amazonaws.%s.%s" % (self.region, service)
            name = "%s-%s-endpoint" % (self.name, service)
            label = "gateway endpoint %s" % name
            policy = policies.load_policy(item["policy"]) if item.get("policy") else None
            endpoint = existing.get(service_name)
            if endpoint is None:
                kwargs = dict(VpcEndpointType="Gateway", VpcId=vpc_id, ServiceName=service_name,
                              RouteTableIds=[route_table_id], TagSpecifications=self.tag_spec(name, "vpc-endpoint"))
                if policy is not None:
                    kwargs["PolicyDocument"] = json.dumps(policy)
                created = self.write("create %s (%s)" % (label, service_name), self.ec2.create_vpc_endpoint, **kwargs)
                ids[service] = created["VpcEndpoint"]["VpcEndpointId"] if created else None
                before[service], after[service] = None, {"route_tables": [route_table_id], "policy": policy}
                continue
            ids[service] = endpoint_id = endpoint["VpcEndpointId"]
            current_policy = policies.load_policy(endpoint.get("PolicyDocument"))
            before[service] = {"route_tables": sorted(endpoint.get("RouteTableIds") or []), "policy": current_policy}
            after[service] = {"route_tables": [route_table_id], "policy": policy or current_policy}
            modify, parts = plan.endpoint_modification(endpoint, route_table_id, policy)
            if modify:
                self.write("%s: %s" % (label, ", ".join(parts)), self.ec2.modify_vpc_endpoint,
                           VpcEndpointId=endpoint_id, **modify)
            self.sync(label, endpoint_id, endpoint, name)
        self.track("gateway_endpoints", before, after)
        return ids

    def ensure_network_acls(self, vpc_id, layout, acl_list):
        by_name, association_of, names = plan.index_attachments(acl_list, "NetworkAclId", "NetworkAclAssociationId")
        ids, before, after = {}, {}, {}
        for tier in ("public", "private"):
            name = "%s-%s-nacl" % (self.name, tier)
            label = "network ACL %s" % name
            acl = self.ensure_named(by_name.get(name), name, label, self.ec2.create_network_acl, "NetworkAcl",
                                    "NetworkAclId", "network-acl", vpc_id)
            acl_id = ids[tier] = acl["NetworkAclId"]
            desired = acls.desired_acl_entries(tier, self.params["cidr_block"])
            entries_before = self.converge_entries(label, acl_id, acl.get("Entries"), desired)
            before[tier] = entries_before if name in by_name else None
            after[tier] = [acls.describe_entry(e) for e in desired]
            for subnet in (s for s in layout if s["tier"] == tier):
                current = association_of.get(subnet["id"])
                if current is not None and current[1] != acl_id:
                    self.update("subnet %s" % subnet["name"], "network ACL", names.get(current[1], current[1]), name,
                                self.ec2.replace_network_acl_association, AssociationId=current[0], NetworkAclId=acl_id)
                elif subnet["id"] is None:  # a subnet check mode would create (on the default ACL)
                    self.record(update_sentence("subnet %s" % subnet["name"], "network ACL", "default", name))
        self.track("network_acls", before, after)
        return ids

    def converge_entries(self, label, acl_id, entries, desired):
        """Make the ACL's rules the desired ones; returns the rules before, as sentences name them."""
        for method, what, kwargs in acls.entry_changes(entries, desired):
            self.write("%s: %s" % (label, what), getattr(self.ec2, method), NetworkAclId=acl_id, **kwargs)
        return [acls.describe_entry(e) for e in sorted(entries or [], key=lambda e: (e["Egress"], e["RuleNumber"]))
                if e["RuleNumber"] < acls.DEFAULT_RULE_NUMBER]

    def restrict_default_acl(self, vpc_id, acl_list):
        default = next((a for a in acl_list if a.get("IsDefault")), None)
        if default is None:  # a VPC check mode would create: AWS gives its default ACL rules that admit all
            entries = list(acls.AWS_DEFAULT_ACL_ENTRIES) if vpc_id is None else []
        else:
            entries = default.get("Entries")
        before = self.converge_entries("default network ACL of VPC %s" % self.name,
                                       (default or {}).get("NetworkAclId"), entries, [])
        self.track("default_network_acl", before, [])

    def restrict_default_group(self, vpc_id, groups):
        label = "default security group of VPC %s" % self.name
        if not groups:
            if vpc_id is None:  # what AWS gives a new VPC's default group
                self.record("%s: revoke ingress all traffic from the group itself" % label)
                self.record("%s: revoke egress all traffic %s" % (label, ANYWHERE))
            return
        group = groups[0]
        names = {group["GroupId"]: "default"}
        before = {}
        for direction, key, revoke in (("ingress", "IpPermissions", self.ec2.revoke_security_group_ingress),
                                       ("egress", "IpPermissionsEgress", self.ec2.revoke_security_group_egress)):
            rules = atoms(group.get(key))
            before[direction] = [describe_rule(k, rules[k], names) for k in sorted(rules, key=sort_key)]
            if group.get(key):
                self.write("%s: revoke %s %s" % (label, direction, ", ".join(before[direction])), revoke,
                           GroupId=group["GroupId"], IpPermissions=group[key])
        self.track("default_security_group", before, {"ingress": [], "egress": []})

    def flow_log_prerequisites(self):
        if not self.flow_log:
            return None
        role, before, after = flow_log.ensure_prerequisites(self, self.flow_log, self.tags_for, self.purge())
        self.track("flow_log_prerequisites", before, after)
        return role

    # ------------------------------------------------------------------ absent

    def absent(self):
        vpc = self.find_vpc()
        if vpc is not None:
            vpc_teardown.teardown(self, vpc, self.name, self.params["dependency_timeout"])
        if self.flow_log:
            flow_log.delete_prerequisites(self, self.flow_log)
        self.track("vpc", {"id": vpc["VpcId"], "cidr_block": vpc["CidrBlock"]} if vpc else None, None)
        return {"vpc_id": vpc["VpcId"]} if vpc else {}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        cidr_block=dict(type="str"),
        public_subnets=dict(type="list", elements="str", default=[]),
        private_subnets=dict(type="list", elements="str", default=[]),
        availability_zones=dict(type="list", elements="str"),
        zone_count=dict(type="int", default=3),
        gateway_endpoints=dict(type="list", elements="dict", default=[],
                               options=dict(service=dict(type="str", required=True), policy=dict(type="json"))),
        network_acls=dict(type="bool", default=True),
        restrict_default_network_acl=dict(type="bool", default=True),
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
                partition=dict(type="str", default="aws"),
                traffic_type=dict(type="str", choices=["ALL", "ACCEPT", "REJECT"], default="ALL"),
                max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
                log_format=dict(type="str"),
            ),
        ),
        wait_timeout=dict(type="int", default=300),
        dependency_timeout=dict(type="int", default=2700),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    VpcNetwork.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()

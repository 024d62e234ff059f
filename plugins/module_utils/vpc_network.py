# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Desired-versus-current planners of the vpc_network module: pure functions, no AWS call.

They take what EC2 describes (dicts as boto3 returns them) and the declared state, and return what has
to change, so the module only reads, calls and records.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import show

ANYWHERE = "0.0.0.0/0"
# The record format AWS uses when CreateFlowLogs gets no LogFormat (VPC User Guide, "Flow log records").
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
# DescribeFlowLogs' DeliverLogsErrorMessage when the flow-logs service cannot use the delivery role
# (EC2 API Reference, FlowLog): "the IAM role associated with the flow log does not have sufficient
# permissions to publish to CloudWatch Logs". A new role that has not propagated yet gives the same.
ACCESS_ERROR = "Access error"
# The flow-log attributes this module sets, as (DescribeFlowLogs key, name in change sentences).
FLOW_LOG_ATTRIBUTES = (
    ("LogGroupName", "log group"),
    ("DeliverLogsPermissionArn", "delivery role"),
    ("TrafficType", "traffic type"),
    ("MaxAggregationInterval", "max aggregation interval"),
    ("LogFormat", "log format"),
)


def name_of(resource):
    """The Name tag of an EC2 resource (None without one)."""
    return boto3_tag_list_to_ansible_dict(resource.get("Tags") or []).get("Name")


def usable_zones(zones):
    """Names of the available availability zones (not local or wavelength zones) of a
    DescribeAvailabilityZones answer, in name order."""
    return sorted(
        z["ZoneName"]
        for z in zones
        if z.get("State") == "available" and z.get("ZoneType", "availability-zone") == "availability-zone"
    )


def zone_shortage(region, names, count):
    """The failure message when the region has fewer usable zones than count (None: enough)."""
    if len(names) >= count:
        return None
    return "region %s has %d available availability zone%s (%s); the network needs %d (zone_count)" % (
        region, len(names), "" if len(names) == 1 else "s", ", ".join(names) or "none", count)


def subnet_layout(name, public, private, zones):
    """The declared subnets: tier, CIDR, zone (round-robin over zones, in order) and Name tag."""
    layout = []
    for tier, cidrs in (("public", public), ("private", private)):
        for index, cidr in enumerate(cidrs):
            zone = zones[index % len(zones)]
            layout.append({"tier": tier, "cidr": cidr, "zone": zone, "name": "%s-%s-%s" % (name, tier, zone)})
    return layout


def index_attachments(resources, id_key, association_key):
    """Route tables or network ACLs: (by Name tag, subnet id -> (association id, resource id), resource id ->
    how sentences name it: its Name tag, "default" for the VPC's default ACL, else its id)."""
    by_name = dict((name_of(r), r) for r in resources if name_of(r))
    association_of, names = {}, {}
    for resource in resources:
        names[resource[id_key]] = "default" if resource.get("IsDefault") else name_of(resource) or resource[id_key]
        for association in resource.get("Associations") or []:
            if association.get("SubnetId"):  # a route table's main association has none
                association_of[association["SubnetId"]] = (association[association_key], resource[id_key])
    return by_name, association_of, names


def default_route_change(tier, routes, igw_id):
    """(method, before, after) that makes the 0.0.0.0/0 route of a tier's route table right, or None.

    Public: the route goes to the internet gateway. Private: there is no such route.
    """
    route = next((r for r in routes or [] if r.get("DestinationCidrBlock") == ANYWHERE), None)
    target = None if route is None else (route.get("GatewayId") or route.get("NatGatewayId")
                                         or route.get("NetworkInterfaceId") or "another target")
    if tier == "public":
        if route is None:
            return "create_route", None, igw_id
        if route.get("GatewayId") != igw_id:
            return "replace_route", target, igw_id
        return None
    return ("delete_route", target, None) if route is not None else None


def endpoint_modification(endpoint, route_table_id, policy):
    """(ModifyVpcEndpoint arguments, what they change as sentence parts) that put a gateway endpoint on the
    one route table with the policy (None: leave the policy); ({}, []) when it is right."""
    current = set(endpoint.get("RouteTableIds") or ())
    modify, parts = {}, []
    if current != {route_table_id}:
        if route_table_id not in current:
            modify["AddRouteTableIds"] = [route_table_id]
        if current - {route_table_id}:
            modify["RemoveRouteTableIds"] = sorted(current - {route_table_id})
        parts.append("route tables %s -> %s" % (show(sorted(current)), show([route_table_id])))
    current_policy = policies.load_policy(endpoint.get("PolicyDocument"))
    if policy is not None and not policies.policies_equal(current_policy, policy):
        modify["PolicyDocument"] = json.dumps(policy)
        parts.append("policy statements %s" % policies.statement_differences(current_policy, policy))
    return modify, parts


def flow_log_view(flow_log):
    """The attributes we set, as DescribeFlowLogs reports them (the log group by name)."""
    view = dict((key, flow_log.get(key)) for key, _label in FLOW_LOG_ATTRIBUTES)
    if not view["LogGroupName"] and ":log-group:" in (flow_log.get("LogDestination") or ""):
        view["LogGroupName"] = flow_log["LogDestination"].split(":log-group:", 1)[1].rstrip("*").rstrip(":")
    return view


def flow_log_differences(current, desired):
    """[(label, before, after)] of every attribute we set that differs (desired: flow_log_view shape)."""
    have = flow_log_view(current)
    return [(label, have[key], desired[key]) for key, label in FLOW_LOG_ATTRIBUTES if have[key] != desired[key]]


def is_our_flow_log(flow_log, name, log_group_name):
    """A flow log of the VPC that this module manages: named by it, or delivering to its log group."""
    return name_of(flow_log) == name or flow_log_view(flow_log)["LogGroupName"] == log_group_name


def delivery_refused(flow_log):
    """Whether the flow-logs service failed to deliver with the role (recreating the flow log helps once the
    role is usable; AWS does not retry a flow log that failed so)."""
    return flow_log.get("DeliverLogsStatus") == "FAILED" and ACCESS_ERROR.lower() in (
        flow_log.get("DeliverLogsErrorMessage") or "").lower()


def deletion_order(groups):
    """Security groups in an order AWS accepts their deletion: a group that other groups' rules reference
    comes after them. Returns (ordered groups, {group id: permissions to revoke first}) where the
    permissions break a cycle of references (each group of the cycle loses its rules naming the others)."""
    ids = set(g["GroupId"] for g in groups)

    def referenced(group):
        return set(pair.get("GroupId") for direction in ("IpPermissions", "IpPermissionsEgress")
                   for permission in group.get(direction) or [] for pair in permission.get("UserIdGroupPairs") or []
                   ) & (ids - {group["GroupId"]})

    references = dict((g["GroupId"], referenced(g)) for g in groups)
    ordered, left = [], list(groups)
    while left:
        free = [g for g in left if not any(g["GroupId"] in references[o["GroupId"]] for o in left if o is not g)]
        if not free:
            break
        ordered += free
        left = [g for g in left if g not in free]
    revoke = {}
    for group in left:  # a cycle: strip the rules that name other groups of it
        for direction in ("IpPermissions", "IpPermissionsEgress"):
            naming = [p for p in group.get(direction) or []
                      if any(pair.get("GroupId") in ids for pair in p.get("UserIdGroupPairs") or [])]
            if naming:
                revoke.setdefault(group["GroupId"], {})[direction] = naming
    return ordered + left, revoke

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Deleting a VPC and everything in it, in the order AWS accepts (vpc_network with state=absent).

Everything is read once by the VPC's id (at the same time), then deleted: flow logs, gateway endpoints,
internet gateway (also one left detached by an interrupted run), route tables, network ACLs, subnets,
security groups (a group other groups' rules name after them), the VPC. What AWS refuses while network
interfaces still hold it (DependencyViolation: Lambda keeps a deleted function's interfaces 20 to 40
minutes) is retried until the timeout (teardown.delete_when_released). Only what exists is deleted, so
a re-run after an interrupted teardown deletes what is left and nothing twice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.module_utils import vpc_network as plan
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import update_sentence
from ansible_collections.tap.multiregion.plugins.module_utils.teardown import delete_when_released

GONE = ("deleted", "deleting")


def label(kind, resource, id_key):
    """'subnet tap-dev-us-east-1-public-us-east-1a (subnet-0123)', or 'subnet subnet-0123' without a Name tag."""
    name = plan.name_of(resource)
    return "%s %s (%s)" % (kind, name, resource[id_key]) if name else "%s %s" % (kind, resource[id_key])


def read(owner, vpc_id, vpc_name):
    """What the VPC holds: one call per kind, all at the same time."""
    ec2 = owner.client("ec2")

    def describe(method, key, what, filters):
        return owner.paginate(what + " of VPC %s" % vpc_name, ec2, method,
                              Filters=[{"Name": k, "Values": v} for k, v in filters.items()])[key]

    of_vpc = {"vpc-id": [vpc_id]}
    found = owner.concurrently(
        lambda: describe("describe_flow_logs", "FlowLogs", "describe the flow logs", {"resource-id": [vpc_id]}),
        lambda: describe("describe_vpc_endpoints", "VpcEndpoints", "describe the endpoints", of_vpc),
        lambda: describe("describe_internet_gateways", "InternetGateways", "describe the internet gateways",
                         {"attachment.vpc-id": [vpc_id]}),
        lambda: describe("describe_internet_gateways", "InternetGateways", "find the detached internet gateway",
                         {"tag:Name": ["%s-igw" % vpc_name]}),
        lambda: describe("describe_route_tables", "RouteTables", "describe the route tables", of_vpc),
        lambda: describe("describe_network_acls", "NetworkAcls", "describe the network ACLs", of_vpc),
        lambda: describe("describe_subnets", "Subnets", "describe the subnets", of_vpc),
        lambda: describe("describe_security_groups", "SecurityGroups", "describe the security groups", of_vpc),
    )
    keys = ("flow_logs", "endpoints", "attached_gateways", "named_gateways", "route_tables", "acls", "subnets",
            "security_groups")
    return dict((key, found[i]) for i, key in enumerate(keys))


def teardown(owner, vpc, vpc_name, timeout):
    """Delete the VPC and what it holds; timeout: seconds a DependencyViolation is retried."""
    ec2, vpc_id = owner.client("ec2"), vpc["VpcId"]
    found = read(owner, vpc_id, vpc_name)
    subnet_names = dict((s["SubnetId"], label("subnet", s, "SubnetId")) for s in found["subnets"])
    for flow_log in found["flow_logs"]:
        owner.write("delete %s" % label("flow log", flow_log, "FlowLogId"), ec2.delete_flow_logs,
                    FlowLogIds=[flow_log["FlowLogId"]])
    delete_endpoints(owner, [e for e in found["endpoints"] if e.get("State", "").lower() not in GONE], vpc_name)
    gateways = dict((g["InternetGatewayId"], g) for g in found["named_gateways"] + found["attached_gateways"])
    for igw in gateways.values():
        igw_label = label("internet gateway", igw, "InternetGatewayId")
        vpcs = [a.get("VpcId") for a in igw.get("Attachments") or []]
        if vpc_id in vpcs:
            delete_when_released(owner, update_sentence(igw_label, "VPC", vpc_name, None), ec2.detach_internet_gateway,
                                 timeout, ("vpc-id", vpc_id), ignore="Gateway.NotAttached",
                                 InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
        if set(vpcs) <= {vpc_id}:  # not attached to another VPC
            delete_when_released(owner, "delete %s" % igw_label, ec2.delete_internet_gateway, timeout,
                                 ignore="InvalidInternetGatewayID.NotFound", InternetGatewayId=igw["InternetGatewayId"])
    for table in found["route_tables"]:
        if any(a.get("Main") for a in table.get("Associations") or []):
            continue  # the main route table goes with the VPC
        for association in table.get("Associations") or []:
            subnet = association.get("SubnetId")
            owner.update(subnet_names.get(subnet, "subnet %s" % subnet), "route table",
                         plan.name_of(table) or table["RouteTableId"], "main", ec2.disassociate_route_table,
                         AssociationId=association["RouteTableAssociationId"], ignore="InvalidAssociationID.NotFound")
        delete_when_released(owner, "delete %s" % label("route table", table, "RouteTableId"), ec2.delete_route_table,
                             timeout, ignore="InvalidRouteTableID.NotFound", RouteTableId=table["RouteTableId"])
    default_acl = next((a["NetworkAclId"] for a in found["acls"] if a.get("IsDefault")), None)
    for acl in (a for a in found["acls"] if not a.get("IsDefault")):
        for association in acl.get("Associations") or []:
            subnet = association["SubnetId"]
            owner.update(subnet_names.get(subnet, "subnet %s" % subnet), "network ACL",
                         plan.name_of(acl) or acl["NetworkAclId"], "default", ec2.replace_network_acl_association,
                         AssociationId=association["NetworkAclAssociationId"], NetworkAclId=default_acl)
        delete_when_released(owner, "delete %s" % label("network ACL", acl, "NetworkAclId"), ec2.delete_network_acl,
                             timeout, ignore="InvalidNetworkAclID.NotFound", NetworkAclId=acl["NetworkAclId"])
    for subnet in found["subnets"]:
        delete_when_released(owner, "delete %s" % subnet_names[subnet["SubnetId"]], ec2.delete_subnet, timeout,
                             ("subnet-id", subnet["SubnetId"]), ignore="InvalidSubnetID.NotFound",
                             SubnetId=subnet["SubnetId"])
    delete_security_groups(owner, [g for g in found["security_groups"] if g["GroupName"] != "default"], timeout)
    delete_when_released(owner, "delete VPC %s (%s)" % (vpc_name, vpc_id), ec2.delete_vpc, timeout,
                         ("vpc-id", vpc_id), ignore="InvalidVpcID.NotFound", VpcId=vpc_id)


def delete_endpoints(owner, endpoints, vpc_name):
    if not endpoints:
        return
    deleted = owner.write("delete %s" % ", ".join(label("gateway endpoint", e, "VpcEndpointId") for e in endpoints),
                          owner.client("ec2").delete_vpc_endpoints,
                          VpcEndpointIds=[e["VpcEndpointId"] for e in endpoints])
    refused = [item for item in (deleted or {}).get("Unsuccessful") or []
               if (item.get("Error") or {}).get("Code") != "InvalidVpcEndpoint.NotFound"]
    if refused:
        raise Failure("delete the gateway endpoints of VPC %s: AWS refused %s" % (vpc_name, ", ".join(
            "%s (%s: %s)" % (i.get("ResourceId"), i["Error"].get("Code"), i["Error"].get("Message")) for i in refused)))


def delete_security_groups(owner, groups, timeout):
    """Delete the groups, a group that other groups' rules name after them (rules of a cycle revoked first)."""
    ec2 = owner.client("ec2")
    ordered, revoke = plan.deletion_order(groups)
    for group in ordered:
        group_label = "security group %s (%s)" % (group["GroupName"], group["GroupId"])
        for key, call in (("IpPermissions", ec2.revoke_security_group_ingress),
                          ("IpPermissionsEgress", ec2.revoke_security_group_egress)):
            if revoke.get(group["GroupId"], {}).get(key):
                owner.write("%s: revoke the rules naming other groups of the VPC" % group_label, call,
                            GroupId=group["GroupId"], IpPermissions=revoke[group["GroupId"]][key])
        delete_when_released(owner, "delete %s" % group_label, ec2.delete_security_group, timeout,
                             ("group-id", group["GroupId"]), ignore="InvalidGroup.NotFound", GroupId=group["GroupId"])

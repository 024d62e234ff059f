# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Network math shared by the cidr_validate module and the subnet filters.

Pure functions over the standard library's ipaddress: no AWS call, no Ansible import,
so the same code is unit tested directly and runs inside modules and filters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# Third-octet positions of the derived /24 subnets inside a region's VPC CIDR.
PUBLIC_SUBNET_INDEXES = (0, 1, 2)
PRIVATE_SUBNET_INDEXES = (10, 11, 12)
SUBNET_PREFIX_LENGTH = 24


class NetworkPolicyError(ValueError):
    """A CIDR violates the network policy; the message names region, field and value."""


def parse_vpc_cidr(region, cidr, prefix_length):
    """Return the IPv4Network for a region's VPC CIDR or raise NetworkPolicyError.

    The prefix policy is checked separately, so that a network of the wrong size still takes
    part in the overlap check and every problem is reported in one run.
    """
    field = "hostvars[%s].vpc_cidr" % region
    if not isinstance(cidr, str) or not cidr.strip():
        raise NetworkPolicyError(
            "%s: %r is not a CIDR string; expected an IPv4 network such as 10.0.0.0/16" % (field, cidr)
        )
    text = cidr.strip()
    if "/" not in text:
        raise NetworkPolicyError(
            "%s: %r has no prefix length; expected an IPv4 network such as 10.0.0.0/%d" % (field, cidr, prefix_length)
        )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise NetworkPolicyError(
            "%s: %r is not a valid IPv4 network; expected e.g. 10.0.0.0/%d" % (field, cidr, prefix_length)
        )
    if network.version != 4:
        raise NetworkPolicyError(
            "%s: %r is IPv6; only IPv4 VPC CIDRs are allowed (e.g. 10.0.0.0/%d)" % (field, cidr, prefix_length)
        )
    if str(network) != text:
        raise NetworkPolicyError("%s: %r has host bits set; the network address is %s" % (field, cidr, network))
    return network


def check_prefix_length(region, network, prefix_length):
    """Message when a valid network has another prefix length than the policy allows, else None."""
    if network.prefixlen == prefix_length:
        return None
    return "hostvars[%s].vpc_cidr: '%s' has prefix length /%d; the policy allows /%d only" % (
        region,
        network,
        network.prefixlen,
        prefix_length,
    )


def derive_subnets(cidr, indexes=PUBLIC_SUBNET_INDEXES, new_prefix=SUBNET_PREFIX_LENGTH):
    """The /24 subnets at the given positions inside cidr, as strings, checked to lie inside it."""
    network = ipaddress.ip_network(cidr)
    if new_prefix < network.prefixlen:
        raise NetworkPolicyError("subnet prefix /%d is larger than the VPC %s" % (new_prefix, network))
    size = 2 ** (32 - new_prefix)
    count = 2 ** (new_prefix - network.prefixlen)
    subnets = []
    for index in indexes:
        if not 0 <= index < count:
            raise NetworkPolicyError(
                "subnet #%d (/%d) does not fit inside VPC %s, which holds %d such subnets"
                % (index, new_prefix, network, count)
            )
        subnet = ipaddress.ip_network((int(network.network_address) + index * size, new_prefix))
        subnets.append(str(subnet))
    return subnets


def find_overlaps(networks):
    """Every overlapping pair of (region, IPv4Network), containment and duplicates included."""
    items = sorted(networks.items(), key=lambda item: (int(item[1].network_address), item[0]))
    overlaps = []
    for i, (region_a, net_a) in enumerate(items):
        for region_b, net_b in items[i + 1 :]:
            if int(net_b.network_address) > int(net_a.broadcast_address):
                break  # sorted by start: nothing later can overlap net_a
            overlaps.append((region_a, net_a, region_b, net_b))
    return overlaps


def validate_regions(region_cidrs, prefix_length=16):
    """Check every region's CIDR; return (plan, errors).

    plan maps region -> {vpc_cidr, public_subnets, private_subnets}; errors is a list of
    messages, each naming the region(s), the field and the value.
    """
    errors = []
    networks = {}
    for region in sorted(region_cidrs):
        try:
            networks[region] = parse_vpc_cidr(region, region_cidrs[region], prefix_length)
        except NetworkPolicyError as exc:
            errors.append(str(exc))
    for region in sorted(networks):
        message = check_prefix_length(region, networks[region], prefix_length)
        if message:
            errors.append(message)
    for region_a, net_a, region_b, net_b in find_overlaps(networks):
        kind = "is the same network as" if net_a == net_b else "overlaps"
        errors.append(
            "vpc_cidr of %s (%s) %s vpc_cidr of %s (%s); every region needs its own non-overlapping network"
            % (region_a, net_a, kind, region_b, net_b)
        )
    plan = {}
    if errors:
        return plan, errors
    for region, network in networks.items():
        try:
            plan[region] = {
                "vpc_cidr": str(network),
                "public_subnets": derive_subnets(str(network), PUBLIC_SUBNET_INDEXES),
                "private_subnets": derive_subnets(str(network), PRIVATE_SUBNET_INDEXES),
            }
        except NetworkPolicyError as exc:
            errors.append("%s: %s" % (region, exc))
    return plan, errors

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Security group rules as comparable atoms, for the aurora_network module.

EC2 describes a group's rules as IpPermissions: one entry per protocol and port range, each with lists of
sources (IPv4 and IPv6 ranges, security groups, prefix lists). Comparing those lists directly depends on
how the rules were added, so every permission is flattened into atoms, one per source:
(protocol, from_port, to_port, kind, source) with the source's description beside it.
Pure functions: no AWS call, no Ansible import.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Where each kind of source lives in an IpPermission and which key names it.
SOURCE_KINDS = (
    ("cidr", "IpRanges", "CidrIp"),
    ("cidr6", "Ipv6Ranges", "CidrIpv6"),
    ("group", "UserIdGroupPairs", "GroupId"),
    ("prefix_list", "PrefixListIds", "PrefixListId"),
)
ALL_PROTOCOLS = "-1"
# The egress rule EC2 gives every new security group in a VPC.
DEFAULT_EGRESS = {("-1", None, None, "cidr", "0.0.0.0/0"): None}
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp"}


def rule_key(protocol, from_port, to_port, kind, source):
    protocol = PROTOCOL_NAMES.get(str(protocol), str(protocol).lower())
    if protocol == ALL_PROTOCOLS:
        from_port = to_port = None
    return (protocol, from_port, to_port, kind, source)


def atoms(permissions):
    """IpPermissions -> {(protocol, from_port, to_port, kind, source): description or None}."""
    out = {}
    for permission in permissions or []:
        for kind, list_key, source_key in SOURCE_KINDS:
            for source in permission.get(list_key) or []:
                key = rule_key(
                    permission.get("IpProtocol"),
                    permission.get("FromPort"),
                    permission.get("ToPort"),
                    kind,
                    source.get(source_key),
                )
                out[key] = source.get("Description") or None
    return out


def permissions(rules, with_descriptions=True):
    """{key: description} -> IpPermissions, one entry per source (accepted by authorize, revoke and
    update-descriptions alike)."""
    out = []
    for key in sorted(rules, key=sort_key):
        protocol, from_port, to_port, kind, source = key
        list_key, source_key = next((lk, sk) for k, lk, sk in SOURCE_KINDS if k == kind)
        entry = {source_key: source}
        if with_descriptions and rules[key]:
            entry["Description"] = rules[key]
        permission = {"IpProtocol": protocol, list_key: [entry]}
        if from_port is not None:
            permission["FromPort"] = from_port
        if to_port is not None:
            permission["ToPort"] = to_port
        out.append(permission)
    return out


def rule_changes(current, desired):
    """(to_revoke, to_authorize, to_describe): each {key: description}; to_describe are rules that exist
    and differ only in their description."""
    to_revoke = {k: v for k, v in current.items() if k not in desired}
    to_authorize = {k: v for k, v in desired.items() if k not in current}
    to_describe = {k: v for k, v in desired.items() if k in current and (current[k] or None) != (v or None)}
    return to_revoke, to_authorize, to_describe


def describe_rule(key, description=None, names=None):
    """A readable rule, e.g. 'tcp 3306 from sg-0123 (tap-app-dev)'; names maps group ids to names."""
    protocol, from_port, to_port, kind, source = key
    if protocol == ALL_PROTOCOLS:
        ports = "all traffic"
    elif from_port == to_port:
        ports = "%s %s" % (protocol, from_port)
    else:
        ports = "%s %s-%s" % (protocol, from_port, to_port)
    if source is None:  # check mode: a group that would be created
        label = "the new group %s" % ((names or {}).get(None) or "")
    elif kind == "group" and names and names.get(source):
        label = "%s (%s)" % (source, names[source])
    else:
        label = source
    text = "%s %s" % (ports, label)
    return "%s: %s" % (text, description) if description else text


def rule_view(rules):
    """{key: description} -> a sorted list of dicts for diff and return values."""
    return [
        {
            "protocol": key[0],
            "from_port": key[1],
            "to_port": key[2],
            "source_type": key[3],
            "source": key[4],
            "description": rules[key],
        }
        for key in sorted(rules, key=sort_key)
    ]


def sort_key(key):
    return tuple("" if part is None else str(part) for part in key)

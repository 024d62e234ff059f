# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Network ACL rules of the security baseline, and the diff against what EC2 reports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ANYWHERE = "0.0.0.0/0"
TCP = "6"
ALL = "-1"
EPHEMERAL = (1024, 65535)
# EC2's implicit catch-all deny; it cannot be changed and is never compared.
DEFAULT_RULE_NUMBER = 32767


def _entry(number, egress, action, cidr, protocol=ALL, ports=None):
    entry = dict(RuleNumber=number, Egress=egress, RuleAction=action, CidrBlock=cidr, Protocol=protocol)
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def desired_acl_entries(tier, vpc_cidr):
    """Rules for the public or private subnets of a VPC.

    SSH and RDP are denied from anywhere before anything is allowed. NACLs are stateless, so
    return traffic needs the ephemeral port range: private subnets reach S3 and DynamoDB through
    gateway endpoints, whose answers come from the services' public addresses.
    """
    entries = [
        _entry(50, False, "deny", ANYWHERE, TCP, (22, 22)),
        _entry(51, False, "deny", ANYWHERE, TCP, (3389, 3389)),
    ]
    if tier == "public":
        entries += [
            _entry(100, False, "allow", ANYWHERE, TCP, (443, 443)),
            _entry(110, False, "allow", ANYWHERE, TCP, (80, 80)),
            _entry(120, False, "allow", vpc_cidr),
            _entry(130, False, "allow", ANYWHERE, TCP, EPHEMERAL),
            _entry(100, True, "allow", ANYWHERE),
        ]
    else:
        entries += [
            _entry(100, False, "allow", vpc_cidr),
            _entry(110, False, "allow", ANYWHERE, TCP, EPHEMERAL),
            _entry(100, True, "allow", vpc_cidr),
            _entry(110, True, "allow", ANYWHERE, TCP, (443, 443)),
        ]
    return entries


def _normalize(entry):
    ports = entry.get("PortRange")
    protocol = str(entry.get("Protocol"))
    return (
        entry.get("RuleAction"),
        entry.get("CidrBlock"),
        protocol,
        (int(ports["From"]), int(ports["To"])) if ports and protocol != ALL else None,
    )


def diff_acl_entries(current, desired):
    """Return (to_delete, to_create, to_replace) turning current entries into desired ones."""
    current_by_key = {
        (e["RuleNumber"], bool(e["Egress"])): e for e in current if e["RuleNumber"] != DEFAULT_RULE_NUMBER
    }
    desired_by_key = {(e["RuleNumber"], e["Egress"]): e for e in desired}
    to_delete = [current_by_key[k] for k in sorted(current_by_key) if k not in desired_by_key]
    to_create = [desired_by_key[k] for k in sorted(desired_by_key) if k not in current_by_key]
    to_replace = [
        desired_by_key[k]
        for k in sorted(desired_by_key)
        if k in current_by_key and _normalize(current_by_key[k]) != _normalize(desired_by_key[k])
    ]
    return to_delete, to_create, to_replace

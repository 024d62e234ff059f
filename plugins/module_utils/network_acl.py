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
# EC2's implicit catch-all deny (32767, and 32768 for IPv6); rules from here on cannot be changed and are
# never compared (the numbers a rule can have end at 32766).
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
        (e["RuleNumber"], bool(e["Egress"])): e for e in current if e["RuleNumber"] < DEFAULT_RULE_NUMBER
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


def rule_label(entry):
    """'rule 100 ingress': what names a rule in a network ACL."""
    return "rule %d %s" % (entry["RuleNumber"], "egress" if entry["Egress"] else "ingress")


def rule_effect(entry):
    """'allow tcp 443 0.0.0.0/0': what a rule does."""
    protocol = str(entry.get("Protocol"))
    ports = entry.get("PortRange")
    if protocol == ALL:
        what = "all"
    else:
        what = {TCP: "tcp", "17": "udp", "1": "icmp"}.get(protocol, "protocol %s" % protocol)
        if ports:
            low, high = int(ports["From"]), int(ports["To"])
            what += " %d" % low if low == high else " %d-%d" % (low, high)
    return "%s %s %s" % (entry.get("RuleAction"), what, entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"))


def describe_entry(entry):
    """A rule as change sentences name it: 'rule 100 ingress allow tcp 443 0.0.0.0/0'."""
    return "%s %s" % (rule_label(entry), rule_effect(entry))


# The rules AWS gives the default network ACL of a new VPC (besides the fixed deny-all).
AWS_DEFAULT_ACL_ENTRIES = (
    _entry(100, False, "allow", ANYWHERE),
    _entry(100, True, "allow", ANYWHERE),
)


def entry_changes(current, desired):
    """The calls that turn an ACL's rules into the desired ones: [(EC2 method, what it does, arguments)].

    What it does reads 'remove rule 100 ingress allow all 0.0.0.0/0', 'add rule ...', or for a rule that
    changes 'rule 120 ingress allow all 10.0.0.0/16 -> allow all 0.0.0.0/0'. The fixed deny-all is ignored.
    With desired=[] (the default ACL, which must admit nothing) every rule is removed.
    """
    current = [e for e in current or [] if e["RuleNumber"] < DEFAULT_RULE_NUMBER]
    by_key = dict(((e["RuleNumber"], bool(e["Egress"])), e) for e in current)
    to_delete, to_create, to_replace = diff_acl_entries(current, desired)
    calls = [("delete_network_acl_entry", "remove %s" % describe_entry(e),
              {"RuleNumber": e["RuleNumber"], "Egress": bool(e["Egress"])}) for e in to_delete]
    calls += [("create_network_acl_entry", "add %s" % describe_entry(e), e) for e in to_create]
    calls += [("replace_network_acl_entry", "%s %s -> %s" % (
        rule_label(e), rule_effect(by_key[(e["RuleNumber"], e["Egress"])]), rule_effect(e)), e) for e in to_replace]
    return calls

"""CIDR policy: real network math, every violation named with region, field and value."""

import pytest
from ansible_collections.tap.multiregion.plugins.module_utils.network import derive_subnets, validate_regions


def errors_for(regions, prefix_length=16):
    return validate_regions(regions, prefix_length)[1]


def test_default_regions_pass_with_derived_subnets():
    plan, errors = validate_regions(
        {"us-east-1": "10.0.0.0/16", "us-east-2": "10.1.0.0/16", "eu-west-1": "10.2.0.0/16"}
    )
    assert errors == []
    assert plan["us-east-2"]["public_subnets"] == ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"]
    assert plan["us-east-2"]["private_subnets"] == ["10.1.10.0/24", "10.1.11.0/24", "10.1.12.0/24"]


def test_containment_is_an_overlap():
    errors = errors_for({"us-east-1": "10.0.0.0/8", "us-east-2": "10.1.0.0/16"}, prefix_length=8)
    assert [e for e in errors if "overlaps" in e] == [
        "vpc_cidr of us-east-1 (10.0.0.0/8) overlaps vpc_cidr of us-east-2 (10.1.0.0/16); "
        "every region needs its own non-overlapping network"
    ]


def test_containment_is_reported_even_when_the_prefix_is_also_wrong():
    errors = errors_for({"us-east-1": "10.0.0.0/8", "us-east-2": "10.1.0.0/16"})
    assert any("prefix length /8" in e and "us-east-1" in e for e in errors)
    assert any("overlaps" in e and "10.0.0.0/8" in e and "10.1.0.0/16" in e for e in errors)


def test_same_second_octet_in_other_networks_does_not_overlap():
    assert errors_for({"us-east-1": "10.1.0.0/16", "us-east-2": "172.1.0.0/16"}) == []


def test_duplicate_cidrs_fail_naming_both_regions():
    errors = errors_for({"us-east-1": "10.0.0.0/16", "eu-west-1": "10.0.0.0/16"})
    assert len(errors) == 1
    assert "eu-west-1" in errors[0] and "us-east-1" in errors[0] and "same network" in errors[0]


def test_partial_overlap_between_non_adjacent_sorted_entries():
    errors = errors_for({"a": "10.0.0.0/15", "b": "10.1.0.0/16", "c": "10.0.0.0/16"}, prefix_length=15)
    joined = " ".join(errors)
    assert "vpc_cidr of a (10.0.0.0/15)" in joined and "b (10.1.0.0/16)" in joined and "c (10.0.0.0/16)" in joined


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("10.0.0.1/16", "host bits set; the network address is 10.0.0.0/16"),
        ("2001:db8::/32", "is IPv6"),
        ("10.0.0/16", "not a valid IPv4 network"),
        ("banana", "has no prefix length"),
        ("10.0.0.0/33", "not a valid IPv4 network"),
        ("300.0.0.0/16", "not a valid IPv4 network"),
        ("", "not a CIDR string"),
        (None, "not a CIDR string"),
        ("10.0.0.0/24", "prefix length /24; the policy allows /16 only"),
    ],
)
def test_bad_cidrs_are_named(cidr, expected):
    errors = errors_for({"us-east-1": cidr})
    assert len(errors) == 1
    assert "hostvars[us-east-1].vpc_cidr" in errors[0]
    assert expected in errors[0]


def test_subnets_must_fit_inside_the_vpc():
    assert derive_subnets("10.5.0.0/16", (10, 11, 12)) == ["10.5.10.0/24", "10.5.11.0/24", "10.5.12.0/24"]
    errors = validate_regions({"us-east-1": "10.0.0.0/22"}, prefix_length=22)[1]
    assert any("does not fit inside VPC 10.0.0.0/22" in e for e in errors)

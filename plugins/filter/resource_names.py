# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: resource_names
short_description: The names of a region's resources, from the name patterns declared once
version_added: 0.2.0
description:
  - Fills the fields C({env}), C({region}) and C({suffix}) of every pattern (Python format syntax) and returns the
    names by key. The settings role declares the patterns once (C(tap_name_patterns)); every role reads a name
    from the result for its own region, or for another region (the primary's bucket, a replication partner's).
positional: environment, region, suffix
options:
  _input:
    description: Name patterns by key.
    type: dict
    required: true
  environment:
    description: The environment.
    type: str
    required: true
  region:
    description: The region.
    type: str
    required: true
  suffix:
    description:
      - What makes global names (S3 buckets) unique to the account, usually its id.
      - When it is null (the account is not known yet), the names that need it are left out of the result, so
        using one fails instead of naming a resource wrongly.
    type: str
"""

EXAMPLES = r"""
primary_bucket: >-
  {{ (tap_name_patterns | tap.multiregion.resource_names(tap_environment, 'us-east-1', tap_account_id)).data_bucket }}
# => tap-data-dev-us-east-1-123456789012
"""

RETURN = r"""
_value:
  description: The names by key.
  type: dict
"""

from ansible.errors import AnsibleFilterError


def resource_names(patterns, environment, region, suffix=None):
    try:
        return dict(
            (key, str(pattern).format(env=environment, region=region, suffix=suffix))
            for key, pattern in patterns.items()
            if suffix is not None or "{suffix}" not in str(pattern)
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise AnsibleFilterError(
            "resource_names: a name pattern uses an unknown field (%s); patterns may use {env}, {region} and "
            "{suffix}" % exc
        )


class FilterModule(object):
    def filters(self):
        return {"resource_names": resource_names}

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_service_role
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage an IAM role for an AWS service with its trust policy, managed policies and one inline policy
version_added: 0.1.0
description:
  - Manages, in one invocation, an IAM role that an AWS service assumes (for example a Lambda execution role).
  - That is the role (path, description, maximum session duration, tags), its trust policy, the AWS or customer
    managed policies attached to it and one inline policy.
  - Reads the role, its attachments and its inline policies once, compares policies as documents (IAM returns them
    URL-encoded, in any order), and calls only what differs. A run with nothing to change makes no write call and
    reports C(changed=false).
  - Refuses policies that allow a wildcard action (C(*), C(s3:*), C(s3:Get*)) or use C(NotAction), unless
    O(allow_wildcard_actions=true).
  - IAM is global; give each region its own role name (for example C(tap-lambda-dev-us-east-1)).
options:
  name:
    description: Name of the role.
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the role.
      - C(absent) detaches its managed policies, deletes its inline policies, removes it from instance profiles and
        deletes it.
    type: str
    choices: [present, absent]
    default: present
  path:
    description: Path of the role (set at creation only).
    type: str
    default: /
  description:
    description: Description of the role. Left as it is when not given.
    type: str
  max_session_duration:
    description: Maximum session duration in seconds (3600 to 43200). Left as it is when not given.
    type: int
  trust_policy:
    description:
      - The trust (assume role) policy, as a dict or a JSON string. Required when O(state=present).
      - Carry C(aws:SourceAccount) (and C(aws:SourceArn) where the service sends it) in its conditions to prevent
        the confused deputy problem.
    type: json
  managed_policy_arns:
    description: ARNs of the managed policies attached to the role.
    type: list
    elements: str
    default: []
  purge_managed_policies:
    description: Detach managed policies that are not in O(managed_policy_arns).
    type: bool
    default: true
  inline_policy_name:
    description: Name of the inline policy O(inline_policy). Required with O(inline_policy).
    type: str
  inline_policy:
    description: The inline policy document, as a dict or a JSON string.
    type: json
  purge_inline_policies:
    description: Delete inline policies other than O(inline_policy_name).
    type: bool
    default: true
  allow_wildcard_actions:
    description: Accept policies with wildcard actions or C(NotAction). Leave it C(false) (least privilege).
    type: bool
    default: false
notes:
  - The roles of every module of this collection are made by the same code (module_utils/resources/service_role.py).
  - Retries throttling with jittered exponential backoff.
  - A new role takes a few seconds to be usable by services (IAM is eventually consistent);
    M(tap.multiregion.lambda_function) retries while it propagates.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the Lambda execution role
  tap.multiregion.iam_service_role:
    name: tap-lambda-dev-us-east-1
    description: Execution role of data-processor-dev-us-east-1
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Service: lambda.amazonaws.com}
          Action: sts:AssumeRole
          Condition:
            StringEquals: {"aws:SourceAccount": "123456789012"}
    managed_policy_arns:
      - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      - arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole
    inline_policy_name: data-processor
    inline_policy:
      Version: "2012-10-17"
      Statement:
        - Sid: ReadWriteObjects
          Effect: Allow
          Action: [s3:GetObject, s3:PutObject]
          Resource: arn:aws:s3:::tap-data-dev-us-east-1/*
    tags:
      Environment: dev
  register: execution_role

- name: Delete the role
  tap.multiregion.iam_service_role:
    name: tap-lambda-dev-us-east-1
    state: absent
"""

RETURN = r"""
arn:
  description: ARN of the role (null when check mode would create it).
  returned: when O(state=present)
  type: str
  sample: arn:aws:iam::123456789012:role/tap-lambda-dev-us-east-1
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create role tap-lambda-dev-us-east-1
    - "role tap-lambda-dev-us-east-1: add inline policy data-processor"
role:
  description: The role as GetRole describes it (snake_case keys; tag keys unchanged), without the trust policy.
  returned: when O(state=present)
  type: dict
  sample:
    role_name: tap-lambda-dev-us-east-1
    role_id: AROAEXAMPLEID
    path: /
    arn: arn:aws:iam::123456789012:role/tap-lambda-dev-us-east-1
    max_session_duration: 3600
    tags: {Environment: dev}
trust_policy:
  description: The trust policy after the run.
  returned: when O(state=present)
  type: dict
managed_policy_arns:
  description: ARNs of the attached managed policies after the run, sorted.
  returned: when O(state=present)
  type: list
  elements: str
inline_policies:
  description: Inline policies after the run, by name (only O(inline_policy_name) is read; others as null).
  returned: when O(state=present)
  type: dict
created:
  description: Whether this run created the role (a new role takes seconds to be usable by services).
  returned: when O(state=present)
  type: bool
"""


from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.resources import service_role


class ServiceRole(AwsResource):
    SERVICE = "iam"

    def validate(self):
        p = self.params
        if p["state"] != "present" or p["allow_wildcard_actions"]:
            return
        inline = {p["inline_policy_name"]: p["inline_policy"]} if p["inline_policy"] else {}
        service_role.check_policies(
            policies.load_policy(p["trust_policy"]), dict((k, policies.load_policy(v)) for k, v in inline.items())
        )

    def present(self):
        p = self.params
        inline = {p["inline_policy_name"]: p["inline_policy"]} if p["inline_policy"] else {}
        role = service_role.ensure(
            self,
            p["name"],
            p["trust_policy"],
            managed_policy_arns=p["managed_policy_arns"],
            inline_policies=inline,
            description=p["description"],
            path=p["path"],
            max_session_duration=p["max_session_duration"],
            tags=p["tags"],
            purge_tags=p["purge_tags"],
            purge_managed_policies=p["purge_managed_policies"],
            purge_inline_policies=p["purge_inline_policies"],
        )
        self.set_diff(role.pop("before"), role.pop("after"))
        return role

    def absent(self):
        arn = service_role.delete(self, self.params["name"])
        self.set_diff({"arn": arn} if arn else None, None)
        return {}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        path=dict(type="str", default="/"),
        description=dict(type="str"),
        max_session_duration=dict(type="int"),
        trust_policy=dict(type="json"),
        managed_policy_arns=dict(type="list", elements="str", default=[]),
        purge_managed_policies=dict(type="bool", default=True),
        inline_policy_name=dict(type="str"),
        inline_policy=dict(type="json"),
        purge_inline_policies=dict(type="bool", default=True),
        allow_wildcard_actions=dict(type="bool", default=False),
    )
    ServiceRole.main(
        argument_spec,
        required_if=[("state", "present", ["trust_policy"])],
        required_together=[("inline_policy", "inline_policy_name")],
        tags=True,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_service_role
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
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  tags:
    description: Tags of the role.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags). Ignored when O(tags) is not given.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports every change it would make and writes nothing.
  diff_mode:
    support: full
    description: Shows trust policy, attachments, inline policy, description and tags before and after.
notes:
  - Retries throttling with jittered exponential backoff.
  - A new role takes a few seconds to be usable by services (IAM is eventually consistent);
    M(tap.multiregion.lambda_function) retries while it propagates.
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
changes:
  description: What the module changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create role tap-lambda-dev-us-east-1", "put inline policy data-processor"]
"""

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import iam_role as logic
from ansible_collections.tap.multiregion.plugins.module_utils.changes import AWS_ERRORS
from ansible_collections.tap.multiregion.plugins.module_utils.changes import ChangeRecorder
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_function import THROTTLING_CODES
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_function import tag_changes


@AWSRetry.jittered_backoff(catch_extra_error_codes=THROTTLING_CODES)
def _paginate(client, method, **kwargs):
    # Paginators bypass the client's retry decorator, so the whole pagination is retried.
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


class ServiceRole(ChangeRecorder):
    def __init__(self, module):
        super(ServiceRole, self).__init__(module)
        self.name = module.params["name"]
        self.client = module.client(
            "iam", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=THROTTLING_CODES)
        )

    def act(self, what, method, **kwargs):
        return self.write(self.client, what, method, **kwargs)

    def list(self, method, key, what, **kwargs):
        try:
            return _paginate(self.client, method, **kwargs)[key]
        except AWS_ERRORS as e:
            self.fail(e, what)

    def get_role(self):
        try:
            return self.client.get_role(aws_retry=True, RoleName=self.name)["Role"]
        except is_boto3_error_code("NoSuchEntity"):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "read role %s" % self.name)

    def get_inline_policy(self, policy_name):
        try:
            document = self.client.get_role_policy(aws_retry=True, RoleName=self.name, PolicyName=policy_name)
        except is_boto3_error_code("NoSuchEntity"):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "read inline policy %s of role %s" % (policy_name, self.name))
        return logic.load_policy(document["PolicyDocument"])

    def desired_documents(self):
        p = self.params
        trust = logic.load_policy(p["trust_policy"])
        inline = logic.load_policy(p["inline_policy"]) if p["inline_policy"] else None
        if not p["allow_wildcard_actions"]:
            problems = logic.wildcard_actions(trust, "trust policy")
            problems += logic.wildcard_actions(inline, "inline policy %s" % p["inline_policy_name"])
            if problems:
                self.module.fail_json(
                    msg="Refusing wildcard actions (least privilege): %s" % "; ".join(problems), errors=problems
                )
        return trust, inline

    # ------------------------------------------------------------------ present

    def present(self):
        p = self.params
        trust, inline = self.desired_documents()
        inline_name = p["inline_policy_name"]
        desired_tags = {k: str(v) for k, v in (p["tags"] or {}).items()}
        role = self.get_role()

        if role is None:
            before = None
            kwargs = {"RoleName": self.name, "Path": p["path"], "AssumeRolePolicyDocument": json.dumps(trust)}
            if p["description"] is not None:
                kwargs["Description"] = p["description"]
            if p["max_session_duration"] is not None:
                kwargs["MaxSessionDuration"] = p["max_session_duration"]
            if desired_tags:
                kwargs["Tags"] = ansible_dict_to_boto3_tag_list(desired_tags)
            created = self.act("create role %s" % self.name, "create_role", **kwargs)
            role = (created or {}).get("Role") or {"RoleName": self.name, "Path": p["path"], "Arn": None}
            role.setdefault("Description", p["description"])
            tags = desired_tags
            attached, inline_names, current_inline = [], [], None
        else:
            attached = [
                a["PolicyArn"]
                for a in self.list(
                    "list_attached_role_policies",
                    "AttachedPolicies",
                    "list policies of %s" % self.name,
                    RoleName=self.name,
                )
            ]
            inline_names = self.list(
                "list_role_policies", "PolicyNames", "list inline policies of %s" % self.name, RoleName=self.name
            )
            current_inline = self.get_inline_policy(inline_name) if inline_name in inline_names else None
            tags = boto3_tag_list_to_ansible_dict(role.get("Tags") or [])
            before = {
                "description": role.get("Description") or "",
                "max_session_duration": role.get("MaxSessionDuration"),
                "trust_policy": logic.load_policy(role.get("AssumeRolePolicyDocument")),
                "managed_policy_arns": sorted(attached),
                "inline_policies": {n: (current_inline if n == inline_name else None) for n in inline_names},
                "tags": tags,
            }
            self.converge_role(role, trust, before["trust_policy"])
            tags = self.converge_tags(tags)

        to_attach, to_detach = logic.attachment_changes(attached, p["managed_policy_arns"], p["purge_managed_policies"])
        for arn in to_detach:
            self.act("detach %s from %s" % (arn, self.name), "detach_role_policy", RoleName=self.name, PolicyArn=arn)
        for arn in to_attach:
            self.act("attach %s to %s" % (arn, self.name), "attach_role_policy", RoleName=self.name, PolicyArn=arn)

        inline_after = {}
        if inline is not None:
            if current_inline is None or compare_policies(current_inline, inline):
                self.act(
                    "put inline policy %s of %s" % (inline_name, self.name),
                    "put_role_policy",
                    RoleName=self.name,
                    PolicyName=inline_name,
                    PolicyDocument=json.dumps(inline),
                )
            inline_after[inline_name] = inline
        for name in inline_names:
            if name in inline_after:
                continue
            if p["purge_inline_policies"]:
                self.act(
                    "delete inline policy %s of %s" % (name, self.name),
                    "delete_role_policy",
                    RoleName=self.name,
                    PolicyName=name,
                )
            else:
                inline_after[name] = None  # kept, not read

        managed_after = sorted((set(attached) - set(to_detach)) | set(to_attach))
        after = {
            "description": p["description"] if p["description"] is not None else role.get("Description") or "",
            "max_session_duration": p["max_session_duration"] or role.get("MaxSessionDuration"),
            "trust_policy": trust,
            "managed_policy_arns": managed_after,
            "inline_policies": inline_after,
            "tags": tags,
        }
        info = {k: v for k, v in role.items() if k not in ("AssumeRolePolicyDocument", "Tags", "RoleLastUsed")}
        result = {
            "arn": role.get("Arn"),
            "role": dict(camel_dict_to_snake_dict(info), tags=tags),
            "trust_policy": trust,
            "managed_policy_arns": managed_after,
            "inline_policies": inline_after,
        }
        self.exit(result, before, after)

    def converge_role(self, role, trust, current_trust):
        p = self.params
        if compare_policies(current_trust, trust):
            self.act(
                "update the trust policy of %s" % self.name,
                "update_assume_role_policy",
                RoleName=self.name,
                PolicyDocument=json.dumps(trust),
            )
        updates = {}
        if p["description"] is not None and (role.get("Description") or "") != p["description"]:
            updates["Description"] = p["description"]
        if p["max_session_duration"] is not None and role.get("MaxSessionDuration") != p["max_session_duration"]:
            updates["MaxSessionDuration"] = p["max_session_duration"]
        if updates:
            self.act(
                "update %s of %s" % (", ".join(sorted(updates)), self.name),
                "update_role",
                RoleName=self.name,
                **updates,
            )

    def converge_tags(self, tags):
        p = self.params
        if p["tags"] is None:
            return tags
        to_set, to_remove = tag_changes(tags, p["tags"], p["purge_tags"])
        if to_remove:
            self.act(
                "untag %s: %s" % (self.name, ", ".join(to_remove)), "untag_role", RoleName=self.name, TagKeys=to_remove
            )
        if to_set:
            self.act(
                "tag %s: %s" % (self.name, ", ".join(sorted(to_set))),
                "tag_role",
                RoleName=self.name,
                Tags=ansible_dict_to_boto3_tag_list(to_set),
            )
        return dict({k: v for k, v in tags.items() if k not in to_remove}, **to_set)

    # ------------------------------------------------------------------ absent

    def absent(self):
        role = self.get_role()
        before = None
        if role is not None:
            before = {"arn": role["Arn"]}
            for attached in self.list(
                "list_attached_role_policies", "AttachedPolicies", "list policies of %s" % self.name, RoleName=self.name
            ):
                self.act(
                    "detach %s from %s" % (attached["PolicyArn"], self.name),
                    "detach_role_policy",
                    RoleName=self.name,
                    PolicyArn=attached["PolicyArn"],
                )
            for name in self.list(
                "list_role_policies", "PolicyNames", "list inline policies of %s" % self.name, RoleName=self.name
            ):
                self.act(
                    "delete inline policy %s of %s" % (name, self.name),
                    "delete_role_policy",
                    RoleName=self.name,
                    PolicyName=name,
                )
            for profile in self.list(
                "list_instance_profiles_for_role",
                "InstanceProfiles",
                "list instance profiles of %s" % self.name,
                RoleName=self.name,
            ):
                self.act(
                    "remove %s from instance profile %s" % (self.name, profile["InstanceProfileName"]),
                    "remove_role_from_instance_profile",
                    RoleName=self.name,
                    InstanceProfileName=profile["InstanceProfileName"],
                )
            self.act("delete role %s" % self.name, "delete_role", RoleName=self.name)
        self.exit({}, before, None)


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
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["trust_policy"])],
        required_together=[("inline_policy", "inline_policy_name")],
        supports_check_mode=True,
    )
    role = ServiceRole(module)
    if module.params["state"] == "present":
        role.present()
    else:
        role.absent()


if __name__ == "__main__":
    main()

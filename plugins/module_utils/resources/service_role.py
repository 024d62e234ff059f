# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""IAM roles that AWS services assume: the one place our modules make them (iam_service_role, the
flow-log delivery role of vpc_network, ...). The owner is the AwsResource of the calling module; its
changes, check mode and failures are the owner's.

Policies are compared as documents (IAM answers URL-encoded JSON in any order) and written only when
they differ. A role that was just created takes seconds to be assumable by a service (IAM is
eventually consistent): ``created`` in the result tells the caller, which retries the service's call
with base.IAM_ROLE_PROPAGATION.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import show


def role_arn(partition, account_id, name, path="/"):
    return "arn:%s:iam::%s:role%s%s" % (partition, account_id, path, name)


def check_policies(trust_policy, inline_policies):
    """Failure naming every statement that allows a wildcard action or uses NotAction (least privilege)."""
    problems = policies.wildcard_actions(trust_policy, "trust policy")
    for name, document in sorted((inline_policies or {}).items()):
        problems += policies.wildcard_actions(document, "inline policy %s" % name)
    if problems:
        raise Failure("Refusing wildcard actions (least privilege): %s" % "; ".join(problems), errors=problems)


def attachment_changes(current_arns, desired_arns, purge=True):
    """(ARNs to attach, ARNs to detach) of managed policies."""
    current, desired = set(current_arns or ()), set(desired_arns or ())
    return sorted(desired - current), sorted(current - desired) if purge else []


def get_role(owner, name):
    found = owner.read("read role %s" % name, owner.client("iam").get_role, RoleName=name, missing="NoSuchEntity")
    return found["Role"] if found else None


def _attached(owner, name):
    found = owner.paginate("list the policies of role %s" % name, owner.client("iam"), "list_attached_role_policies",
                           RoleName=name, missing="NoSuchEntity")
    return [a["PolicyArn"] for a in (found or {}).get("AttachedPolicies", [])]


def _inline_names(owner, name):
    found = owner.paginate("list the inline policies of role %s" % name, owner.client("iam"), "list_role_policies",
                           RoleName=name, missing="NoSuchEntity")
    return list((found or {}).get("PolicyNames", []))


def _inline_document(owner, name, policy_name):
    found = owner.read("read inline policy %s of role %s" % (policy_name, name), owner.client("iam").get_role_policy,
                       RoleName=name, PolicyName=policy_name, missing="NoSuchEntity")
    return policies.load_policy(found["PolicyDocument"]) if found else None


def _listing(owner, name):
    """(attached managed policy ARNs, inline policy names) of an existing role, read at the same time."""
    return tuple(owner.concurrently(lambda: _attached(owner, name), lambda: _inline_names(owner, name)))


def _read(owner, name, inline_names_wanted):
    """(role or None, attached ARNs, inline policy names, {wanted name: document or None}) in one round trip:
    the role, its two listings and the documents of the inline policies the caller wants are independent
    reads (a missing role answers NoSuchEntity to each)."""
    found = owner.concurrently(
        lambda: get_role(owner, name),
        lambda: _attached(owner, name),
        lambda: _inline_names(owner, name),
        *[lambda n=n: _inline_document(owner, name, n) for n in inline_names_wanted]
    )
    documents = dict((n, found[3 + i]) for i, n in enumerate(inline_names_wanted))
    return found[0], found[1], found[2], documents


def ensure(owner, name, trust_policy, managed_policy_arns=(), inline_policies=None, description=None, path="/",
           max_session_duration=None, tags=None, purge_tags=True, purge_managed_policies=True,
           purge_inline_policies=True):
    """Make the role match. inline_policies: {name: document} (None: leave the inline policies alone).

    Returns a dict: arn, created (bool), role (snake_case GetRole view), trust_policy, managed_policy_arns,
    inline_policies, before (None for a new role) and after (views for the diff).
    """
    iam = owner.client("iam")
    label = "role %s" % name
    trust_policy = policies.load_policy(trust_policy)
    inline_policies = None if inline_policies is None else dict(
        (k, policies.load_policy(v)) for k, v in inline_policies.items())
    wanted_tags = None if tags is None else dict((k, str(v)) for k, v in tags.items())
    role, attached, inline_names, documents = _read(owner, name, sorted(inline_policies or {}))
    created = role is None
    if created:
        kwargs = {"RoleName": name, "Path": path, "AssumeRolePolicyDocument": json.dumps(trust_policy)}
        if description is not None:
            kwargs["Description"] = description
        if max_session_duration is not None:
            kwargs["MaxSessionDuration"] = max_session_duration
        if wanted_tags:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(wanted_tags)
        response = owner.write("create %s" % label, iam.create_role, **kwargs)
        planned = {"RoleName": name, "Path": path, "Arn": None, "Description": description}
        role = (response or {}).get("Role") or planned
        attached, inline_names, current_inline, tags_after = [], [], {}, wanted_tags or {}
        before = None
    else:
        current_inline = dict((n, documents[n]) for n in inline_names if documents.get(n) is not None)
        current_trust = policies.load_policy(role.get("AssumeRolePolicyDocument"))
        current_tags = boto3_tag_list_to_ansible_dict(role.get("Tags") or [])
        before = {
            "description": role.get("Description") or "",
            "max_session_duration": role.get("MaxSessionDuration"),
            "trust_policy": current_trust,
            "managed_policy_arns": sorted(attached),
            "inline_policies": dict((n, current_inline.get(n)) for n in inline_names),
            "tags": current_tags,
        }
        if not policies.policies_equal(current_trust, trust_policy):
            owner.write("%s: trust policy statements %s" % (label, policies.statement_differences(
                current_trust, trust_policy)), iam.update_assume_role_policy, RoleName=name,
                PolicyDocument=json.dumps(trust_policy))
        updates, parts = {}, []
        if description is not None and (role.get("Description") or "") != description:
            updates["Description"] = description
            parts.append("description %s -> %s" % (show(role.get("Description") or ""), show(description)))
        if max_session_duration is not None and role.get("MaxSessionDuration") != max_session_duration:
            updates["MaxSessionDuration"] = max_session_duration
            parts.append("max session duration %s -> %s" % (role.get("MaxSessionDuration"), max_session_duration))
        if updates:
            owner.write("%s: %s" % (label, ", ".join(parts)), iam.update_role, RoleName=name, **updates)
        tags_after = owner.sync_tags(
            label, current_tags, wanted_tags,
            tag=lambda to_set: iam.tag_role(aws_retry=True, RoleName=name,
                                            Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: iam.untag_role(aws_retry=True, RoleName=name, TagKeys=keys),
            purge=purge_tags,
        )

    to_attach, to_detach = attachment_changes(attached, managed_policy_arns, purge_managed_policies)
    for arn in to_detach:
        owner.write("%s: detach managed policy %s" % (label, arn), iam.detach_role_policy, RoleName=name,
                    PolicyArn=arn)
    for arn in to_attach:
        owner.write("%s: attach managed policy %s" % (label, arn), iam.attach_role_policy, RoleName=name,
                    PolicyArn=arn)

    inline_after = {}
    for policy_name, document in sorted((inline_policies or {}).items()):
        current = current_inline.get(policy_name)
        if current is None:
            owner.write("%s: add inline policy %s" % (label, policy_name), iam.put_role_policy, RoleName=name,
                        PolicyName=policy_name, PolicyDocument=json.dumps(document))
        elif not policies.policies_equal(current, document):
            differences = policies.statement_differences(current, document)
            owner.write("%s: inline policy %s statements %s" % (label, policy_name, differences),
                        iam.put_role_policy, RoleName=name, PolicyName=policy_name,
                        PolicyDocument=json.dumps(document))
        inline_after[policy_name] = document
    for policy_name in inline_names:
        if policy_name in inline_after:
            continue
        if inline_policies is not None and purge_inline_policies:
            owner.write("%s: delete inline policy %s" % (label, policy_name), iam.delete_role_policy,
                        RoleName=name, PolicyName=policy_name)
        else:
            inline_after[policy_name] = None  # kept, not read

    managed_after = sorted((set(attached) - set(to_detach)) | set(to_attach))
    after = {
        "description": description if description is not None else role.get("Description") or "",
        "max_session_duration": max_session_duration or role.get("MaxSessionDuration"),
        "trust_policy": trust_policy,
        "managed_policy_arns": managed_after,
        "inline_policies": inline_after,
        "tags": tags_after,
    }
    info = dict((k, v) for k, v in role.items() if k not in ("AssumeRolePolicyDocument", "Tags", "RoleLastUsed"))
    return {
        "arn": role.get("Arn"),
        "created": created,
        "role": dict(camel_dict_to_snake_dict(info), tags=tags_after),
        "trust_policy": trust_policy,
        "managed_policy_arns": managed_after,
        "inline_policies": inline_after,
        "before": before,
        "after": after,
    }


def delete(owner, name):
    """Detach, delete inline policies, leave instance profiles, delete the role. Returns its ARN (None: none)."""
    iam = owner.client("iam")
    role = get_role(owner, name)
    if role is None:
        return None
    label = "role %s" % name
    attached, inline_names = _listing(owner, name)
    profiles = owner.paginate("list the instance profiles of role %s" % name, iam,
                              "list_instance_profiles_for_role", RoleName=name)["InstanceProfiles"]
    for arn in attached:
        owner.write("%s: detach managed policy %s" % (label, arn), iam.detach_role_policy, RoleName=name,
                    PolicyArn=arn, ignore="NoSuchEntity")
    for policy_name in inline_names:
        owner.write("%s: delete inline policy %s" % (label, policy_name), iam.delete_role_policy, RoleName=name,
                    PolicyName=policy_name, ignore="NoSuchEntity")
    for profile in profiles:
        owner.write("%s: leave instance profile %s" % (label, profile["InstanceProfileName"]),
                    iam.remove_role_from_instance_profile, RoleName=name,
                    InstanceProfileName=profile["InstanceProfileName"], ignore="NoSuchEntity")
    owner.write("delete %s" % label, iam.delete_role, RoleName=name, ignore="NoSuchEntity")
    return role["Arn"]

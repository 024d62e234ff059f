# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""The master secret of an Aurora global database, kept by aurora_cluster for the primary cluster.

AWS does not allow RDS-managed master passwords in a global database, so the primary's module asks
Secrets Manager for a random password (GetRandomPassword) inside its own process, keeps it in a secret
encrypted with the region's key and replicated to the other regions, and hands it to RDS. The password
is added to the module's no_log values at once and never appears in a change, result, diff or log.

Every function takes the calling module (an AwsResource) as owner: its changes, check mode and failures.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import PASSWORD_EXCLUDED_CHARACTERS
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import same_kms_key
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import secret_replica_changes
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure

PASSWORD_LENGTH = 32


def describe(owner, name):
    """The secret as DescribeSecret reports it in the owner's region (a replica there too), or None."""
    secrets = owner.client("secretsmanager")
    return owner.read("describe secret %s" % name, secrets.describe_secret, SecretId=name,
                      missing="ResourceNotFoundException")


def ensure(owner, current, name, kms_key_id, replicas, tags, payload, need_password):
    """Converge the secret `current` (described, or None) and return (ARN, password or None).

    payload(password) is the secret's JSON object: its fields other than the password (e.g. the port)
    are converged on an existing secret, keeping its password. The password is returned only when
    need_password (or when the secret is created, since a new secret means a new password). None in
    check mode.
    """
    secrets = owner.client("secretsmanager")
    label = "secret %s" % name
    if current and current.get("DeletedDate"):
        raise Failure("master_user_secret_name: secret %s is scheduled for deletion; restore it (RestoreSecret) "
                      "or choose another name" % name)
    if current is None:
        add, _remove = secret_replica_changes([], replicas)
        password = None
        if not owner.check_mode:
            password = _hidden(owner, owner.read(
                "generate a master password with Secrets Manager", secrets.get_random_password,
                PasswordLength=PASSWORD_LENGTH, ExcludeCharacters=PASSWORD_EXCLUDED_CHARACTERS,
            )["RandomPassword"])
        request = dict(Name=name, Description="Master credentials of an Aurora global database (tap.multiregion)",
                       KmsKeyId=kms_key_id, SecretString=json.dumps(payload(password)),
                       Tags=ansible_dict_to_boto3_tag_list(tags or {}))
        if add:
            request["AddReplicaRegions"] = add
        regions = " replicated to %s" % ", ".join(r["Region"] for r in add) if add else ""
        created = owner.write("create %s (master credentials, key %s%s)" % (label, kms_key_id, regions),
                              secrets.create_secret, **request)
        return (created or {}).get("ARN"), password

    arn = current["ARN"]
    if not same_kms_key(kms_key_id, current.get("KmsKeyId")):
        owner.update(label, "kms key", current.get("KmsKeyId"), kms_key_id,
                     secrets.update_secret, SecretId=arn, KmsKeyId=kms_key_id)
    add, remove = secret_replica_changes(current.get("ReplicationStatus"), replicas)
    if add:
        owner.write("%s: replicate to %s" % (label, ", ".join(r["Region"] for r in add)),
                    secrets.replicate_secret_to_regions, SecretId=arn, AddReplicaRegions=add)
    if remove:
        owner.write("%s: stop replicating to %s" % (label, ", ".join(remove)),
                    secrets.remove_regions_from_replication, SecretId=arn, RemoveReplicaRegions=remove)
    owner.sync_tags(
        label, boto3_tag_list_to_ansible_dict(current.get("Tags") or []), tags,
        tag=lambda to_set: secrets.tag_resource(aws_retry=True, SecretId=arn,
                                                Tags=ansible_dict_to_boto3_tag_list(to_set)),
        untag=lambda keys: secrets.untag_resource(aws_retry=True, SecretId=arn, TagKeys=keys),
    )
    value = owner.read("read the master credentials from %s" % label, secrets.get_secret_value, SecretId=arn)
    try:
        stored = json.loads(value["SecretString"])
        password = _hidden(owner, stored["password"])
    except (ValueError, KeyError, TypeError):
        raise Failure("%s does not hold a JSON object with a password" % label)
    # The connection fields (port, user, engine, cluster) follow the cluster: a client reads them from here.
    wanted = payload(password)
    drifted = sorted(k for k in wanted if k != "password" and stored.get(k) != wanted[k])
    if drifted:
        owner.write("%s: %s" % (label, ", ".join("%s %s -> %s" % (k, stored.get(k), wanted[k]) for k in drifted)),
                    secrets.put_secret_value, SecretId=arn, SecretString=json.dumps(dict(stored, **wanted)))
    return arn, (password if need_password and not owner.check_mode else None)


def _hidden(owner, password):
    # Belt and braces: masked in anything the module might ever print.
    owner.module.no_log_values.add(password)
    return password

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Statements of a Lambda function's resource policy (who may invoke it): the one place our modules write them
(the function's own permissions in lambda_function, the API's invoke permission in apigatewayv2_http_api). The
owner is the AwsResource of the calling module; its changes, check mode and failures are the owner's.

Lambda has no update of a statement: one that differs is removed and added again under the same id, as one
change. AddPermission and RemovePermission meet ResourceConflictException while the function or its policy is
being updated; they are retried then (lambda_function.LAMBDA_CONFLICT).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.module_utils import lambda_function as logic
from ansible_collections.tap.multiregion.plugins.module_utils.base import not_found


def read(owner, function, region=None):
    """{sid: normalized statement} of the function's policy ({} without a policy or without the function)."""
    found = owner.read("read the resource policy of function %s" % function,
                       owner.client("lambda", region=region).get_policy, FunctionName=function,
                       missing="ResourceNotFoundException")
    return logic.current_permissions((found or {}).get("Policy"))


def ensure(owner, function, current, desired, purge=False, region=None, label=None):
    """Make the statements of desired ({sid: normalized statement}) exist as they are; with purge, remove the
    others. current: what read() answered. Returns the statements after the run by sid."""
    lam = owner.client("lambda", region=region)
    label = label or "function %s" % function
    to_remove, to_add = logic.permission_changes(current, desired, purge)

    def replace(sid):
        def call(**kwargs):
            kwargs.pop("aws_retry", None)
            # A retry after a conflict may find the statement already removed.
            try:
                lam.remove_permission(aws_retry=True, FunctionName=function, StatementId=sid)
            except not_found("ResourceNotFoundException"):
                pass
            return lam.add_permission(aws_retry=True, **logic.add_permission_kwargs(function, sid, desired[sid]))

        return call

    for sid in to_remove:
        if sid in to_add:
            continue
        owner.write("%s: remove permission %s" % (label, sid), lam.remove_permission, FunctionName=function,
                    StatementId=sid, propagation=logic.LAMBDA_CONFLICT, ignore="ResourceNotFoundException")
    for sid in to_add:
        if sid in current:
            owner.write("%s: permission %s %s" % (label, sid, logic.permission_sentence(current[sid], desired[sid])),
                        replace(sid), propagation=logic.LAMBDA_CONFLICT)
        else:
            owner.write("%s: add permission %s (%s)" % (label, sid, logic.permission_text(desired[sid])),
                        lam.add_permission, propagation=logic.LAMBDA_CONFLICT,
                        **logic.add_permission_kwargs(function, sid, desired[sid]))
    after = dict((sid, s) for sid, s in current.items() if sid not in to_remove)
    after.update((sid, desired[sid]) for sid in to_add)
    return after

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""What the resource managers of our modules share: record each write as a change, make it only
outside check mode, fail naming what was being done, and exit with changed/changes/diff."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import botocore.exceptions

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore


class ChangeRecorder(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.changes = []

    def fail(self, error, what):
        self.module.fail_json_aws(error, msg="Failed to %s" % what)

    def write(self, client, what, method, **kwargs):
        """One write call (retried like every call of the client); None in check mode."""
        self.changes.append(what)
        if self.check_mode:
            return None
        try:
            return getattr(client, method)(aws_retry=True, **kwargs)
        except AWS_ERRORS as e:
            self.fail(e, what)

    def exit(self, result, before=None, after=None):
        """Exit with result plus changed and changes, and the diff when diff mode is on."""
        result = dict(result, changed=bool(self.changes), changes=self.changes)
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        self.module.exit_json(**result)

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Tag policy shared by the tag_policy module and our resource modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# AWS limits for resource tags (most services; IAM and S3 are the same or looser).
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
MAX_TAGS = 50
RESERVED_PREFIX = "aws:"


def check_tags(tags, required, scope="tags"):
    """Return a list of policy violations of a tag dict; empty when it complies."""
    if not isinstance(tags, dict):
        return ["%s: expected a mapping of tag keys to values, got %s" % (scope, type(tags).__name__)]
    errors = []
    missing = [key for key in required if key not in tags]
    if missing:
        errors.append(
            "%s: required tag(s) missing: %s (required: %s)" % (scope, ", ".join(missing), ", ".join(required))
        )
    empty = [key for key in required if key in tags and (tags[key] is None or str(tags[key]).strip() == "")]
    if empty:
        errors.append("%s: required tag(s) empty: %s; give each a non-empty value" % (scope, ", ".join(empty)))
    if len(tags) > MAX_TAGS:
        errors.append("%s: %d tags; AWS allows at most %d per resource" % (scope, len(tags), MAX_TAGS))
    for key in sorted(tags, key=str):
        value = "" if tags[key] is None else str(tags[key])
        if not isinstance(key, str) or not key:
            errors.append("%s: tag key %r is not a non-empty string" % (scope, key))
            continue
        if len(key) > MAX_KEY_LENGTH:
            errors.append(
                "%s: tag key %r is %d characters; AWS allows %d" % (scope, key[:40] + "...", len(key), MAX_KEY_LENGTH)
            )
        if key.lower().startswith(RESERVED_PREFIX):
            errors.append("%s: tag key %r uses the reserved prefix 'aws:'" % (scope, key))
        if len(value) > MAX_VALUE_LENGTH:
            errors.append(
                "%s: value of tag %s is %d characters; AWS allows %d" % (scope, key, len(value), MAX_VALUE_LENGTH)
            )
    return errors

# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Requests to an HTTP API's stage, sent the way an AWS client sends them.

A stage answers at its invoke URL ``https://<api-id>.execute-api.<region>.amazonaws.com/<stage>``.
When the connection names an ``endpoint_url`` (a VPC endpoint, a proxy, a local AWS), the request goes
to that address instead, with the invoke URL's host in the ``Host`` header, as botocore does for every
service it is pointed elsewhere for. ``AWS_IAM`` routes need a Signature Version 4 signature for the
service ``execute-api`` (botocore's SigV4Auth with the caller's credentials, over the request as sent,
``Host`` included); ``JWT`` routes a bearer token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

try:
    from urllib.error import HTTPError, URLError
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    pass

from ansible.module_utils.urls import open_url

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing botocore
    SigV4Auth = None

# Seconds to wait for an answer (API Gateway's own integration timeout is 30 s).
REQUEST_TIMEOUT = 35


class Answer(object):
    """An HTTP answer: status, body bytes, and the body as JSON (None when it is not JSON)."""

    def __init__(self, status, body):
        self.status = status
        self.body = body or b""
        try:
            self.json = json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError:
            self.json = None

    def describe(self):
        """'<status> <body>', shortened, for a check's detail."""
        text = self.body.decode("utf-8", "replace").strip()
        return "%s %s" % (self.status, text[:200] if text else "(no body)")


def route_parts(route_key):
    """'POST /process' -> ('POST', '/process')."""
    method, dummy, path = route_key.partition(" ")
    return method.upper(), path or "/"


def stage_url(api_endpoint, stage):
    """The stage invoke URL of an API: its ApiEndpoint and the stage name ($default: no path)."""
    base = api_endpoint.rstrip("/")
    return base if stage == "$default" else "%s/%s" % (base, stage)


def target(invoke_url, path, endpoint_url=None):
    """(URL to send to, Host header or None) for path under the stage invoke_url."""
    parts = urlsplit(invoke_url)
    full_path = parts.path.rstrip("/") + path
    if not endpoint_url:
        return "%s://%s%s" % (parts.scheme, parts.netloc, full_path), None
    return endpoint_url.rstrip("/") + full_path, parts.netloc


def request(method, invoke_url, path, body=None, endpoint_url=None, credentials=None, region=None, token=None):
    """Send one request to path of the stage; credentials (botocore, frozen or not) sign it, token is a bearer.

    Returns an Answer; HTTP errors are answers too. Connection failures raise URLError.
    """
    url, host = target(invoke_url, path, endpoint_url)
    data = json.dumps(body).encode("utf-8") if body is not None else b""
    headers = {"Content-Type": "application/json"}
    if host:
        headers["Host"] = host
    if token:
        headers["Authorization"] = "Bearer %s" % token
    if credentials is not None:
        aws_request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials, "execute-api", region).add_auth(aws_request)
        headers = dict(aws_request.headers.items())
    try:
        reply = open_url(url, data=data or None, headers=headers, method=method, timeout=REQUEST_TIMEOUT,
                         follow_redirects="none")
        return Answer(reply.status, reply.read())
    except HTTPError as error:
        return Answer(error.code, error.read())


__all__ = ["Answer", "URLError", "request", "route_parts", "stage_url", "target"]

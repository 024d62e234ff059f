"""Authorization of requests to an HTTP API's invoke endpoint (``emulator.apigateway_invoke``): AWS_IAM
(SigV4) and JWT authorizers, as API Gateway checks them.

AWS_IAM: the request must carry a valid Signature Version 4 ``Authorization`` header for the service
``execute-api`` and the API's region, made with credentials the emulator knows: its fixed fake
credentials (``emulator.endpoint``) or an access key created in the emulator's IAM. The signature is
recomputed from the request as received (method, path, query, the signed headers, the payload hash)
and compared; the time stamp must be within 5 minutes of the emulator's clock. The caller is then
authorized as the key's owner: no IAM policy is evaluated (the emulator's principals may do anything).
Refusals: 403 with API Gateway's messages (``Forbidden`` when unsigned, the signature mismatch, the
unknown key, the expired signature).

JWT: the token comes from the authorizer's identity source (``$request.header.<name>`` or
``$request.querystring.<name>``), with or without the ``Bearer`` prefix. Checked as API Gateway
documents: three base64url parts; an RSA algorithm (``RS256``/``RS384``/``RS512``) in the header;
``iss`` equal to the authorizer's issuer; ``aud``, or ``client_id`` when there is no ``aud``, among
its audiences; ``exp`` in the future, ``nbf`` and ``iat`` not in the future; when the route has
authorization scopes, one of them in ``scope``/``scp``. Not checked: the signature against the
issuer's JWKS (the emulator has no network to fetch it), so any signature is accepted. Any failure:
401 ``Unauthorized``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from emulator import endpoint

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
MAX_SKEW = datetime.timedelta(minutes=5)
JWT_ALGORITHMS = frozenset(("RS256", "RS384", "RS512"))
_AUTH_PARTS = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")


class Refused(Exception):
    """The request is not authorized: status and the message API Gateway answers with."""

    def __init__(self, status: int, message: str, reason: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason or message


# --------------------------------------------------------------------------- AWS_IAM (SigV4)
def _secret_for(access_key: str) -> tuple[str, dict[str, Any]] | None:
    """(secret, identity) of a key the emulator knows: its fake credentials or an IAM access key."""
    from moto.core import DEFAULT_ACCOUNT_ID

    if access_key == endpoint.ACCESS_KEY_ID:
        arn = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"
        return endpoint.SECRET_ACCESS_KEY, {
            "accountId": DEFAULT_ACCOUNT_ID,
            "userArn": arn,
            "userId": DEFAULT_ACCOUNT_ID,
        }
    try:
        from moto.iam.models import iam_backends

        for account_id, partitions in list(iam_backends.items()):
            for backend in list(partitions.values()):
                for user in list(backend.users.values()):
                    for key in user.access_keys:
                        if key.access_key_id == access_key and key.status == "Active":
                            identity = {"accountId": account_id, "userArn": user.arn, "userId": user.id}
                            return key.secret_access_key, identity
    except Exception:
        return None
    return None


def _canonical_query(raw_query: str) -> str:
    pairs = []
    for pair in raw_query.split("&") if raw_query else []:
        if not pair:
            continue
        key, dummy, value = pair.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _canonical_path(raw_path: str) -> str:
    from botocore.utils import normalize_url_path

    return quote(normalize_url_path(raw_path or "/"), safe="/~")


def _amz_time(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def verify_sigv4(
    method: str, raw_path: str, raw_query: str, headers: dict[str, list[str]], body: bytes, region: str
) -> dict[str, Any]:
    """The caller's identity (requestContext.authorizer.iam) when the SigV4 signature is valid; else Refused."""
    authorization = ",".join(headers.get("authorization") or [])
    if not authorization:
        raise Refused(403, "Forbidden", "the request is not signed")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        raise Refused(403, "Forbidden", "unsupported authorization scheme")
    parts = dict(_AUTH_PARTS.findall(authorization))
    missing = [p for p in ("Credential", "Signature", "SignedHeaders") if p not in parts]
    if missing:
        message = " ".join(f"Authorization header requires '{p}' parameter." for p in missing)
        raise Refused(403, message + f" Authorization={authorization}")
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise Refused(403, f"Authorization header is malformed: Credential={parts['Credential']}")
    access_key, scope_date, scope_region, scope_service = scope[:4]
    known = _secret_for(access_key)
    if known is None:
        raise Refused(403, INVALID_TOKEN)
    secret, identity = known
    amz_date = ",".join(headers.get("x-amz-date") or [])
    signed_at = _amz_time(amz_date)
    if signed_at is None:
        raise Refused(403, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    now = datetime.datetime.now(datetime.UTC)
    stamp = "%Y%m%dT%H%M%SZ"
    if signed_at < now - MAX_SKEW:
        raise Refused(
            403,
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(stamp)} "
            f"({now.strftime(stamp)} - 5 min.)",
        )
    if signed_at > now + MAX_SKEW:
        raise Refused(
            403,
            f"Signature not yet current: {amz_date} is still later than {(now + MAX_SKEW).strftime(stamp)} "
            f"({now.strftime(stamp)} + 5 min.)",
        )
    if scope_service != "execute-api":
        raise Refused(403, "Credential should be scoped to correct service: 'execute-api'. ")
    if scope_region != region:
        raise Refused(403, "Credential should be scoped to a valid region. ")
    if scope_date != amz_date[:8]:
        raise Refused(403, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP")

    signed_headers = parts["SignedHeaders"].split(";")
    if "host" not in signed_headers:
        raise Refused(403, SIGNATURE_MISMATCH, "the host header is not signed")
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(v.split()) for v in headers.get(name, []))}\n" for name in signed_headers
    )
    payload_hash = (headers.get("x-amz-content-sha256") or [hashlib.sha256(body).hexdigest()])[0]
    canonical_request = "\n".join(
        (method.upper(), _canonical_path(raw_path), _canonical_query(raw_query), canonical_headers,
         parts["SignedHeaders"], payload_hash)
    )  # fmt: skip
    credential_scope = "/".join(scope[1:])
    string_to_sign = "\n".join(
        ("AWS4-HMAC-SHA256", amz_date, credential_scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = ("AWS4" + secret).encode()
    for part in (scope_date, scope_region, scope_service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts["Signature"]):
        raise Refused(403, SIGNATURE_MISMATCH)
    return {
        "accessKey": access_key,
        "accountId": identity["accountId"],
        "callerId": identity["userId"],
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": identity["userArn"],
        "userId": identity["userId"],
    }


# --------------------------------------------------------------------------- JWT
def _b64url_json(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def identity_value(source: str, headers: dict[str, list[str]], query: dict[str, list[str]]) -> str | None:
    """The value an identity source ($request.header.X, $request.querystring.X) selects."""
    if source.startswith("$request.header."):
        values = headers.get(source[len("$request.header.") :].lower())
    elif source.startswith("$request.querystring."):
        values = query.get(source[len("$request.querystring.") :])
    else:
        return None
    return ",".join(values) if values else None


def _claim_text(value: Any) -> str:
    """Claims as API Gateway passes them to the integration: every value a string, arrays '[a b]'."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def verify_jwt(
    token: str | None, issuer: str, audiences: list[str], required_scopes: list[str] | None = None
) -> dict[str, Any]:
    """requestContext.authorizer.jwt ({claims, scopes}) for a valid token; else Refused(401)."""
    if not token:
        raise Refused(401, "Unauthorized", "no token in the identity source")
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    segments = token.split(".")
    if len(segments) != 3 or not segments[2]:
        raise Refused(401, "Unauthorized", "the token is not a signed JWT")
    try:
        header, claims = _b64url_json(segments[0]), _b64url_json(segments[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Refused(401, "Unauthorized", "the token cannot be decoded")
    if header.get("alg") not in JWT_ALGORITHMS:
        raise Refused(401, "Unauthorized", f"unsupported token algorithm {header.get('alg')!r}")
    if claims.get("iss") != issuer:
        raise Refused(401, "Unauthorized", "the token's issuer does not match")
    audience = claims["aud"] if "aud" in claims else claims.get("client_id")
    offered = audience if isinstance(audience, list) else [audience]
    if not any(a in audiences for a in offered if isinstance(a, str)):
        raise Refused(401, "Unauthorized", "the token's audience does not match")
    now = time.time()
    try:
        if "exp" not in claims or float(claims["exp"]) <= now:
            raise Refused(401, "Unauthorized", "the token has expired")
        for name in ("nbf", "iat"):
            if name in claims and float(claims[name]) > now:
                raise Refused(401, "Unauthorized", f"the token's {name} is in the future")
    except (TypeError, ValueError):
        raise Refused(401, "Unauthorized", "the token's times are not numbers")
    raw_scopes = claims.get("scope", claims.get("scp"))
    scopes = raw_scopes.split() if isinstance(raw_scopes, str) else list(raw_scopes or [])
    if required_scopes and not set(required_scopes) & set(scopes):
        raise Refused(403, "Forbidden", "the token has none of the route's scopes")
    return {"claims": {k: _claim_text(v) for k, v in claims.items()}, "scopes": scopes or None}

"""A Python relying party written as Authlib's documentation shows (its requests
client, PKCE S256, default client_secret_basic), driven by tests/interop/authlib.rs.

Arguments: issuer, client id, redirect URI; the secret is GAPURA_CLIENT_SECRET. Prints
one JSON line with the authorization URL, reads the callback URL from stdin, then
exchanges the code, validates the ID token with Authlib's own checks, fetches
UserInfo, refreshes, revokes, and prints one JSON line with what it saw.
"""

import json
import os
import sys

import requests

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

SCOPE = "openid profile email asn roles"


def main():
    issuer, client_id, redirect_uri = sys.argv[1:4]
    session = OAuth2Session(
        client_id,
        os.environ["GAPURA_CLIENT_SECRET"],
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, _state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    print(json.dumps({"authorization_url": url}), flush=True)

    callback = sys.stdin.readline().strip()
    token = session.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)
    userinfo = session.get(meta["userinfo_endpoint"]).json()
    refreshed = session.refresh_token(meta["token_endpoint"])
    current = refreshed.get("refresh_token") or token["refresh_token"]
    revoked = session.revoke_token(meta["revocation_endpoint"], current, token_type_hint="refresh_token")
    try:
        session.refresh_token(meta["token_endpoint"], refresh_token=current)
        after = "accepted"
    except Exception as e:  # Authlib raises OAuthError carrying the OAuth error code
        after = getattr(e, "error", repr(e))
    print(
        json.dumps(
            {
                "id_token_claims": dict(claims),
                "userinfo": userinfo,
                "refreshed_access_token": "access_token" in refreshed,
                "revoke_status": revoked.status_code,
                "refresh_after_revoke": after,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()

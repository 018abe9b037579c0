// A Node relying party written as openid-client 6's documentation shows, with its
// defaults: given its client secret only, it authenticates with client_secret_post.
//
// Driven by tests/interop/node.rs: the issuer, client id and redirect URI are
// arguments, the secret is GAPURA_CLIENT_SECRET. It prints one JSON line with the
// authorization URL, reads the callback URL (where Gapura sent the browser) from
// stdin, then exchanges the code (validating the ID token itself), fetches
// UserInfo, refreshes, revokes, and prints one JSON line with what it saw.
import * as client from 'openid-client';
import { createInterface } from 'node:readline';

const [issuer, clientId, redirectUri] = process.argv.slice(2);
const secret = process.env.GAPURA_CLIENT_SECRET;
const scope = 'openid profile email asn roles';

// How the library authenticated at the token endpoint (never the secret itself).
const seen = [];
const recordingFetch = (url, options) => {
  const headers = new Headers(options.headers);
  const body = typeof options.body === 'string' ? options.body : String(options.body ?? '');
  seen.push({
    url: String(url),
    authorization_header: headers.has('authorization') && !headers.get('authorization').startsWith('Bearer'),
    client_secret_in_body: new URLSearchParams(body).has('client_secret'),
  });
  return fetch(url, options);
};

// The issuer is http://127.0.0.1 in this loopback-only test: openid-client refuses
// plain http unless told, so allowInsecureRequests is the one departure from its
// defaults. A real deployment uses https and must not set it.
const config = await client.discovery(new URL(issuer), clientId, secret, undefined, {
  execute: [client.allowInsecureRequests],
  [client.customFetch]: recordingFetch,
});
config[client.customFetch] = recordingFetch;

const codeVerifier = client.randomPKCECodeVerifier();
const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  code_challenge: codeChallenge,
  code_challenge_method: 'S256',
  nonce,
  state,
});
console.log(JSON.stringify({ authorization_url: url.href }));

const lines = createInterface({ input: process.stdin });
const callback = await new Promise((resolve) => lines.once('line', resolve));
lines.close();

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: codeVerifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const idClaims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const rotated = refreshed.refresh_token ?? tokens.refresh_token;
await client.tokenRevocation(config, rotated);
let afterRevoke;
try {
  await client.refreshTokenGrant(config, rotated);
  afterRevoke = 'accepted';
} catch (e) {
  afterRevoke = e.error ?? e.code ?? String(e);
}
const tokenCalls = seen.filter((c) => c.url.endsWith('/token') || c.url.endsWith('/revoke'));
console.log(JSON.stringify({
  id_token_claims: idClaims,
  userinfo,
  refreshed_access_token: typeof refreshed.access_token === 'string',
  refresh_after_revoke: afterRevoke,
  client_auth: tokenCalls,
}));

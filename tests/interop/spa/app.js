// A browser application (public client) using Gapura the way the OAuth
// browser-based-apps guidance says: authorization code + PKCE (S256), no client
// secret, tokens fetched with fetch() from the app's own origin, the ID token's
// signature checked with WebCrypto against the published JWKS.
//
// Each result is written into the page, where the interop test reads it:
//   "ok …"        the call worked;
//   "<status> …"  Gapura answered (the browser let the page read it: CORS allowed it);
//   "blocked: …"  the browser refused the page the answer (CORS refused this origin).
//
// Addresses: /?issuer=…&client_id=… starts; Gapura returns to /?code=…&state=…;
// /?mode=revoke revokes the access token; /?mode=probe&issuer=…&client_id=…&token=…
// tries the same calls from wherever this page is served (an origin Gapura may not know).
'use strict';

const SCOPE = 'openid profile email asn roles';
const $ = (id) => document.getElementById(id);
const show = (id, text) => { $(id).textContent = text; };

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64url = (s) => {
  const b = s.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b + '='.repeat((4 - (b.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

// One cross-origin call, never with cookies: the answer, or why the browser withheld it.
async function call(url, init = {}) {
  try {
    const resp = await fetch(url, { ...init, credentials: 'omit' });
    const text = await resp.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
    return { status: resp.status, text, json };
  } catch (e) {
    return { blocked: `blocked: ${e}` };
  }
}
const form = (fields) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
});
const summary = (r) => r.blocked || `${r.status} ${r.text}`;

async function discover(issuer) {
  const r = await call(`${issuer}/.well-known/openid-configuration`);
  if (r.blocked || r.status !== 200 || r.json.issuer !== issuer) {
    show('discovery', r.blocked || `${r.status} unexpected issuer`);
    return null;
  }
  show('discovery', `ok ${r.json.issuer}`);
  return r.json;
}

async function keys(meta) {
  const r = await call(meta.jwks_uri);
  show('jwks', r.blocked || (r.status === 200 ? `ok ${r.json.keys.length} keys` : `${r.status}`));
  return r.json && r.json.keys ? r.json.keys : [];
}

// Checks an ID token's signature (RS256 or ES256) and its iss, aud, nonce, exp.
async function verifyIdToken(token, jwks, meta, clientId, nonce) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(new TextDecoder().decode(unb64url(h)));
  const claims = JSON.parse(new TextDecoder().decode(unb64url(p)));
  const jwk = jwks.find((k) => k.kid === header.kid);
  if (!jwk) return `invalid: no key ${header.kid}`;
  const algs = {
    RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
    ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  };
  if (!algs[header.alg]) return `invalid: alg ${header.alg}`;
  const [importAlg, verifyAlg] = algs[header.alg];
  const key = await crypto.subtle.importKey('jwk', jwk, importAlg, false, ['verify']);
  const ok = await crypto.subtle.verify(verifyAlg, key, unb64url(s), new TextEncoder().encode(`${h}.${p}`));
  if (!ok) return 'invalid: signature';
  if (claims.iss !== meta.issuer) return 'invalid: iss';
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(clientId)) return 'invalid: aud';
  if (claims.nonce !== nonce) return 'invalid: nonce';
  if (claims.exp * 1000 < Date.now()) return 'invalid: expired';
  return `valid ${JSON.stringify(claims)}`;
}

async function userinfo(meta, accessToken) {
  return call(meta.userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken}` } });
}

async function badCode(meta, clientId) {
  return call(meta.token_endpoint, form({
    grant_type: 'authorization_code',
    code: 'kode-palsu',
    redirect_uri: `${location.origin}/`,
    client_id: clientId,
    code_verifier: random() + random(),
  }));
}

async function start(config) {
  sessionStorage.setItem('config', JSON.stringify(config));
  const meta = await discover(config.issuer);
  if (!meta) return;
  await keys(meta);
  const button = $('login');
  button.disabled = false;
  button.onclick = async () => {
    const pending = { verifier: random() + random(), state: random(), nonce: random() };
    sessionStorage.setItem('pending', JSON.stringify(pending));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier)));
    location.assign(`${meta.authorization_endpoint}?${new URLSearchParams({
      response_type: 'code',
      client_id: config.client_id,
      redirect_uri: `${location.origin}/`,
      scope: SCOPE,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`);
  };
}

async function callback(config, params) {
  const pending = JSON.parse(sessionStorage.getItem('pending') || 'null');
  sessionStorage.removeItem('pending');
  history.replaceState(null, '', '/');
  const meta = await discover(config.issuer);
  if (!meta) return;
  const jwks = await keys(meta);
  if (!pending || params.get('state') !== pending.state) { show('token', 'error: state'); return; }
  if (params.get('error')) { show('token', `error: ${params.get('error')}`); return; }
  if (params.has('iss') && params.get('iss') !== meta.issuer) { show('token', 'error: iss'); return; }
  const tok = await call(meta.token_endpoint, form({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: `${location.origin}/`,
    client_id: config.client_id,
    code_verifier: pending.verifier,
  }));
  if (tok.blocked || tok.status !== 200) { show('token', summary(tok)); return; }
  show('token', `${tok.status} ${Object.keys(tok.json).sort().join(' ')}`);
  sessionStorage.setItem('access_token', tok.json.access_token);
  $('access-token').textContent = tok.json.access_token;
  show('id-token', await verifyIdToken(tok.json.id_token, jwks, meta, config.client_id, pending.nonce));
  show('userinfo', summary(await userinfo(meta, tok.json.access_token)));
  show('bad-code', summary(await badCode(meta, config.client_id)));
}

async function revoke(config) {
  const meta = await discover(config.issuer);
  if (!meta) return;
  const token = sessionStorage.getItem('access_token');
  const r = await call(meta.revocation_endpoint, form({
    token,
    token_type_hint: 'access_token',
    client_id: config.client_id,
  }));
  show('revoke', summary(r));
  show('after-revoke', summary(await userinfo(meta, token)));
}

async function probe(params) {
  const issuer = params.get('issuer');
  const clientId = params.get('client_id');
  const meta = await discover(issuer);
  if (!meta) return;
  await keys(meta);
  show('userinfo', summary(await userinfo(meta, params.get('token'))));
  show('bad-code', summary(await badCode(meta, clientId)));
}

async function main() {
  show('origin', location.origin);
  const params = new URLSearchParams(location.search);
  const config = JSON.parse(sessionStorage.getItem('config') || 'null');
  if (params.get('mode') === 'probe') return probe(params);
  if (params.has('issuer')) return start({ issuer: params.get('issuer'), client_id: params.get('client_id') });
  if (!config) { show('discovery', 'error: no configuration'); return; }
  if (params.get('mode') === 'revoke') return revoke(config);
  if (params.has('code') || params.has('error')) return callback(config, params);
  return start(config);
}

main().catch((e) => show('discovery', `error: ${e}`));

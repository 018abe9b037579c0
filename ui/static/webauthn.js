// Gapura: the browser side of passkeys (WebAuthn). Forms marked data-webauthn
// ("create", "get" or "discover") fetch their options from data-options, run the
// ceremony, put the credential (JSON, base64url binaries) into hidden fields and
// submit. "discover" also starts conditional mediation (passkey autofill) where the
// browser offers it. The ceremony state never leaves the server.
(function () {
  'use strict';

  function toBuffer(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) { s += '='; }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toBase64url(buf) {
    var bytes = new Uint8Array(buf);
    var s = '';
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    pk.user.id = toBuffer(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuffer(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return { publicKey: pk };
  }

  function extensions(c) {
    return c.getClientExtensionResults ? c.getClientExtensionResults() : {};
  }

  function attestation(c) {
    return {
      id: c.id, rawId: toBase64url(c.rawId), type: c.type, extensions: extensions(c),
      response: {
        attestationObject: toBase64url(c.response.attestationObject),
        clientDataJSON: toBase64url(c.response.clientDataJSON),
        transports: c.response.getTransports ? c.response.getTransports() : undefined
      }
    };
  }

  function assertion(c) {
    return {
      id: c.id, rawId: toBase64url(c.rawId), type: c.type, extensions: extensions(c),
      response: {
        authenticatorData: toBase64url(c.response.authenticatorData),
        clientDataJSON: toBase64url(c.response.clientDataJSON),
        signature: toBase64url(c.response.signature),
        userHandle: c.response.userHandle ? toBase64url(c.response.userHandle) : null
      }
    };
  }

  function fetchOptions(form) {
    var body = new URLSearchParams();
    body.set('csrf', form.elements.csrf.value);
    if (form.elements.req) { body.set('req', form.elements.req.value); }
    return fetch(form.dataset.options, {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(function (r) {
      if (!r.ok) { throw new Error('options ' + r.status); }
      return r.json();
    });
  }

  function submit(form, ceremony, credential) {
    form.elements.ceremony.value = ceremony;
    form.elements.credential.value = JSON.stringify(credential);
    HTMLFormElement.prototype.submit.call(form);
  }

  function run(form, signal) {
    return fetchOptions(form).then(function (o) {
      if (form.dataset.webauthn === 'create') {
        return navigator.credentials.create(creationOptions(o.options)).then(function (c) {
          submit(form, o.ceremony, attestation(c));
        });
      }
      var options = requestOptions(o.options);
      if (signal) { options.mediation = 'conditional'; options.signal = signal; }
      return navigator.credentials.get(options).then(function (c) {
        if (c) { submit(form, o.ceremony, assertion(c)); }
      });
    });
  }

  var conditional = null;
  document.querySelectorAll('form[data-webauthn]').forEach(function (form) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      var note = document.createElement('p');
      note.className = 'muted';
      note.textContent = form.dataset.unsupported || '';
      form.replaceWith(note);
      return;
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (conditional) { conditional.abort(); conditional = null; }
      run(form, null).catch(function (e) {
        if (window.console) { console.warn('passkey:', e); }
      });
    });
    if (form.dataset.webauthn === 'discover' && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (!ok) { return; }
        conditional = new AbortController();
        run(form, conditional.signal).catch(function () { /* the person may just type a password */ });
      });
    }
  });
})();

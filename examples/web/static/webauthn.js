// The WebAuthn ceremonies of the Credentials web application: the one script it serves.
//
// A ceremony page carries the server's options in `#webauthn[data-options]` (JSON,
// binary values base64url-encoded) and whether to create a credential or get an
// assertion in `data-ceremony`. Pressing the button asks the browser, then posts the
// credential's JSON in the page's form; the server checks everything. Nothing here
// is trusted by the server: it is only the bridge between the page and the browser.
'use strict';

(() => {
  const holder = document.getElementById('webauthn');
  const button = document.getElementById('webauthn-start');
  const status = document.getElementById('webauthn-status');
  const form = document.getElementById('webauthn-form');
  if (!holder || !button || !status || !form) return;

  const fromBase64url = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64url = (buffer) => {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const decodeIds = (list) => (list || []).map((c) => ({ ...c, id: fromBase64url(c.id) }));

  if (!window.PublicKeyCredential) {
    status.textContent = 'This browser does not support security keys. Use another method.';
    return;
  }
  const create = holder.dataset.ceremony === 'create';
  button.disabled = false;

  button.addEventListener('click', async () => {
    // Parsed afresh on every press: a refused attempt must not leave decoded values.
    const options = JSON.parse(holder.dataset.options).publicKey;
    options.challenge = fromBase64url(options.challenge);
    if (create) {
      options.user = { ...options.user, id: fromBase64url(options.user.id) };
      options.excludeCredentials = decodeIds(options.excludeCredentials);
    } else {
      options.allowCredentials = decodeIds(options.allowCredentials);
    }
    button.disabled = true;
    status.textContent = 'Waiting for your security key…';
    try {
      const credential = create
        ? await navigator.credentials.create({ publicKey: options })
        : await navigator.credentials.get({ publicKey: options });
      const r = credential.response;
      const response = create
        ? {
            attestationObject: toBase64url(r.attestationObject),
            clientDataJSON: toBase64url(r.clientDataJSON),
            transports: typeof r.getTransports === 'function' ? r.getTransports() : undefined,
          }
        : {
            authenticatorData: toBase64url(r.authenticatorData),
            clientDataJSON: toBase64url(r.clientDataJSON),
            signature: toBase64url(r.signature),
            userHandle: r.userHandle ? toBase64url(r.userHandle) : null,
          };
      form.elements.credential.value = JSON.stringify({
        id: credential.id,
        rawId: toBase64url(credential.rawId),
        type: credential.type,
        response,
        extensions: credential.getClientExtensionResults(),
      });
      status.textContent = 'Checking…';
      form.submit();
    } catch (error) {
      console.warn('webauthn:', error && error.name, error && error.message);
      // NotAllowedError: cancelled or timed out; InvalidStateError: already registered.
      const already = error && error.name === 'InvalidStateError';
      status.textContent = already
        ? 'This security key is already registered.'
        : 'The security key did not answer, or the request was cancelled. Try again.';
      button.disabled = false;
    }
  });
})();

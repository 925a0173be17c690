// Passkey ceremonies of the sign-in page (#passkey-signin) and the Passkeys tab of the account
// page (#passkey-add), against the JSON API (/v1/auth/passkey/...). The server's options carry
// binary fields as base64url; WebAuthn wants ArrayBuffers, and the answers go back as base64url.
// Without WebAuthn the controls stay hidden.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    var unsupported = document.getElementById("passkey-unsupported");
    if (unsupported) {
      unsupported.hidden = false;
    }
    return;
  }

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) {
      s += "=";
    }
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toB64url(buf) {
    if (!buf) {
      return null;
    }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (c) {
      var d = Object.assign({}, c);
      d.id = fromB64url(c.id);
      return d;
    });
  }

  // creationOptions and requestOptions turn the server's {"publicKey": {...}} into what
  // navigator.credentials.create and .get take.
  function creationOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
    if (pk.excludeCredentials) {
      pk.excludeCredentials = decodeDescriptors(pk.excludeCredentials);
    }
    return { publicKey: pk };
  }

  function requestOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    if (pk.allowCredentials) {
      pk.allowCredentials = decodeDescriptors(pk.allowCredentials);
    }
    return { publicKey: pk };
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) {
        response.transports = r.getTransports();
      }
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) {
        response.userHandle = toB64url(r.userHandle);
      }
    }
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          throw new Error(data.error_description || "The server refused the request (" + res.status + ").");
        }
        return data;
      });
    });
  }

  function describe(err) {
    if (err && err.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This device already has a passkey for your account.";
    }
    return (err && err.message) || "Something went wrong.";
  }

  function localNext(next) {
    if (typeof next === "string" && next.charAt(0) === "/" && next.charAt(1) !== "/" && next.charAt(1) !== "\\") {
      return next;
    }
    return "/";
  }

  // Sign-in page.
  var signin = document.getElementById("passkey-signin");
  if (signin) {
    var signinButton = document.getElementById("passkey-signin-button");
    var signinStatus = document.getElementById("passkey-status");
    signin.hidden = false;
    signinButton.addEventListener("click", function () {
      var username = document.getElementById("username");
      var body = {};
      if (username && username.value.trim() !== "") {
        body.username = username.value.trim();
      }
      signinButton.disabled = true;
      signinStatus.textContent = "Waiting for your passkey…";
      post("/v1/auth/passkey/login/challenge", body).then(function (c) {
        return navigator.credentials.get(requestOptions(c.options)).then(function (cred) {
          return post("/v1/auth/passkey/login", { challenge_id: c.challenge_id, credential: credentialJSON(cred) });
        });
      }).then(function () {
        signinStatus.textContent = "Signed in.";
        window.location.assign(localNext(signin.getAttribute("data-next")));
      }).catch(function (err) {
        signinStatus.textContent = describe(err);
        signinButton.disabled = false;
      });
    });
  }

  // Passkeys tab of the account page.
  var add = document.getElementById("passkey-add");
  if (add) {
    var addButton = document.getElementById("passkey-add-button");
    var addStatus = document.getElementById("passkey-status");
    var nameField = document.getElementById("passkey-name");
    add.hidden = false;
    addButton.addEventListener("click", function () {
      addButton.disabled = true;
      addStatus.textContent = "Follow your browser's prompt to create the passkey…";
      post("/v1/auth/passkey/register/challenge").then(function (c) {
        return navigator.credentials.create(creationOptions(c.options)).then(function (cred) {
          return post("/v1/auth/passkey/register", {
            challenge_id: c.challenge_id,
            credential: credentialJSON(cred),
            name: nameField ? nameField.value.trim() : ""
          });
        });
      }).then(function () {
        window.location.assign("/account/passkeys?added=1");
      }).catch(function (err) {
        addStatus.textContent = describe(err);
        addButton.disabled = false;
      });
    });
  }
})();

// Runs the unmodified openid-client (panva, v6) against a running Gatehouse and prints one JSON
// object with the result of every step; e2e/oauth_realclients_test.go asserts on it. A step
// that fails records {ok: false, error, error_description} and the script goes on, so that the
// Go test can say which step broke; the exit status is non-zero only when the script itself
// cannot run (missing input).
//
// Input (environment):
//   ISSUER                the issuer identifier (http on loopback in tests: allowInsecureRequests)
//   CLIENT_ID, CLIENT_SECRET  a confidential client with client_credentials, authorization_code
//                         and refresh_token
//   CC_SCOPE              the scope to ask for with client_credentials
//   REFRESH_TOKEN         a refresh token of that client: rotated, then reused (must fail and end
//                         its family)
//   REVOKE_REFRESH_TOKEN  another refresh token of that client: revoked, then refused
import * as client from 'openid-client';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`check.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

const issuer = env('ISSUER');
const clientId = env('CLIENT_ID');
const clientSecret = env('CLIENT_SECRET');
const ccScope = env('CC_SCOPE');
const refreshToken = env('REFRESH_TOKEN');
const revokeRefreshToken = env('REVOKE_REFRESH_TOKEN');

const out = { meta: { ok: true, openid_client_version: await version() } };

async function version() {
  const { readFile } = await import('node:fs/promises');
  const url = new URL('./node_modules/openid-client/package.json', import.meta.url);
  return JSON.parse(await readFile(url, 'utf8')).version;
}

// step runs fn and records its result (or its OAuth error) under name.
async function step(name, fn) {
  try {
    out[name] = { ok: true, ...(await fn()) };
  } catch (e) {
    out[name] = {
      ok: false,
      error: e?.error ?? e?.code ?? e?.name ?? 'error',
      error_description: e?.error_description ?? e?.message ?? String(e),
      status: e?.status ?? e?.cause?.status,
    };
  }
  return out[name];
}

let config;
const discovered = await step('discovery', async () => {
  config = await client.discovery(
    new URL(issuer),
    clientId,
    { client_secret: clientSecret },
    client.ClientSecretBasic(clientSecret),
    { execute: [client.allowInsecureRequests] },
  );
  const m = config.serverMetadata();
  return {
    issuer: m.issuer,
    token_endpoint: m.token_endpoint,
    introspection_endpoint: m.introspection_endpoint,
    revocation_endpoint: m.revocation_endpoint,
    userinfo_endpoint: m.userinfo_endpoint,
    jwks_uri: m.jwks_uri,
    supports_pkce: m.supportsPKCE(),
  };
});

if (discovered.ok) {
  let cc;
  await step('client_credentials', async () => {
    cc = await client.clientCredentialsGrant(config, { scope: ccScope });
    return { token_type: cc.token_type, expires_in: cc.expires_in, scope: cc.scope, has_access_token: !!cc.access_token, has_refresh_token: !!cc.refresh_token };
  });
  if (cc) {
    await step('introspect_client_credentials', async () => client.tokenIntrospection(config, cc.access_token));
  }

  let rotated;
  await step('refresh', async () => {
    rotated = await client.refreshTokenGrant(config, refreshToken);
    const claims = rotated.claims();
    return {
      token_type: rotated.token_type,
      expires_in: rotated.expires_in,
      scope: rotated.scope,
      access_token: rotated.access_token,
      refresh_token: rotated.refresh_token,
      rotated: !!rotated.refresh_token && rotated.refresh_token !== refreshToken,
      id_token_sub: claims?.sub ?? null,
    };
  });
  if (rotated) {
    await step('introspect_rotated_refresh_token', async () => client.tokenIntrospection(config, rotated.refresh_token, { token_type_hint: 'refresh_token' }));
    await step('userinfo', async () => {
      const sub = rotated.claims()?.sub;
      return client.fetchUserInfo(config, rotated.access_token, sub ?? client.skipSubjectCheck);
    });
    // Presenting the used refresh token again: refused, and the whole family ends.
    await step('reuse_refresh_token', async () => {
      const again = await client.refreshTokenGrant(config, refreshToken);
      return { unexpected: 'the used refresh token worked', has_access_token: !!again.access_token };
    });
    await step('introspect_rotated_after_reuse', async () => client.tokenIntrospection(config, rotated.refresh_token, { token_type_hint: 'refresh_token' }));
  }

  await step('revoke_refresh_token', async () => {
    await client.tokenRevocation(config, revokeRefreshToken, { token_type_hint: 'refresh_token' });
    return {};
  });
  await step('introspect_revoked_refresh_token', async () => client.tokenIntrospection(config, revokeRefreshToken));
  await step('refresh_revoked', async () => {
    await client.refreshTokenGrant(config, revokeRefreshToken);
    return { unexpected: 'the revoked refresh token worked' };
  });

  if (cc) {
    await step('revoke_access_token', async () => {
      await client.tokenRevocation(config, cc.access_token, { token_type_hint: 'access_token' });
      return {};
    });
    await step('introspect_revoked_access_token', async () => client.tokenIntrospection(config, cc.access_token));
  }
}

process.stdout.write(JSON.stringify(out) + '\n');

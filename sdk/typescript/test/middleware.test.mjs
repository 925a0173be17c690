// requireAuth in front of a tiny node:http resource server, checking bearers through a real
// Gatehouse: allowed, missing, invalid, wrong scope, and Gatehouse down or refusing the verifier.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { Gatehouse, requireAuth } from "../dist/index.js";
import { freePort } from "../scripts/server.mjs";
import { password, withGatehouse } from "./gatehouse.mjs";

/** serve starts a resource server whose every request goes through mw; it answers req.gatehouse. */
async function serve(mw) {
  const srv = createServer((req, res) => {
    mw(req, res, (err) => {
      if (err) {
        res.writeHead(500).end(String(err));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(req.gatehouse));
    });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${srv.address().port}/calls`, close: () => new Promise((r) => srv.close(r)) };
}

async function call(url, bearer) {
  const r = await fetch(url, { headers: bearer === undefined ? {} : { Authorization: bearer } });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

withGatehouse("requireAuth", { admins: [{ username: "root", password }] }, (server) => {
  const s = {};
  before(async () => {
    const baseUrl = server().url;
    const root = await new Gatehouse({ baseUrl }).auth.login({ username: "root", password });
    const admin = new Gatehouse({ baseUrl, token: root.token });
    const org = await admin.orgs.create({ name: "resource-servers" });
    s.verifierKey = (await admin.apiKeys.create(org.id, { name: "calls api", scopes: ["gatehouse:verify"], environment: "live" })).key;
    const user = await new Gatehouse({ baseUrl }).auth.register({ username: "carol", password });
    s.userID = user.user.id;
    const carol = new Gatehouse({ baseUrl, token: user.token });
    s.reader = (await carol.tokens.create({ name: "reader", expiresIn: "30d", scopes: ["calls:read"] })).token;
    s.writer = (await carol.tokens.create({ name: "writer", expiresIn: "30d", scopes: ["calls:write"] })).token;
    s.api = await serve(requireAuth({ baseUrl, verifierToken: s.verifierKey, scopes: ["calls:read"] }));
  });
  after(async () => {
    await s.api?.close();
  });

  test("a credential with the scope passes and sets req.gatehouse", async () => {
    const r = await call(s.api.url, `Bearer ${s.reader}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.valid, true);
    assert.equal(r.body.kind, "pat");
    assert.equal(r.body.principal.id, s.userID);
    assert.equal(r.body.principal.username, "carol");
    assert.deepEqual(r.body.scopes, ["calls:read"]);
  });

  const refused = [
    { name: "no Authorization header", bearer: undefined, status: 401, code: "invalid_token" },
    { name: "not a bearer", bearer: "Basic Y2Fyb2w6cHc=", status: 401, code: "invalid_token" },
    { name: "an unknown token", bearer: "Bearer gth_pat_nope", status: 401, code: "invalid_token" },
    { name: "a token without the scope", bearer: () => `Bearer ${s.writer}`, status: 403, code: "insufficient_permissions" },
  ];
  for (const c of refused) {
    test(`refused: ${c.name} → ${c.status}`, async () => {
      const r = await call(s.api.url, typeof c.bearer === "function" ? c.bearer() : c.bearer);
      assert.equal(r.status, c.status);
      assert.equal(r.body.error, c.code);
      assert.equal(typeof r.body.error_description, "string");
      assert.equal(typeof r.body.request_id, "string");
      if (c.status === 401) assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer /);
    });
  }

  test("a verifier Gatehouse refuses fails closed with 503", async () => {
    const api = await serve(requireAuth({ baseUrl: server().url, verifierToken: s.reader }));
    try {
      const r = await call(api.url, `Bearer ${s.reader}`);
      assert.equal(r.status, 503);
      assert.equal(r.body.error, "temporarily_unavailable");
    } finally {
      await api.close();
    }
  });

  test("Gatehouse unreachable fails closed with 503", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const api = await serve(requireAuth({ baseUrl: down, verifierToken: s.verifierKey }));
    try {
      const r = await call(api.url, `Bearer ${s.reader}`);
      assert.equal(r.status, 503);
      assert.equal(r.body.error, "temporarily_unavailable");
      assert.match(r.body.error_description, /could not be reached/);
    } finally {
      await api.close();
    }
  });
});

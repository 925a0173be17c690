// The Gatehouse class and the Crustocean-style functions against a real server: the flows a
// developer writes, each answer checked field by field (camelCase), errors by status and code.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addAgentToAgency,
  createAgent,
  createToken,
  Gatehouse,
  GatehouseError,
  login,
  register,
  transferAgent,
  verifyAgent,
} from "../dist/index.js";
import { freePort } from "../scripts/server.mjs";
import { password, rejectsWith, withGatehouse } from "./gatehouse.mjs";

const isDate = (s) => typeof s === "string" && !Number.isNaN(Date.parse(s));
// shows says whether a displayed prefix ("gth_pat_Dry…cjKT") is the secret's start and end.
const shows = (prefix, secret) => {
  const [head, tail = ""] = prefix.split("…");
  return head.length >= 8 && secret.startsWith(head) && secret.endsWith(tail);
};

withGatehouse("Gatehouse client", { admins: [{ username: "root", password }] }, (server) => {
  // State shared by the steps, which run in order.
  const s = {};
  const as = (token) => new Gatehouse({ baseUrl: server().url, token });

  test("auth.register maps displayName and answers { token, expiresAt, user }", async () => {
    const ses = await as().auth.register({ username: "alice", password, email: "alice@example.com", displayName: "Alice A." });
    assert.match(ses.token, /^gth_/);
    assert.ok(isDate(ses.expiresAt) && Date.parse(ses.expiresAt) > Date.now(), `expiresAt ${ses.expiresAt}`);
    assert.equal(ses.user.username, "alice");
    assert.equal(ses.user.displayName, "Alice A.");
    assert.equal(ses.user.email, "alice@example.com");
    assert.equal(ses.user.emailVerified, false);
    assert.equal(ses.user.kind, "user");
    assert.equal("display_name" in ses.user, false, "snake_case leaked");
    s.alice = ses.token;
    s.aliceID = ses.user.id;
  });

  test("register (Crustocean-style) and a taken username", async () => {
    const { token, user } = await register({ apiUrl: server().url, username: "bob", password });
    assert.match(token, /^gth_/);
    assert.equal(user.username, "bob");
    s.bob = token;
    s.bobID = user.id;
    await rejectsWith(register({ apiUrl: server().url, username: "bob", password }), 409, "username_taken");
  });

  test("auth.login and login (Crustocean-style) sign in; a wrong password is a typed error", async () => {
    const a = await as().auth.login({ username: "alice", password });
    const b = await login({ apiUrl: server().url, username: "alice@example.com", password });
    assert.equal(a.user.id, s.aliceID);
    assert.equal(b.user.id, s.aliceID);
    assert.notEqual(a.token, b.token);
    assert.ok(isDate(a.expiresAt));
    s.aliceSecond = b.token;
    await assert.rejects(as().auth.login({ username: "alice", password: "wrong password!" }), (err) => {
      assert.ok(err instanceof GatehouseError);
      assert.equal(err.name, "GatehouseError");
      assert.equal(err.status, 401);
      assert.equal(err.code, "invalid_credentials");
      assert.equal(typeof err.requestId, "string");
      assert.ok(err.requestId.length > 0, "requestId empty");
      assert.ok(err.description.length > 0);
      assert.equal(err.retryAfter, undefined);
      return true;
    });
  });

  test("me.get and me.update", async () => {
    const me = await as(s.alice).me.get();
    assert.equal(me.id, s.aliceID);
    assert.equal(me.isAdmin, false);
    assert.ok(isDate(me.createdAt));
    const up = await as(s.alice).me.update({ displayName: "Ada", description: "writes programs" });
    assert.equal(up.displayName, "Ada");
    assert.equal(up.description, "writes programs");
    assert.equal((await as(s.alice).me.get()).displayName, "Ada");
    await rejectsWith(as().me.get(), 401, "invalid_token");
  });

  test("tokens.create/list/revoke and createToken (Crustocean-style)", async () => {
    const t = await as(s.alice).tokens.create({ name: "ci-deploy", expiresIn: "90d", scopes: ["calls:read"] });
    assert.match(t.token, /^gth_/);
    assert.ok(shows(t.prefix, t.token), `prefix ${t.prefix} of ${t.token}`);
    assert.deepEqual(t.scopes, ["calls:read"]);
    assert.equal(t.name, "ci-deploy");
    assert.ok(isDate(t.createdAt) && isDate(t.expiresAt));
    const days = (Date.parse(t.expiresAt) - Date.parse(t.createdAt)) / 86400e3;
    assert.ok(Math.abs(days - 90) < 1, `90d token lives ${days} days`);
    s.readPAT = t.token;

    const c = await createToken({ apiUrl: server().url, userToken: s.alice, name: "script", expiresIn: "never" });
    assert.equal(c.expiresAt, null);
    assert.equal((await as(c.token).me.get()).id, s.aliceID, "the new PAT acts for alice");

    const list = await as(s.alice).tokens.list();
    assert.deepEqual(list.map((x) => x.name).sort(), ["ci-deploy", "script"]);
    for (const x of list) {
      assert.equal(x.token, undefined, "a listed token shows its secret");
      assert.ok("lastUsedAt" in x);
    }
    await as(s.alice).tokens.revoke(c.id);
    assert.deepEqual((await as(s.alice).tokens.list()).map((x) => x.id), [t.id]);
    await rejectsWith(as(c.token).me.get(), 401, "invalid_token");
    await rejectsWith(as(s.alice).tokens.revoke(c.id), 404, "not_found");
    await rejectsWith(as(s.alice).tokens.create({ name: "x", expiresIn: "5 weeks" }), 400, "invalid_request");
  });

  test("agents.create/list/verify/rotate and auth.exchangeAgentToken", async () => {
    const { agent, agentToken } = await as(s.alice).agents.create({ name: "mybot", role: "Assistant" });
    assert.equal(agent.name, "mybot");
    assert.equal(agent.role, "Assistant");
    assert.equal(agent.ownerId, s.aliceID);
    assert.equal(agent.verified, false);
    assert.equal(agent.verifiedAt, null);
    assert.ok(shows(agent.tokenPrefix, agentToken), `prefix ${agent.tokenPrefix} of ${agentToken}`);
    assert.deepEqual((await as(s.alice).agents.list()).map((a) => a.id), [agent.id]);

    await assert.rejects(as().auth.exchangeAgentToken(agentToken), (err) => err instanceof GatehouseError && err.code === "agent_not_verified");
    const v = await as(s.alice).agents.verify(agent.id);
    assert.equal(v.verified, true);
    assert.ok(isDate(v.verifiedAt));

    const ses = await as().auth.exchangeAgentToken(agentToken);
    assert.equal(ses.user.kind, "agent");
    assert.equal(ses.user.id, agent.userId);
    assert.ok(isDate(ses.expiresAt));
    const me = await as(ses.token).me.get();
    assert.equal(me.id, agent.userId);
    assert.deepEqual(me.owner, { id: s.aliceID, username: "alice" });

    const rotated = await as(s.alice).agents.rotate(agent.id);
    assert.notEqual(rotated.agentToken, agentToken);
    assert.equal(rotated.agent.id, agent.id);
    await rejectsWith(as().auth.exchangeAgentToken(agentToken), 401, "invalid_token");
    assert.equal((await as().auth.exchangeAgentToken(rotated.agentToken)).user.id, agent.userId);
    await rejectsWith(as(s.bob).agents.verify(agent.id), 404, "not_found");
    s.agent = agent;
  });

  test("createAgent, verifyAgent, transferAgent (Crustocean-style) and agents.transfer", async () => {
    const apiUrl = server().url;
    const { agent, agentToken } = await createAgent({ apiUrl, userToken: s.alice, name: "helper" });
    assert.equal(agent.ownerId, s.aliceID);
    const v = await verifyAgent({ apiUrl, userToken: s.alice, agentId: agent.id });
    assert.equal(v.verified, true);
    assert.equal((await as().auth.exchangeAgentToken(agentToken)).user.id, agent.userId);

    const moved = await transferAgent({ apiUrl, userToken: s.alice, agentId: agent.id, newOwner: "bob" });
    assert.equal(moved.ownerId, s.bobID);
    assert.deepEqual((await as(s.bob).agents.list()).map((a) => a.id), [agent.id]);
    assert.equal((await as(s.alice).agents.list()).some((a) => a.id === agent.id), false);
    const back = await as(s.bob).agents.transfer(agent.id, s.aliceID);
    assert.equal(back.ownerId, s.aliceID);
    await rejectsWith(as(s.bob).agents.transfer(agent.id, "bob"), 404, "not_found");
    s.helper = agent;
  });

  test("orgs.create/list/addAgent and addAgentToAgency (Crustocean-style)", async () => {
    const org = await as(s.alice).orgs.create({ name: "acme" });
    assert.equal(org.name, "acme");
    assert.equal(org.role, "owner");
    assert.ok(isDate(org.createdAt) && isDate(org.joinedAt));
    assert.ok((await as(s.alice).orgs.list()).some((o) => o.id === org.id));
    assert.equal((await as(s.bob).orgs.list()).some((o) => o.id === org.id), false);

    const m = await as(s.alice).orgs.addAgent(org.id, s.agent.id);
    assert.equal(m.userId, s.agent.userId);
    assert.equal(m.kind, "agent");
    const m2 = await addAgentToAgency({ apiUrl: server().url, userToken: s.alice, agentId: s.helper.id, agencyId: org.id });
    assert.equal(m2.userId, s.helper.userId);
    await rejectsWith(as(s.bob).orgs.addAgent(org.id, s.agent.id), 404, "not_found");
    s.org = org;
  });

  test("apiKeys.create/list/rotate/revoke", async () => {
    const k = as(s.alice).apiKeys;
    const expires = new Date(Date.now() + 7 * 86400e3);
    const key = await k.create(s.org.id, { name: "backend", scopes: ["calls:read"], environment: "test", allowedCidrs: ["10.0.0.0/8"], expiresAt: expires });
    assert.match(key.key, /^gth_/);
    assert.ok(shows(key.prefix, key.key), `prefix ${key.prefix} of ${key.key}`);
    assert.equal(key.environment, "test");
    assert.deepEqual(key.allowedCidrs, ["10.0.0.0/8"]);
    assert.deepEqual(key.scopes, ["calls:read"]);
    assert.ok(Math.abs(Date.parse(key.expiresAt) - expires.getTime()) < 1000, `expiresAt ${key.expiresAt}`);
    assert.equal(key.createdBy, s.aliceID);

    const listed = await k.list(s.org.id);
    assert.deepEqual(listed.map((x) => x.id), [key.id]);
    assert.equal(listed[0].key, undefined, "a listed key shows its secret");

    const rot = await k.rotate(s.org.id, key.id, { overlap: "1h" });
    assert.notEqual(rot.key, key.key);
    assert.equal(rot.replaces, key.id);
    assert.ok(isDate(rot.replacesExpiresAt));
    const ids = (await k.list(s.org.id)).map((x) => x.id).sort();
    assert.deepEqual(ids, [key.id, rot.id].sort());
    await rejectsWith(k.rotate(s.org.id, key.id), 409, "conflict");

    await k.revoke(s.org.id, key.id);
    assert.deepEqual((await k.list(s.org.id)).map((x) => x.id), [rot.id]);
    await rejectsWith(k.revoke(s.org.id, key.id), 404, "not_found");
    await rejectsWith(as(s.bob).apiKeys.list(s.org.id), 404, "not_found");
    await rejectsWith(k.create(s.org.id, { name: "bad", scopes: ["gatehouse:verify"], environment: "live" }), 403, "insufficient_permissions");
    s.rotatedKey = rot;
  });

  test("verify: valid, invalid, wrong scope, IP-bound key, and a caller that is no verifier", async () => {
    const root = await as().auth.login({ username: "root", password });
    assert.equal(root.user.isAdmin, true);
    const rootOrg = await as(root.token).orgs.create({ name: "verifiers" });
    const verifierKey = (await as(root.token).apiKeys.create(rootOrg.id, { name: "rs", scopes: ["gatehouse:verify"], environment: "live" })).key;
    const verifier = as(verifierKey);

    const ok = await verifier.verify(s.readPAT, { scopes: ["calls:read"] });
    assert.equal(ok.valid, true);
    assert.equal(ok.kind, "pat");
    assert.equal(ok.principal.id, s.aliceID);
    assert.equal(ok.principal.username, "alice");
    assert.deepEqual(ok.scopes, ["calls:read"]);

    const scope = await verifier.verify(s.readPAT, { scopes: ["calls:write"] });
    assert.deepEqual(scope, { valid: false, code: "insufficient_permissions" });
    const garbage = await verifier.verify("gth_not_a_token");
    assert.equal(garbage.valid, false);
    assert.equal(garbage.code, "invalid_token");

    const key = await verifier.verify(s.rotatedKey.key, { ip: "10.1.2.3" });
    assert.equal(key.valid, true);
    assert.equal(key.kind, "api_key");
    assert.equal(key.org, s.org.id);
    assert.equal(key.environment, "test");
    assert.equal(key.principal.keyId, s.rotatedKey.id);
    assert.deepEqual(await verifier.verify(s.rotatedKey.key, { ip: "192.0.2.1" }), { valid: false, code: "ip_not_allowed" });

    const session = await as(root.token).verify(s.alice);
    assert.equal(session.valid, true);
    assert.equal(session.kind, "session");
    await rejectsWith(as(s.alice).verify(s.readPAT), 403, "insufficient_permissions");
    await rejectsWith(as().verify(s.readPAT), 401, "invalid_token");
  });

  test("auth.logout ends the session", async () => {
    await as(s.aliceSecond).auth.logout();
    await rejectsWith(as(s.aliceSecond).me.get(), 401, "invalid_token");
    assert.equal((await as(s.alice).me.get()).id, s.aliceID, "other sessions stay");
  });
});

test("an unreachable server is a GatehouseError with status 0", async () => {
  const port = await freePort();
  await assert.rejects(new Gatehouse({ baseUrl: `http://127.0.0.1:${port}` }).me.get(), (err) => {
    assert.ok(err instanceof GatehouseError);
    assert.equal(err.status, 0);
    assert.equal(err.code, "unreachable");
    assert.ok(err.cause, "no cause");
    return true;
  });
});

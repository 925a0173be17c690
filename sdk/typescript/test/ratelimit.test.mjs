// A 429 from a real server (GATEHOUSE_AUTH_RATE_LIMIT=2/m) surfaces as a GatehouseError with
// retryAfter in seconds; the Retry-After header parsing it falls back to, table-tested.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Gatehouse, GatehouseError } from "../dist/index.js";
import { retryAfterSeconds } from "../dist/errors.js";
import { password, withGatehouse } from "./gatehouse.mjs";

withGatehouse("rate limiting", { env: { GATEHOUSE_AUTH_RATE_LIMIT: "2/m" } }, (server) => {
  test("the third sign-in within a minute is 429 with retryAfter", async () => {
    const gh = new Gatehouse({ baseUrl: server().url });
    const codes = [];
    let limited;
    for (let i = 0; i < 3; i++) {
      try {
        await gh.auth.login({ username: "nobody", password });
        codes.push(200);
      } catch (err) {
        assert.ok(err instanceof GatehouseError, String(err));
        codes.push(err.status);
        if (err.status === 429) limited = err;
      }
    }
    assert.deepEqual(codes, [401, 401, 429]);
    assert.equal(limited.code, "rate_limited");
    assert.equal(typeof limited.retryAfter, "number");
    assert.ok(limited.retryAfter >= 1 && limited.retryAfter <= 60, `retryAfter ${limited.retryAfter}`);
    assert.ok(limited.requestId);
  });
});

test("retryAfterSeconds reads delta-seconds and HTTP dates", () => {
  const cases = [
    { name: "absent", header: null, want: undefined },
    { name: "seconds", header: "42", want: 42 },
    { name: "padded", header: " 7 ", want: 7 },
    { name: "garbage", header: "soon", want: undefined },
    { name: "date in the past", header: new Date(Date.now() - 60e3).toUTCString(), want: 0 },
  ];
  for (const c of cases) assert.equal(retryAfterSeconds(c.header), c.want, c.name);
  const ahead = retryAfterSeconds(new Date(Date.now() + 30e3).toUTCString());
  assert.ok(ahead >= 29 && ahead <= 31, `date 30s ahead: ${ahead}`);
});

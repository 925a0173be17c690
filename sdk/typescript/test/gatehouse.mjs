// Test harness: each suite runs against a real Gatehouse binary (GATEHOUSE_BIN) started on a
// free port with a temporary SQLite file. Without GATEHOUSE_BIN the suites are skipped, unless
// GATEHOUSE_TEST_SDK=1 asks for them, which then fails.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GatehouseError } from "../dist/index.js";
import { startGatehouse } from "../scripts/server.mjs";

export const password = "correct horse battery staple";

/**
 * withGatehouse declares a suite whose tests share one server, started with env and admins
 * (see startGatehouse); body receives a getter of the running server ({ url, stop, log }).
 */
export function withGatehouse(name, { env = {}, admins = [] }, body) {
  if (!process.env.GATEHOUSE_BIN) {
    if (process.env.GATEHOUSE_TEST_SDK === "1") {
      test(name, () => assert.fail("GATEHOUSE_TEST_SDK=1 but GATEHOUSE_BIN is unset: build the server (go build -o /tmp/gatehouse ./cmd/gatehouse) and set GATEHOUSE_BIN"));
    } else {
      describe(name, { skip: "GATEHOUSE_BIN is unset: the SDK tests need a real server (set GATEHOUSE_BIN to a built gatehouse binary)" }, () => {});
    }
    return;
  }
  describe(name, () => {
    let server;
    before(async () => {
      server = await startGatehouse({ env: { GATEHOUSE_AUTH_RATE_LIMIT: "10000/m", ...env }, admins });
    });
    after(async () => {
      await server?.stop();
    });
    body(() => server);
  });
}

/** rejectsWith awaits p and checks it fails with a GatehouseError of status and code. */
export async function rejectsWith(p, status, code) {
  await assert.rejects(p, (err) => {
    assert.ok(err instanceof GatehouseError, `want a GatehouseError, got ${err}`);
    assert.equal(err.status, status, `status of ${err.message}`);
    assert.equal(err.code, code, `code of ${err.message}`);
    return true;
  });
}

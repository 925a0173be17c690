// Starts a real Gatehouse binary (GATEHOUSE_BIN) on a free port with a temporary SQLite file,
// for the tests and for the scripts that need the served OpenAPI document.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (the port is released before it is returned). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `bin serve` and resolves once /livez answers. admins lists accounts
 * ({ username, password }) created first with `gatehouse admin create-user --admin`.
 * The answer's stop() ends the process and removes the temporary folder.
 */
export async function startGatehouse({ bin = process.env.GATEHOUSE_BIN, env = {}, admins = [] } = {}) {
  if (!bin) throw new Error("GATEHOUSE_BIN is not set: build it with `go build -o /tmp/gatehouse ./cmd/gatehouse`");
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-sdk-"));
  const port = await freePort();
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dir,
    GATEHOUSE_DATABASE_URL: `sqlite://${join(dir, "gatehouse.db")}`,
    GATEHOUSE_ADDR: `127.0.0.1:${port}`,
    GATEHOUSE_MAIL_OUTBOX_DIR: join(dir, "outbox"),
    GATEHOUSE_LOG_FORMAT: "json",
    GATEHOUSE_PASSWORD_HASH_WORKERS: "2",
    ...env,
  };
  for (const a of admins) {
    const r = spawnSync(bin, ["admin", "create-user", "--username", a.username, "--admin", "--password-stdin"], {
      env: childEnv,
      input: a.password + "\n",
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`gatehouse admin create-user: ${r.stderr || r.error}`);
  }
  const child = spawn(bin, ["serve"], { env: childEnv, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (b) => {
    log = (log + b).slice(-20000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`gatehouse exited (${child.exitCode}) before answering:\n${log}`);
    }
    try {
      const r = await fetch(`${url}/livez`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`gatehouse did not answer /livez within 30s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, stop, log: () => log };
}

/**
 * Resolves the OpenAPI document's source for the scripts: a file path or URL given as
 * argument or in GATEHOUSE_OPENAPI, else a server started from GATEHOUSE_BIN, else
 * http://localhost:8080/openapi.json. Writes the document to file and returns a stop function.
 */
export async function fetchOpenAPI(source, file) {
  const { writeFileSync, readFileSync } = await import("node:fs");
  let stop = async () => {};
  source ||= process.env.GATEHOUSE_OPENAPI;
  if (!source && process.env.GATEHOUSE_BIN) {
    const srv = await startGatehouse();
    stop = srv.stop;
    source = `${srv.url}/openapi.json`;
  }
  source ||= "http://localhost:8080/openapi.json";
  try {
    let text;
    if (/^https?:\/\//.test(source)) {
      const r = await fetch(source);
      if (!r.ok) throw new Error(`GET ${source}: ${r.status}`);
      text = await r.text();
    } else {
      text = readFileSync(source, "utf8");
    }
    writeFileSync(file, text);
  } finally {
    await stop();
  }
}

// Runs the pinned openapi-typescript CLI on an OpenAPI file, writing a TypeScript file.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** Generates out from the OpenAPI document in file; throws when the CLI fails. */
export function generate(file, out) {
  const cli = join(dirname(require.resolve("openapi-typescript/package.json")), "bin", "cli.js");
  const r = spawnSync(process.execPath, [cli, file, "-o", out], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openapi-typescript failed:\n${r.stderr}`);
}

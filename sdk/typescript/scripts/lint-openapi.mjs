// npm run lint:openapi [-- SOURCE]: lints the served OpenAPI document (source as for npm run
// generate) with the pinned Redocly CLI, redocly.yaml and .redocly.lint-ignore.yaml. Redocly
// exits 0 on warnings; this fails on any problem, warning or error.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fetchOpenAPI } from "./server.mjs";

mkdirSync("build", { recursive: true });
await fetchOpenAPI(process.argv[2], "build/openapi.json");
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve("@redocly/cli/package.json")), "bin", "cli.js");
const r = spawnSync(process.execPath, [cli, "lint", "--config", "redocly.yaml", "--format", "json", "build/openapi.json"], {
  encoding: "utf8",
  maxBuffer: 64 << 20,
  env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
});
let report;
try {
  report = JSON.parse(r.stdout);
} catch {
  console.error(`redocly lint gave no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  process.exit(1);
}
for (const p of report.problems) {
  const at = p.location?.[0];
  console.error(`${p.severity} ${p.ruleId} ${at?.pointer ?? ""} (line ${at?.start?.line ?? "?"}): ${p.message}`);
}
const { errors, warnings, ignored } = report.totals;
console.log(`redocly ${report.version} lint: ${errors} errors, ${warnings} warnings, ${ignored} explicitly ignored`);
if (errors + warnings > 0 || r.status !== 0) process.exit(1);

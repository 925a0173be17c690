// npm run check-generated [-- SOURCE]: regenerates the wire types into a temporary file and
// fails when they differ from the committed src/generated/openapi.ts (the source as for
// npm run generate).
import { mkdirSync, readFileSync } from "node:fs";
import { fetchOpenAPI } from "./server.mjs";
import { generate } from "./openapi-typescript.mjs";

mkdirSync("build", { recursive: true });
await fetchOpenAPI(process.argv[2], "build/openapi.json");
generate("build/openapi.json", "build/openapi.check.ts");
const fresh = readFileSync("build/openapi.check.ts", "utf8");
const committed = readFileSync("src/generated/openapi.ts", "utf8");
if (fresh !== committed) {
  const a = committed.split("\n");
  const b = fresh.split("\n");
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  console.error(`src/generated/openapi.ts is stale (first difference at line ${i + 1}):`);
  console.error(`  committed: ${a[i] ?? "<end>"}\n  generated: ${b[i] ?? "<end>"}`);
  console.error("run `npm run generate` against the current server and commit the result");
  process.exit(1);
}
console.log("src/generated/openapi.ts is up to date");

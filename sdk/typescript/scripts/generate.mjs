// npm run generate [-- SOURCE]: regenerates src/generated/openapi.ts from the OpenAPI document
// (SOURCE: a file or URL; default GATEHOUSE_OPENAPI, else a server started from GATEHOUSE_BIN,
// else http://localhost:8080/openapi.json).
import { mkdirSync } from "node:fs";
import { fetchOpenAPI } from "./server.mjs";
import { generate } from "./openapi-typescript.mjs";

mkdirSync("build", { recursive: true });
await fetchOpenAPI(process.argv[2], "build/openapi.json");
generate("build/openapi.json", "src/generated/openapi.ts");
console.log("src/generated/openapi.ts regenerated");

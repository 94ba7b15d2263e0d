// Generates the TypeScript types of the API from the bundled spec into src/generated/.
// Run by turbo before anything that compiles against the types; `--check` fails when the files on
// disk differ from what the current bundle generates.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
export const generatedDir = join(packageDir, "src", "generated");
export const bundlePath = createRequire(import.meta.url).resolve("@fruxon/spec/openapi.json");

/** Renders every generated file from the bundle and returns their contents by file name. */
export async function renderTypes(path = bundlePath) {
  const source = await readFile(path, "utf8");
  const digest = createHash("sha256").update(source).digest("hex");
  const document = JSON.parse(source);
  const banner = [
    "// This file is generated from spec/dist/openapi.json by packages/api-types/scripts/generate.mjs.",
    `// Do not edit it by hand: change the spec and run \`pnpm build\`. Bundle sha256: ${digest}`,
    "",
  ].join("\n");

  const ast = await openapiTS(document, { defaultNonNullable: false, alphabetize: false });
  const openapi = banner + "\n" + astToString(ast);

  const schemaNames = Object.keys(document.components?.schemas ?? {});
  const schemas =
    banner +
    '\nimport type { components } from "./openapi.js";\n\n' +
    schemaNames.map((name) => `export type ${name} = components["schemas"]["${name}"];\n`).join("");

  return { "openapi.ts": openapi, "schemas.ts": schemas };
}

async function main() {
  const check = process.argv.includes("--check");
  const files = await renderTypes();

  if (check) {
    const stale = [];
    for (const [name, contents] of Object.entries(files)) {
      const onDisk = await readFile(join(generatedDir, name), "utf8").catch(() => "");
      if (onDisk !== contents) stale.push(name);
    }
    if (stale.length > 0) {
      console.error(`Generated types are stale: ${stale.join(", ")}. Run \`pnpm build\` to regenerate them.`);
      process.exit(1);
    }
    console.log("Generated types match the spec.");
    return;
  }

  await mkdir(generatedDir, { recursive: true });
  for (const [name, contents] of Object.entries(files)) {
    await writeFile(join(generatedDir, name), contents);
  }
  console.log(`Generated ${Object.keys(files).join(", ")} from ${bundlePath}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}

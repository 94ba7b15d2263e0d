import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedDir, renderTypes } from "../scripts/generate.mjs";

describe("generated types", () => {
  it("match the current bundle byte for byte", async () => {
    const files: Record<string, string> = await renderTypes();

    for (const [name, contents] of Object.entries(files)) {
      const onDisk = await readFile(join(generatedDir, name), "utf8");
      expect(onDisk, `${name} is stale: run pnpm build`).toBe(contents);
    }
  });

  it("export every schema of the spec by name", async () => {
    const bundle = JSON.parse(
      await readFile(join(generatedDir, "..", "..", "..", "..", "spec", "dist", "openapi.json"), "utf8"),
    );
    const schemas = await readFile(join(generatedDir, "schemas.ts"), "utf8");

    for (const name of Object.keys(bundle.components.schemas)) {
      expect(schemas).toContain(`export type ${name} = components["schemas"]["${name}"];`);
    }
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// The naming rules that the READMEs of spec/ state, checked on the files themselves. Lint cannot
// see a component file that nothing references, because the bundler only loads referenced files.

const specDir = fileURLToPath(new URL("..", import.meta.url));
const componentKinds = ["schemas", "parameters", "responses", "headers", "examples"];

const readYaml = (path: string): unknown => parse(readFileSync(join(specDir, path), "utf8"));
const yamlFilesIn = (folder: string): string[] =>
  readdirSync(join(specDir, folder))
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => `${folder}/${name}`);

/** Collects every `$ref` value below `node`. */
function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) refsIn(item, found);
  } else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") found.push(value);
      else refsIn(value, found);
    }
  }
  return found;
}

/** Returns the spec files reachable from openapi.yaml through `$ref`, as paths relative to spec/. */
function reachableFiles(): Set<string> {
  const reached = new Set<string>();
  const pending = ["openapi.yaml"];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);

    for (const ref of refsIn(readYaml(file))) {
      const target = ref.split("#")[0] ?? "";
      if (target !== "") pending.push(relative(specDir, join(specDir, dirname(file), target)));
    }
  }
  return reached;
}

const root = readYaml("openapi.yaml") as { paths: Record<string, { $ref?: string }> };

describe("spec layout", () => {
  it("references one file per path, named after the path", () => {
    const mismatches = Object.entries(root.paths)
      .map(([path, item]) => [item.$ref, `paths/${path.slice(1).replaceAll("/", "_").replaceAll(":", "@")}.yaml`])
      .filter(([actual, expected]) => actual !== expected);

    expect(mismatches).toEqual([]);
  });

  it.each(componentKinds)("names %s files in PascalCase", (kind) => {
    const badNames = yamlFilesIn(`components/${kind}`).filter((file) => !/\/[A-Z][A-Za-z0-9]*\.yaml$/.test(file));

    expect(badNames).toEqual([]);
  });

  it("gives each schema the title of its file", () => {
    const mismatches = yamlFilesIn("components/schemas")
      .map((file) => [file, (readYaml(file) as { title?: string }).title])
      .filter(([file, title]) => !file?.endsWith(`/${title}.yaml`));

    expect(mismatches).toEqual([]);
  });

  it("names path parameters after the parameter", () => {
    const mismatches = yamlFilesIn("components/parameters")
      .map((file) => [file, readYaml(file) as { name: string; in: string }] as const)
      .filter(([, parameter]) => parameter.in === "path")
      .filter(([file, { name }]) => !file.endsWith(`/${name[0]?.toUpperCase()}${name.slice(1)}Path.yaml`))
      .map(([file]) => file);

    expect(mismatches).toEqual([]);
  });

  it("references every path and component file", () => {
    const reachable = reachableFiles();
    const files = ["paths", ...componentKinds.map((kind) => `components/${kind}`)].flatMap(yamlFilesIn);

    expect(files.filter((file) => !reachable.has(file))).toEqual([]);
  });
});

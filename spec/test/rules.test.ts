import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

import { lintFixture, type LintProblem } from "./lint-fixture.js";

// Each table lints one small fixture with the spec's redocly.yaml in a single CLI run, then checks
// where its rule reported. A row names a place in the fixture: a "reports" row must get a problem
// from the rule at exactly that JSON pointer, a "does not report" row must get none at or below it.

type Json = Record<string, unknown>;

interface Place {
  /** Fixture file of the place; `openapi.yaml` when omitted. */
  file?: string;
  pointer: string;
  /** Text the message must contain, usually the quoted key. */
  quotes?: string;
  /** The rule reports a missing key, so only the parent of `pointer` exists in the fixture. */
  absent?: boolean;
}

interface RuleTable {
  name: string;
  rule: string;
  files: Record<string, Json>;
  reports: Array<[string, Place]>;
  clean: Array<[string, Place]>;
}

// fixture building blocks

const ok = { description: "OK." };
const problem = {
  description: "A problem.",
  content: { "application/problem+json": { schema: { type: "object" } } },
};
const json = (schema: Json) => ({ description: "OK.", content: { "application/json": { schema } } });
const get = (operationId: string, extra: Json = {}) => ({
  get: { operationId, responses: { "200": ok, "401": problem }, ...extra },
});
const post = (operationId: string, schema: Json, mediaType = "application/json") => ({
  post: {
    operationId,
    requestBody: { content: { [mediaType]: { schema } } },
    responses: { "200": ok, "401": problem },
  },
});

function openapi(paths: Json, components: Json = {}): Json {
  return {
    openapi: "3.1.0",
    info: { title: "Fixture", version: "1.0.0" },
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      ...components,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer" },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
      },
    },
  };
}

function withoutRootSecurity(document: Json): Json {
  const { security: _security, ...rest } = document;
  return rest;
}

const strings = { type: "array", items: { type: "string" } };
const pageSize = { name: "pageSize", in: "query", schema: { type: "integer" } };
const pageToken = { name: "pageToken", in: "query", schema: { type: "string" } };
const page = { type: "object", properties: { items: strings, nextPageToken: { type: "string" } } };
const pageWithoutToken = { type: "object", properties: { items: strings } };
const closed = (properties: Json = {}) => ({ type: "object", additionalProperties: false, properties });
const bodySchema = (path: string, mediaType = "application~1json") =>
  `#/paths/~1${path}/post/requestBody/content/${mediaType}/schema`;

// The real spec is split into files, and a reference resolves against the file that contains it.
const splitFiles: Record<string, Json> = {
  "openapi.yaml": openapi({
    "/things": { $ref: "paths/things.yaml" },
    "/other-things": { $ref: "paths/other-things.yaml" },
  }),
  "paths/things.yaml": {
    parameters: [{ $ref: "../components/parameters/PageSize.yaml" }],
    get: {
      operationId: "listThings",
      parameters: [{ $ref: "../components/parameters/PageToken.yaml" }],
      responses: { "200": { $ref: "../components/responses/ThingPage.yaml" }, "401": problem },
    },
    post: {
      operationId: "createThing",
      requestBody: {
        content: { "application/json": { schema: { $ref: "../components/schemas/NewThing.yaml" } } },
      },
      responses: { "200": ok, "401": problem },
    },
  },
  "paths/other-things.yaml": {
    get: {
      operationId: "listOtherThings",
      parameters: [
        { $ref: "../components/parameters/PageSize.yaml" },
        { $ref: "../components/parameters/PageToken.yaml" },
      ],
      responses: {
        "200": json({ $ref: "../components/schemas/ThingListWithoutToken.yaml" }),
        "401": problem,
      },
    },
  },
  "components/parameters/PageSize.yaml": pageSize,
  "components/parameters/PageToken.yaml": pageToken,
  "components/responses/ThingPage.yaml": json({ $ref: "../schemas/ThingList.yaml" }),
  "components/schemas/ThingList.yaml": {
    type: "object",
    properties: { items: { $ref: "./Things.yaml" }, nextPageToken: { type: "string" } },
  },
  "components/schemas/ThingListWithoutToken.yaml": {
    type: "object",
    properties: { items: { $ref: "./Things.yaml" } },
  },
  "components/schemas/Things.yaml": strings,
  "components/schemas/NewThing.yaml": closed({ detail: { $ref: "./ThingDetail.yaml" } }),
  "components/schemas/ThingDetail.yaml": { title: "ThingDetail", type: "object" },
};

const tables: RuleTable[] = [
  {
    name: "problem-json-errors",
    rule: "fruxon/problem-json-errors",
    files: {
      "openapi.yaml": openapi(
        {
          "/wrong": {
            get: {
              operationId: "getWrong",
              responses: {
                "200": ok,
                "401": problem,
                "404": json({ type: "object" }),
                "409": {
                  description: "Two media types.",
                  content: { ...problem.content, "application/json": { schema: { type: "object" } } },
                },
                "422": { $ref: "#/components/responses/JsonError" },
                "4XX": { description: "Plain text.", content: { "text/plain": { schema: { type: "string" } } } },
                "500": { description: "No content." },
                default: json({ type: "object" }),
              },
            },
          },
          "/right": {
            get: {
              operationId: "getRight",
              responses: {
                "200": json({ type: "object" }),
                "204": { description: "No content." },
                "401": problem,
                "4XX": problem,
                "500": { $ref: "#/components/responses/Problem" },
              },
            },
          },
        },
        { responses: { JsonError: json({ type: "object" }), Problem: problem } },
      ),
    },
    reports: [
      ["404 with application/json", { pointer: "#/paths/~1wrong/get/responses/404", quotes: '"404"' }],
      ["409 with a second media type", { pointer: "#/paths/~1wrong/get/responses/409", quotes: '"application/json"' }],
      ["referenced 422 with application/json", { pointer: "#/paths/~1wrong/get/responses/422", quotes: '"422"' }],
      ["4XX range with text/plain", { pointer: "#/paths/~1wrong/get/responses/4XX", quotes: '"text/plain"' }],
      ["500 without content", { pointer: "#/paths/~1wrong/get/responses/500", quotes: "no content" }],
      ["default with application/json", { pointer: "#/paths/~1wrong/get/responses/default", quotes: '"default"' }],
    ],
    clean: [
      ["200 with application/json", { pointer: "#/paths/~1right/get/responses/200" }],
      ["204 without content", { pointer: "#/paths/~1right/get/responses/204" }],
      ["401 with only problem+json", { pointer: "#/paths/~1right/get/responses/401" }],
      ["4XX range with problem+json", { pointer: "#/paths/~1right/get/responses/4XX" }],
      ["referenced 500 problem", { pointer: "#/paths/~1right/get/responses/500" }],
    ],
  },
  {
    name: "operation-id-camel-case",
    rule: "rule/operation-id-camel-case",
    files: {
      "openapi.yaml": openapi({
        "/snake": get("list_things"),
        "/kebab": get("list-things"),
        "/pascal": get("ListThings"),
        "/digit": get("2faCheck"),
        "/camel": get("listThings"),
        "/one-word": get("search"),
        "/with-digits": get("getV2Things"),
      }),
    },
    reports: [
      ["snake_case id", { pointer: "#/paths/~1snake/get/operationId", quotes: '"list_things"' }],
      ["kebab-case id", { pointer: "#/paths/~1kebab/get/operationId", quotes: '"list-things"' }],
      ["PascalCase id", { pointer: "#/paths/~1pascal/get/operationId", quotes: '"ListThings"' }],
      ["id starting with a digit", { pointer: "#/paths/~1digit/get/operationId", quotes: '"2faCheck"' }],
    ],
    clean: [
      ["camelCase id", { pointer: "#/paths/~1camel/get/operationId" }],
      ["one lower-case verb", { pointer: "#/paths/~1one-word/get/operationId" }],
      ["camelCase id with digits", { pointer: "#/paths/~1with-digits/get/operationId" }],
    ],
  },
  {
    name: "operation-operationId",
    rule: "operation-operationId",
    files: {
      "openapi.yaml": openapi({
        "/anonymous": { get: { responses: { "200": ok, "401": problem } } },
        "/named": get("listNamed"),
      }),
    },
    reports: [["operation without id", { pointer: "#/paths/~1anonymous/get/operationId", absent: true }]],
    clean: [["operation with id", { pointer: "#/paths/~1named/get" }]],
  },
  {
    name: "secured-operation-401 with root security",
    rule: "fruxon/secured-operation-401",
    files: {
      "openapi.yaml": openapi(
        {
          "/inherits": { get: { operationId: "getInherits", responses: { "200": ok, "403": problem } } },
          "/own": { get: { operationId: "getOwn", security: [{ apiKey: [] }], responses: { "200": ok } } },
          "/declared": get("getDeclared"),
          "/declared-ref": {
            get: {
              operationId: "getDeclaredRef",
              responses: { "200": ok, "401": { $ref: "#/components/responses/Unauthorized" } },
            },
          },
          "/public": { get: { operationId: "getPublic", security: [], responses: { "200": ok } } },
        },
        { responses: { Unauthorized: problem } },
      ),
    },
    reports: [
      ["inherited root security", { pointer: "#/paths/~1inherits/get/responses", quotes: '"getInherits"' }],
      ["own security", { pointer: "#/paths/~1own/get/responses", quotes: '"401"' }],
    ],
    clean: [
      ["secured with 401", { pointer: "#/paths/~1declared/get" }],
      ["secured with referenced 401", { pointer: "#/paths/~1declared-ref/get" }],
      ["opted out with security: []", { pointer: "#/paths/~1public/get" }],
    ],
  },
  {
    name: "secured-operation-401 without root security",
    rule: "fruxon/secured-operation-401",
    files: {
      "openapi.yaml": withoutRootSecurity(
        openapi({
          "/open": { get: { operationId: "getOpen", responses: { "200": ok } } },
          "/own": { get: { operationId: "getOwn", security: [{ bearerAuth: [] }], responses: { "200": ok } } },
        }),
      ),
    },
    reports: [["own security", { pointer: "#/paths/~1own/get/responses", quotes: '"getOwn"' }]],
    clean: [["no security at all", { pointer: "#/paths/~1open/get" }]],
  },
  {
    name: "list-pagination",
    rule: "fruxon/list-pagination",
    files: {
      "openapi.yaml": openapi(
        {
          "/complete": get("listComplete", {
            parameters: [{ $ref: "#/components/parameters/PageSize" }, { $ref: "#/components/parameters/PageToken" }],
            responses: { "200": { $ref: "#/components/responses/CompletePage" }, "401": problem },
          }),
          "/path-level": {
            parameters: [pageSize, pageToken],
            ...get("listPathLevel", { responses: { "200": json(page), "401": problem } }),
          },
          "/all-of": get("listAllOf", {
            parameters: [pageSize, pageToken],
            responses: { "200": json({ allOf: [{ $ref: "#/components/schemas/PageInfo" }, pageWithoutToken] }) },
          }),
          "/bare-array": get("listBareArray", { responses: { "200": json(strings) } }),
          "/items-object": get("getItemsObject", {
            responses: { "200": json({ type: "object", properties: { items: { type: "object" } } }) },
          }),
          "/created": { post: { operationId: "createPage", responses: { "200": json(pageWithoutToken) } } },
          "/no-page-size": get("listNoPageSize", { parameters: [pageToken], responses: { "200": json(page) } }),
          "/token-in-header": get("listTokenInHeader", {
            parameters: [pageSize, { ...pageToken, in: "header" }],
            responses: { "200": json(page) },
          }),
          "/no-next-token": get("listNoNextToken", {
            parameters: [pageSize, pageToken],
            responses: { "200": json(pageWithoutToken) },
          }),
          "/all-of-no-next-token": get("listAllOfNoNextToken", {
            parameters: [pageSize, pageToken],
            responses: { "200": json({ allOf: [{ type: "object" }, { $ref: "#/components/schemas/BarePage" }] }) },
          }),
          "/referenced-items": get("listReferencedItems", {
            responses: {
              "200": json({ type: "object", properties: { items: { $ref: "#/components/schemas/Names" } } }),
            },
          }),
        },
        {
          parameters: { PageSize: pageSize, PageToken: pageToken },
          responses: { CompletePage: json(page) },
          schemas: {
            PageInfo: { type: "object", properties: { nextPageToken: { type: "string" } } },
            BarePage: pageWithoutToken,
            Names: strings,
          },
        },
      ),
    },
    reports: [
      ["missing pageSize", { pointer: "#/paths/~1no-page-size/get", quotes: 'query parameter "pageSize"' }],
      ["pageToken as a header", { pointer: "#/paths/~1token-in-header/get", quotes: 'query parameter "pageToken"' }],
      ["missing nextPageToken", { pointer: "#/paths/~1no-next-token/get", quotes: 'property "nextPageToken"' }],
      ["allOf without nextPageToken", { pointer: "#/paths/~1all-of-no-next-token/get", quotes: '"nextPageToken"' }],
      ["referenced items array", { pointer: "#/paths/~1referenced-items/get", quotes: '"listReferencedItems"' }],
    ],
    clean: [
      ["referenced parameters and response", { pointer: "#/paths/~1complete/get" }],
      ["path-level parameters", { pointer: "#/paths/~1path-level/get" }],
      ["nextPageToken in an allOf part", { pointer: "#/paths/~1all-of/get" }],
      ["bare array body", { pointer: "#/paths/~1bare-array/get" }],
      ["items that is no array", { pointer: "#/paths/~1items-object/get" }],
      ["POST with a list body", { pointer: "#/paths/~1created/post" }],
    ],
  },
  {
    name: "list-pagination across files",
    rule: "fruxon/list-pagination",
    files: splitFiles,
    reports: [
      ["list without nextPageToken", { file: "paths/other-things.yaml", pointer: "#/get", quotes: '"nextPageToken"' }],
    ],
    clean: [["complete list", { file: "paths/things.yaml", pointer: "#/get" }]],
  },
  {
    name: "closed-request-bodies",
    rule: "fruxon/closed-request-bodies",
    files: {
      "openapi.yaml": openapi(
        {
          "/closed": post("createClosed", closed({ profile: closed(), entries: { type: "array", items: closed() } })),
          "/multipart": post("uploadMultipart", { type: "object" }, "multipart/form-data"),
          "/response": {
            post: {
              operationId: "createResponse",
              requestBody: { content: { "application/json": { schema: closed() } } },
              responses: { "200": json({ type: "object" }), "401": problem },
            },
          },
          "/strings": post("createStrings", strings),
          "/open": post("createOpen", { type: "object", properties: { name: { type: "string" } } }),
          "/allows-extra": post("createAllowsExtra", { type: "object", additionalProperties: true }),
          "/nested-open": post("createNestedOpen", closed({ profile: { type: "object" } })),
          "/items-open": post("createItemsOpen", closed({ entries: { type: "array", items: { type: "object" } } })),
          "/referenced-open": post("createReferencedOpen", { $ref: "#/components/schemas/OpenBody" }),
          "/merge-patch": post("updateMergePatch", { type: "object" }, "application/merge-patch+json"),
          "/nullable": post("createNullable", { type: ["object", "null"] }),
          "/one-of": post("createOneOf", { oneOf: [closed(), { type: "object" }] }),
        },
        { schemas: { OpenBody: { title: "OpenBody", type: "object", properties: { name: { type: "string" } } } } },
      ),
    },
    reports: [
      ["open body", { pointer: bodySchema("open"), quotes: '"additionalProperties: false"' }],
      ["additionalProperties: true", { pointer: bodySchema("allows-extra") }],
      ["open nested object", { pointer: `${bodySchema("nested-open")}/properties/profile` }],
      ["open array items", { pointer: `${bodySchema("items-open")}/properties/entries/items` }],
      ["open referenced schema", { pointer: "#/components/schemas/OpenBody", quotes: '"OpenBody"' }],
      ["open merge-patch body", { pointer: bodySchema("merge-patch", "application~1merge-patch+json") }],
      ["open nullable object", { pointer: bodySchema("nullable") }],
      ["open oneOf branch", { pointer: `${bodySchema("one-of")}/oneOf/1` }],
    ],
    clean: [
      ["closed body at every depth", { pointer: "#/paths/~1closed/post" }],
      ["multipart body", { pointer: "#/paths/~1multipart/post" }],
      ["open response body", { pointer: "#/paths/~1response/post" }],
      ["array of strings", { pointer: "#/paths/~1strings/post" }],
      ["closed oneOf branch", { pointer: `${bodySchema("one-of")}/oneOf/0` }],
    ],
  },
  {
    name: "closed-request-bodies across files",
    rule: "fruxon/closed-request-bodies",
    files: splitFiles,
    reports: [
      ["open referenced property", { file: "components/schemas/ThingDetail.yaml", pointer: "#/", quotes: '"ThingDetail"' }],
    ],
    clean: [["closed referenced body", { file: "components/schemas/NewThing.yaml", pointer: "#/" }]],
  },
];

// assertions

/** Returns the value at a JSON pointer such as `#/paths/~1things/get`, or undefined. */
function valueAt(document: unknown, pointer: string): unknown {
  const segments = pointer.replace(/^#\/?/, "").split("/").filter((segment) => segment !== "");
  let value = document;
  for (const segment of segments.map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

// A row whose pointer is not in its fixture would pass "does not report" for no reason.
function expectPlaceInFixture(files: Record<string, Json>, place: Place): void {
  const pointer = place.absent ? place.pointer.replace(/\/[^/]*$/, "") : place.pointer;
  expect(valueAt(files[place.file ?? "openapi.yaml"], pointer), `${pointer} is not in the fixture`).toBeDefined();
}

const isAt = (place: Place) => (problem: LintProblem) =>
  problem.file === (place.file ?? "openapi.yaml") && problem.pointer === place.pointer;

const isAtOrBelow = (place: Place) => (problem: LintProblem) => {
  const prefix = place.pointer.endsWith("/") ? place.pointer : `${place.pointer}/`;
  return problem.file === (place.file ?? "openapi.yaml") && `${problem.pointer}/`.startsWith(prefix);
};

describe.each(tables)("$name", ({ rule, files, reports, clean }) => {
  let problems: LintProblem[] = [];

  beforeAll(async () => {
    const texts = Object.fromEntries(Object.entries(files).map(([path, document]) => [path, stringify(document)]));
    problems = (await lintFixture(texts)).filter((problem) => problem.ruleId === rule);
  }, 30_000);

  it.each(reports)("reports %s", (_label, place) => {
    expectPlaceInFixture(files, place);

    const messages = problems.filter(isAt(place)).map((problem) => problem.message);

    expect(messages, `no ${rule} problem at ${place.pointer}`).not.toEqual([]);
    if (place.quotes !== undefined) {
      expect(messages).toContainEqual(expect.stringContaining(place.quotes));
    }
  });

  it.each(clean)("does not report %s", (_label, place) => {
    expectPlaceInFixture(files, place);

    expect(problems.filter(isAtOrBelow(place))).toEqual([]);
  });
});

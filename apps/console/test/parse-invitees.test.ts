import { describe, expect, it } from "vitest";

import { MAX_BATCH_INVITATIONS, parseInvitees, splitCells } from "../src/members/parse-invitees.js";

describe("parseInvitees entries", () => {
  it.each([
    ["one email per line", "ana@example.com\nben@example.com", [["ana@example.com", "MEMBER", 1], ["ben@example.com", "MEMBER", 2]]],
    ["role after the email", "ana@example.com, ADMIN\nben@example.com;member", [["ana@example.com", "ADMIN", 1], ["ben@example.com", "MEMBER", 2]]],
    ["several emails on one line", "ana@example.com, ben@example.com", [["ana@example.com", "MEMBER", 1], ["ben@example.com", "MEMBER", 1]]],
    ["named address", "Ana Diaz <ana@example.com>", [["ana@example.com", "MEMBER", 1]]],
    ["name column ignored", "Ana Diaz,ana@example.com,admin", [["ana@example.com", "ADMIN", 1]]],
    ["tabs from a spreadsheet", "ana@example.com\tADMIN", [["ana@example.com", "ADMIN", 1]]],
    ["blank and comment lines skipped", "# team\n\n  ana@example.com  \n\r\n", [["ana@example.com", "MEMBER", 3]]],
    ["windows line endings", "ana@example.com\r\nben@example.com\r\n", [["ana@example.com", "MEMBER", 1], ["ben@example.com", "MEMBER", 2]]],
    ["mailto prefix", "mailto:ana@example.com", [["ana@example.com", "MEMBER", 1]]],
    [
      "csv header with role column",
      "name,email,role\nAna,ana@example.com,ADMIN\nBen,ben@example.com,\n",
      [["ana@example.com", "ADMIN", 2], ["ben@example.com", "MEMBER", 3]],
    ],
    [
      "csv header with quoted cells",
      'Email Address;Role\n"Diaz, Ana <ana@example.com>";"admin"',
      [["ana@example.com", "ADMIN", 2]],
    ],
  ] as const)("%s", (_label, text, expected) => {
    const parsed = parseInvitees(text, "MEMBER");

    expect(parsed.problems).toEqual([]);
    expect(parsed.entries.map((entry) => [entry.email, entry.role, entry.line])).toEqual(expected);
  });

  it("default role applies to lines without one", () => {
    const parsed = parseInvitees("ana@example.com\nben@example.com, MEMBER", "ADMIN");

    expect(parsed.entries.map((entry) => entry.role)).toEqual(["ADMIN", "MEMBER"]);
  });

  it("duplicates counted once, first kept", () => {
    const parsed = parseInvitees("ana@example.com, ADMIN\nANA@example.com, MEMBER\nben@example.com", "MEMBER");

    expect(parsed.entries.map((entry) => [entry.email, entry.role])).toEqual([
      ["ana@example.com", "ADMIN"],
      ["ben@example.com", "MEMBER"],
    ]);
    expect(parsed.duplicates).toBe(1);
  });
});

describe("parseInvitees problems", () => {
  it.each([
    ["invalid address", "ana@example", 1, '"ana@example" is not a valid email address'],
    ["line without address", "ana@example.com\nAna Diaz", 2, "the line has no email address"],
    ["invalid role under header", "email,role\nana@example.com,OWNER", 2, '"OWNER" is not a role; use ADMIN or MEMBER'],
    ["missing email cell under header", "role,email\nADMIN,", 2, '"" is not a valid email address'],
  ] as const)("%s", (_label, text, line, reason) => {
    const parsed = parseInvitees(text, "MEMBER");

    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.line).toBe(line);
    expect(parsed.problems[0]?.reason).toBe(reason);
  });

  it("more than the batch limit", () => {
    const text = Array.from({ length: MAX_BATCH_INVITATIONS + 1 }, (_, index) => `user${index}@example.com`).join("\n");

    const parsed = parseInvitees(text, "MEMBER");

    expect(parsed.entries).toHaveLength(MAX_BATCH_INVITATIONS + 1);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]?.reason).toContain("more than the 1000 allowed");
  });

  it("exactly the batch limit passes", () => {
    const text = Array.from({ length: MAX_BATCH_INVITATIONS }, (_, index) => `user${index}@example.com`).join("\n");

    expect(parseInvitees(text, "MEMBER").problems).toEqual([]);
  });
});

describe("splitCells", () => {
  it.each([
    ["plain", "a,b;c\td", ["a", "b", "c", "d"]],
    ["quoted separator", '"a,b",c', ["a,b", "c"]],
    ["escaped quote", '"say ""hi""",x', ['say "hi"', "x"]],
    ["trailing separator dropped", "a,b,", ["a", "b"]],
    ["inner empty cell kept", "a,,b", ["a", "", "b"]],
  ] as const)("%s", (_label, line, expected) => {
    expect(splitCells(line)).toEqual(expected);
  });
});

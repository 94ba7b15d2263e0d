import { describe, expect, it } from "vitest";

import { csvField, csvRecord } from "../src/jobs/csv.js";

describe("csvField", () => {
  it.each([
    ["plain text", "Ana", "Ana"],
    ["empty text", "", ""],
    ["null", null, ""],
    ["a number", 1764806400000, "1764806400000"],
    ["a comma", "Diaz, Ana", '"Diaz, Ana"'],
    ["a double quote", 'The "Boss"', '"The ""Boss"""'],
    ["a line break", "two\nlines", '"two\nlines"'],
    ["a formula", "=HYPERLINK(\"http://x\")", '"\'=HYPERLINK(""http://x"")"'],
    ["a plus sign", "+1 555 0100", "'+1 555 0100"],
    ["a minus sign", "-2+3", "'-2+3"],
    ["an at sign", "@SUM(A1)", "'@SUM(A1)"],
    ["a leading tab", "\tcmd", "'\tcmd"],
    ["a leading carriage return", "\rcmd", "\"'\rcmd\""],
    ["a formula sign inside", "a=b", "a=b"],
  ])("formats %s", (_label, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe("csvRecord", () => {
  it("joins fields with commas and ends with CRLF", () => {
    expect(csvRecord(["a", "b,c", undefined, 3])).toBe('a,"b,c",,3\r\n');
  });
});

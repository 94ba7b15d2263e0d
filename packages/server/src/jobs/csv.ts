/**
 * Formats one CSV record per RFC 4180: fields separated by commas, a field quoted when it contains a
 * comma, a double quote, CR or LF, quotes inside doubled, and the record ended by CRLF.
 * A text field that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or
 * CR) is prefixed with `'` so it opens as text. This is the usual defence against CSV injection.
 */
export function csvRecord(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);

  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

import type { AssignableRole, InviteUserRequest } from "@fruxon/api-types";

/** The API accepts at most this many entries in one `users:batchInvite` request. */
export const MAX_BATCH_INVITATIONS = 1_000;

const ROLES: readonly AssignableRole[] = ["ADMIN", "MEMBER"];
// Deliberately loose: the server validates the address; this only catches obvious typos early.
const EMAIL = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const NAMED_ADDRESS = /<([^<>]+)>/;

export interface InviteeEntry extends InviteUserRequest {
  /** The 1-based line of the pasted text the entry came from. */
  line: number;
}

export interface InviteeLineProblem {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedInvitees {
  entries: InviteeEntry[];
  problems: InviteeLineProblem[];
  /** Entries left out because an earlier line has the same email (compared case-insensitively). */
  duplicates: number;
}

/**
 * Parses pasted invitees: one per line, or CSV. Cells are separated by commas, semicolons or tabs and
 * may be double-quoted. Without a header, every cell that is an email address (bare or as
 * `Name <address>`) becomes an entry, a cell `ADMIN` or `MEMBER` sets the role of that line's entries,
 * and other cells such as names are ignored. With a header line naming an `email` column (and
 * optionally a `role` column), only those columns are read. Lines that are blank or start with `#`
 * are skipped.
 */
export function parseInvitees(text: string, defaultRole: AssignableRole): ParsedInvitees {
  const entries: InviteeEntry[] = [];
  const problems: InviteeLineProblem[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let header: { email: number; role: number | undefined } | undefined;
  let sawContent = false;

  const add = (email: string, role: AssignableRole, line: number): void => {
    const key = email.toLowerCase();
    if (seen.has(key)) {
      duplicates += 1;
      return;
    }
    seen.add(key);
    entries.push({ email, role, line });
  };

  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      continue;
    }
    const cells = splitCells(trimmed);

    // header: only the first line with content can be one
    if (!sawContent) {
      sawContent = true;
      const found = readHeader(cells);
      if (found !== undefined) {
        header = found;
        continue;
      }
    }

    if (header !== undefined) {
      const email = addressOf(cells[header.email] ?? "");
      const roleCell = header.role === undefined ? "" : (cells[header.role] ?? "");
      const role = roleCell === "" ? defaultRole : toRole(roleCell);
      if (email === undefined) {
        problems.push({ line, text: trimmed, reason: `"${cells[header.email] ?? ""}" is not a valid email address` });
      } else if (role === undefined) {
        problems.push({ line, text: trimmed, reason: `"${roleCell}" is not a role; use ADMIN or MEMBER` });
      } else {
        add(email, role, line);
      }
      continue;
    }

    const roles = cells.map(toRole).filter((role) => role !== undefined);
    const role = roles[0] ?? defaultRole;
    const emails: string[] = [];
    for (const cell of cells) {
      const email = addressOf(cell);
      if (email !== undefined) {
        emails.push(email);
      } else if (cell.includes("@")) {
        problems.push({ line, text: trimmed, reason: `"${cell}" is not a valid email address` });
      }
    }
    if (emails.length === 0 && !cells.some((cell) => cell.includes("@"))) {
      problems.push({ line, text: trimmed, reason: "the line has no email address" });
    }
    for (const email of emails) {
      add(email, role, line);
    }
  }

  if (entries.length > MAX_BATCH_INVITATIONS) {
    problems.push({
      line: entries[MAX_BATCH_INVITATIONS]?.line ?? 0,
      text: "",
      reason: `${entries.length} invitations is more than the ${MAX_BATCH_INVITATIONS} allowed in one batch; split the list`,
    });
  }
  return { entries, problems, duplicates };
}

function readHeader(cells: string[]): { email: number; role: number | undefined } | undefined {
  const names = cells.map((cell) => cell.toLowerCase().replace(/[\s_-]/g, ""));
  const email = names.findIndex((name) => name === "email" || name === "emailaddress" || name === "useremail");
  if (email === -1) {
    return undefined;
  }
  const role = names.indexOf("role");
  return { email, role: role === -1 ? undefined : role };
}

function addressOf(cell: string): string | undefined {
  const named = NAMED_ADDRESS.exec(cell);
  const candidate = (named?.[1] ?? cell).trim().replace(/^mailto:/i, "");
  return EMAIL.test(candidate) ? candidate : undefined;
}

function toRole(cell: string): AssignableRole | undefined {
  const upper = cell.trim().toUpperCase();
  return ROLES.find((role) => role === upper);
}

/** Splits one line into trimmed cells, honouring double quotes and `""` inside them as in CSV. */
export function splitCells(line: string): string[] {
  const cells: string[] = [];
  let current = "";
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        current += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === "," || char === ";" || char === "\t") {
      cells.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  cells.push(current.trim());
  return cells.filter((cell, index) => cell !== "" || index < cells.length - 1);
}

import type { Profile, User } from "@fruxon/api-types";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Formats an API timestamp (Unix epoch milliseconds) in the browser's locale. */
export function formatTimestamp(epochMs: number | undefined): string {
  return epochMs === undefined ? "—" : dateTime.format(new Date(epochMs));
}

export function displayName(person: Pick<User | Profile, "firstName" | "lastName" | "email">): string {
  const name = [person.firstName, person.lastName].filter((part) => part !== undefined && part !== "").join(" ");
  return name === "" ? person.email : name;
}

/** Content of an invitation email. Every field but `link` and `expiresAt` may come from users. */
export interface InvitationEmailInput {
  tenantName: string;
  tenantSlug: string;
  /** The inviter's name, else email address; undefined when a batch job sent the invitation. */
  inviter: string | undefined;
  role: "ADMIN" | "MEMBER";
  /** The accept link, `${PUBLIC_URL}/invitations/<ticket>`. */
  link: string;
  expiresAt: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Collapses line breaks and other control characters, which have no place in a header or a one-line text. */
function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

/** Builds the subject, plain-text body and HTML body of an invitation email. */
export function renderInvitationEmail(input: InvitationEmailInput): RenderedEmail {
  const tenant = singleLine(input.tenantName);
  const inviter = input.inviter === undefined ? undefined : singleLine(input.inviter);
  const role = input.role === "ADMIN" ? "an admin" : "a member";
  const expires = new Date(input.expiresAt).toUTCString();

  const subject = inviter === undefined ? `You are invited to join ${tenant} on Fruxon` : `${inviter} invited you to join ${tenant} on Fruxon`;
  const opening = inviter === undefined ? `You are invited to join ${tenant} (${input.tenantSlug}) as ${role}.` : `${inviter} invited you to join ${tenant} (${input.tenantSlug}) as ${role}.`;

  const text = [
    "Hello,",
    "",
    opening,
    "",
    "To accept, open this link and sign in with this email address:",
    input.link,
    "",
    `The link works once and expires on ${expires}.`,
    "If you did not expect this invitation, ignore this email.",
    "",
  ].join("\n");

  const html = [
    "<!doctype html>",
    '<html><body style="font-family: sans-serif; line-height: 1.5">',
    "<p>Hello,</p>",
    `<p>${escapeHtml(opening)}</p>`,
    `<p><a href="${escapeHtml(input.link)}">Accept the invitation</a></p>`,
    `<p>Or open this link: ${escapeHtml(input.link)}</p>`,
    `<p>The link works once and expires on ${escapeHtml(expires)}. If you did not expect this invitation, ignore this email.</p>`,
    "</body></html>",
    "",
  ].join("\n");

  return { subject, text, html };
}

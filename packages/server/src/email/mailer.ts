import { randomUUID } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

import nodemailer from "nodemailer";
import type { Transporter } from "nodemailer";

import type { Config } from "../config.js";

export interface OutgoingEmail {
  /** The outbox row's id; it becomes the Message-ID, so a receiver can tell a resent copy. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends an email, or throws when the mail server did not accept it. */
export interface Mailer {
  /** `smtp` sends through a mail server; `file` writes `.eml` files, the embedded default. */
  readonly mode: "smtp" | "file";
  send(email: OutgoingEmail): Promise<{ location: string }>;
  close(): void;
}

const SMTP_TIMEOUT_MS = 15_000;

function messageFields(email: OutgoingEmail) {
  const domain = email.from.match(/@([^>\s]+)/)?.[1] ?? "fruxon.example";
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: `<${email.id}@${domain}>`,
  };
}

/** Sends through the SMTP server at `smtpUrl` (nodemailer, reusing a small pool of connections). */
export function createSmtpMailer(smtpUrl: string): Mailer {
  // Options in the URL's query string (such as `?tls.rejectUnauthorized=false`) override these timeouts.
  const transport: Transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 4,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    mode: "smtp",
    async send(email) {
      const info = await transport.sendMail(messageFields(email));
      return { location: `smtp ${String(info.messageId)}` };
    },
    close() {
      transport.close();
    },
  };
}

/**
 * Writes each email as an RFC 5322 `.eml` file under `directory`. The file appears whole or not at all:
 * it is written under a temporary name and renamed. Sending the same email again overwrites its file.
 */
export function createFileMailer(directory: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    mode: "file",
    async send(email) {
      const info = await transport.sendMail(messageFields(email));
      await mkdir(directory, { recursive: true });
      const file = join(directory, `${email.id}.eml`);
      const temporary = `${file}.${randomUUID()}.tmp`;
      await writeFile(temporary, info.message as Buffer);
      await rename(temporary, file);
      return { location: file };
    },
    close() {
      transport.close();
    },
  };
}

/** Returns the mailer the configuration selects: SMTP when `SMTP_URL` is set, else `.eml` files under `${DATA_DIR}/outbox`. */
export function createMailer(config: Config): Mailer {
  return config.smtpUrl === undefined ? createFileMailer(join(config.dataDir, "outbox")) : createSmtpMailer(config.smtpUrl);
}

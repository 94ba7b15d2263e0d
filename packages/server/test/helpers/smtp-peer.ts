import { createServer } from "node:net";

import { SMTPServer } from "smtp-server";

/** One message the peer accepted. */
export interface ReceivedMessage {
  from: string;
  to: string[];
  /** The whole RFC 5322 message as received. */
  raw: string;
}

export interface SmtpPeer {
  port: number;
  /** `smtp://127.0.0.1:<port>`, to pass as `SMTP_URL`. */
  url: string;
  messages: ReceivedMessage[];
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Starts listening (again) on the same port. */
  start(): Promise<void>;
  /** Stops listening; clients get "connection refused" until `start()`. */
  stop(): Promise<void>;
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real SMTP server on loopback that keeps every message it receives, speaking plain SMTP
 * without STARTTLS or authentication. With `listening: false` the port is reserved but nothing listens
 * until `start()`.
 */
export async function startSmtpPeer(options: { listening?: boolean } = {}): Promise<SmtpPeer> {
  const port = await freePort();
  const messages: ReceivedMessage[] = [];
  let server: SMTPServer | undefined;

  const peer: SmtpPeer = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`SMTP peer received ${messages.length} messages, expected ${count} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return messages;
    },
    async start() {
      if (server !== undefined) return;
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS", "AUTH"],
        logger: false,
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            const from = session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address;
            messages.push({ from, to: session.envelope.rcptTo.map((recipient) => recipient.address), raw: Buffer.concat(chunks).toString("utf8") });
            callback();
          });
        },
      });
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(port, "127.0.0.1", () => resolve());
      });
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };

  if (options.listening ?? true) await peer.start();
  return peer;
}

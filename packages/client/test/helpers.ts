import { createFruxonClient, type FruxonClientOptions } from "../src/index.js";

export const BASE_URL = "https://api.fruxon.test";

/** One request as the injected fetch saw it, with its body read as text. */
export interface SentRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
  at: number;
  signal: AbortSignal;
}

export type Responder = (request: Request, index: number) => Response | Promise<Response>;

/** Creates a `fetch` that records every request and responds with `responder`, or with the next scripted response. */
export function scriptedFetch(responder: Responder | Response[]) {
  const sent: SentRequest[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const index = sent.length;
    sent.push({
      method: request.method,
      url: request.url,
      headers: new Headers(request.headers),
      body: request.body === null ? "" : await request.clone().text(),
      at: Date.now(),
      signal: request.signal,
    });
    if (Array.isArray(responder)) {
      const response = responder[index];
      if (response === undefined) {
        throw new Error(`scriptedFetch: no response scripted for request ${index + 1} (${request.method} ${request.url})`);
      }
      return response;
    }
    return responder(request, index);
  };
  return { fetch, sent };
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string> | undefined) },
  });
}

export function problem(status: number, members: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  const body = { type: `https://fruxon.test/problems/${status}`, title: `Status ${status}`, status, code: "INTERNAL", ...members };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/problem+json", ...headers } });
}

export function testClient(responder: Responder | Response[], options: Partial<FruxonClientOptions> = {}) {
  const { fetch, sent } = scriptedFetch(responder);
  const client = createFruxonClient({ baseUrl: BASE_URL, token: "test-token", fetch, ...options });
  return { client, sent };
}

/** Waits forever for a response, and rejects with the signal's reason when the request is aborted. */
export function hangingFetch(request: Request): Promise<Response> {
  return new Promise((_resolve, reject) => {
    if (request.signal.aborted) {
      reject(request.signal.reason);
      return;
    }
    request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
  });
}

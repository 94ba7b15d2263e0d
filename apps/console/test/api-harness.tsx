import { render, type RenderResult } from "@testing-library/react";
import type { ReactNode } from "react";

import type { Problem } from "@fruxon/api-types";

import { createConsoleClient } from "../src/api/client.js";
import { ConsoleProviders, createConsoleQueryClient } from "../src/api/context.js";

export const BASE_URL = "http://console.test";

export interface RecordedRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Headers;
  body: unknown;
}

export type Route = (request: RecordedRequest) => Response | undefined;

/**
 * Creates a fetch for the real @fruxon/client that responds from `routes` (first match wins) and
 * records every request. An unmatched request fails the test with a 599 that names it.
 */
export function routedFetch(routes: Route[]): { fetch: typeof fetch; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = request.body === null ? "" : await request.text();
    const recorded: RecordedRequest = {
      method: request.method,
      path: decodeURIComponent(url.pathname),
      search: url.searchParams,
      headers: request.headers,
      body: text === "" ? undefined : request.headers.get("content-type")?.includes("json") === true ? (JSON.parse(text) as unknown) : text,
    };
    requests.push(recorded);
    for (const route of routes) {
      const response = route(recorded);
      if (response !== undefined) {
        return response;
      }
    }
    return new Response(`no route for ${recorded.method} ${recorded.path}`, { status: 599 });
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

export function on(method: string, path: string, respond: (request: RecordedRequest) => Response): Route {
  return (request) => (request.method === method && request.path === path ? respond(request) : undefined);
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export function problem(body: Omit<Problem, "type"> & { type?: string }): Response {
  const document = { type: `/problems/${body.code.toLowerCase().replaceAll("_", "-")}`, ...body };
  return new Response(JSON.stringify(document), {
    status: body.status,
    headers: { "content-type": "application/problem+json" },
  });
}

/** Renders `ui` with a real client, whose fetch is `fetchImpl`, and a fresh query cache. */
export function renderWithApi(ui: ReactNode, fetchImpl: typeof fetch): RenderResult {
  const client = createConsoleClient({ baseUrl: BASE_URL, getToken: () => "test-token", fetch: fetchImpl, maxRetries: 0 });
  const queryClient = createConsoleQueryClient();
  return render(
    <ConsoleProviders client={client} queryClient={queryClient}>
      {ui}
    </ConsoleProviders>,
  );
}

/** Returns the text of the elements that `aria-describedby` of `control` names: its hint and field errors. */
export function descriptionOf(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id !== "");
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

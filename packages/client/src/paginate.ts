import type { paths } from "@fruxon/api-types";
import type { FetchOptions } from "openapi-fetch";
import type { RequiredKeysOf } from "openapi-typescript-helpers";

import { FruxonError } from "./errors.js";
import type { AnyFruxonClient, CallOptions, ListItem, ListPath } from "./types.js";
import { unwrap } from "./unwrap.js";

/** Request options of a list operation: its path and query parameters (`pageToken` is managed here). */
export type ListInit<Path extends ListPath> = FetchOptions<paths[Path]["get"]> & CallOptions;

type ListInitParam<Path extends ListPath> =
  RequiredKeysOf<ListInit<Path>> extends never ? [init?: ListInit<Path>] : [init: ListInit<Path>];

type Page = { items: unknown[]; nextPageToken?: string };
type LooseInit = { params?: { query?: { pageToken?: string } & Record<string, unknown> } & Record<string, unknown> };
type LooseGet = (path: string, init: unknown) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/**
 * Iterates over every item of a list operation, fetching page after page until a response has no
 * `nextPageToken`: `for await (const user of paginate(client, "/v1/tenants/{tenant}/users", { params }))`.
 * Throws `ProblemError` when a page fails, and `FruxonError` when the server repeats a page token.
 */
export async function* paginate<Path extends ListPath>(
  client: AnyFruxonClient,
  path: Path,
  ...[init]: ListInitParam<Path>
): AsyncGenerator<ListItem<Path>, void, undefined> {
  const get = client.GET as unknown as LooseGet;
  const options = (init ?? {}) as LooseInit;
  const seenTokens = new Set<string>();
  let pageToken = options.params?.query?.pageToken;
  if (pageToken !== undefined) {
    seenTokens.add(pageToken);
  }

  for (;;) {
    const query = { ...options.params?.query, pageToken };
    const page = (await unwrap(get(path, { ...options, params: { ...options.params, query } }))) as Page;
    for (const item of page.items) {
      yield item as ListItem<Path>;
    }

    const next = page.nextPageToken;
    if (next === undefined || next === "") {
      return;
    }
    if (seenTokens.has(next)) {
      throw new FruxonError(`paginate: ${path} returned the page token "${next}" a second time; stopped to avoid an endless loop`);
    }
    seenTokens.add(next);
    pageToken = next;
  }
}

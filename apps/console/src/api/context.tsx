import { QueryCache, QueryClient, QueryClientProvider, MutationCache } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";

import { ProblemError } from "@fruxon/client";

import { signOut } from "../auth/session.js";
import type { FruxonClient } from "./client.js";

const ClientContext = createContext<FruxonClient | null>(null);

export function useClient(): FruxonClient {
  const client = useContext(ClientContext);
  if (client === null) {
    throw new Error("useClient: no FruxonClient in context; wrap the component in <ConsoleProviders>");
  }
  return client;
}

/** A 401 anywhere means the token expired or is not trusted, so the console returns to sign-in. */
function signOutOnUnauthenticated(error: unknown): void {
  if (error instanceof ProblemError && error.status === 401) {
    signOut(`${error.title}${error.detail === undefined ? "" : `: ${error.detail}`}`);
  }
}

export function createConsoleQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: signOutOnUnauthenticated }),
    mutationCache: new MutationCache({ onError: signOutOnUnauthenticated }),
    defaultOptions: {
      queries: {
        // The client already retries 429, 503 and network errors with backoff; a problem is final.
        retry: false,
        staleTime: 10_000,
        refetchOnWindowFocus: false,
      },
    },
  });
}

export function ConsoleProviders({
  client,
  queryClient,
  children,
}: {
  client: FruxonClient;
  queryClient: QueryClient;
  children: ReactNode;
}) {
  return (
    <ClientContext.Provider value={client}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </ClientContext.Provider>
  );
}

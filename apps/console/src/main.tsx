import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { createConsoleClient, defaultBaseUrl } from "./api/client.js";
import { ConsoleProviders, createConsoleQueryClient } from "./api/context.js";
import { getToken } from "./auth/session.js";
import { App } from "./app.js";
import "./styles.css";

const container = document.getElementById("root");
if (container === null) {
  throw new Error("index.html has no #root element to render the console into");
}

const baseUrl = defaultBaseUrl();
const client = createConsoleClient({ baseUrl, getToken });
const queryClient = createConsoleQueryClient();

createRoot(container).render(
  <StrictMode>
    <ConsoleProviders client={client} queryClient={queryClient}>
      <App baseUrl={baseUrl} />
    </ConsoleProviders>
  </StrictMode>,
);

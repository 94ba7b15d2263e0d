import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Vitest runs without globals, so Testing Library cannot register its own cleanup. The end-to-end
// files run in Node, where there is no DOM to clean.
afterEach(() => {
  if (typeof window === "undefined") {
    return;
  }
  cleanup();
  window.sessionStorage.clear();
  window.localStorage.clear();
});

import { useState, type FormEvent } from "react";

import { Field } from "../components/field.js";
import { signIn, useSignOutReason } from "./session.js";

const TOKEN_COMMAND = "pnpm run token --email you@example.com";

export function SignInPage() {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const reason = useSignOutReason();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    try {
      signIn(token);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <main className="sign-in">
      <h1>Sign in to the Fruxon console</h1>
      {reason === null ? null : (
        <div className="problem" role="alert">
          <p className="problem-title">You were signed out.</p>
          <p className="problem-detail">{reason}</p>
        </div>
      )}
      <form onSubmit={submit} noValidate>
        <Field
          label="Access token"
          errors={error === null ? [] : [error]}
          hint={
            <>
              Paste a bearer token (JWT). On a development server, print one with <code>{TOKEN_COMMAND}</code>. Against
              the mock, any text works. The token stays in this tab only (sessionStorage).
            </>
          }
        >
          {(control) => (
            <textarea
              {...control}
              name="token"
              rows={4}
              spellCheck={false}
              autoComplete="off"
              value={token}
              onChange={(event) => setToken(event.target.value)}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="primary">
            Sign in
          </button>
        </div>
      </form>
    </main>
  );
}

import { useState } from "react";

import { toProblemView, type ProblemView } from "../api/problem.js";
import { useAcceptTicket, useProfile } from "../api/queries.js";
import { ProblemAlert } from "../components/problem-alert.js";
import { Link } from "../router.js";

/**
 * Renders the page an invitation email links to. Accepting takes a click rather than happening on load, so a
 * mail scanner that opens the link cannot accept on the invitee's behalf.
 */
export function AcceptInvitationPage({ ticket }: { ticket: string }) {
  const accept = useAcceptTicket();
  const profile = useProfile();
  const [problem, setProblem] = useState<ProblemView | null>(null);

  if (accept.isSuccess) {
    return (
      <section aria-labelledby="accept-heading">
        <h1 id="accept-heading">Invitation accepted</h1>
        <p role="status">You are now a member. Choose the tenant in the switcher above.</p>
        <p>
          <Link to="/">Go to the console</Link>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="accept-heading">
      <h1 id="accept-heading">Accept invitation</h1>
      <p>
        You are signed in as <strong>{profile.data?.email ?? "…"}</strong>. The invitation must have been sent to
        this address.
      </p>
      <ProblemAlert problem={problem} />
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={accept.isPending}
          onClick={() => {
            setProblem(null);
            accept.mutate(ticket, { onError: (error) => setProblem(toProblemView(error)) });
          }}
        >
          {accept.isPending ? "Accepting…" : "Accept invitation"}
        </button>
        <Link to="/">Not now</Link>
      </div>
    </section>
  );
}

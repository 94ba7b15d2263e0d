import { useState } from "react";

import { toProblemView, type ProblemView } from "../api/problem.js";
import { useAnswerPendingInvitation, usePendingInvitations } from "../api/queries.js";
import { formatTimestamp } from "../components/format.js";
import { ProblemAlert } from "../components/problem-alert.js";

/** Invitations addressed to the caller's email, each with Accept and Decline. */
export function PendingInvitationsBanner() {
  const pending = usePendingInvitations();
  const answer = useAnswerPendingInvitation();
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const items = pending.data ?? [];
  if (items.length === 0 && problem === null) {
    return null;
  }

  const reply = (tenantId: string, kind: "accept" | "decline"): void => {
    setProblem(null);
    answer.mutate({ tenantId, answer: kind }, { onError: (error) => setProblem(toProblemView(error)) });
  };

  return (
    <section className="banner" aria-labelledby="pending-heading">
      <h2 id="pending-heading">Pending invitations</h2>
      <ProblemAlert problem={problem} />
      <ul>
        {items.map((invitation) => (
          <li key={invitation.tenantId}>
            <span>
              <strong>{invitation.tenantDisplayName}</strong> invited you as {invitation.role} on{" "}
              {formatTimestamp(invitation.invitedAt)}.
            </span>
            <span className="actions">
              <button
                type="button"
                className="primary"
                disabled={answer.isPending}
                onClick={() => reply(invitation.tenantId, "accept")}
              >
                Accept<span className="visually-hidden"> {invitation.tenantDisplayName}</span>
              </button>
              <button type="button" disabled={answer.isPending} onClick={() => reply(invitation.tenantId, "decline")}>
                Decline<span className="visually-hidden"> {invitation.tenantDisplayName}</span>
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

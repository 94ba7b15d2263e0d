import { useState } from "react";

import type { AssignableRole, User } from "@fruxon/api-types";

import { toProblemView, type ProblemView } from "../api/problem.js";
import { useChangeRole, useRemoveUser } from "../api/queries.js";
import { Dialog } from "../components/dialog.js";
import { displayName } from "../components/format.js";
import { ProblemAlert } from "../components/problem-alert.js";

/** Asks before changing a member's role; a refusal such as the last-admin 409 stays in the dialog. */
export function ChangeRoleDialog({
  tenant,
  user,
  role,
  onClose,
  onChanged,
}: {
  tenant: string;
  user: User;
  role: AssignableRole;
  onClose: () => void;
  onChanged: (user: User) => void;
}) {
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const changeRole = useChangeRole(tenant);

  const confirm = (): void => {
    setProblem(null);
    changeRole.mutate(
      { user: user.id, role },
      { onSuccess: (changed) => onChanged(changed), onError: (error) => setProblem(toProblemView(error)) },
    );
  };

  return (
    <Dialog title="Change role" onClose={onClose}>
      <p>
        Change the role of <strong>{displayName(user)}</strong> from {user.role} to {role}?
      </p>
      <ProblemAlert problem={problem} unplaced={problem?.fieldErrors ?? []} />
      <div className="actions">
        <button type="button" className="primary" onClick={confirm} disabled={changeRole.isPending}>
          {changeRole.isPending ? "Changing…" : `Make ${role === "ADMIN" ? "admin" : "member"}`}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

export function RemoveMemberDialog({
  tenant,
  user,
  onClose,
  onRemoved,
}: {
  tenant: string;
  user: User;
  onClose: () => void;
  onRemoved: (user: User) => void;
}) {
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const removeUser = useRemoveUser(tenant);
  const invited = user.status === "INVITED";
  const confirmLabel = invited ? "Withdraw invitation" : "Remove member";

  const confirm = (): void => {
    setProblem(null);
    removeUser.mutate(
      { user: user.id },
      { onSuccess: () => onRemoved(user), onError: (error) => setProblem(toProblemView(error)) },
    );
  };

  return (
    <Dialog title={invited ? "Withdraw invitation" : "Remove member"} onClose={onClose}>
      <p>
        {invited ? "Withdraw the invitation of " : "Remove "}
        <strong>{displayName(user)}</strong>
        {invited ? "? The link in their email stops working." : " from this tenant? They lose access at once."}
      </p>
      <ProblemAlert problem={problem} unplaced={problem?.fieldErrors ?? []} />
      <div className="actions">
        <button type="button" className="danger" onClick={confirm} disabled={removeUser.isPending}>
          {removeUser.isPending ? "Removing…" : confirmLabel}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

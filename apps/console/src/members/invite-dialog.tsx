import { useMemo, useState, type FormEvent } from "react";

import type { AssignableRole, Invitation, Operation } from "@fruxon/api-types";

import { fieldErrorsAt, toProblemView, unplacedFieldErrors, type ProblemView } from "../api/problem.js";
import { useBatchInvite, useInviteUser } from "../api/queries.js";
import { Dialog } from "../components/dialog.js";
import { Field } from "../components/field.js";
import { ProblemAlert } from "../components/problem-alert.js";
import { OperationProgress } from "../operations/operation-progress.js";
import { parseInvitees, type InviteeEntry } from "./parse-invitees.js";

interface InviteDialogProps {
  tenant: string;
  onClose: () => void;
  onInvited: (invitation: Invitation) => void;
}

type Mode = "one" | "many";

export function InviteDialog({ tenant, onClose, onInvited }: InviteDialogProps) {
  const [mode, setMode] = useState<Mode>("one");

  return (
    <Dialog title="Invite members" onClose={onClose}>
      <fieldset className="segmented">
        <legend>Invite</legend>
        <label>
          <input type="radio" name="invite-mode" value="one" checked={mode === "one"} onChange={() => setMode("one")} />
          One person
        </label>
        <label>
          <input type="radio" name="invite-mode" value="many" checked={mode === "many"} onChange={() => setMode("many")} />
          A list of people
        </label>
      </fieldset>
      {mode === "one" ? (
        <InviteOneForm tenant={tenant} onInvited={onInvited} onCancel={onClose} />
      ) : (
        <InviteManyForm tenant={tenant} onCancel={onClose} />
      )}
    </Dialog>
  );
}

function RoleSelect({
  label,
  value,
  onChange,
  errors,
}: {
  label: string;
  value: AssignableRole;
  onChange: (role: AssignableRole) => void;
  errors?: string[];
}) {
  return (
    <Field label={label} errors={errors ?? []}>
      {(control) => (
        <select {...control} value={value} onChange={(event) => onChange(event.target.value as AssignableRole)}>
          <option value="MEMBER">Member</option>
          <option value="ADMIN">Admin</option>
        </select>
      )}
    </Field>
  );
}

function InviteOneForm({
  tenant,
  onInvited,
  onCancel,
}: {
  tenant: string;
  onInvited: (invitation: Invitation) => void;
  onCancel: () => void;
}) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<AssignableRole>("MEMBER");
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const invite = useInviteUser(tenant);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setProblem(null);
    invite.mutate(
      { email: email.trim(), role },
      { onSuccess: (invitation) => onInvited(invitation), onError: (error) => setProblem(toProblemView(error)) },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <ProblemAlert problem={problem} unplaced={unplacedFieldErrors(problem, ["/body/email", "/body/role"])} />
      <Field label="Email address" errors={fieldErrorsAt(problem, "/body/email")}>
        {(control) => (
          <input
            {...control}
            type="email"
            name="email"
            autoComplete="off"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        )}
      </Field>
      <RoleSelect label="Role" value={role} onChange={setRole} errors={fieldErrorsAt(problem, "/body/role")} />
      <div className="actions">
        <button type="submit" className="primary" disabled={invite.isPending}>
          {invite.isPending ? "Sending…" : "Send invitation"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function InviteManyForm({ tenant, onCancel }: { tenant: string; onCancel: () => void }) {
  const [text, setText] = useState("");
  const [defaultRole, setDefaultRole] = useState<AssignableRole>("MEMBER");
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [submitted, setSubmitted] = useState<{ operation: Operation; entries: InviteeEntry[] } | null>(null);
  const batchInvite = useBatchInvite(tenant);
  const parsed = useMemo(() => parseInvitees(text, defaultRole), [text, defaultRole]);

  if (submitted !== null) {
    return (
      <div>
        <p role="status">
          Sending {submitted.entries.length} invitations as operation <code>{submitted.operation.name}</code>.
        </p>
        <OperationProgress tenant={tenant} name={submitted.operation.name} />
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Close
          </button>
        </div>
      </div>
    );
  }

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setProblem(null);
    const entries = parsed.entries;
    batchInvite.mutate(
      entries.map(({ email, role }) => ({ email, role })),
      {
        onSuccess: (operation) => setSubmitted({ operation, entries }),
        onError: (error) => setProblem(toProblemView(error)),
      },
    );
  };

  const canSubmit = parsed.entries.length > 0 && parsed.problems.length === 0 && !batchInvite.isPending;
  const serverLineErrors = problem === null ? [] : lineErrors(problem, parsed.entries);

  return (
    <form onSubmit={submit} noValidate>
      <ProblemAlert problem={problem} unplaced={unplacedFieldErrors(problem, ["/body/invitations"])} />
      <Field
        label="Email addresses"
        hint="One per line, or CSV with an email column and an optional role column (ADMIN or MEMBER)."
        errors={[...parsed.problems.map((line) => `Line ${line.line}: ${line.reason}`), ...serverLineErrors]}
      >
        {(control) => (
          <textarea
            {...control}
            name="emails"
            rows={8}
            spellCheck={false}
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        )}
      </Field>
      <RoleSelect label="Role for lines without one" value={defaultRole} onChange={setDefaultRole} />
      <p className="hint" aria-live="polite">
        {parsed.entries.length === 1 ? "1 invitation" : `${parsed.entries.length} invitations`} ready
        {parsed.duplicates > 0 ? `, ${parsed.duplicates} duplicate ${parsed.duplicates === 1 ? "line" : "lines"} left out` : ""}.
      </p>
      <div className="actions">
        <button type="submit" className="primary" disabled={!canSubmit}>
          {batchInvite.isPending ? "Starting…" : "Send invitations"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Maps `/body/invitations/<index>/...` field errors back to the pasted line they came from. */
function lineErrors(problem: ProblemView, entries: readonly InviteeEntry[]): string[] {
  const messages: string[] = [];
  for (const error of problem.fieldErrors) {
    const match = /^\/body\/invitations\/(\d+)(?:\/|$)/.exec(error.pointer);
    if (match === null) {
      if (error.pointer === "/body/invitations") {
        messages.push(error.detail);
      }
      continue;
    }
    const entry = entries[Number(match[1])];
    messages.push(entry === undefined ? `${error.pointer}: ${error.detail}` : `Line ${entry.line} (${entry.email}): ${error.detail}`);
  }
  return messages;
}

import { useId, type ReactNode } from "react";

interface FieldProps {
  label: string;
  /** Field errors from the problem's `errors` whose pointer names this field. */
  errors?: readonly string[];
  hint?: ReactNode;
  /** Renders the control; receives the ids that tie it to its label, hint and errors. */
  children: (control: { id: string; "aria-describedby": string | undefined; "aria-invalid": boolean }) => ReactNode;
}

/** Renders a labelled form control with its hint and its field errors right below it. */
export function Field({ label, errors = [], hint, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint === undefined ? null : hintId, errors.length === 0 ? null : errorId]
    .filter((value) => value !== null)
    .join(" ");

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy === "" ? undefined : describedBy, "aria-invalid": errors.length > 0 })}
      {hint === undefined ? null : (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {errors.length === 0 ? null : (
        <ul className="field-errors" id={errorId}>
          {errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

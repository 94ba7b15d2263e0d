import { useState, type FormEvent } from "react";

import type { Tenant } from "@fruxon/api-types";

import { fieldErrorsAt, toProblemView, unplacedFieldErrors, type ProblemView } from "../api/problem.js";
import { useCreateTenant } from "../api/queries.js";
import { Field } from "../components/field.js";
import { ProblemAlert } from "../components/problem-alert.js";

/** Suggests a slug from the display name: lower case, ASCII letters and digits, inner hyphens. */
export function slugFrom(displayName: string): string {
  return displayName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
}

export function CreateTenantForm({ onCreated }: { onCreated: (tenant: Tenant) => void }) {
  const [displayName, setDisplayName] = useState("");
  const [slug, setSlug] = useState("");
  const [slugEdited, setSlugEdited] = useState(false);
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const createTenant = useCreateTenant();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setProblem(null);
    createTenant.mutate(
      { displayName: displayName.trim(), slug: slug.trim() },
      { onSuccess: (tenant) => onCreated(tenant), onError: (error) => setProblem(toProblemView(error)) },
    );
  };

  // SLUG_TAKEN (409) carries no field pointer, but it is about the slug, so it shows there too.
  const slugErrors = [
    ...fieldErrorsAt(problem, "/body/slug"),
    ...(problem?.code === "SLUG_TAKEN" && problem.detail !== undefined ? [problem.detail] : []),
  ];

  return (
    <form onSubmit={submit} noValidate aria-labelledby="create-tenant-heading">
      <h2 id="create-tenant-heading">Create a tenant</h2>
      <ProblemAlert problem={problem} unplaced={unplacedFieldErrors(problem, ["/body/displayName", "/body/slug"])} />
      <Field label="Display name" errors={fieldErrorsAt(problem, "/body/displayName")}>
        {(control) => (
          <input
            {...control}
            name="displayName"
            autoComplete="organization"
            value={displayName}
            onChange={(event) => {
              setDisplayName(event.target.value);
              if (!slugEdited) {
                setSlug(slugFrom(event.target.value));
              }
            }}
          />
        )}
      </Field>
      <Field label="Slug" hint="3–63 lower-case letters, digits and inner hyphens; used in URLs." errors={slugErrors}>
        {(control) => (
          <input
            {...control}
            name="slug"
            autoComplete="off"
            spellCheck={false}
            value={slug}
            onChange={(event) => {
              setSlug(event.target.value);
              setSlugEdited(true);
            }}
          />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={createTenant.isPending}>
          {createTenant.isPending ? "Creating…" : "Create tenant"}
        </button>
      </div>
    </form>
  );
}

import { useEffect, useState, type FormEvent } from "react";

import type { Profile } from "@fruxon/api-types";

import { fieldErrorsAt, toProblemView, unplacedFieldErrors, type ProblemView } from "../api/problem.js";
import { downloadUrl, useProfile, useUpdateProfile, useUploadAvatar } from "../api/queries.js";
import { Field } from "../components/field.js";
import { formatTimestamp } from "../components/format.js";
import { ProblemAlert } from "../components/problem-alert.js";

const AVATAR_TYPES = "image/png,image/jpeg,image/webp";

/** Renders the name form and the avatar upload; `tenant` is the tenant whose storage receives the image. */
export function ProfilePage({ tenant, baseUrl }: { tenant: string | undefined; baseUrl: string }) {
  const profile = useProfile();
  if (profile.error !== null) {
    return <ProblemAlert problem={toProblemView(profile.error)} />;
  }
  if (profile.data === undefined) {
    return <p>Loading your profile…</p>;
  }
  return (
    <section aria-labelledby="profile-heading">
      <h1 id="profile-heading">Your profile</h1>
      <p>
        Signed in as <strong>{profile.data.email}</strong>
        {profile.data.emailVerified === true ? " (verified)" : " (not verified)"}, since{" "}
        {formatTimestamp(profile.data.createdAt)}.
      </p>
      <NameForm profile={profile.data} />
      <AvatarForm profile={profile.data} tenant={tenant} baseUrl={baseUrl} />
    </section>
  );
}

function NameForm({ profile }: { profile: Profile }) {
  const [firstName, setFirstName] = useState(profile.firstName ?? "");
  const [lastName, setLastName] = useState(profile.lastName ?? "");
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useUpdateProfile();

  useEffect(() => {
    setFirstName(profile.firstName ?? "");
    setLastName(profile.lastName ?? "");
  }, [profile.firstName, profile.lastName]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setProblem(null);
    setSaved(false);
    // An emptied field clears the name (`null`), as the API's partial update defines.
    const body = {
      firstName: firstName.trim() === "" ? null : firstName.trim(),
      lastName: lastName.trim() === "" ? null : lastName.trim(),
    };
    update.mutate(body, { onSuccess: () => setSaved(true), onError: (error) => setProblem(toProblemView(error)) });
  };

  return (
    <form onSubmit={submit} noValidate aria-labelledby="name-heading">
      <h2 id="name-heading">Name</h2>
      <ProblemAlert problem={problem} unplaced={unplacedFieldErrors(problem, ["/body/firstName", "/body/lastName"])} />
      <Field label="First name" errors={fieldErrorsAt(problem, "/body/firstName")}>
        {(control) => (
          <input {...control} name="firstName" autoComplete="given-name" value={firstName} onChange={(event) => setFirstName(event.target.value)} />
        )}
      </Field>
      <Field label="Last name" errors={fieldErrorsAt(problem, "/body/lastName")}>
        {(control) => (
          <input {...control} name="lastName" autoComplete="family-name" value={lastName} onChange={(event) => setLastName(event.target.value)} />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save name"}
        </button>
        <span role="status">{saved ? "Saved." : ""}</span>
      </div>
    </form>
  );
}

function AvatarForm({ profile, tenant, baseUrl }: { profile: Profile; tenant: string | undefined; baseUrl: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [imageFailed, setImageFailed] = useState(false);
  const upload = useUploadAvatar();

  useEffect(() => setImageFailed(false), [profile.avatarFileId, tenant]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (tenant === undefined || file === null) {
      return;
    }
    setProblem(null);
    upload.mutate({ tenant, file }, { onSuccess: () => setFile(null), onError: (error) => setProblem(toProblemView(error)) });
  };

  // NOTE: files are stored per tenant and the profile does not name the tenant that stores the avatar, so
  // the preview reads it from the current tenant and hides itself when that tenant does not have it.
  const showImage = profile.avatarFileId !== undefined && tenant !== undefined && !imageFailed;

  return (
    <form onSubmit={submit} aria-labelledby="avatar-heading">
      <h2 id="avatar-heading">Avatar</h2>
      {showImage ? (
        <img
          className="avatar"
          src={downloadUrl(baseUrl, tenant, profile.avatarFileId ?? "")}
          alt="Your current avatar"
          width={96}
          height={96}
          onError={() => setImageFailed(true)}
        />
      ) : (
        <p>{profile.avatarFileId === undefined ? "No avatar yet." : "Your avatar is stored in another tenant."}</p>
      )}
      <ProblemAlert problem={problem} unplaced={problem?.fieldErrors ?? []} />
      <Field
        label="Image file"
        hint={tenant === undefined ? "Create or join a tenant first: files are stored in a tenant." : "PNG, JPEG or WebP, at most 5 MiB."}
        errors={fieldErrorsAt(problem, "/body/avatarFileId")}
      >
        {(control) => (
          <input
            {...control}
            type="file"
            name="avatar"
            accept={AVATAR_TYPES}
            disabled={tenant === undefined}
            onChange={(event) => setFile(event.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={file === null || tenant === undefined || upload.isPending}>
          {upload.isPending ? "Uploading…" : "Upload avatar"}
        </button>
      </div>
    </form>
  );
}

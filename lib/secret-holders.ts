// Where secret files live in a container, and the label of the (never started) containers that hold them: the
// components that make them (components/secret-files.ts) and the rotation that rewrites them
// (lifecycle/rotate-secret.ts) agree here.
export const SECRETS_DIR = "/run/secrets";
export const HOLDER_LABEL = { "cp3.purpose": "secret-holder" } as const;
/** The label of a container that reads its secret files only when it starts: a rotation restarts it. */
export const READS_SECRETS_AT_START_LABEL = { "cp3.secrets-read": "at-start" } as const;

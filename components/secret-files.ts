// Secrets reach a container as files, never as variables: `docker inspect` shows every variable to anyone who
// can reach the engine. Each file is uploaded before the container starts (the provider's `upload`) into a
// volume of the container's own at SECRETS_DIR, owned by the container's user with mode 0400. The root
// filesystem stays read-only; the engine accepts the copy because it lands in a volume (toolchain patch
// upload-into-directory). The volume is anonymous: it goes with the container.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export const SECRETS_DIR = "/run/secrets";

/** File name (inside SECRETS_DIR) -> content. */
export type SecretFiles = Readonly<Record<string, pulumi.Input<string>>>;

const FILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const secretPath = (fileName: string) => `${SECRETS_DIR}/${fileName}`;

/** The problem with a file name, or undefined when it is fine. */
export function secretFileNameProblem(fileName: string): string | undefined {
  return FILE_NAME.test(fileName) ? undefined : `secret file name "${fileName}": allowed: lower-case letters, digits, '.', '_' and '-', up to 64, not starting with '.'`;
}

/** The container arguments that deliver `files` to a container running as `user` (uid:gid); {} for none. */
export function secretFileArgs(user: string, files: SecretFiles | undefined): Pick<docker.ContainerArgs, "volumes" | "uploads"> {
  const entries = Object.entries(files ?? {});
  if (entries.length === 0) return {};
  const [uid, gid] = user.split(":");
  return {
    volumes: [{ containerPath: SECRETS_DIR }],
    uploads: entries.map(([fileName, content]) => ({ file: secretPath(fileName), content: pulumi.secret(content), owner: uid, group: gid, permissions: "0400" })),
  };
}

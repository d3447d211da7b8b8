// Checks of an image as built, from the CIS Docker Benchmark's section 4 (container images and build files):
// each finding names its rule, the image and the fix. The run-time items of section 5 are the policy pack's
// (policy/). `cp3 up` prints the findings as warnings; the tests require none for the testbed's own images.
import type { ImageInspect } from "../lib/docker-api";
import type { ImageFiles } from "./image-files";

export type ImageCheckRule = "CIS-4.1" | "CIS-4.2" | "CIS-4.6" | "CIS-4.8" | "CIS-4.10" | "CP3-IMAGE-CACHE";

export const RULES: Record<ImageCheckRule, string> = {
  "CIS-4.1": "a non-root USER",
  "CIS-4.2": "built on the project's pinned Debian root",
  "CIS-4.6": "a HEALTHCHECK",
  "CIS-4.8": "no setuid or setgid files",
  "CIS-4.10": "no secrets in ENV, labels or the build history",
  "CP3-IMAGE-CACHE": "no package manager caches",
};

export interface ImageFinding {
  rule: ImageCheckRule;
  image: string;
  message: string;
}

/** One-shot jobs (migrations) need no HEALTHCHECK: the engine waits for them to exit, not to be healthy. */
export type ImageRole = "service" | "job";

export interface ImageFacts {
  image: string;
  role: ImageRole;
  inspect: ImageInspect;
  /** CreatedBy of every build step, newest first. */
  history: string[];
  files: ImageFiles;
  /** The layers of the project's Debian root (cp3/debian:<suite>-<key>), which every image must start with. */
  rootLayers: string[];
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
const SECRET_VALUE = /(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abpr]-[A-Za-z0-9-]{10,})/;
/** A value that only points at a secret (a file, a variable) is not one. */
const REFERENCE = /^(|\/[^\s]*|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$/;

/** name=value pairs that look like secrets: a secret's name with a literal value, or a known key format. */
export function secretLike(pairs: [string, string][]): string[] {
  return pairs.filter(([k, v]) => (SECRET_NAME.test(k) && !REFERENCE.test(v.trim())) || SECRET_VALUE.test(v)).map(([k]) => k);
}

/** Secret-like assignments in build steps (ENV, ARG defaults and RUN lines with NAME=value). */
export function secretsInHistory(history: string[]): string[] {
  const found = new Set<string>();
  for (const step of history) {
    for (const m of step.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s]+)/g)) {
      const value = m[2]!.replace(/^["']|["']$/g, "");
      if (secretLike([[m[1]!, value]]).length > 0) found.add(m[1]!);
    }
    if (SECRET_VALUE.test(step)) found.add("(a key in a build step)");
  }
  return [...found];
}

export function checkImage(f: ImageFacts): ImageFinding[] {
  const findings: ImageFinding[] = [];
  const add = (rule: ImageCheckRule, message: string) => findings.push({ rule, image: f.image, message });
  const c = f.inspect.Config;

  const user = (c.User ?? "").trim();
  if (user === "" || /^(root|0)(:|$)/.test(user)) add("CIS-4.1", `runs as ${user === "" ? "root (no USER)" : `"${user}"`}; add USER <uid>:<gid> with a non-zero uid`);

  const layers = f.inspect.RootFS.Layers ?? [];
  if (f.rootLayers.length === 0 || f.rootLayers.some((l, i) => layers[i] !== l)) add("CIS-4.2", "does not start from the project's Debian root; build FROM cp3/debian:<suite> (what `cp3 setup` imports), never from an unpinned or unknown base");

  const test = c.Healthcheck?.Test ?? [];
  if (f.role === "service" && (test.length === 0 || test[0] === "NONE")) add("CIS-4.6", "has no HEALTHCHECK; add one (or give the service a health or readiness check in its description)");

  if (f.files.setid.length > 0) {
    const list = f.files.setid.map((s) => s.path);
    add("CIS-4.8", `has ${list.length} setuid/setgid file(s): ${list.slice(0, 6).join(", ")}${list.length > 6 ? ", …" : ""}; strip them: RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`);
  }

  const env = (c.Env ?? []).map((e): [string, string] => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]);
  const inEnv = secretLike(env);
  const inLabels = secretLike(Object.entries(c.Labels ?? {}));
  const inHistory = secretsInHistory(f.history);
  if (inEnv.length + inLabels.length + inHistory.length > 0) {
    const where = [inEnv.length ? `ENV ${inEnv.join(", ")}` : "", inLabels.length ? `labels ${inLabels.join(", ")}` : "", inHistory.length ? `build history ${inHistory.join(", ")}` : ""].filter(Boolean).join("; ");
    add("CIS-4.10", `holds what looks like a secret (${where}); pass secrets as files at run time, or as BuildKit secret mounts while building`);
  }

  if (f.files.caches.length > 0) {
    add("CP3-IMAGE-CACHE", `keeps package manager caches: ${f.files.caches.map((x) => `${x.path} (${x.files} files)`).join(", ")}; remove them in the step that fills them (e.g. rm -rf /var/lib/apt/lists/*)`);
  }
  return findings;
}

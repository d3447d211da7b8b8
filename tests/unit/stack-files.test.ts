// Stack files: nothing per clone is tracked, and the generated files follow their templates without losing a
// user's salt or settings.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { generatedHeader, stackConfigDir, stackFile, syncStackFile, syncStackFiles, templateFile } from "../../lib/stack-files";

const git = (...args: string[]) => spawnSync("git", args, { cwd: projectRoot, encoding: "utf8" });

describe("tracked stack files", () => {
  it("carry no encryptionsalt, secret or other per-clone value anywhere under stacks/", () => {
    const tracked = git("ls-files", "-z", "stacks").stdout.split("\0").filter(Boolean);
    expect(tracked).toContain("stacks/templates/Pulumi.dev.yaml");
    const offending = tracked.filter((file) => /encryptionsalt|encryptedkey|secretsprovider|^\s*secure:/im.test(fs.readFileSync(path.join(projectRoot, file), "utf8")));
    expect(offending).toEqual([]);
  });

  it("are generated into a git-ignored folder, the one Pulumi.yaml's stackConfigDir names", () => {
    const dir = path.relative(projectRoot, stackConfigDir());
    expect(dir).not.toBe("stacks");
    expect(git("check-ignore", "-q", path.join(dir, "Pulumi.dev.yaml")).status).toBe(0);
    expect(git("ls-files", dir).stdout).toBe("");
  });
});

describe("syncStackFile", () => {
  let root: string;
  const salt = "encryptionsalt: v1:c2FsdA==:v1:abc:def\n";
  const template = (kind: string, extra = "") => `# ${kind} template\nconfig:\n  cp3:kind: ${kind}\n${extra}`;
  const generated = (kind: "ci" | "dev" | "staging", extra = "") => `${generatedHeader(kind)}${template(kind, extra)}`;
  const read = (file: string) => fs.readFileSync(file, "utf8");
  const sync = (exists = true) => syncStackFile("dev", { root, stackExists: () => exists });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-stack-files-"));
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: cp3-testbed\nstackConfigDir: .gen/stacks\n");
    fs.mkdirSync(path.join(root, "stacks", "templates"), { recursive: true });
    for (const kind of ["ci", "dev", "staging"] as const) fs.writeFileSync(templateFile(kind, root), template(kind));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("writes every base stack's file from its template into stackConfigDir", () => {
    expect(syncStackFiles({ root, stackExists: () => false })).toEqual([]);
    for (const kind of ["ci", "dev", "staging"] as const) expect(read(path.join(root, ".gen", "stacks", `Pulumi.${kind}.yaml`))).toBe(generated(kind));
  });

  it("leaves a generated file alone while its template is unchanged: the salt and the user's settings stay", () => {
    sync();
    const edited = `${generated("dev", "  cp3:worker:\n    replicas: 3\n")}${salt}`;
    fs.writeFileSync(stackFile("dev", root), edited);
    expect(sync()).toBeUndefined();
    expect(read(stackFile("dev", root))).toBe(edited);
  });

  it("generates the file again when its template changed, keeping the salt and a copy of the previous file", () => {
    sync();
    const edited = `${generated("dev", "  cp3:worker:\n    replicas: 3\n")}${salt}`;
    fs.writeFileSync(stackFile("dev", root), edited);
    fs.writeFileSync(templateFile("dev", root), template("dev", "  cp3:gateway:\n    hostPort: 18081\n"));
    expect(sync()).toBe(
      "stacks/templates/Pulumi.dev.yaml changed: .gen/stacks/Pulumi.dev.yaml is generated from it again (the previous copy, with any settings of your own: .gen/stacks/Pulumi.dev.yaml.bak)",
    );
    expect(read(stackFile("dev", root))).toBe(`${generated("dev", "  cp3:gateway:\n    hostPort: 18081\n")}${salt}`);
    expect(read(`${stackFile("dev", root)}.bak`)).toBe(edited);
  });

  it.each([
    ["before cp3 ever ran", false],
    ["after `pulumi stack rm` removed the generated file", true],
  ])("fills in a file that a plain `pulumi stack select --create` made %s, without a needless copy", (_when, generatedBefore) => {
    if (generatedBefore) {
      sync();
      fs.rmSync(stackFile("dev", root));
    }
    fs.mkdirSync(path.dirname(stackFile("dev", root)), { recursive: true });
    fs.writeFileSync(stackFile("dev", root), salt);
    expect(sync()).toBeUndefined();
    expect(read(stackFile("dev", root))).toBe(`${generated("dev")}${salt}`);
    expect(fs.existsSync(`${stackFile("dev", root)}.bak`)).toBe(false);
  });

  it("drops a salt whose stack the backend does not hold (made with a passphrase that need not be yours)", () => {
    sync();
    fs.appendFileSync(stackFile("dev", root), salt);
    sync(true);
    expect(read(stackFile("dev", root))).toContain("encryptionsalt:");
    sync(false);
    expect(read(stackFile("dev", root))).toBe(generated("dev"));
  });
});

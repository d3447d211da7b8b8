// The command line as a user meets it: bad input gets one clear line, exit code 2, and nothing is created.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../lib/paths";
import { stackFile } from "../../lib/stack-files";

function cp3(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", path.join(projectRoot, "cli", "main.ts"), ...args], {
    cwd: projectRoot,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const stateEntries = () => {
  const dir = path.join(projectRoot, ".pulumi-state", ".pulumi", "stacks", "cp3-testbed");
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
};

describe("cp3 command line", () => {
  it.each([
    [["frobnicate"], 'cp3: unknown verb "frobnicate": accepted verbs are run, check, sweep, setup, up, destroy, outputs, verify, test, bench, chaos, scan, rotate-secret, export, cluster (or none, for the main job)'],
    [["run", "--profile", "spike"], 'cp3: --profile: got "spike"; allowed: smoke, load, stress, soak'],
    [["--duration", "5"], 'cp3: --duration: got "5"; allowed: a whole number with s, m or h, from 10s to 168h (e.g. 90s, 10m, 24h)'],
    [["run", "--experiments", "worker-kill,meteor"], expect.stringMatching(/^cp3: --experiments: .*meteor/)],
    [["check", "--stack", "ci-x"], "cp3: check: --ledger is required (ledger file(s), one JSON line per request (report/<run-id>/ledger.jsonl and seed-ledger.jsonl))"],
    [["up"], "cp3: up: --stack is required (stack: ci, ci-<suffix>, k8s-ci-<suffix>, dev or staging)"],
    [["up", "--stack", "prod"], 'cp3: unknown stack "prod": accepted stacks are ci, ci-<suffix> (lower-case letters, digits and \'-\', up to 41 characters), k8s-ci-<suffix> (the same on Kubernetes, up to 42), dev, staging'],
    [["up", "--stack", "ci", "--replicas", "3"], "cp3: up: Unknown option '--replicas'; accepted flags: --stack, --system, --trust-host-cas, --tls, --observability, --help"],
    [["scan", "--stack", "Prod"], 'cp3: unknown stack "Prod": accepted stacks are ci, ci-<suffix> (lower-case letters, digits and \'-\', up to 41 characters), k8s-ci-<suffix> (the same on Kubernetes, up to 42), dev, staging'],
    [["destroy", "--stack", "CI"], 'cp3: unknown stack "CI": accepted stacks are ci, ci-<suffix> (lower-case letters, digits and \'-\', up to 41 characters), k8s-ci-<suffix> (the same on Kubernetes, up to 42), dev, staging'],
    [["setup", "--bogus"], "cp3: setup: Unknown option '--bogus'; accepted flags: --check, --env, --help"],
  ])("cp3 %j fails with one line and exit code 2, creating nothing", (args, line) => {
    const before = stateEntries();
    const { code, stderr, stdout } = cp3(...args);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual([line]);
    expect(stdout).toBe("");
    expect(stateEntries()).toEqual(before);
  });

  it("refuses a system description with five mistakes, naming all five, before anything exists", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cp3-cli-system-"));
    try {
      const file = path.join(dir, "system.yaml");
      fs.writeFileSync(
        file,
        [
          "name: orders",
          "colour: blue", // unknown key
          "nats: { replicas: 2 }", // 1 or 3
          "services:",
          "  - { name: api, image: { build: { context: . } }, user: '0:0', ports: [{ port: 8000, entry: true }] }", // root
          "  - { name: fulfil, image: { pull: orders }, replicas: 40 }", // nothing is pulled; at most 16
          "drive: { entry: api, request: { method: PUT, path: '/api/orders/{{key}}' } }",
        ].join("\n"),
      );
      const before = stateEntries();
      const { code, stderr, stdout } = cp3("run", "--system", file);
      expect(code).toBe(2);
      expect(stderr.trim().split("\n")).toEqual([
        `cp3: --system: invalid system description ${file} (5 problems):`,
        "  - nats.replicas: got 2; allowed: 1 or 3 (a JetStream cluster needs a majority)",
        '  - services[0].user: got "0:0"; allowed: a numeric uid:gid, not 0',
        '  - services[1].image: got {"pull":"orders"}; allowed: {build: {context, dockerfile?, args?}}, {local: <image in the engine>} or {flow: <reference workload flow>}',
        "  - services[1].replicas: got 40; allowed: at most 16",
        "  - colour: unknown key; allowed: only the keys the description's schema names (testbed/spec.ts)",
      ]);
      expect(stdout).toBe("");
      expect(stateEntries()).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to destroy a stack that does not exist, and leaves no config file behind", () => {
    const { code, stderr } = cp3("destroy", "--stack", "ci-never-created");
    expect(code).toBe(2);
    expect(stderr).toContain('cp3: stack "ci-never-created" does not exist in file://');
    expect(fs.existsSync(stackFile("ci-never-created"))).toBe(false);
  }, 120_000);

  it("prints help for every verb, naming its flags", () => {
    for (const verb of ["setup", "up", "destroy", "outputs", "verify", "test", "bench"]) {
      const { code, stdout } = cp3(verb, "--help");
      expect(code).toBe(0);
      expect(stdout).toContain(`usage: npm run cp3 -- ${verb} [flags]`);
      expect(stdout).toContain("--help");
    }
    const overview = cp3("--help");
    expect(overview.code).toBe(0);
    expect(overview.stdout).toContain("exit codes: 0 success, 1 verdict failed, 2 infrastructure or usage error, 130 interrupted");
    // Eight CLI starts: seconds each on a busy 2-core machine, so the default 30 s is too tight (not a speed goal).
  }, 120_000);

  it("refuses a dev stack without a passphrase rather than inventing one", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "-e", 'require("./lib/pulumi-env").passphraseEnv("dev")'], {
      cwd: projectRoot,
      encoding: "utf8",
      env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "" },
    });
    // An empty variable counts as set (Pulumi accepts an empty passphrase); unset both to see the refusal.
    const unset = { ...process.env };
    delete unset.PULUMI_CONFIG_PASSPHRASE;
    delete unset.PULUMI_CONFIG_PASSPHRASE_FILE;
    const refused = spawnSync(process.execPath, ["--import", "tsx", "-e", 'require("./lib/pulumi-env").passphraseEnv("dev")'], {
      cwd: projectRoot,
      encoding: "utf8",
      env: unset,
    });
    expect(result.status).toBe(0);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('stack "dev" needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): only ci stacks get a generated passphrase');
  });
});

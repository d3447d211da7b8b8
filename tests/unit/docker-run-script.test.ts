// The bench's docker run baseline (bench/docker-run-script.ts) starts what the stack ran: secret holders created
// and filled from the saved archive, never started, and their volumes mounted read-only by the readers.
import { describe, expect, it } from "vitest";
import { baselineVolumes, dockerRunScript } from "../../bench/docker-run-script";
import type { ContainerInspect } from "../../lib/docker-api";

const inspect = (name: string, mounts: ContainerInspect["Mounts"], extra: Partial<ContainerInspect["Config"]> = {}): ContainerInspect => ({
  Id: name,
  Name: `/${name}`,
  RestartCount: 0,
  State: { Status: "running", Running: true, Paused: false, Restarting: false, Pid: 1, ExitCode: 0 },
  Config: { User: "10002:10002", Hostname: name, Image: "cp3/flow-gateway:abc", Env: [], Entrypoint: null, Cmd: null, Labels: {}, ...extra },
  HostConfig: { ReadonlyRootfs: true, CapDrop: ["ALL"], CapAdd: null, SecurityOpt: null, Memory: 0, NanoCpus: 0, PidsLimit: null, ShmSize: 0, Ulimits: null, RestartPolicy: { Name: "no", MaximumRetryCount: 0 }, PortBindings: null },
  Mounts: mounts,
  NetworkSettings: { Ports: null, Networks: {} },
});

describe("the docker run baseline", () => {
  const holder = inspect("cp3-s-gateway-secrets", [{ Type: "volume", Name: "cp3-s-gateway-secrets", Destination: "/run/secrets", RW: true }], { Image: "cp3/debian:bookworm-1" });
  const gateway = inspect("cp3-s-gateway", [
    { Type: "volume", Name: "cp3-s-gateway-secrets", Destination: "/run/secrets", RW: false },
    { Type: "volume", Name: "0".repeat(64), Destination: "/anonymous", RW: true },
  ]);

  it("creates and fills each secret holder before anything runs, and mounts its volume read-only in the reader", () => {
    const script = dockerRunScript([], [{ inspect: holder, archive: "/w/secrets/cp3-s-gateway-secrets.tar" }], [], [], [{ inspect: gateway, job: false }], "bench-");
    const lines = script.split("\n");
    expect(lines).toContain("docker create --name 'bench-cp3-s-gateway-secrets' -v 'bench-cp3-s-gateway-secrets:/run/secrets' 'cp3/debian:bookworm-1' /bin/true >/dev/null");
    expect(lines).toContain("docker cp - 'bench-cp3-s-gateway-secrets':/run < '/w/secrets/cp3-s-gateway-secrets.tar'");
    const run = lines.find((l) => l.startsWith("docker run -d --name 'bench-cp3-s-gateway'"))!;
    expect(run).toContain("-v 'bench-cp3-s-gateway-secrets:/run/secrets:ro'");
    expect(run).not.toContain("/anonymous");
    expect(lines.findIndex((l) => l.startsWith("docker cp"))).toBeLessThan(lines.indexOf(run));
    expect(script).not.toMatch(/docker (run|start)[^\n]*gateway-secrets' [^\n]*\/bin\/true/);
  });

  it("removes the named volumes, not anonymous ones", () => {
    expect(baselineVolumes([holder, gateway], "bench-")).toEqual(["bench-cp3-s-gateway-secrets"]);
  });
});

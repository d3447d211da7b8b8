// Finding a command on PATH, as the shell would, optionally leaving out one folder (our own toolchain's bin).
import * as fs from "node:fs";
import * as path from "node:path";

export function findOnPath(name: string, skipDir?: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "" || dir === skipDir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

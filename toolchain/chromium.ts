// Debian's chromium, used headless to render report.html the way a reader's browser would (the report's
// charts are drawn by a script in the page, so only a real browser can show they draw).
import { succeeds } from "../lib/exec";
import { StepError } from "../lib/progress";
import { ensureDebianPackages } from "./engine";

/** Installs Debian's chromium package when missing and returns the path of its `chromium` command. */
export async function ensureChromium(): Promise<string> {
  await ensureDebianPackages({ chromium: "chromium" }, "chromium");
  const found = (await succeeds("sh", ["-c", "command -v chromium"]))?.trim();
  if (!found) throw new StepError("chromium", "the chromium package is installed but no `chromium` command is on PATH");
  return found;
}

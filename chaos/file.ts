// Experiments from files. JSON only: no YAML parser is installed, and JSON needs none.
import * as fs from "node:fs";
import { ExperimentError, validateExperiment } from "./validate";
import type { Experiment } from "./types";

export function loadExperimentFile(file: string): Experiment {
  if (!file.endsWith(".json")) throw new ExperimentError(`${file}: got a file that does not end in .json; allowed: a JSON file (YAML is not supported)`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ExperimentError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ExperimentError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return validateExperiment(raw, file);
}

// The plan the driver wrote (load/plan.ts) and the k6 options translated from it (load/k6.ts), read once in k6's
// init context. The same plan drives the default engine, so both send the same requests at the same rates.
function required(name) {
  const value = __ENV[name];
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is missing (the cp3 driver sets it)`);
  return value;
}

export const plan = JSON.parse(open(required("CP3_PLAN")));
export const options = JSON.parse(open(required("CP3_K6_OPTIONS")));
export const summaryFile = required("SUMMARY_FILE");

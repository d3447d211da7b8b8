// The gateway flow. Until the workload issue lands it serves only its health endpoints.
import { serveHealth } from "../../core/health.ts";
import { readSettings } from "../../core/settings.ts";

serveHealth(readSettings());

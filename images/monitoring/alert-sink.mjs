// The receiver Alertmanager notifies (its webhook): it keeps every notification with the time it came, and
// answers them all on GET /notifications, for the run's report. Inside the testbed's networks, so no alert
// traffic leaves them; the driver reads it on its port published on 127.0.0.1. Plain Node.js, no dependencies.
import * as http from "node:http";

const port = Number(process.env.SINK_PORT ?? "9095");
const MAX = 10_000;
const notifications = [];

http
  .createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.end("ok\n");
      return;
    }
    if (req.method === "GET" && req.url === "/notifications") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(notifications));
      return;
    }
    if (req.method === "POST" && req.url === "/alerts") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk) => {
        if (body.length < 1_000_000) body += chunk;
      });
      req.on("end", () => {
        try {
          const payload = JSON.parse(body);
          if (notifications.length < MAX) notifications.push({ receivedAt: Date.now(), status: payload.status, receiver: payload.receiver, alerts: (payload.alerts ?? []).map((a) => ({ status: a.status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt })) });
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end("not a webhook payload\n");
        }
      });
      return;
    }
    res.writeHead(404).end();
  })
  .listen(port, "0.0.0.0");

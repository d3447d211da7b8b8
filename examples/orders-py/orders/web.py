"""HTTP plumbing shared by both services: a threaded HTTP/1.1 server with keep-alive, JSON answers, counters in
Prometheus's text format, and a graceful stop (no new connections, in-flight requests finished)."""
import json
import signal
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Counters:
    def __init__(self, help_: dict[str, str]):
        self.help = help_
        self.values = {k: 0 for k in help_}
        self._lock = threading.Lock()

    def inc(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.values[name] += n

    def render(self, gauges: dict[str, float] | None = None) -> str:
        out = []
        with self._lock:
            for k, v in self.values.items():
                out += [f"# HELP {k} {self.help[k]}", f"# TYPE {k} counter", f"{k} {v}"]
        for k, v in (gauges or {}).items():
            out += [f"# TYPE {k} gauge", f"{k} {v}"]
        return "\n".join(out) + "\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "orders"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this

    def log_message(self, format, *args):  # noqa: A002 - the services log what matters themselves
        pass

    def reply(self, code: int, body, headers: dict[str, str] | None = None, close: bool = False) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        ctype = "text/plain; version=0.0.4" if isinstance(body, str) else "application/json"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if close or self.server.stopping.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with self.server.tracked():
            self.get()

    def do_PUT(self):
        with self.server.tracked():
            self.put()

    def get(self):
        self.reply(404, {"error": "not found"})

    def put(self):
        self.reply(405, {"error": "method not allowed"}, {"Allow": "GET"})

    do_POST = do_DELETE = do_PATCH = lambda self: self.reply(405, {"error": "method not allowed"}, close=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, port: int, handler, log):
        self.log = log
        self.stopping = threading.Event()
        self.inflight = 0
        self.inflight_lock = threading.Lock()
        super().__init__(("0.0.0.0", port), handler)

    def handle_error(self, request, client_address):
        """A JSON line instead of socketserver's traceback on stderr; a client that went away is only a debug line."""
        err = sys.exc_info()[1]
        quiet = isinstance(err, (BrokenPipeError, ConnectionResetError, TimeoutError))
        (self.log.debug if quiet else self.log.error)("http: request failed", client=client_address[0], error=repr(err)[:300])

    @contextmanager
    def tracked(self):
        with self.inflight_lock:
            self.inflight += 1
        try:
            yield
        finally:
            with self.inflight_lock:
                self.inflight -= 1

    def start(self) -> "Server":
        threading.Thread(target=self.serve_forever, name="http", daemon=True).start()
        return self

    def stop(self, grace_s: float = 10.0) -> None:
        self.stopping.set()
        self.shutdown()  # no new connections
        deadline = time.monotonic() + grace_s
        while self.inflight > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.server_close()


def wait_for_signal() -> str:
    """Blocks until SIGTERM or SIGINT; returns its name."""
    got = threading.Event()
    name = []

    def on(sig, _):
        name.append(signal.Signals(sig).name)
        got.set()

    signal.signal(signal.SIGTERM, on)
    signal.signal(signal.SIGINT, on)
    while not got.wait(1.0):
        pass
    return name[0]

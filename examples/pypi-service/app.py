"""The smallest service that needs a package from PyPI: /readyz answers with the version of `six` it imported,
and PUT /records/<key> accepts a record (202). It stores nothing: the example is about the image build."""
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import six


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/readyz":
            self._answer(200, {"six": six.__version__})
        else:
            self._answer(404, {"error": "not found"})

    def do_PUT(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/records/") and len(self.path) > len("/records/"):
            self._answer(202, {"accepted": self.path[len("/records/"):]})
        else:
            self._answer(404, {"error": "not found"})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()

"""JSON logs, one object per line on stdout: {"ts", "level", "service", "msg", ...fields}."""
import json
import sys
import threading
import time

LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40}


class Log:
    def __init__(self, service: str, level: str = "info", stream=None):
        self.service = service
        self.threshold = LEVELS.get(level, 20)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def _write(self, level: str, msg: str, fields: dict) -> None:
        if LEVELS[level] < self.threshold:
            return
        t = time.time()
        rec = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z",
               "level": level, "service": self.service, "msg": msg, **fields}
        line = json.dumps(rec, default=str, separators=(",", ":"))
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def debug(self, msg: str, **fields) -> None:
        self._write("debug", msg, fields)

    def info(self, msg: str, **fields) -> None:
        self._write("info", msg, fields)

    def warn(self, msg: str, **fields) -> None:
        self._write("warn", msg, fields)

    def error(self, msg: str, **fields) -> None:
        self._write("error", msg, fields)

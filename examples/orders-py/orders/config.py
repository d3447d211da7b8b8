"""Settings, from environment variables only. Every bad variable is reported at once, then the process exits 2."""
import os
import socket
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    nats_url: str
    pg_dsn: str | None
    pg_host: str
    pg_port: int
    pg_user: str
    pg_database: str
    pg_password_file: str | None
    pg_password: str | None
    pg_pool_size: int
    pg_statement_timeout_ms: int
    http_port: int
    stream: str
    stream_subjects: str
    stream_replicas: int
    subject: str
    consumer: str
    republish_after_seconds: float
    publish_timeout_seconds: float
    pull_batch: int
    pull_expires_seconds: float
    ack_wait_seconds: float
    max_ack_pending: int
    worker_id: str
    log_level: str

    def stream_config(self) -> dict:
        """The stream both services create when it is missing (the testbed creates it first, from the description)."""
        return {"name": self.stream, "subjects": [self.stream_subjects], "retention": "workqueue", "storage": "file",
                "discard": "new", "duplicate_window": 120 * 10**9, "num_replicas": self.stream_replicas}

    def consumer_config(self) -> dict:
        return {"durable_name": self.consumer, "ack_policy": "explicit", "ack_wait": int(self.ack_wait_seconds * 1e9),
                "max_deliver": -1, "max_ack_pending": self.max_ack_pending, "deliver_policy": "all"}

    def pg_password_now(self) -> str | None:
        """Read at every connection, so a rotated password file is picked up."""
        if self.pg_password_file:
            with open(self.pg_password_file, encoding="utf-8") as f:
                return f.read().strip()
        return self.pg_password


def load(env=None) -> Config:
    env = os.environ if env is None else env
    errors: list[str] = []

    def get(name, default, conv=str, check=None, what=""):
        raw = env.get(name)
        if raw is None or raw == "":
            return default
        try:
            v = conv(raw)
            if check is not None and not check(v):
                raise ValueError
            return v
        except ValueError:
            errors.append(f"{name}={raw!r}: expected {what or conv.__name__}")
            return default

    token = lambda s: s.replace("-", "").replace("_", "").isalnum()  # noqa: E731 - JetStream names
    cfg = Config(
        nats_url=get("NATS_URL", "nats://127.0.0.1:4222"),
        pg_dsn=get("PG_DSN", None),
        pg_host=get("PG_HOST", "127.0.0.1"),
        pg_port=get("PG_PORT", 5432, int, lambda v: 0 < v < 65536, "a port number"),
        pg_user=get("PG_USER", "orders"),
        pg_database=get("PG_DATABASE", "orders"),
        pg_password_file=get("PG_PASSWORD_FILE", None),
        pg_password=get("PG_PASSWORD", None),
        pg_pool_size=get("PG_POOL_SIZE", 16, int, lambda v: 1 <= v <= 200, "an integer 1..200"),
        pg_statement_timeout_ms=get("PG_STATEMENT_TIMEOUT_MS", 5000, int, lambda v: v >= 100, "an integer >= 100"),
        http_port=get("HTTP_PORT", 8000, int, lambda v: 0 < v < 65536, "a port number"),
        stream=get("STREAM", "ORDERS", str, token, "a stream name (letters, digits, - and _)"),
        stream_subjects=get("STREAM_SUBJECTS", "orders.>"),
        stream_replicas=get("STREAM_REPLICAS", 1, int, lambda v: v in (1, 3, 5), "1, 3 or 5"),
        subject=get("SUBJECT", "orders.placed", str, lambda v: " " not in v and "*" not in v and ">" not in v, "a subject without wildcards"),
        consumer=get("CONSUMER", "fulfil", str, token, "a consumer name (letters, digits, - and _)"),
        republish_after_seconds=get("REPUBLISH_AFTER_SECONDS", 15.0, float, lambda v: v >= 1, "a number of seconds >= 1"),
        publish_timeout_seconds=get("PUBLISH_TIMEOUT_SECONDS", 2.0, float, lambda v: v > 0, "a number of seconds > 0"),
        pull_batch=get("PULL_BATCH", 32, int, lambda v: 1 <= v <= 1000, "an integer 1..1000"),
        pull_expires_seconds=get("PULL_EXPIRES_SECONDS", 5.0, float, lambda v: 0.5 <= v <= 60, "seconds, 0.5..60"),
        ack_wait_seconds=get("ACK_WAIT_SECONDS", 30.0, float, lambda v: v >= 1, "a number of seconds >= 1"),
        max_ack_pending=get("MAX_ACK_PENDING", 1000, int, lambda v: v >= 1, "an integer >= 1"),
        worker_id=get("WORKER_ID", socket.gethostname()),
        log_level=get("LOG_LEVEL", "info", str, lambda v: v in ("debug", "info", "warn", "error"), "debug, info, warn or error"),
    )
    if cfg.pg_password_file and not os.path.isfile(cfg.pg_password_file):
        errors.append(f"PG_PASSWORD_FILE={cfg.pg_password_file!r}: no such file")
    if cfg.pg_password_file and cfg.pg_password:
        errors.append("PG_PASSWORD_FILE and PG_PASSWORD: give one, not both (the file is preferred)")
    try:
        from .nats import parse_servers
        parse_servers(cfg.nats_url)
    except ValueError as e:
        errors.append(str(e))
    if errors:
        raise ConfigError(errors)
    return cfg


class ConfigError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def load_or_exit(service: str) -> Config:
    try:
        return load()
    except ConfigError as e:
        import json
        for err in e.errors:
            print(json.dumps({"level": "error", "service": service, "msg": "bad setting", "error": err}), flush=True)
        sys.exit(2)

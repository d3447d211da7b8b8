"""PostgreSQL through psycopg2: a small bounded pool of autocommit connections (every statement here is one
transaction on its own). A connection-level failure throws away every idle connection (after a server
restart they are all dead) and the statement is tried once more on a fresh one: every statement the services
run is idempotent, so running it twice is harmless even when the first attempt did commit.
"""
import threading
import time
from contextlib import contextmanager

import psycopg2
import psycopg2.extras

from .config import Config


class Unavailable(Exception):
    """PostgreSQL cannot be reached, or no connection is free in time."""


def is_unavailable(e: BaseException) -> bool:
    if isinstance(e, (Unavailable, psycopg2.OperationalError, psycopg2.InterfaceError)):
        return True
    code = getattr(e, "pgcode", None) or ""
    return code[:2] in ("08", "53", "57")  # connection exception, insufficient resources, operator intervention


def connection_lost(e: BaseException) -> bool:
    """The connection is unusable (not a statement timeout, 57014, after which it is still fine)."""
    return isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError)) and getattr(e, "pgcode", None) != "57014"


class Db:
    def __init__(self, cfg: Config, app_name: str, log):
        self.cfg, self.app_name, self.log = cfg, app_name, log
        self._idle: list = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(cfg.pg_pool_size)
        self._generation = 0
        self._down = False  # set after a failed connect: callers fail fast while a thread probes in the background

    def _connect(self, probing: bool = False):
        c = self.cfg
        extra = dict(connect_timeout=2, application_name=self.app_name, keepalives=1, keepalives_idle=5,
                     keepalives_interval=2, keepalives_count=3, options=f"-c statement_timeout={c.pg_statement_timeout_ms}")
        try:
            if c.pg_dsn:
                conn = psycopg2.connect(c.pg_dsn, **extra)
            else:
                conn = psycopg2.connect(host=c.pg_host, port=c.pg_port, user=c.pg_user, dbname=c.pg_database,
                                        password=c.pg_password_now(), **extra)
        except (psycopg2.Error, OSError) as e:
            if not probing:
                self._mark_down(e)
            raise Unavailable(f"cannot connect to PostgreSQL: {str(e).strip()}") from e
        conn.autocommit = True
        return conn

    def _mark_down(self, err) -> None:
        """No request waits on a connection attempt while PostgreSQL is away (a restarting container's name can
        take 20 s to fail to resolve on an internal network): one thread probes until a connection succeeds."""
        with self._lock:
            if self._down:
                return
            self._down = True
        self.log.warn("postgres: unavailable; reconnecting in the background", error=str(err).strip()[:300])
        threading.Thread(target=self._probe, name="pg-probe", daemon=True).start()

    def _probe(self) -> None:
        delay = 0.1
        while True:
            time.sleep(delay)
            delay = min(2.0, delay * 1.5)
            try:
                conn = self._connect(probing=True)
            except Exception:
                continue
            with self._lock:
                self._idle.append(conn)
                self._down = False
            self.log.info("postgres: available again")
            return

    @contextmanager
    def connection(self, wait_s: float = 1.0):
        if not self._slots.acquire(timeout=wait_s):
            raise Unavailable("no PostgreSQL connection free")
        conn, gen = None, self._generation
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
                down = self._down
            if conn is None:
                if down:
                    raise Unavailable("PostgreSQL unavailable (reconnecting)")
                conn = self._connect()
            yield conn
        except BaseException as e:
            if conn is not None and (connection_lost(e) or conn.closed):
                self._discard_all()
                conn.close()
                conn = None
            raise
        finally:
            if conn is not None and not conn.closed:
                with self._lock:
                    if gen == self._generation:
                        self._idle.append(conn)
                    else:
                        conn.close()
            self._slots.release()

    def _discard_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for c in idle:
            c.close()

    def query(self, sql: str, params=None, retry: bool = True) -> list[tuple]:
        """Runs one statement (its own transaction) and returns its rows; tries once more after a connection failure."""
        for attempt in (1, 2):
            try:
                with self.connection() as conn, conn.cursor() as cur:
                    cur.execute(sql, params)
                    rows = cur.fetchall() if cur.description else []
                return rows
            except Exception as e:
                if attempt == 2 or not retry or not connection_lost(e):
                    raise
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        try:
            self.query("SELECT 1", retry=False)
            return True
        except Exception:
            return False

    def close(self) -> None:
        self._discard_all()


Json = psycopg2.extras.Json

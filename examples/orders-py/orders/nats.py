"""A small threaded NATS client: one TCP connection, a reader thread, request/reply through one wildcard inbox,
PING/PONG both ways, and reconnection forever (full-jitter backoff, round robin over the servers) with every
subscription restored. Enough for JetStream's API; see jetstream.py.
"""
import itertools
import json
import random
import secrets
import socket
import threading
import time
from typing import Callable
from urllib.parse import unquote, urlsplit

from . import protocol
from .protocol import Msg

PING_INTERVAL = 5.0  # seconds between our PINGs; two unanswered ones mean the connection is dead
MAX_OUTSTANDING_PINGS = 2


class NatsError(Exception):
    pass


class ConnectionClosedError(NatsError):
    pass


class TimeoutError(NatsError):  # noqa: A001 - NATS's own name for it
    pass


class NoRespondersError(NatsError):
    pass


def parse_servers(urls: str) -> list[dict]:
    """'nats://u:p@h:4222,h2' -> [{host, port, user, password, token}]."""
    out = []
    for u in (x.strip() for x in urls.split(",")):
        if not u:
            continue
        p = urlsplit(u if "://" in u else "nats://" + u)
        if p.scheme not in ("nats", "tcp"):
            raise ValueError(f"NATS_URL: unsupported scheme in {u!r} (nats:// only)")
        user, pw = unquote(p.username or ""), unquote(p.password or "")
        out.append({"host": p.hostname or "127.0.0.1", "port": p.port or 4222,
                    "user": user if pw else "", "password": pw, "token": user if user and not pw else ""})
    if not out:
        raise ValueError("NATS_URL: no server given")
    return out


class Client:
    def __init__(self, servers: str, name: str, log, connect_timeout: float = 3.0) -> None:
        self.servers = parse_servers(servers)
        self.name = name
        self.log = log
        self.connect_timeout = connect_timeout
        self.inbox_prefix = "_INBOX." + secrets.token_hex(11)
        self._sock: socket.socket | None = None
        self._wlock = threading.Lock()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._closed = False
        self._subs: dict[int, tuple[str, Callable[[Msg], None]]] = {}
        self._sids = itertools.count(2)  # sid 1 is the request inbox
        self._tokens = itertools.count(1)
        self._pending: dict[str, list] = {}  # token -> [Event, Msg | Exception | None]
        self._listeners: list[Callable[[str], None]] = []
        self._outstanding_pings = 0
        self.info: dict = {}
        self.reconnects = 0
        self._thread = threading.Thread(target=self._run, name="nats-reader", daemon=True)

    # -- public API ---------------------------------------------------------------------------------------

    def start(self) -> "Client":
        self._thread.start()
        return self

    def on_status(self, fn: Callable[[str], None]) -> None:
        """fn("connected") after each (re)connection, fn("disconnected") when one is lost; run in its own thread."""
        self._listeners.append(fn)

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    def publish(self, subject: str, data: bytes = b"", reply: str | None = None, headers: dict[str, str] | None = None) -> None:
        self._send(protocol.encode_pub(subject, data, reply, headers))

    def subscribe(self, subject: str, callback: Callable[[Msg], None], queue: str | None = None) -> int:
        """callback runs on the reader thread: keep it short (hand the message to a queue)."""
        sid = next(self._sids)
        with self._lock:
            self._subs[sid] = (subject, callback)
        try:
            self._send(protocol.encode_sub(subject, sid, queue))
        except ConnectionClosedError:
            pass  # sent again on reconnect
        return sid

    def unsubscribe(self, sid: int) -> None:
        with self._lock:
            self._subs.pop(sid, None)
        try:
            self._send(protocol.encode_unsub(sid))
        except ConnectionClosedError:
            pass

    def new_inbox(self) -> str:
        """A subject of its own (not under the request inbox, whose wildcard subscription would see it too)."""
        return f"_INBOX.{secrets.token_hex(11)}"

    def request(self, subject: str, data: bytes = b"", timeout: float = 2.0, headers: dict[str, str] | None = None) -> Msg:
        token = f"r{next(self._tokens)}"
        slot: list = [threading.Event(), None]
        with self._lock:
            self._pending[token] = slot
        try:
            self.publish(subject, data, f"{self.inbox_prefix}.{token}", headers)
            if not slot[0].wait(timeout):
                raise TimeoutError(f"no reply on {subject} within {timeout}s")
        finally:
            with self._lock:
                self._pending.pop(token, None)
        result = slot[1]
        if isinstance(result, Exception):
            raise result
        if result.status == 503:
            raise NoRespondersError(f"no responders on {subject}")
        return result

    def close(self) -> None:
        self._closed = True
        self._drop_socket()
        self._thread.join(timeout=5)

    # -- internals ----------------------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        with self._wlock:
            sock = self._sock
            if sock is None or not self._connected.is_set():
                raise ConnectionClosedError("not connected to NATS")
            try:
                sock.sendall(data)
            except OSError as e:
                self._drop_socket()
                raise ConnectionClosedError(f"NATS write failed: {e}") from e

    def _drop_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _notify(self, status: str) -> None:
        for fn in list(self._listeners):
            threading.Thread(target=fn, args=(status,), name=f"nats-{status}", daemon=True).start()

    def _run(self) -> None:
        attempt = 0
        order = list(range(len(self.servers)))
        random.shuffle(order)
        for i in itertools.cycle(order):
            if self._closed:
                return
            srv = self.servers[i]
            try:
                parser = self._connect(srv)
            except (OSError, NatsError, ValueError) as e:
                attempt += 1
                delay = random.uniform(0, min(2.0, 0.05 * 2 ** min(attempt, 6)))
                self.log.warn("nats: connect failed", server=f"{srv['host']}:{srv['port']}", error=str(e), retry_in_s=round(delay, 3))
                time.sleep(delay)
                continue
            attempt = 0
            self.log.info("nats: connected", server=f"{srv['host']}:{srv['port']}", server_name=self.info.get("server_name"), reconnects=self.reconnects)
            self._notify("connected")
            err = self._read_loop(parser)
            self._connected.clear()
            self._drop_socket()
            self._fail_pending(ConnectionClosedError(f"NATS connection lost: {err}"))
            if self._closed:
                return
            self.reconnects += 1
            self.log.warn("nats: disconnected", error=err)
            self._notify("disconnected")

    def _connect(self, srv: dict) -> protocol.Parser:
        sock = socket.create_connection((srv["host"], srv["port"]), timeout=self.connect_timeout)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        parser = protocol.Parser()
        try:
            ops = self._read_ops(sock, parser, lambda ops: any(o[0] == "INFO" for o in ops))
            self.info = next(o[1] for o in ops if o[0] == "INFO")
            if not self.info.get("headers"):
                raise NatsError("server does not support headers (NATS >= 2.2 needed)")
            opts = {"verbose": False, "pedantic": False, "lang": "python-orders", "version": "0.1", "protocol": 1,
                    "headers": True, "no_responders": True, "name": self.name}
            if srv["user"]:
                opts.update(user=srv["user"], **{"pass": srv["password"]})
            if srv["token"]:
                opts["auth_token"] = srv["token"]
            sock.sendall(protocol.encode_connect(opts) + b"PING\r\n")
            ops = self._read_ops(sock, parser, lambda ops: any(o[0] in ("PONG", "ERR") for o in ops))
            for o in ops:
                if o[0] == "ERR":
                    raise NatsError(f"server refused the connection: {o[1]}")
            with self._lock:
                subs = [(sid, s[0]) for sid, s in self._subs.items()]
            out = protocol.encode_sub(f"{self.inbox_prefix}.*", 1)
            for sid, subject in subs:
                out += protocol.encode_sub(subject, sid)
            sock.sendall(out)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(1.0)
        self._sock = sock
        self._outstanding_pings = 0
        self._connected.set()
        return parser

    @staticmethod
    def _read_ops(sock: socket.socket, parser: protocol.Parser, done) -> list[tuple]:
        seen: list[tuple] = []
        while not done(seen):
            data = sock.recv(65536)
            if not data:
                raise NatsError("connection closed during the handshake")
            seen += parser.feed(data)
        return seen

    def _read_loop(self, parser: protocol.Parser) -> str:
        last_ping = time.monotonic()
        while not self._closed:
            sock = self._sock
            if sock is None:
                return "closed"
            now = time.monotonic()
            if now - last_ping >= PING_INTERVAL:
                if self._outstanding_pings >= MAX_OUTSTANDING_PINGS:
                    return "stale connection (no PONG)"
                last_ping = now
                self._outstanding_pings += 1
                try:
                    self._send(b"PING\r\n")
                except ConnectionClosedError as e:
                    return str(e)
            try:
                data = sock.recv(262144)
            except socket.timeout:
                continue
            except OSError as e:
                return str(e)
            if not data:
                return "closed by the server"
            try:
                ops = parser.feed(data)
            except (protocol.ProtocolError, ValueError) as e:
                return f"protocol error: {e}"
            for op in ops:
                kind = op[0]
                if kind == "MSG":
                    self._dispatch(op[1])
                elif kind == "PING":
                    try:
                        self._send(b"PONG\r\n")
                    except ConnectionClosedError as e:
                        return str(e)
                elif kind == "PONG":
                    self._outstanding_pings = 0
                elif kind == "ERR":
                    self.log.warn("nats: -ERR from the server", error=op[1])
                    if "permissions violation" not in op[1].lower():
                        return f"-ERR {op[1]}"  # the server closes the connection after any other -ERR
                elif kind == "INFO":
                    self.info.update(op[1])
        return "closed"

    def _dispatch(self, msg: Msg) -> None:
        if msg.sid == 1:
            token = msg.subject.rsplit(".", 1)[-1]
            with self._lock:
                slot = self._pending.get(token)
            if slot is not None and slot[1] is None:
                slot[1] = msg
                slot[0].set()
            return
        with self._lock:
            sub = self._subs.get(msg.sid)
        if sub is not None:
            try:
                sub[1](msg)
            except Exception as e:  # a callback's bug must not kill the connection
                self.log.error("nats: subscription callback failed", subject=msg.subject, error=repr(e))

    def _fail_pending(self, err: Exception) -> None:
        with self._lock:
            slots = list(self._pending.values())
        for slot in slots:
            if slot[1] is None:
                slot[1] = err
                slot[0].set()


def json_body(msg: Msg) -> dict:
    return json.loads(msg.data or b"{}")

"""NATS's client protocol, without any I/O: an incremental parser of what the server sends, and the encoders
of what a client sends. https://docs.nats.io/reference/reference-protocols/nats-protocol

Server -> client: INFO {json}, MSG <subject> <sid> [reply] <#bytes>, HMSG <subject> <sid> [reply] <#header
bytes> <#total bytes>, PING, PONG, +OK, -ERR '<text>'. Every control line ends in CRLF; MSG and HMSG are
followed by their payload and a CRLF. Headers are an HTTP-like block: "NATS/1.0[ <status>[ <text>]]" CRLF,
then "Key: value" lines, then an empty line.
"""
import json
from dataclasses import dataclass, field

CRLF = b"\r\n"
MAX_CONTROL_LINE = 64 * 1024  # INFO can be long (connect_urls of a cluster)


class ProtocolError(Exception):
    pass


@dataclass
class Msg:
    subject: str
    sid: int
    reply: str | None
    data: bytes
    headers: dict[str, list[str]] = field(default_factory=dict)
    status: int | None = None  # from the header line: 503 no responders, 404/408/409 on pulls, 100 heartbeat
    description: str = ""

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower() and v:
                return v[0]
        return None


def encode_headers(headers: dict[str, str]) -> bytes:
    lines = ["NATS/1.0"]
    for k, v in headers.items():
        if not k or any(c in k for c in ": \r\n") or "\r" in v or "\n" in v:
            raise ValueError(f"invalid header {k!r}")
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def decode_headers(block: bytes) -> tuple[int | None, str, dict[str, list[str]]]:
    """The status (None when the line has none), its text, and the headers (a name may repeat)."""
    text = block.decode("utf-8", "replace")
    lines = text.split("\r\n")
    first = lines[0]
    if not first.startswith("NATS/1.0"):
        raise ProtocolError(f"bad header line {first!r}")
    rest = first[len("NATS/1.0"):].strip()
    status, description = None, ""
    if rest:
        code, _, description = rest.partition(" ")
        if not code.isdigit():
            raise ProtocolError(f"bad status in {first!r}")
        status = int(code)
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line:
            continue
        k, sep, v = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad header {line!r}")
        headers.setdefault(k.strip(), []).append(v.strip())
    return status, description.strip(), headers


def encode_connect(options: dict) -> bytes:
    return b"CONNECT " + json.dumps(options, separators=(",", ":")).encode() + CRLF


def encode_pub(subject: str, data: bytes, reply: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    _check_subject(subject)
    r = f" {reply}" if reply else ""
    if reply:
        _check_subject(reply)
    if headers:
        h = encode_headers(headers)
        return f"HPUB {subject}{r} {len(h)} {len(h) + len(data)}\r\n".encode() + h + data + CRLF
    return f"PUB {subject}{r} {len(data)}\r\n".encode() + data + CRLF


def encode_sub(subject: str, sid: int, queue: str | None = None) -> bytes:
    _check_subject(subject)
    return f"SUB {subject}{' ' + queue if queue else ''} {sid}\r\n".encode()


def encode_unsub(sid: int) -> bytes:
    return f"UNSUB {sid}\r\n".encode()


def _check_subject(s: str) -> None:
    if not s or any(c in s for c in " \t\r\n"):
        raise ValueError(f"invalid subject {s!r}")


class Parser:
    """Feed it bytes as they arrive; it returns the complete operations, keeping any partial one.

    Operations: ("INFO", dict), ("MSG", Msg), ("PING",), ("PONG",), ("OK",), ("ERR", text).
    """

    def __init__(self) -> None:
        self.buf = bytearray()
        self._pending: tuple | None = None  # (op, subject, sid, reply, header bytes, total bytes) awaiting payload

    def feed(self, data: bytes) -> list[tuple]:
        self.buf += data
        out: list[tuple] = []
        while True:
            if self._pending is not None:
                _, subject, sid, reply, hlen, total = self._pending
                if len(self.buf) < total + 2:
                    break
                if self.buf[total:total + 2] != CRLF:
                    raise ProtocolError("payload not followed by CRLF")
                raw = bytes(self.buf[:total])
                del self.buf[:total + 2]
                self._pending = None
                msg = Msg(subject, sid, reply, raw[hlen:])
                if hlen:
                    msg.status, msg.description, msg.headers = decode_headers(raw[:hlen])
                out.append(("MSG", msg))
                continue
            end = self.buf.find(CRLF)
            if end < 0:
                if len(self.buf) > MAX_CONTROL_LINE:
                    raise ProtocolError("control line too long")
                break
            line = bytes(self.buf[:end]).decode("utf-8", "replace")
            del self.buf[:end + 2]
            op, _, args = line.partition(" ")
            op = op.upper()
            if op == "MSG" or op == "HMSG":
                self._pending = self._msg_args(op, args.split())
            elif op == "PING":
                out.append(("PING",))
            elif op == "PONG":
                out.append(("PONG",))
            elif op == "+OK":
                out.append(("OK",))
            elif op == "-ERR":
                out.append(("ERR", args.strip().strip("'")))
            elif op == "INFO":
                out.append(("INFO", json.loads(args)))
            elif line == "":
                continue
            else:
                raise ProtocolError(f"unknown operation {line[:80]!r}")
        return out

    @staticmethod
    def _msg_args(op: str, a: list[str]) -> tuple:
        try:
            if op == "MSG":
                if len(a) not in (3, 4):
                    raise ValueError
                subject, sid, reply, size = a[0], int(a[1]), (a[2] if len(a) == 4 else None), int(a[-1])
                return (op, subject, sid, reply, 0, size)
            if len(a) not in (4, 5):
                raise ValueError
            subject, sid, reply = a[0], int(a[1]), (a[2] if len(a) == 5 else None)
            hlen, total = int(a[-2]), int(a[-1])
            if not 0 < hlen <= total:
                raise ValueError
            return (op, subject, sid, reply, hlen, total)
        except ValueError:
            raise ProtocolError(f"bad {op} arguments {' '.join(a)!r}") from None

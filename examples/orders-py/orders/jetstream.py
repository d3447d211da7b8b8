"""JetStream over the NATS client: its JSON API ($JS.API.*), publish with a PubAck, pull consumers, and the
acknowledgements a consumer sends on each message's reply subject.
https://docs.nats.io/reference/reference-protocols/nats_api_reference
"""
import json
import queue
import time

from .nats import Client, NatsError, NoRespondersError
from .protocol import Msg

STREAM_NOT_FOUND = 10059
STREAM_NAME_IN_USE = 10058
CONSUMER_NOT_FOUND = 10014


class JSError(NatsError):
    def __init__(self, err: dict):
        self.code = err.get("code")
        self.err_code = err.get("err_code")
        super().__init__(f"{err.get('description', 'jetstream error')} (code {self.code}, err_code {self.err_code})")


def api(nc: Client, suffix: str, body: dict | None = None, timeout: float = 3.0) -> dict:
    msg = nc.request("$JS.API." + suffix, json.dumps(body).encode() if body is not None else b"", timeout)
    r = json.loads(msg.data or b"{}")
    if "error" in r:
        raise JSError(r["error"])
    return r


def stream_info(nc: Client, name: str) -> dict:
    return api(nc, f"STREAM.INFO.{name}")


def ensure_stream(nc: Client, config: dict, log) -> bool:
    """Creates the stream when it is missing (a NATS server whose tmpfs store came back empty). True if created."""
    try:
        stream_info(nc, config["name"])
        return False
    except JSError as e:
        if e.err_code != STREAM_NOT_FOUND:
            raise
    try:
        api(nc, f"STREAM.CREATE.{config['name']}", config)
    except JSError as e:
        if e.err_code == STREAM_NAME_IN_USE:  # someone else (the testbed's set-up job, another replica) was first
            return False
        raise
    log.warn("jetstream: stream was missing and has been created", stream=config["name"])
    return True


def ensure_consumer(nc: Client, stream: str, config: dict, log) -> bool:
    name = config["durable_name"]
    try:
        api(nc, f"CONSUMER.INFO.{stream}.{name}")
        return False
    except JSError as e:
        if e.err_code != CONSUMER_NOT_FOUND:
            raise
    # CONSUMER.CREATE.<stream>.<name> (2.9+) creates it, or answers with the existing one if it is the same
    api(nc, f"CONSUMER.CREATE.{stream}.{name}", {"stream_name": stream, "config": config})
    log.warn("jetstream: consumer was missing and has been created", stream=stream, consumer=name)
    return True


def publish(nc: Client, subject: str, data: bytes, msg_id: str, timeout: float = 2.0) -> dict:
    """Publishes and waits for the PubAck ({"stream", "seq", "duplicate"?}). Nats-Msg-Id makes the stream drop a
    second copy within its duplicate window."""
    msg = nc.request(subject, data, timeout, headers={"Nats-Msg-Id": msg_id})
    r = json.loads(msg.data or b"{}")
    if "error" in r:
        raise JSError(r["error"])
    if "seq" not in r:
        raise NatsError(f"not a PubAck: {msg.data[:200]!r}")
    return r


def ack_metadata(reply: str | None) -> dict | None:
    """$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (9 tokens), or the newer form with a
    domain and an account hash after $JS.ACK (11 or 12 tokens). None if the message did not come from JetStream."""
    if not reply or not reply.startswith("$JS.ACK."):
        return None
    t = reply.split(".")
    if len(t) == 9:
        t = t[:2] + ["", ""] + t[2:]
    elif len(t) not in (11, 12):
        return None
    try:
        return {"stream": t[4], "consumer": t[5], "delivered": int(t[6]), "stream_seq": int(t[7]),
                "consumer_seq": int(t[8]), "timestamp_ns": int(t[9]), "pending": int(t[10])}
    except ValueError:
        return None


def ack_sync(nc: Client, msg: Msg, timeout: float = 2.0) -> None:
    """The double ack: +ACK as a request; the server's empty reply says it recorded the ack."""
    nc.request(msg.reply, b"+ACK", timeout)


def nak(nc: Client, msg: Msg, delay_s: float | None = None) -> None:
    body = b"-NAK" if not delay_s else b"-NAK " + json.dumps({"delay": int(delay_s * 1e9)}).encode()
    nc.publish(msg.reply, body)


def term(nc: Client, msg: Msg, reason: str = "") -> None:
    nc.publish(msg.reply, b"+TERM" + (b" " + reason.encode() if reason else b""))


class PullSubscription:
    """A durable pull consumer read through one inbox of our own. fetch() asks for a batch and yields messages as
    they arrive, until the batch is complete, the server ends the request (404/408/409), or it expires."""

    def __init__(self, nc: Client, stream: str, consumer: str):
        self.nc, self.stream, self.consumer = nc, stream, consumer
        self.inbox = nc.new_inbox()
        self.q: queue.Queue = queue.Queue()
        self.consumer_gone = False
        nc.subscribe(self.inbox, self.q.put)

    def interrupt(self) -> None:
        self.q.put(None)

    def fetch(self, batch: int, expires_s: float):
        self.nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.consumer}",
                        json.dumps({"batch": batch, "expires": int(expires_s * 1e9)}).encode(), self.inbox)
        deadline = time.monotonic() + expires_s + 1.0
        got = 0
        while got < batch:
            try:
                msg = self.q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if msg is None:  # interrupted (disconnect, shutdown)
                return
            if msg.status is None:
                got += 1
                yield msg
            elif msg.status == 100:  # idle heartbeat
                continue
            elif msg.status == 503:
                raise NoRespondersError(f"no consumer {self.stream}/{self.consumer}")
            else:  # 404 no messages, 408 request expired, 409 consumer deleted / leadership change / limits
                if msg.status == 409 and "deleted" in msg.description.lower():
                    self.consumer_gone = True
                return

    def leftovers(self) -> list[Msg]:
        """Messages delivered but not yet taken (to nak them on shutdown)."""
        out = []
        while True:
            try:
                m = self.q.get_nowait()
            except queue.Empty:
                return out
            if m is not None and m.status is None:
                out.append(m)

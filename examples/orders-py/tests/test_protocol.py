"""The NATS protocol parser and encoders, JetStream's ack subjects, and the client against a scripted server over
a socket pair (no network)."""
import json
import socket
import threading
import unittest
from unittest import mock

from orders import jetstream, nats, protocol
from orders.protocol import Parser, ProtocolError


class ParserTest(unittest.TestCase):
    def test_control_operations(self):
        ops = Parser().feed(b'INFO {"server_id":"x","headers":true}\r\nPING\r\nPONG\r\n+OK\r\n-ERR \'Authorization Violation\'\r\n')
        self.assertEqual(ops, [("INFO", {"server_id": "x", "headers": True}), ("PING",), ("PONG",), ("OK",),
                               ("ERR", "Authorization Violation")])

    def test_operations_are_case_insensitive(self):
        self.assertEqual(Parser().feed(b"ping\r\npong\r\n"), [("PING",), ("PONG",)])

    def test_msg_with_and_without_reply(self):
        ops = Parser().feed(b"MSG a.b 7 _INBOX.x 5\r\nhello\r\nMSG a.b 8 3\r\nabc\r\n")
        m1, m2 = ops[0][1], ops[1][1]
        self.assertEqual((m1.subject, m1.sid, m1.reply, m1.data), ("a.b", 7, "_INBOX.x", b"hello"))
        self.assertEqual((m2.subject, m2.sid, m2.reply, m2.data), ("a.b", 8, None, b"abc"))

    def test_empty_payload_and_payload_with_crlf(self):
        ops = Parser().feed(b"MSG s 1 0\r\n\r\nMSG s 1 6\r\na\r\nb\r\n\r\n")
        self.assertEqual([o[1].data for o in ops], [b"", b"a\r\nb\r\n"])

    def test_hmsg_headers_and_status(self):
        h = b"NATS/1.0\r\nNats-Msg-Id: k-1\r\nX: 1\r\nX: 2\r\n\r\n"
        data = b'{"a":1}'
        frame = f"HMSG orders.placed 3 $JS.ACK.x {len(h)} {len(h) + len(data)}\r\n".encode() + h + data + b"\r\n"
        (op, m), = Parser().feed(frame)
        self.assertEqual((m.subject, m.reply, m.data, m.status), ("orders.placed", "$JS.ACK.x", data, None))
        self.assertEqual(m.headers, {"Nats-Msg-Id": ["k-1"], "X": ["1", "2"]})
        self.assertEqual(m.header("nats-msg-id"), "k-1")
        s = b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n"
        (op, st), = Parser().feed(f"HMSG _INBOX.a 2 {len(s)} {len(s)}\r\n".encode() + s + b"\r\n")
        self.assertEqual((st.status, st.description, st.data), (408, "Request Timeout", b""))
        n = b"NATS/1.0 503\r\n\r\n"
        (op, st), = Parser().feed(f"HMSG _INBOX.a.r1 1 {len(n)} {len(n)}\r\n".encode() + n + b"\r\n")
        self.assertEqual((st.status, st.description), (503, ""))

    def test_byte_by_byte_gives_the_same_operations(self):
        h = b"NATS/1.0\r\nK: v\r\n\r\n"
        stream = (b'INFO {"a":1}\r\nMSG x 1 r 3\r\nabc\r\nPING\r\n'
                  + f"HMSG y 2 {len(h)} {len(h) + 2}\r\n".encode() + h + b"hi\r\n")
        whole = Parser().feed(stream)
        p, pieces = Parser(), []
        for i in range(len(stream)):
            pieces += p.feed(stream[i:i + 1])
        self.assertEqual(len(pieces), 4)
        self.assertEqual([o[0] for o in pieces], [o[0] for o in whole])
        self.assertEqual(pieces[3][1].data, b"hi")
        self.assertEqual(p.buf, bytearray())

    def test_partial_message_is_kept(self):
        p = Parser()
        self.assertEqual(p.feed(b"MSG x 1 10\r\n01234"), [])
        self.assertEqual(p.feed(b"56789\r"), [])
        (op, m), = p.feed(b"\n")
        self.assertEqual(m.data, b"0123456789")

    def test_errors(self):
        for bad in (b"MSG x y 3\r\n", b"MSG x\r\n", b"HMSG x 1 9 3\r\n", b"WHAT\r\n", b"HMSG x 1 0 3\r\n"):
            with self.assertRaises(ProtocolError, msg=bad):
                Parser().feed(bad)
        with self.assertRaises(ProtocolError):
            Parser().feed(b"MSG x 1 3\r\nabcXY")
        with self.assertRaises(ProtocolError):
            Parser().feed(b"x" * (protocol.MAX_CONTROL_LINE + 1))
        with self.assertRaises(ProtocolError):
            protocol.decode_headers(b"HTTP/1.1 200\r\n\r\n")


class EncodeTest(unittest.TestCase):
    def test_pub_and_hpub(self):
        self.assertEqual(protocol.encode_pub("a.b", b"hi"), b"PUB a.b 2\r\nhi\r\n")
        self.assertEqual(protocol.encode_pub("a.b", b"", "_INBOX.1"), b"PUB a.b _INBOX.1 0\r\n\r\n")
        frame = protocol.encode_pub("orders.placed", b"{}", "_INBOX.r", {"Nats-Msg-Id": "k1"})
        h = b"NATS/1.0\r\nNats-Msg-Id: k1\r\n\r\n"
        self.assertEqual(frame, f"HPUB orders.placed _INBOX.r {len(h)} {len(h) + 2}\r\n".encode() + h + b"{}\r\n")

    def test_round_trip_through_the_parser(self):
        frame = protocol.encode_pub("s", b"payload", "r", {"A": "1"}).replace(b"HPUB s r", b"HMSG s 9 r", 1)
        (op, m), = Parser().feed(frame)
        self.assertEqual((m.sid, m.reply, m.data, m.headers), (9, "r", b"payload", {"A": ["1"]}))

    def test_invalid_subjects_and_headers(self):
        for subject in ("", "a b", "a\r\n"):
            with self.assertRaises(ValueError):
                protocol.encode_pub(subject, b"")
        for k, v in (("A B", "1"), ("A:", "1"), ("A", "x\r\nB: 2")):
            with self.assertRaises(ValueError):
                protocol.encode_headers({k: v})

    def test_sub_unsub_connect(self):
        self.assertEqual(protocol.encode_sub("_INBOX.x.*", 1), b"SUB _INBOX.x.* 1\r\n")
        self.assertEqual(protocol.encode_sub("a", 2, "q"), b"SUB a q 2\r\n")
        self.assertEqual(protocol.encode_unsub(2), b"UNSUB 2\r\n")
        line = protocol.encode_connect({"verbose": False, "headers": True})
        self.assertTrue(line.startswith(b"CONNECT {") and line.endswith(b"}\r\n"))


class JetStreamTest(unittest.TestCase):
    def test_ack_metadata(self):
        self.assertEqual(jetstream.ack_metadata("$JS.ACK.ORDERS.fulfil.2.17.15.1700000000000000000.4"),
                         {"stream": "ORDERS", "consumer": "fulfil", "delivered": 2, "stream_seq": 17,
                          "consumer_seq": 15, "timestamp_ns": 1700000000000000000, "pending": 4})
        v2 = jetstream.ack_metadata("$JS.ACK.hub.ACCHASH.ORDERS.fulfil.1.5.5.1700000000000000000.0.abc")
        self.assertEqual((v2["stream"], v2["delivered"], v2["stream_seq"]), ("ORDERS", 1, 5))
        for reply in (None, "_INBOX.x", "$JS.ACK.a.b.c", "$JS.ACK.S.C.x.1.1.1.0"):
            self.assertIsNone(jetstream.ack_metadata(reply))

    def test_servers(self):
        s = nats.parse_servers("nats://u:p%40ss@n1:4333, n2,nats://tok@n3")
        self.assertEqual([(x["host"], x["port"]) for x in s], [("n1", 4333), ("n2", 4222), ("n3", 4222)])
        self.assertEqual((s[0]["user"], s[0]["password"], s[2]["token"]), ("u", "p@ss", "tok"))
        for bad in ("", " , ", "http://x"):
            with self.assertRaises(ValueError):
                nats.parse_servers(bad)


class QuietLog:
    def __getattr__(self, _):
        return lambda *a, **k: None


class FakeServer:
    """A scripted NATS server on the far end of a socket pair: handshake, PUB/HPUB answered by a handler."""

    def __init__(self, on_pub):
        self.on_pub = on_pub
        self.conns: list[socket.socket] = []
        self.subs: list[tuple[str, int]] = []
        self.lines: list[bytes] = []

    def create_connection(self, address, timeout=None):
        client, server = socket.socketpair()
        client.settimeout(timeout)
        self.conns.append(server)
        threading.Thread(target=self.serve, args=(server,), daemon=True).start()
        return client

    def serve(self, s: socket.socket):
        s.sendall(b'INFO {"server_id":"fake","headers":true,"max_payload":1048576}\r\n')
        buf = b""
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, rest = buf.split(b"\r\n", 1)
                    op = line.split(b" ")
                    if op[0] in (b"PUB", b"HPUB"):
                        size = int(op[-1])
                        if len(rest) < size + 2:
                            break
                        payload, buf = rest[:size], rest[size + 2:]
                        hlen = int(op[-2]) if op[0] == b"HPUB" else 0
                        reply = op[2].decode() if len(op) == (5 if hlen else 4) else None
                        self.lines.append(line)
                        for frame in self.on_pub(op[1].decode(), reply, payload[:hlen], payload[hlen:], self):
                            s.sendall(frame)
                        continue
                    buf = rest
                    self.lines.append(line)
                    if op[0] == b"PING":
                        s.sendall(b"PONG\r\n")
                    elif op[0] == b"SUB":
                        self.subs.append((op[1].decode(), int(op[-1])))
        except OSError:
            return

    def sid_for(self, subject: str) -> int:
        for pattern, sid in reversed(self.subs):
            if pattern == subject or (pattern.endswith(".*") and subject.rsplit(".", 1)[0] == pattern[:-2]):
                return sid
        raise KeyError(subject)


class ClientTest(unittest.TestCase):
    def setUp(self):
        def on_pub(subject, reply, headers, data, srv):
            if subject == "orders.placed" and reply:
                msg_id = protocol.decode_headers(headers)[2]["Nats-Msg-Id"][0]
                ack = json.dumps({"stream": "ORDERS", "seq": 1, "duplicate": msg_id == "dup"}).encode()
                yield f"MSG {reply} {srv.sid_for(reply)} {len(ack)}\r\n".encode() + ack + b"\r\n"
            elif subject == "nobody" and reply:
                st = b"NATS/1.0 503\r\n\r\n"
                yield f"HMSG {reply} {srv.sid_for(reply)} {len(st)} {len(st)}\r\n".encode() + st + b"\r\n"

        self.server = FakeServer(on_pub)
        patcher = mock.patch.object(nats.socket, "create_connection", self.server.create_connection)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.client = nats.Client("nats://fake:4222", "test", QuietLog()).start()
        self.addCleanup(lambda: [c.close() for c in self.server.conns])
        self.addCleanup(self.client.close)
        self.assertTrue(self.client.wait_connected(5))

    def test_handshake(self):
        connect = next(line for line in self.server.lines if line.startswith(b"CONNECT "))
        opts = json.loads(connect[len(b"CONNECT "):])
        self.assertTrue(opts["headers"] and opts["no_responders"])
        self.assertFalse(opts["verbose"])

    def test_publish_with_pub_ack(self):
        self.assertEqual(jetstream.publish(self.client, "orders.placed", b"{}", "k-1"), {"stream": "ORDERS", "seq": 1, "duplicate": False})
        self.assertTrue(jetstream.publish(self.client, "orders.placed", b"{}", "dup")["duplicate"])
        self.assertTrue(any(line.startswith(b"HPUB orders.placed _INBOX.") for line in self.server.lines))

    def test_no_responders_and_timeout(self):
        with self.assertRaises(nats.NoRespondersError):
            self.client.request("nobody", b"", timeout=2)
        with self.assertRaises(nats.TimeoutError):
            self.client.request("silent", b"", timeout=0.2)

    def test_subscription_and_server_ping(self):
        got = threading.Event()
        box = []
        self.client.subscribe("events", lambda m: (box.append(m), got.set()))
        srv = self.server.conns[-1]
        deadline = threading.Event()
        while not any(s == "events" for s, _ in self.server.subs) and not deadline.wait(0.01):
            pass
        srv.sendall(b"PING\r\n" + f"MSG events {self.server.sid_for('events')} 2\r\nok\r\n".encode())
        self.assertTrue(got.wait(2))
        self.assertEqual(box[0].data, b"ok")

    def test_reconnect_restores_subscriptions_and_fails_pending_requests(self):
        self.client.subscribe("events", lambda m: None)
        statuses = []
        self.client.on_status(statuses.append)
        pending = []
        t = threading.Thread(target=lambda: pending.append(self._request_error("silent")))
        t.start()
        threading.Event().wait(0.2)
        self.server.conns[-1].shutdown(socket.SHUT_RDWR)  # the server goes away
        t.join(5)
        self.assertIsInstance(pending[0], nats.ConnectionClosedError)
        for _ in range(200):
            if len(self.server.conns) >= 2 and self.client.is_connected:
                break
            threading.Event().wait(0.02)
        self.assertTrue(self.client.wait_connected(5))
        self.assertEqual(self.client.reconnects, 1)
        for _ in range(100):
            if [s for s, _ in self.server.subs].count("events") >= 2:
                break
            threading.Event().wait(0.02)
        self.assertEqual([s for s, _ in self.server.subs].count("events"), 2)
        self.assertEqual(jetstream.publish(self.client, "orders.placed", b"{}", "k-2")["seq"], 1)

    def _request_error(self, subject):
        try:
            self.client.request(subject, b"", timeout=5)
        except nats.NatsError as e:
            return e
        return None


if __name__ == "__main__":
    unittest.main()

"""Request validation (PUT /api/orders/{orderId}) and settings, without I/O."""
import json
import unittest

from orders import config, validate


def body(**over):
    b = {"customer": "c-1", "items": [{"sku": "a", "qty": 2}], "note": "leave at the door"}
    b.update(over)
    return json.dumps({k: v for k, v in b.items() if v is not ...}).encode()


class OrderTest(unittest.TestCase):
    def test_valid(self):
        order, errors = validate.parse_order(body())
        self.assertEqual(errors, {})
        self.assertEqual(order, {"customer": "c-1", "items": [{"sku": "a", "qty": 2}], "note": "leave at the door"})
        order, errors = validate.parse_order(body(note=..., items=[{"sku": "x" * 32, "qty": 1000}] * 50))
        self.assertEqual((errors, order["note"]), ({}, None))

    def fields(self, raw: bytes) -> dict:
        order, errors = validate.parse_order(raw)
        self.assertIsNone(order)
        return errors

    def test_customer(self):
        for c in ("", "   ", "x" * 65, 5, None, ...):
            self.assertIn("customer", self.fields(body(customer=c)), c)
        self.assertEqual(validate.parse_order(body(customer="x" * 64))[1], {})

    def test_items(self):
        for items in ([], [{"sku": "a", "qty": 1}] * 51, "a", None, ...):
            self.assertEqual(list(self.fields(body(items=items))), ["items"], items)
        self.assertEqual(self.fields(body(items=[5])), {"items[0]": "must be an object {sku, qty}"})

    def test_item_fields_are_named_with_their_index(self):
        errors = self.fields(body(items=[{"sku": "a", "qty": 1}, {"sku": "", "qty": 0, "price": 3}]))
        self.assertEqual(sorted(errors), ["items[1].price", "items[1].qty", "items[1].sku"])
        for qty in (0, 1001, 1.5, 2.0, "2", True, None):
            self.assertIn("items[0].qty", self.fields(body(items=[{"sku": "a", "qty": qty}])), qty)
        for sku in ("x" * 33, 7, None):
            self.assertIn("items[0].sku", self.fields(body(items=[{"sku": sku, "qty": 1}])), sku)

    def test_every_error_at_once_and_unknown_fields(self):
        errors = self.fields(body(customer="", items=[], note=5, extra=1))
        self.assertEqual(sorted(errors), ["customer", "extra", "items", "note"])
        self.assertEqual(errors["extra"], "unknown field")

    def test_not_an_object_or_not_json(self):
        self.assertEqual(list(self.fields(b"[1]")), ["body"])
        self.assertIn("invalid JSON", self.fields(b'{"customer":')["body"])
        self.assertEqual(self.fields(b"\xff\xfe"), {"body": "must be UTF-8"})

    def test_note(self):
        self.assertIn("note", self.fields(body(note="x" * 1001)))
        self.assertEqual(validate.parse_order(body(note=None))[1], {})


class RequestTest(unittest.TestCase):
    def test_path(self):
        self.assertEqual(validate.order_id_from_path("/api/orders/o-1"), "o-1")
        self.assertEqual(validate.order_id_from_path("/api/orders/o-1?x=1"), "o-1")
        self.assertEqual(validate.order_id_from_path("/api/orders/"), "")
        for p in ("/api/orders", "/api/orders/a/b", "/v1/records"):
            self.assertIsNone(validate.order_id_from_path(p))
        self.assertEqual(validate.check_order_id("run-1_2.3~x:y"), {})
        for bad in ("", "a b", "a%20b", "x" * 129, "é"):
            self.assertIn("orderId", validate.check_order_id(bad))

    def test_request_id(self):
        self.assertEqual(validate.check_request_id("run-42"), {})
        self.assertEqual(validate.check_request_id("!" * 128), {})
        for bad in (None, "", "a b", "x" * 129, "a\r\nb", "é"):
            self.assertIn("X-Request-Id", validate.check_request_id(bad), bad)

    def test_content_type(self):
        for ok in ("application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"):
            self.assertTrue(validate.is_json_content_type(ok))
        for bad in (None, "", "text/plain", "application/x-www-form-urlencoded", "json"):
            self.assertFalse(validate.is_json_content_type(bad))

    def test_hash_is_what_a_retry_must_repeat(self):
        o = validate.parse_order(body())[0]
        same = validate.parse_order(json.dumps({"items": [{"qty": 2, "sku": "a"}], "note": "leave at the door", "customer": "c-1"}).encode())[0]
        self.assertEqual(validate.order_hash("o1", o), validate.order_hash("o1", same))
        self.assertNotEqual(validate.order_hash("o1", o), validate.order_hash("o2", o))
        self.assertNotEqual(validate.order_hash("o1", o), validate.order_hash("o1", {**o, "note": "x"}))


class ConfigTest(unittest.TestCase):
    def test_defaults(self):
        c = config.load({})
        self.assertEqual((c.http_port, c.stream, c.subject, c.consumer, c.pg_database), (8000, "ORDERS", "orders.placed", "fulfil", "orders"))
        self.assertEqual(c.stream_config()["retention"], "workqueue")
        self.assertEqual(c.consumer_config()["ack_policy"], "explicit")

    def test_every_bad_variable_is_reported(self):
        with self.assertRaises(config.ConfigError) as e:
            config.load({"HTTP_PORT": "x", "PULL_BATCH": "0", "SUBJECT": "orders.*", "NATS_URL": "http://h",
                         "PG_PASSWORD_FILE": "/nonexistent", "REPUBLISH_AFTER_SECONDS": "0"})
        names = sorted(err.split("=")[0].split(":")[0] for err in e.exception.errors)
        self.assertEqual(names, ["HTTP_PORT", "NATS_URL", "PG_PASSWORD_FILE", "PULL_BATCH", "REPUBLISH_AFTER_SECONDS", "SUBJECT"])


if __name__ == "__main__":
    unittest.main()

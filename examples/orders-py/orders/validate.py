"""Checks of a PUT /api/orders/{orderId} request, without I/O. Errors name the field: {"field": "what is wrong"}."""
import hashlib
import json
import re

MAX_BODY = 64 * 1024
ORDER_PATH = re.compile(r"^/api/orders/([^/]*)$")
ORDER_ID = re.compile(r"^[A-Za-z0-9._~:-]{1,128}$")  # URL-unreserved characters (and ':'): nothing to decode
REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")  # visible ASCII: also a valid Nats-Msg-Id header value
FIELDS = {"customer", "items", "note"}
ITEM_FIELDS = {"sku", "qty"}


def order_id_from_path(path: str) -> str | None:
    """The {orderId} of /api/orders/{orderId} (query string ignored), '' if empty, None for another path."""
    m = ORDER_PATH.match(path.split("?", 1)[0])
    return m.group(1) if m else None


def check_order_id(order_id: str) -> dict:
    return {} if ORDER_ID.match(order_id) else {"orderId": "must be 1-128 characters of A-Z a-z 0-9 . _ ~ : -"}


def check_request_id(value: str | None) -> dict:
    if value is None:
        return {"X-Request-Id": "required (the idempotency key)"}
    return {} if REQUEST_ID.match(value) else {"X-Request-Id": "must be 1-128 visible ASCII characters"}


def is_json_content_type(value: str | None) -> bool:
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def parse_order(body: bytes) -> tuple[dict | None, dict]:
    """(the order, {}) or (None, {field: error, ...}) with every error found."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None, {"body": "must be UTF-8"}
    except json.JSONDecodeError as e:
        return None, {"body": f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"}
    if not isinstance(data, dict):
        return None, {"body": "must be a JSON object"}
    errors: dict[str, str] = {}
    for k in sorted(set(data) - FIELDS):
        errors[k] = "unknown field"
    customer = data.get("customer")
    if not isinstance(customer, str) or not customer.strip() or len(customer) > 64:
        errors["customer"] = "required: a non-empty string of at most 64 characters"
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 50:
        errors["items"] = "required: a list of 1 to 50 items"
    else:
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                errors[f"items[{i}]"] = "must be an object {sku, qty}"
                continue
            for k in sorted(set(it) - ITEM_FIELDS):
                errors[f"items[{i}].{k}"] = "unknown field"
            sku = it.get("sku")
            if not isinstance(sku, str) or not sku or len(sku) > 32:
                errors[f"items[{i}].sku"] = "required: a non-empty string of at most 32 characters"
            qty = it.get("qty")
            if not _is_int(qty) or not 1 <= qty <= 1000:
                errors[f"items[{i}].qty"] = "required: an integer from 1 to 1000"
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        errors["note"] = "must be a string of at most 1000 characters"
    if errors:
        return None, errors
    order = {"customer": customer, "items": [{"sku": it["sku"], "qty": it["qty"]} for it in items]}
    order["note"] = note
    return order, {}


def order_hash(order_id: str, order: dict) -> str:
    """What a retry must repeat: the same X-Request-Id with another order is a conflict, not a retry."""
    canonical = json.dumps({"orderId": order_id, **order}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()

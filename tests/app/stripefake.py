"""A local HTTP server that answers like Stripe's API, for tests with no network.

Endpoints: POST /v1/checkout/sessions, GET /v1/checkout/sessions/{id}, POST
/v1/checkout/sessions/{id}/expire, POST /v1/refunds, GET /v1/refunds/{id}, GET /v1/events/{id}.
Bodies are form-encoded the way the stripe library sends them (`a[b][0][c]=…`). Like Stripe, a
repeated Idempotency-Key returns the first answer (errors included) and the same key with other
parameters is refused with an idempotency_error; a 500 ("server" mode) stands for a request that
never began executing, so it is not remembered and the same key may succeed later. Tests drive the rest: `pay`, `expire`,
`refund_from_dashboard` change the state and return the event Stripe would send, `fail_refunds`
makes refunds fail, and `sign` signs a payload with Stripe's scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_test_{next(_ids):06d}"


def sign(payload: bytes, secret: str, t: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload" keyed by secret>."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def decode_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=x` → {"a": {"b": [{"c": "x"}]}} (numeric keys become lists)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


class _Error(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "message": message, "code": code}}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    authorization: str | None


@dataclass
class FakeStripe:
    """Stripe's state in memory plus the server answering for it."""

    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    # "error": refund requests get a 400; "failed": refunds are created with status failed;
    # "server": 500 (outcome unknown); None: refunds succeed.
    fail_refunds: str | None = None
    refund_status: str = "succeeded"
    _idem: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- the server -------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path, _, query = handler.path.partition("?")
        params = decode_form(body if method == "POST" else query)
        key = handler.headers.get("Idempotency-Key")
        req = Request(method, path, params, key, handler.headers.get("Authorization"))
        with self._lock:
            self.requests.append(req)
            status, payload, replayed = self._answer(req, body)
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", _id("req"))
        if replayed:
            handler.send_header("Idempotent-Replayed", "true")
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, req: Request, body: str) -> tuple[int, dict[str, Any], bool]:
        if not (req.authorization or "").startswith("Bearer sk_"):
            return 401, {"error": {"type": "invalid_request_error", "message": "No API key"}}, False
        if req.method == "POST" and req.idempotency_key:
            seen = self._idem.get(req.idempotency_key)
            if seen is not None:
                if seen[0] != body:
                    return (
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with.",
                            }
                        },
                        False,
                    )
                return seen[1], seen[2], True
        try:
            status, payload = 200, self._route(req)
        except _Error as err:
            status, payload = err.status, err.body
        if req.method == "POST" and req.idempotency_key and status != 500:
            self._idem[req.idempotency_key] = (body, status, payload)
        return status, payload, False

    def _route(self, req: Request) -> dict[str, Any]:
        parts = req.path.strip("/").split("/")
        match req.method, parts:
            case "POST", ["v1", "checkout", "sessions"]:
                return self._create_session(req.params)
            case "GET", ["v1", "checkout", "sessions", sid]:
                return self._session(sid)
            case "POST", ["v1", "checkout", "sessions", sid, "expire"]:
                session = self._session(sid)
                if session["status"] != "open":
                    raise _Error(400, "invalid_request_error", "Only open sessions can be expired.")
                session["status"] = "expired"
                return session
            case "POST", ["v1", "refunds"]:
                return self._create_refund(req.params)
            case "GET", ["v1", "refunds", rid] if rid in self.refunds:
                return self.refunds[rid]
            case "GET", ["v1", "events", eid] if eid in self.events:
                return self.events[eid]
        raise _Error(404, "invalid_request_error", f"No such resource: {req.path}", "resource_missing")

    def _session(self, sid: str) -> dict[str, Any]:
        if sid not in self.sessions:
            raise _Error(404, "invalid_request_error", f"No such checkout.session: {sid}", "resource_missing")
        return self.sessions[sid]

    def _create_session(self, p: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        expires_at = int(p.get("expires_at") or now + 24 * 3600)
        if not now + 30 * 60 - 5 <= expires_at <= now + 24 * 3600 + 5:
            raise _Error(400, "invalid_request_error", "expires_at must be 30 minutes to 24 hours ahead")
        items = p.get("line_items") or []
        amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        currencies = {i["price_data"]["currency"] for i in items}
        sid = _id("cs")
        session = {
            "id": sid,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{sid}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": p.get("mode"),
            "amount_total": amount,
            "currency": currencies.pop() if len(currencies) == 1 else None,
            "client_reference_id": p.get("client_reference_id"),
            "metadata": p.get("metadata") or {},
            "payment_intent": None,
            "success_url": p.get("success_url"),
            "cancel_url": p.get("cancel_url"),
            "expires_at": expires_at,
            "created": now,
            "livemode": False,
            "_intent_metadata": (p.get("payment_intent_data") or {}).get("metadata") or {},
        }
        self.sessions[sid] = session
        return session

    def _create_refund(self, p: dict[str, Any]) -> dict[str, Any]:
        intent = p.get("payment_intent")
        charge = self.charges.get(intent or "")
        if charge is None:
            raise _Error(
                400, "invalid_request_error", f"No such payment_intent: {intent}", "resource_missing"
            )
        if self.fail_refunds == "error":
            raise _Error(400, "invalid_request_error", "The refund could not be processed.", "refund_failed")
        if self.fail_refunds == "server":
            raise _Error(500, "api_error", "Something went wrong on Stripe's end.")
        amount = int(p.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount > charge["amount"] - charge["amount_refunded"]:
            raise _Error(400, "invalid_request_error", "Refund amount is greater than unrefunded amount.")
        failed = self.fail_refunds == "failed"
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": intent,
            "metadata": p.get("metadata") or {},
            "status": "failed" if failed else self.refund_status,
            "failure_reason": "expired_or_canceled_card" if failed else None,
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        if not failed:
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            charge["refunds"]["data"].append(refund)
        return refund

    # --- what tests do to Stripe's state -------------------------------------------------------

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record an event as Stripe would send it (a snapshot of `obj`)."""
        clean = {k: v for k, v in json.loads(json.dumps(obj)).items() if not k.startswith("_")}
        evt = {
            "id": _id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "api_version": "2025-01-27.acacia",
            "livemode": False,
            "data": {"object": clean},
        }
        self.events[evt["id"]] = evt
        return evt

    def pay(self, sid: str) -> dict[str, Any]:
        """The customer pays the session: returns checkout.session.completed."""
        with self._lock:
            s = self.sessions[sid]
            intent = s["payment_intent"] or _id("pi")
            s.update(status="complete", payment_status="paid", payment_intent=intent)
            self.charges.setdefault(
                intent,
                {
                    "id": _id("ch"),
                    "object": "charge",
                    "amount": s["amount_total"],
                    "amount_refunded": 0,
                    "currency": s["currency"],
                    "paid": True,
                    "status": "succeeded",
                    "refunded": False,
                    "payment_intent": intent,
                    "metadata": dict(s["_intent_metadata"]),
                    "refunds": {"object": "list", "data": []},
                },
            )
            return self.event("checkout.session.completed", s)

    def expire(self, sid: str) -> dict[str, Any]:
        """Stripe expires the session (or reports it expired): returns checkout.session.expired."""
        with self._lock:
            s = self.sessions[sid]
            if s["status"] == "open":
                s["status"] = "expired"
            return self.event("checkout.session.expired", dict(s, status="expired"))

    def refund_from_dashboard(self, sid: str, amount: int | None = None) -> dict[str, Any]:
        """Someone refunds the charge in the Dashboard: returns charge.refunded."""
        with self._lock:
            charge = self.charges[self.sessions[sid]["payment_intent"]]
        self._create_refund({"payment_intent": charge["payment_intent"], "amount": amount})
        with self._lock:
            return self.event("charge.refunded", charge)

    def refund_event(self, refund_id: str, status: str | None = None) -> dict[str, Any]:
        """A refund's status changes (or is reported): returns refund.updated."""
        with self._lock:
            refund = self.refunds[refund_id]
            if status is not None:
                refund["status"] = status
            return self.event("refund.updated", refund)

    def calls(self, method: str, path_start: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_start)]


@contextmanager
def running() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    try:
        yield fake
    finally:
        fake.stop()

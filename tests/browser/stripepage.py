"""The fake Stripe of the app tests plus the one page a customer sees there: Checkout.

`CheckoutFake` answers Stripe's API exactly as `tests/app/stripefake.FakeStripe` does, and its
sessions' `url` points at a "Stripe test checkout" page it serves itself. The page shows what is
owed and a Pay button; paying marks the session paid (as `FakeStripe.pay`), delivers the signed
`checkout.session.completed` webhook to the app the way Stripe does (raw JSON body,
`Stripe-Signature: t=…,v1=HMAC-SHA256("t.body")` with the whsec_ secret) and sends the browser to
the session's success_url, so both of the app's fulfilment paths run.

`checkout_base` is the origin written into session URLs. The browser tests keep Stripe's real
one (https://checkout.stripe.com): the app's CSP `form-action` names that origin and Chrome
checks it on the redirect after the pay form's POST, so the journey runs under the production
policy. `serve_checkout_tls` serves the page over HTTPS with a throwaway self-signed certificate
and Chromium's host resolver maps checkout.stripe.com to it (Playwright's request routing does
not see a request a redirect started, so it cannot stand in). Nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.app.stripefake import FakeStripe, sign

PAGE_PREFIX = "/c/pay/"


@dataclass
class Delivery:
    """One webhook the fake sent: the event and the app's answer."""

    event_id: str
    status: int
    body: str


@dataclass
class CheckoutFake(FakeStripe):
    checkout_base: str = ""  # empty: this server's own URL
    webhook_url: str = ""
    webhook_secret: str = ""
    deliveries: list[Delivery] = field(default_factory=list)

    def serve_checkout_tls(self, host: str, folder: Path) -> int:
        """Serve the checkout page over HTTPS as `host` (self-signed); returns the port."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*self_signed_certificate(host, folder))
        self._tls_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._tls_server.socket = tls.wrap_socket(self._tls_server.socket, server_side=True)
        threading.Thread(target=self._tls_server.serve_forever, daemon=True).start()
        return int(self._tls_server.server_address[1])

    def stop(self) -> None:
        tls_server = getattr(self, "_tls_server", None)
        if tls_server is not None:
            tls_server.shutdown()
            tls_server.server_close()
        super().stop()

    def _create_session(self, p: dict[str, Any]) -> dict[str, Any]:
        session = super()._create_session(p)
        session["url"] = f"{self.checkout_base or self.url}{PAGE_PREFIX}{session['id']}"
        return session

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path.partition("?")[0]
        if not path.startswith(PAGE_PREFIX):
            super()._serve(handler, method)
            return
        sid, _, action = path.removeprefix(PAGE_PREFIX).partition("/")
        session = self.sessions.get(sid)
        if session is None:
            self._reply(handler, 404, "text/plain", b"No such checkout session")
        elif method == "GET" and not action:
            self._reply(handler, 200, "text/html; charset=utf-8", self._page(session).encode())
        elif method == "POST" and action == "pay":
            self._pay_and_return(handler, session)
        else:
            self._reply(handler, 405, "text/plain", b"Method not allowed")

    def _pay_and_return(self, handler: BaseHTTPRequestHandler, session: dict[str, Any]) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        handler.rfile.read(length)
        if session["status"] != "open":
            self._reply(handler, 409, "text/plain", f"Session is {session['status']}".encode())
            return
        self.deliver(self.pay(session["id"]))
        target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])
        handler.send_response(303)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def deliver(self, event: dict[str, Any]) -> Delivery:
        """POST `event` to the app's webhook as Stripe would: signed raw JSON."""
        body = json.dumps(event).encode()
        request = urllib.request.Request(
            self.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(body, self.webhook_secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                delivery = Delivery(event["id"], resp.status, resp.read().decode())
        except urllib.error.HTTPError as err:
            delivery = Delivery(event["id"], err.code, err.read().decode())
        self.deliveries.append(delivery)
        return delivery

    @staticmethod
    def _page(session: dict[str, Any]) -> str:
        amount = int(session["amount_total"] or 0)
        currency = str(session.get("currency") or "").upper()
        sid = html.escape(session["id"])
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stripe test checkout</title>
<style>body{{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto}}
.test{{background:#ffde92;padding:.2rem .5rem;border-radius:4px}}
button{{font-size:1.1rem;padding:.6rem 2rem;background:#635bff;color:#fff;border:0;border-radius:6px}}</style>
</head><body>
<p><span class="test">TEST MODE</span> Stripe test checkout (local)</p>
<h1>Pay {currency} <span id="amount">{amount / 100:.2f}</span></h1>
<p>Session <code>{sid}</code></p>
<form method="post" action="{PAGE_PREFIX}{sid}/pay"><button type="submit">Pay</button></form>
</body></html>"""

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, ctype: str, data: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def self_signed_certificate(host: str, folder: Path) -> tuple[str, str]:
    """A certificate and key for `host`, valid for a day, written to `folder` (cert, key paths)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "checkout-cert.pem", folder / "checkout-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)

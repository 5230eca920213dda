"""A local stand-in for the Stripe API, for end-to-end tests (127.0.0.1, ephemeral port).

It checks every request the way Stripe does for the endpoints in stripe_rules.py (form
encoding, unknown and missing parameters, types), insists on an Authorization header and on an
Idempotency-Key for POST and DELETE, records every request, replays the stored answer for a
repeated Idempotency-Key, and answers with the objects of stripe_objects.py, from the state a
test fills (stripe_behaviour.py names it). Tests script failures per request:

    api.script(Answer.error(429, "rate_limit_error", headers={"Retry-After": "1"}))
    api.script(Answer.drop(), Answer.slow(5), Answer.error(500, "api_error"))
    api.script(Answer.trickle(3.0), Answer.stall(after=40, seconds=2, then="close"))

Slow bodies: trickle and stall answer normally (the request is processed, its idempotent answer
stored) but send the status and headers at once and the body slowly: in pieces spread over some
seconds, or part of it, then a pause, then the rest or a closed connection.

Scripted answers are used in order by the next matching requests, before normal handling.
"""
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import stripe_objects
from stripe_behaviour import StripeBehaviour, stripe_error
from stripe_rules import RULES
from stripe_validate import Invalid, parse_form


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict           # lower-case names
    pairs: list             # decoded (key, value) pairs of the body or query string
    form: dict              # the same as a dict (last value wins)
    raw: str                # the raw body or query string
    answer: object = None   # the status sent, or "dropped"
    replayed: bool = False  # answered from the stored answer of its Idempotency-Key

    @property
    def idempotency_key(self):
        return self.headers.get("idempotency-key")


@dataclass
class Answer:
    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    passthrough: bool = False   # after the delay, answer normally
    body_pieces: int = 0        # slow body: send it in this many pieces ...
    body_seconds: float = 0.0   # ... spread over this many seconds
    stall_after: int = None     # stalled body: this many bytes, then a pause of body_seconds ...
    stall_then: str = "finish"  # ... then the rest ("finish") or a closed connection ("close")
    method: str = None
    path: str = None

    @staticmethod
    def error(status, type_, message="Scripted error.", code=None, param=None, headers=None):
        err = {"type": type_, "message": message}
        if code:
            err["code"] = code
        if param:
            err["param"] = param
        return Answer(status=status, body={"error": err}, headers=headers or {})

    @staticmethod
    def dropped():
        return Answer(drop=True)

    @staticmethod
    def slow(seconds):
        return Answer(delay=seconds, passthrough=True)

    @staticmethod
    def trickle(seconds, pieces=20):
        """The normal answer, its body in `pieces` pieces spread over `seconds`."""
        return Answer(passthrough=True, body_pieces=pieces, body_seconds=seconds)

    @staticmethod
    def stall(after, seconds, then="finish"):
        """The normal answer: `after` bytes of its body, a pause of `seconds`, then the rest
        ("finish") or the connection closed short of its Content-Length ("close")."""
        return Answer(passthrough=True, stall_after=after, body_seconds=seconds, stall_then=then)


class StripeStandin(StripeBehaviour):
    def __init__(self):
        self.ca_bundle = None       # the certificate to trust when serving https (start(tls_dir))
        self.routes = []
        for rule in RULES:
            pattern = "^" + re.sub(r"\{([^}]+)\}", r"(?P<\1>[^/]+)", rule.path) + "$"
            self.routes.append((re.compile(pattern), rule))
        self.requests = []
        self.events = []            # oldest first; listed newest first
        self.sessions = {}          # id -> checkout session
        self.subscriptions = {}     # id -> status
        self.refunds = {}           # id -> refund
        self.disputes = {}
        self.charges = {}
        self.payment_intents = {}
        self.customers = {}
        self.webhook_endpoints = {}
        self.account_id = "acct_1QtStandinAcct01"
        self.account_name = "Quicktools Credits"
        self._script = []
        self._idempotent = {}
        self._lock = threading.Lock()
        self._server = None

    # -- test-facing helpers -----------------------------------------------------------------
    def script(self, *answers, method=None, path=None):
        with self._lock:
            for a in answers:
                a.method, a.path = method, path
                self._script.append(a)

    def env(self, key="sk_test_standin0123456789"):
        # NO_PROXY: a proxy from the environment must not capture requests to 127.0.0.1.
        env = {"STRIPE_API_KEY": key, "STRIPE_API_BASE": self.base_url, "NO_PROXY": "127.0.0.1,localhost"}
        if self.ca_bundle:
            env["STRIPE_CA_BUNDLE"] = str(self.ca_bundle)
        return env

    def calls(self, method=None, path=None):
        return [r for r in self.requests if (method is None or r.method == method)
                and (path is None or r.path == path)]

    def add_event(self, type_, obj, created, event_id=None):
        event = stripe_objects.event(type_, obj, id=event_id or f"evt_{secrets.token_hex(12)}", created=created)
        self.events.append(event)
        return event

    def add(self, obj):
        """Stores a refund, dispute, charge, payment intent, customer, webhook endpoint or
        checkout session for the GET endpoints; returns it."""
        store = {"refund": self.refunds, "dispute": self.disputes, "charge": self.charges,
                 "payment_intent": self.payment_intents, "customer": self.customers,
                 "webhook_endpoint": self.webhook_endpoints, "checkout.session": self.sessions}[obj["object"]]
        store[obj["id"]] = obj
        return obj

    # -- server ------------------------------------------------------------------------------
    def start(self, tls_dir=None):
        """Serves on an ephemeral port of 127.0.0.1: plain http, or https with a certificate for
        127.0.0.1 made in `tls_dir` (openssl), which env() then names as STRIPE_CA_BUNDLE."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                standin._handle(self)

            do_POST = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        scheme = "http"
        if tls_dir is not None:
            import ssl
            import subprocess
            cert, key = Path(tls_dir) / "standin.pem", Path(tls_dir) / "standin.key"
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                            "-out", str(cert)], check=True, capture_output=True)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.ca_bundle, scheme = cert, "https"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()  # quick stop()
        self.base_url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _next_scripted(self, method, path):
        with self._lock:
            for i, a in enumerate(self._script):
                if (a.method in (None, method)) and (a.path in (None, path)):
                    return self._script.pop(i)
        return None

    def _handle(self, h):
        url = urllib.parse.urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw_body = h.rfile.read(length).decode("latin-1") if length else ""
        raw = raw_body if h.command != "GET" else url.query
        headers = {k.lower(): v for k, v in h.headers.items()}
        try:
            pairs = parse_form(raw)
        except Invalid as e:
            pairs = []
            bad_form = e
        else:
            bad_form = None
        rec = Recorded(h.command, url.path, headers, pairs, dict(pairs), raw)
        with self._lock:
            self.requests.append(rec)

        scripted = self._next_scripted(h.command, url.path)
        if scripted is not None:
            if scripted.delay:
                time.sleep(scripted.delay)
            if scripted.drop:
                rec.answer = "dropped"
                h.close_connection = True
                return
            if not scripted.passthrough:
                rec.answer = scripted.status
                return self._send(h, scripted.status, scripted.body or {}, scripted.headers)

        status, body, extra = self._process(h.command, url.path, headers, pairs, bad_form, raw)
        rec.answer = status
        rec.replayed = extra.get("Idempotent-Replayed") == "true"
        self._send(h, status, body, extra, pace=scripted)

    def _send(self, h, status, body, headers, pace=None):
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            if pace is not None and pace.body_pieces:
                size = -(-len(data) // pace.body_pieces)
                for i in range(0, len(data), size):
                    time.sleep(pace.body_seconds / pace.body_pieces)
                    h.wfile.write(data[i:i + size])
                    h.wfile.flush()
            elif pace is not None and pace.stall_after is not None:
                h.wfile.write(data[:pace.stall_after])
                h.wfile.flush()
                time.sleep(pace.body_seconds)
                if pace.stall_then == "close":
                    h.close_connection = True
                    return
                h.wfile.write(data[pace.stall_after:])
            else:
                h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up (a timeout test)

    # -- Stripe's behaviour ------------------------------------------------------------------
    def _process(self, method, path, headers, pairs, bad_form, raw):
        auth = headers.get("authorization", "")
        if not re.fullmatch(r"Bearer (sk|rk)_(test|live)_[A-Za-z0-9_]+", auth):
            return (*stripe_error(401, "invalid_request_error",
                                  "You did not provide an API key. You need to provide your API key in the "
                                  "Authorization header, using Bearer auth."), {})
        if bad_form is not None:
            return (*stripe_error(400, "invalid_request_error", f"Invalid form encoding: {bad_form}"), {})
        route = next(((m, rule) for rx, rule in self.routes if rule.method == method and (m := rx.match(path))),
                     None)
        if route is None:
            return (*stripe_error(404, "invalid_request_error",
                                  f"Unrecognized request URL ({method}: {path})."), {})
        match, rule = route
        key = headers.get("idempotency-key")
        if method in ("POST", "DELETE"):
            if raw and not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                return (*stripe_error(400, "invalid_request_error",
                                      "Request body must be application/x-www-form-urlencoded."), {})
            if not key:
                return (*stripe_error(400, "invalid_request_error",
                                      "Stand-in rule: every POST and DELETE needs an Idempotency-Key header."), {})
            if len(key) > 255:
                return (*stripe_error(400, "invalid_request_error", "Idempotency-Key is longer than 255 characters."), {})
            with self._lock:
                stored = self._idempotent.get(key)
            if stored is not None:
                if stored[0] != (method, path, sorted(pairs)):
                    return (*stripe_error(400, "idempotency_error",
                                          "Keys for idempotent requests can only be used with the same parameters "
                                          f"they were first used with. Try using a key other than '{key}' if you "
                                          "meant to execute a different request."), {})
                return stored[1], stored[2], {"Idempotent-Replayed": "true", "Original-Request": "req_original"}
        try:
            params = rule.validate(pairs)
        except Invalid as e:
            return (*stripe_error(400, "invalid_request_error", e.message, code=e.code, param=e.param), {})
        live = "_live_" in auth
        status, body = self._answer(method, rule.path, match.groupdict(), params, live)
        if key and method in ("POST", "DELETE"):
            with self._lock:
                self._idempotent[key] = ((method, path, sorted(pairs)), status, body)
        return status, body, {}


if __name__ == "__main__":
    # A stand-in to try the tool by hand: python3 tests/e2e/stripe_standin.py
    server = StripeStandin().start()
    print(f"export STRIPE_API_BASE={server.base_url} STRIPE_API_KEY=sk_test_local", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()

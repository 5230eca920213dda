"""A local stand-in for the Stripe API, for end-to-end tests (127.0.0.1, ephemeral port).

It checks every request the way Stripe does for the endpoints in
reference/stripe/openapi-endpoints.json (form encoding, unknown and missing parameters, types),
insists on an Authorization header and on an Idempotency-Key for POST and DELETE, records
every request, replays the stored answer for a repeated Idempotency-Key, and answers with
objects shaped like the fixtures in reference/stripe/. Tests script failures per request:

    api.script(Answer.error(429, "rate_limit_error", headers={"Retry-After": "1"}))
    api.script(Answer.drop(), Answer.slow(5), Answer.error(500, "api_error"))

Scripted answers are used in order by the next matching requests, before normal handling.
"""
import copy
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from stripe_validate import Invalid, parse_form, validate


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict           # lower-case names
    pairs: list             # decoded (key, value) pairs of the body or query string
    form: dict              # the same as a dict (last value wins)
    raw: str                # the raw body or query string
    answer: object = None   # the status sent, or "dropped"

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


def stripe_error(status, type_, message, code=None, param=None):
    err = {"type": type_, "message": message, "request_log_url": "https://dashboard.stripe.com/test/logs"}
    if code:
        err["code"] = code
        err["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        err["param"] = param
    return status, {"error": err}


class StripeStandin:
    def __init__(self, reference_dir):
        self.reference = Path(reference_dir)
        spec = json.loads((self.reference / "openapi-endpoints.json").read_text())
        self.routes = []
        for template, methods in spec["paths"].items():
            pattern = "^" + re.sub(r"\{([^}]+)\}", r"(?P<\1>[^/]+)", template) + "$"
            for method, op in methods.items():
                self.routes.append((re.compile(pattern), method.upper(), template, op))
        self.requests = []
        self.events = []            # newest last; listed newest first
        self.subscriptions = {}     # id -> status
        self.sessions = {}
        self._script = []
        self._idempotent = {}
        self._lock = threading.Lock()
        self._server = None

    # -- test-facing helpers -----------------------------------------------------------------
    def fixture(self, name):
        return json.loads((self.reference / f"{name}.fixture.json").read_text())

    def script(self, *answers, method=None, path=None):
        with self._lock:
            for a in answers:
                a.method, a.path = method, path
                self._script.append(a)

    def env(self, key="sk_test_standin0123456789"):
        return {"STRIPE_API_KEY": key, "STRIPE_API_BASE": self.base_url}

    def calls(self, method=None, path=None):
        return [r for r in self.requests if (method is None or r.method == method)
                and (path is None or r.path == path)]

    def add_event(self, type_, obj, created, event_id=None):
        event = self.fixture("event")
        event.update({"id": event_id or f"evt_{secrets.token_hex(12)}", "type": type_, "created": created,
                      "data": {"object": obj}, "api_version": "2025-10-29.clover"})
        self.events.append(event)
        return event

    # -- server ------------------------------------------------------------------------------
    def start(self):
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
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
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
        self._send(h, status, body, extra)

    def _send(self, h, status, body, headers):
        data = json.dumps(body).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
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
        route = next(((m, t, op) for rx, meth, t, op in self.routes if meth == method and (m := rx.match(path))), None)
        if route is None:
            return (*stripe_error(404, "invalid_request_error",
                                  f"Unrecognized request URL ({method}: {path})."), {})
        match, template, op = route
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
            params = validate(op, pairs)
        except Invalid as e:
            return (*stripe_error(400, "invalid_request_error", e.message, code=e.code, param=e.param), {})
        live = "_live_" in auth
        status, body = self._answer(method, template, match.groupdict(), params, live)
        if key and method in ("POST", "DELETE"):
            with self._lock:
                self._idempotent[key] = ((method, path, sorted(pairs)), status, body)
        return status, body, {}

    def _answer(self, method, template, path_params, params, live):
        if template == "/v1/checkout/sessions" and method == "POST":
            return 200, self._new_session(params, live)
        if template == "/v1/checkout/sessions" and method == "GET":
            return 200, {"object": "list", "url": "/v1/checkout/sessions", "has_more": False,
                         "data": list(reversed(self.sessions.values()))[: int(params.get("limit", 10))]}
        if template == "/v1/events" and method == "GET":
            return self._list_events(params)
        if template == "/v1/events/{id}":
            found = next((e for e in self.events if e["id"] == path_params["id"]), None)
            if found is None:
                return stripe_error(404, "invalid_request_error", f"No such event: '{path_params['id']}'",
                                    code="resource_missing", param="id")
            return 200, found
        if template == "/v1/subscriptions/{subscription_exposed_id}":
            return self._cancel(path_params["subscription_exposed_id"])
        if template == "/v1/refunds":
            refund = self.fixture("refund")
            refund["id"] = f"re_{secrets.token_hex(12)}"
            return 200, refund
        return stripe_error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {template}).")

    def _new_session(self, params, live):
        s = self.fixture("checkout_session")
        sid = f"cs_{'live' if live else 'test'}_{secrets.token_hex(16)}"
        now = int(time.time())
        items = params.get("line_items") or []
        total = sum(int(i.get("price_data", {}).get("unit_amount", 0)) * int(i.get("quantity", 1)) for i in items)
        s.update({"id": sid, "url": f"https://checkout.stripe.com/c/pay/{sid}", "created": now,
                  "expires_at": now + 86400, "livemode": live, "mode": params.get("mode", "payment"),
                  "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
                  "client_reference_id": params.get("client_reference_id"),
                  "customer_email": params.get("customer_email"), "metadata": params.get("metadata", {}),
                  "amount_subtotal": total, "amount_total": total,
                  "currency": (items[0].get("price_data", {}).get("currency") if items else None),
                  "payment_status": "unpaid", "status": "open"})
        self.sessions[sid] = s
        return s

    def _list_events(self, params):
        limit = int(params.get("limit", 10))
        if not 1 <= limit <= 100:
            return stripe_error(400, "invalid_request_error",
                                "This value must be greater than or equal to 1 and less than or equal to 100.",
                                code="parameter_invalid_integer", param="limit")
        events = list(reversed(self.events))      # newest first, as Stripe lists
        types = set(params.get("types") or []) | ({params["type"]} if params.get("type") else set())
        if types:
            events = [e for e in events if e["type"] in types]
        created = params.get("created")
        if isinstance(created, dict):
            ops = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
                   "lte": lambda a, b: a <= b}
            for op, bound in created.items():
                events = [e for e in events if ops[op](e["created"], int(bound))]
        elif created is not None:
            events = [e for e in events if e["created"] == int(created)]
        ids = [e["id"] for e in events]
        for cursor in ("starting_after", "ending_before"):
            if params.get(cursor) and params[cursor] not in ids:
                return stripe_error(400, "invalid_request_error", f"No such event: '{params[cursor]}'",
                                    code="resource_missing", param=cursor)
        if params.get("starting_after"):
            rest = events[ids.index(params["starting_after"]) + 1:]
            page, has_more = rest[:limit], len(rest) > limit
        elif params.get("ending_before"):
            before = events[:ids.index(params["ending_before"])]
            page, has_more = before[-limit:], len(before) > limit
        else:
            page, has_more = events[:limit], len(events) > limit
        return 200, {"object": "list", "url": "/v1/events", "has_more": has_more, "data": page}

    def _cancel(self, sub_id):
        if self.subscriptions.get(sub_id) in (None, "canceled"):
            return stripe_error(404, "invalid_request_error", f"No such subscription: '{sub_id}'",
                                code="resource_missing", param="id")
        self.subscriptions[sub_id] = "canceled"
        sub = self.fixture("subscription")
        now = int(time.time())
        sub.update({"id": sub_id, "status": "canceled", "canceled_at": now, "ended_at": now})
        return 200, sub

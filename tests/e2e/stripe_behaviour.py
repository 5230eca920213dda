"""What the Stripe stand-in answers once a request passed its checks: objects shaped like the
fixtures in reference/stripe/, events listed newest first with Stripe's paging, subscriptions
cancelled once. Mixed into StripeStandin (stripe_standin.py), which holds the state."""
import secrets
import time


def stripe_error(status, type_, message, code=None, param=None):
    err = {"type": type_, "message": message, "request_log_url": "https://dashboard.stripe.com/test/logs"}
    if code:
        err["code"] = code
        err["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        err["param"] = param
    return status, {"error": err}


class StripeBehaviour:
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

"""What the Stripe stand-in answers once a request passed its checks. Mixed into StripeStandin
(stripe_standin.py), which holds the state a test fills and reads:

    events             list, oldest first (listed newest first)
    sessions           id -> checkout session (POST /v1/checkout/sessions adds open ones)
    subscriptions      id -> status ("active", "past_due", ...; DELETE makes it "canceled")
    refunds            id -> refund (POST /v1/refunds adds them)
    disputes, charges, payment_intents, customers, webhook_endpoints    id -> object
    account_id, account_name                                            GET /v1/account

Objects come from stripe_objects.py. Every list pages as Stripe's do (newest first by
`created`, `limit`, `starting_after` / `ending_before`, `has_more`) and filters by `created`
and by the fields it is given (`charge=ch_...`)."""
import time

import stripe_objects

CREATED_OPS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
               "lte": lambda a, b: a <= b}
NOT_FILTERS = {"limit", "starting_after", "ending_before", "expand", "created", "type", "types",
               "delivery_success"}


def stripe_error(status, type_, message, code=None, param=None):
    err = {"type": type_, "message": message, "request_log_url": "https://dashboard.stripe.com/test/logs"}
    if code:
        err["code"] = code
        err["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        err["param"] = param
    return status, {"error": err}


def no_such(kind, id, param="id", status=404):
    return stripe_error(status, "invalid_request_error", f"No such {kind}: '{id}'", code="resource_missing",
                        param=param)


def page(objects, params, url, kind):
    """One page of a list, as Stripe pages it. `objects` newest first; a cursor that names no
    object of the (filtered) list is Stripe's resource_missing."""
    created = params.get("created")
    if isinstance(created, dict):
        for op, bound in created.items():
            objects = [o for o in objects if CREATED_OPS[op](o["created"], bound)]
    elif created is not None:
        objects = [o for o in objects if o["created"] == created]
    for name, want in params.items():
        if name in NOT_FILTERS:
            continue
        if isinstance(want, dict):          # customer_details[email]
            objects = [o for o in objects if all((o.get(name) or {}).get(k) == v for k, v in want.items())]
        else:
            objects = [o for o in objects if o.get(name) == want]
    limit = params.get("limit", 10)
    ids = [o["id"] for o in objects]
    for cursor in ("starting_after", "ending_before"):
        if cursor in params and params[cursor] not in ids:
            return no_such(kind, params[cursor], param=cursor, status=400)
    if "starting_after" in params:
        rest = objects[ids.index(params["starting_after"]) + 1:]
        data, has_more = rest[:limit], len(rest) > limit
    elif "ending_before" in params:
        before = objects[:ids.index(params["ending_before"])]
        data, has_more = before[-limit:], len(before) > limit
    else:
        data, has_more = objects[:limit], len(objects) > limit
    return 200, stripe_objects.list_object(data, url, has_more)


def newest_first(objects):
    """Newest `created` first; of the same second, the one added last first."""
    return sorted(reversed(list(objects)), key=lambda o: o["created"], reverse=True)


class StripeBehaviour:
    def _answer(self, method, template, path_params, params, live):
        handler = getattr(self, "_" + method.lower() + template.replace("/", "_").replace("{", "").replace("}", ""))
        return handler(params, live, **path_params)

    # -- Checkout --------------------------------------------------------------------------------
    def _post_v1_checkout_sessions(self, params, live):
        items = params.get("line_items") or []
        total = sum(i.get("price_data", {}).get("unit_amount", 0) * i.get("quantity", 1) for i in items)
        currency = items[0].get("price_data", {}).get("currency") if items else params.get("currency")
        now = int(time.time())
        s = stripe_objects.checkout_session(
            amount=total, currency=currency, metadata=params.get("metadata", {}), created=now, livemode=live,
            paid=False, status="open", mode=params["mode"], success_url=params["success_url"],
            cancel_url=params.get("cancel_url"), client_reference_id=params.get("client_reference_id"),
            customer=params.get("customer"), customer_email=params.get("customer_email"),
            customer_details=None, payment_intent=None, expires_at=params.get("expires_at", now + 86400))
        self.sessions[s["id"]] = s
        return 200, s

    def _get_v1_checkout_sessions(self, params, live):
        return page(newest_first(self.sessions.values()), params, "/v1/checkout/sessions", "checkout.session")

    def _get_v1_checkout_sessions_session(self, params, live, session):
        found = self.sessions.get(session)
        return (200, found) if found else no_such("checkout.session", session)

    # -- events ----------------------------------------------------------------------------------
    def _get_v1_events(self, params, live):
        events = list(reversed(self.events))      # newest first, as Stripe lists
        types = set(params.get("types") or []) | ({params["type"]} if params.get("type") else set())
        if types:
            events = [e for e in events if e["type"] in types]
        return page(events, params, "/v1/events", "event")

    def _get_v1_events_id(self, params, live, id):
        found = next((e for e in self.events if e["id"] == id), None)
        return (200, found) if found else no_such("event", id)

    # -- refunds, disputes and what they point at -----------------------------------------------
    def _post_v1_refunds(self, params, live):
        if "charge" in params:
            charge = self.charges.get(params["charge"])
            if charge is None:
                return no_such("charge", params["charge"], param="charge")
        else:
            pi = params["payment_intent"]
            charge = next((c for c in reversed(list(self.charges.values())) if c.get("payment_intent") == pi), None)
            if charge is None:
                return no_such("payment_intent", pi, param="payment_intent")
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            return stripe_error(400, "invalid_request_error", f"Charge {charge['id']} has already been refunded.",
                                code="charge_already_refunded", param="charge" if "charge" in params else None)
        amount = params.get("amount", left)
        if amount > left:
            return stripe_error(400, "invalid_request_error",
                                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                                param="amount")
        refund = stripe_objects.refund(amount=amount, charge=charge["id"], payment_intent=charge.get("payment_intent"),
                                       currency=charge["currency"], reason=params.get("reason"),
                                       metadata=params.get("metadata", {}), created=int(time.time()))
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _get_v1_refunds(self, params, live):
        return page(newest_first(self.refunds.values()), params, "/v1/refunds", "refund")

    def _get_v1_refunds_refund(self, params, live, refund):
        found = self.refunds.get(refund)
        return (200, found) if found else no_such("refund", refund)

    def _get_v1_disputes(self, params, live):
        return page(newest_first(self.disputes.values()), params, "/v1/disputes", "dispute")

    def _get_v1_disputes_dispute(self, params, live, dispute):
        found = self.disputes.get(dispute)
        return (200, found) if found else no_such("dispute", dispute)

    def _get_v1_charges_charge(self, params, live, charge):
        found = self.charges.get(charge)
        return (200, found) if found else no_such("charge", charge)

    def _get_v1_payment_intents_intent(self, params, live, intent):
        found = self.payment_intents.get(intent)
        return (200, found) if found else no_such("payment_intent", intent, param="intent")

    def _get_v1_customers_customer(self, params, live, customer):
        found = self.customers.get(customer)
        return (200, found) if found else no_such("customer", customer)

    # -- subscriptions ---------------------------------------------------------------------------
    def _subscription(self, sub_id, status):
        now = int(time.time())
        fields = {"canceled_at": now, "ended_at": now} if status == "canceled" else {}
        return stripe_objects.subscription(id=sub_id, status=status, **fields)

    def _get_v1_subscriptions_subscription_exposed_id(self, params, live, subscription_exposed_id):
        status = self.subscriptions.get(subscription_exposed_id)
        if status is None:
            return no_such("subscription", subscription_exposed_id)
        return 200, self._subscription(subscription_exposed_id, status)

    def _delete_v1_subscriptions_subscription_exposed_id(self, params, live, subscription_exposed_id):
        sub_id = subscription_exposed_id
        if self.subscriptions.get(sub_id) in (None, "canceled"):
            return no_such("subscription", sub_id)
        self.subscriptions[sub_id] = "canceled"
        return 200, self._subscription(sub_id, "canceled")

    # -- the account and its webhook endpoints ---------------------------------------------------
    def _get_v1_account(self, params, live):
        return 200, stripe_objects.account(id=self.account_id, display_name=self.account_name)

    def _get_v1_webhook_endpoints(self, params, live):
        return page(newest_first(self.webhook_endpoints.values()), params, "/v1/webhook_endpoints",
                    "webhook_endpoint")

"""The Stripe stand-in itself: it must refuse what Stripe refuses and page like Stripe, or the
checkout and sync tests built on it prove nothing."""
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

import stripe_objects
from stripe_rules import RULES
from stripe_standin import Answer

KEY = "sk_test_standinSelfTest0123"
SESSIONS = "/v1/checkout/sessions"


def call(api, method, path, body="", key="k1", auth=f"Bearer {KEY}"):
    data = body.encode() if method != "GET" else None
    url = api.base_url + path + (f"?{body}" if method == "GET" and body else "")
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        req.add_header("Authorization", auth)
    if key and method != "GET":
        req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def test_validates_checkout_requests_like_stripe(stripe_api):
    ok = "success_url=https%3A%2F%2Fa&cancel_url=https%3A%2F%2Fb&mode=payment"
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok)
    assert status == 200 and body["object"] == "checkout.session" and body["url"].endswith(body["id"])
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&foo=1", key="k2")
    assert status == 400 and body["error"]["code"] == "parameter_unknown" and body["error"]["param"] == "foo"
    status, body, _ = call(stripe_api, "POST", SESSIONS, "success_url=https%3A%2F%2Fa", key="k3")
    assert status == 400 and body["error"]["code"] == "parameter_missing" and body["error"]["param"] == "mode"
    assert body["error"]["message"] == "Missing required param: mode."
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&line_items%5B0%5D%5Bquantity%5D=many", key="k4")
    assert status == 400 and body["error"]["param"] == "line_items[0][quantity]"
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&line_items%5B0%5D%5Bprice_data%5D%5Bbogus%5D=1",
                           key="k5")
    assert status == 400 and body["error"]["param"] == "line_items[0][price_data][bogus]"
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&mode=subscriptionz", key="k6")
    assert status == 400   # a duplicate key
    assert call(stripe_api, "POST", SESSIONS, ok, key=None)[0] == 400
    assert call(stripe_api, "POST", SESSIONS, ok, auth=None, key="k7")[0] == 401
    assert call(stripe_api, "POST", SESSIONS, ok + "&x=%zz", key="k8")[0] == 400
    assert call(stripe_api, "GET", "/v1/nope")[0] == 404
    assert [r.answer for r in stripe_api.requests] == [200, 400, 400, 400, 400, 400, 400, 401, 400, 404]


def test_replays_a_repeated_idempotency_key(stripe_api):
    ok = "success_url=https%3A%2F%2Fa&cancel_url=https%3A%2F%2Fb&mode=payment"
    _, first, _ = call(stripe_api, "POST", SESSIONS, ok, key="same")
    status, again, headers = call(stripe_api, "POST", SESSIONS, ok, key="same")
    assert status == 200 and again["id"] == first["id"] and headers.get("Idempotent-Replayed") == "true"
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&client_reference_id=x", key="same")
    assert status == 400 and body["error"]["type"] == "idempotency_error"
    assert len(stripe_api.sessions) == 1


def test_scripted_answers_come_first_and_in_order(stripe_api):
    stripe_api.script(Answer.error(402, "card_error", "declined", code="card_declined"),
                      Answer.error(429, "rate_limit_error", headers={"Retry-After": "3"}), path=SESSIONS)
    ok = "success_url=https%3A%2F%2Fa&cancel_url=https%3A%2F%2Fb&mode=payment"
    assert call(stripe_api, "GET", "/v1/events")[0] == 200          # another path: not scripted
    assert call(stripe_api, "POST", SESSIONS, ok)[0] == 402
    status, _, headers = call(stripe_api, "POST", SESSIONS, ok)
    assert status == 429 and headers["Retry-After"] == "3"
    assert call(stripe_api, "POST", SESSIONS, ok)[0] == 200


def test_lists_events_newest_first_with_filters_and_paging(stripe_api):
    for i in range(1, 8):
        stripe_api.add_event("charge.refunded" if i % 2 else "customer.created", {"id": f"ch_{i}"},
                             created=1_700_000_000 + i, event_id=f"evt_{i}")
    q = urllib.parse.urlencode([("types[]", "charge.refunded"), ("limit", "2")])
    _, page, _ = call(stripe_api, "GET", "/v1/events", q)
    assert [e["id"] for e in page["data"]] == ["evt_7", "evt_5"] and page["has_more"] is True
    _, page, _ = call(stripe_api, "GET", "/v1/events", q + "&starting_after=evt_5")
    assert [e["id"] for e in page["data"]] == ["evt_3", "evt_1"] and page["has_more"] is False
    _, page, _ = call(stripe_api, "GET", "/v1/events", q + "&ending_before=evt_1")
    assert [e["id"] for e in page["data"]] == ["evt_5", "evt_3"] and page["has_more"] is True
    _, page, _ = call(stripe_api, "GET", "/v1/events", "created%5Bgte%5D=1700000006")
    assert [e["id"] for e in page["data"]] == ["evt_7", "evt_6"]
    status, body, _ = call(stripe_api, "GET", "/v1/events", "starting_after=evt_nope")
    assert status == 400 and body["error"]["code"] == "resource_missing"
    assert call(stripe_api, "GET", "/v1/events", "limit=101")[0] == 400
    assert call(stripe_api, "GET", "/v1/events", "colour=red")[0] == 400


def test_cancels_subscriptions_once(stripe_api):
    stripe_api.subscriptions["sub_1"] = "active"
    status, body, _ = call(stripe_api, "DELETE", "/v1/subscriptions/sub_1", key="c1")
    assert status == 200 and body["id"] == "sub_1" and body["status"] == "canceled"
    status, again, headers = call(stripe_api, "DELETE", "/v1/subscriptions/sub_1", key="c1")
    assert status == 200 and headers.get("Idempotent-Replayed") == "true"
    status, body, _ = call(stripe_api, "DELETE", "/v1/subscriptions/sub_1", key="c2")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    assert call(stripe_api, "DELETE", "/v1/subscriptions/sub_1", "prorate=maybe", key="c3")[0] == 400


def form(*pairs):
    return urllib.parse.urlencode(pairs)


THE_TOOLS_CHECKOUT_PAIRS = (("mode", "payment"), ("line_items[0][price_data][currency]", "usd"),
                          ("line_items[0][price_data][unit_amount]", "3000"),
                          ("line_items[0][price_data][product_data][name]", "Pro credit pack (1200 credits)"),
                          ("line_items[0][quantity]", "1"), ("success_url", "https://app.example.com/ok"),
                          ("cancel_url", "https://app.example.com/no"), ("client_reference_id", "7"),
                          ("metadata[user_id]", "7"), ("metadata[pack]", "pro"),
                          ("customer_email", "user7@example.com"))
THE_TOOLS_CHECKOUT = form(*THE_TOOLS_CHECKOUT_PAIRS)


def test_a_checkout_session_as_the_tool_asks_for_it(stripe_api):
    status, s, _ = call(stripe_api, "POST", SESSIONS, THE_TOOLS_CHECKOUT + "&" + form(
        ("payment_intent_data[metadata][user_id]", "7"), ("payment_intent_data[metadata][pack]", "pro"),
        ("payment_intent_data[description]", "Pro credit pack for user 7")))
    assert status == 200, s
    assert (s["status"], s["payment_status"], s["mode"], s["livemode"]) == ("open", "unpaid", "payment", False)
    assert (s["amount_subtotal"], s["amount_total"], s["currency"]) == (3000, 3000, "usd")
    assert s["metadata"] == {"user_id": "7", "pack": "pro"} and s["client_reference_id"] == "7"
    assert s["customer_email"] == "user7@example.com" and stripe_api.sessions[s["id"]] is not None
    assert s["id"].startswith("cs_test_") and s["url"].endswith(s["id"])
    status, live, _ = call(stripe_api, "POST", SESSIONS, THE_TOOLS_CHECKOUT, key="k2", auth="Bearer sk_live_abc")
    assert live["livemode"] is True and live["id"].startswith("cs_live_")


@pytest.mark.parametrize("extra,code,param", [
    (form(("customer", "cus_1")), "parameters_exclusive", "customer_email"),
    (form(("client_reference_id", "x" * 201)), "parameter_invalid_string", "client_reference_id"),
    (form(("metadata[" + "k" * 41 + "]", "v")), None, "metadata[" + "k" * 41 + "]"),
    (form(("payment_intent_data[metadata][note]", "v" * 501)), None, "payment_intent_data[metadata][note]"),
    (form(("payment_intent_data[description]", "d" * 1001)), "parameter_invalid_string",
     "payment_intent_data[description]"),
    (form(("payment_intent_data[colour]", "red")), "parameter_unknown", "payment_intent_data[colour]"),
    (form(("payment_intent_data[statement_descriptor]", "s" * 23)), "parameter_invalid_string",
     "payment_intent_data[statement_descriptor]"),
    (form(("line_items[1][price_data][currency]", "usd"), ("line_items[1][price_data][product_data][images][0]",
                                                          "https://x")),
     "parameter_missing", "line_items[1][price_data][product_data][name]"),
    (form(("line_items[1][price_data][unit_amount]", "-1"), ("line_items[1][price_data][currency]", "usd")),
     "parameter_invalid_integer", "line_items[1][price_data][unit_amount]"),
    (form(("expires_at", "soon")), "parameter_invalid_integer", "expires_at"),
    (form(("allow_promotion_codes", "yes")), None, "allow_promotion_codes"),
    (form(("locale", "xx")), None, "locale"),
])
def test_refuses_checkout_parameters_like_stripe(stripe_api, extra, code, param):
    replaced = {k for k, _ in urllib.parse.parse_qsl(extra)}
    base = form(*[(k, v) for k, v in THE_TOOLS_CHECKOUT_PAIRS if k not in replaced])
    status, body, _ = call(stripe_api, "POST", SESSIONS, base + "&" + extra)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert body["error"].get("code") == code and body["error"]["param"] == param, body
    assert stripe_api.sessions == {}


def test_a_required_string_cannot_be_empty_and_mode_is_one_of_three(stripe_api):
    status, body, _ = call(stripe_api, "POST", SESSIONS, "success_url=&mode=payment")
    assert status == 400 and body["error"]["code"] == "parameter_invalid_empty"
    assert body["error"]["param"] == "success_url" and "cannot be unset" in body["error"]["message"]
    status, body, _ = call(stripe_api, "POST", SESSIONS, "success_url=https%3A%2F%2Fa&mode=once", key="k2")
    assert status == 400 and body["error"]["param"] == "mode"
    assert body["error"]["message"] == "Invalid mode: must be one of payment, setup, or subscription"


@pytest.mark.parametrize("rule", [r for r in RULES if r.method == "GET"], ids=lambda r: r.path)
def test_every_get_endpoint_refuses_an_unknown_parameter_and_a_bad_limit(stripe_api, rule):
    path = rule.path.replace("{", "x_").replace("}", "")
    status, body, _ = call(stripe_api, "GET", path, "colour=red")
    assert status == 400 and body["error"]["code"] == "parameter_unknown" and body["error"]["param"] == "colour"
    assert call(stripe_api, "GET", path, "expand%5B%5D=data.charge")[0] in (200, 404)   # known everywhere
    if "limit" in rule.params.fields:
        for bad in ("0", "101"):
            status, body, _ = call(stripe_api, "GET", path, f"limit={bad}")
            assert status == 400 and body["error"]["code"] == "parameter_invalid_integer"
            assert body["error"]["message"] == ("This value must be greater than or equal to 1 and less than or "
                                                "equal to 100.")
        status, body, _ = call(stripe_api, "GET", path, "starting_after=a&ending_before=b")
        assert status == 400 and body["error"]["code"] == "parameters_exclusive"


def test_the_account_of_the_key(stripe_api):
    stripe_api.account_id, stripe_api.account_name = "acct_1QtShopOfTest", "Credit Shop"
    status, acct, _ = call(stripe_api, "GET", "/v1/account")
    assert status == 200 and acct["object"] == "account" and acct["id"] == "acct_1QtShopOfTest"
    assert acct["settings"]["dashboard"]["display_name"] == "Credit Shop" and acct["charges_enabled"] is True
    assert call(stripe_api, "GET", "/v1/account", auth=None)[0] == 401


def test_subscriptions_read_and_cancel(stripe_api):
    stripe_api.subscriptions.update(sub_A="active", sub_B="past_due")
    status, sub, _ = call(stripe_api, "GET", "/v1/subscriptions/sub_B")
    assert status == 200 and (sub["id"], sub["status"], sub["object"]) == ("sub_B", "past_due", "subscription")
    assert sub["items"]["data"][0]["price"]["recurring"]["interval"] == "month"
    status, body, _ = call(stripe_api, "GET", "/v1/subscriptions/sub_nope")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    assert body["error"]["message"] == "No such subscription: 'sub_nope'"
    assert call(stripe_api, "DELETE", "/v1/subscriptions/sub_A", "cancellation_details%5Bfeedback%5D=unused")[0] == 200
    status, sub, _ = call(stripe_api, "GET", "/v1/subscriptions/sub_A")
    assert sub["status"] == "canceled" and sub["canceled_at"] is not None


def test_checkout_sessions_get_and_list_with_paging_and_filters(stripe_api):
    for i in range(1, 6):
        stripe_api.add(stripe_objects.checkout_session(id=f"cs_test_{i}", created=1_700_000_000 + i,
                                                       payment_intent=f"pi_{i}", email=f"u{i % 2}@example.com",
                                                       status="complete" if i != 3 else "expired"))
    status, s, _ = call(stripe_api, "GET", "/v1/checkout/sessions/cs_test_2")
    assert status == 200 and s["id"] == "cs_test_2" and s["payment_intent"] == "pi_2"
    status, body, _ = call(stripe_api, "GET", "/v1/checkout/sessions/cs_test_9")
    assert status == 404 and body["error"]["message"] == "No such checkout.session: 'cs_test_9'"
    _, page, _ = call(stripe_api, "GET", SESSIONS, "limit=2")
    assert [s["id"] for s in page["data"]] == ["cs_test_5", "cs_test_4"] and page["has_more"] is True
    assert page["object"] == "list" and page["url"] == SESSIONS
    _, page, _ = call(stripe_api, "GET", SESSIONS, "limit=2&starting_after=cs_test_4")
    assert [s["id"] for s in page["data"]] == ["cs_test_3", "cs_test_2"] and page["has_more"] is True
    _, page, _ = call(stripe_api, "GET", SESSIONS, "limit=2&starting_after=cs_test_2")
    assert [s["id"] for s in page["data"]] == ["cs_test_1"] and page["has_more"] is False
    _, page, _ = call(stripe_api, "GET", SESSIONS, "ending_before=cs_test_2")
    assert [s["id"] for s in page["data"]] == ["cs_test_5", "cs_test_4", "cs_test_3"] and page["has_more"] is False
    _, page, _ = call(stripe_api, "GET", SESSIONS, "created%5Blt%5D=1700000003&created%5Bgte%5D=1700000002")
    assert [s["id"] for s in page["data"]] == ["cs_test_2"]
    _, page, _ = call(stripe_api, "GET", SESSIONS, "created=1700000004")
    assert [s["id"] for s in page["data"]] == ["cs_test_4"]
    _, page, _ = call(stripe_api, "GET", SESSIONS, "payment_intent=pi_5")
    assert [s["id"] for s in page["data"]] == ["cs_test_5"]
    _, page, _ = call(stripe_api, "GET", SESSIONS, "customer_details%5Bemail%5D=u1%40example.com&status=complete")
    assert [s["id"] for s in page["data"]] == ["cs_test_5", "cs_test_1"]
    status, body, _ = call(stripe_api, "GET", SESSIONS, "starting_after=cs_test_nope")
    assert status == 400 and body["error"]["code"] == "resource_missing" and body["error"]["param"] == "starting_after"
    assert call(stripe_api, "GET", SESSIONS, "created%5Bsoon%5D=1")[0] == 400
    assert call(stripe_api, "GET", SESSIONS, "status=done")[0] == 400


def test_refunds_are_created_against_a_charge_and_listed(stripe_api):
    ch = stripe_api.add(stripe_objects.charge(id="ch_1", amount=3000, payment_intent="pi_1"))
    stripe_api.add(stripe_objects.charge(id="ch_2", amount=500, payment_intent="pi_2"))
    status, first, _ = call(stripe_api, "POST", "/v1/refunds", "charge=ch_1&amount=1000&metadata%5Bticket%5D=T-9",
                            key="r1")
    assert status == 200 and first["object"] == "refund" and first["status"] == "succeeded"
    assert (first["amount"], first["charge"], first["payment_intent"], first["metadata"]) == (
        1000, "ch_1", "pi_1", {"ticket": "T-9"})
    assert ch["amount_refunded"] == 1000 and ch["refunded"] is False
    status, rest, _ = call(stripe_api, "POST", "/v1/refunds", "payment_intent=pi_1&reason=requested_by_customer",
                           key="r2")
    assert status == 200 and rest["amount"] == 2000 and ch["refunded"] is True
    assert [r["id"] for r in ch["refunds"]["data"]] == [rest["id"], first["id"]]
    status, body, _ = call(stripe_api, "POST", "/v1/refunds", "charge=ch_1", key="r3")
    assert status == 400 and body["error"]["code"] == "charge_already_refunded"
    status, body, _ = call(stripe_api, "POST", "/v1/refunds", "charge=ch_2&amount=501", key="r4")
    assert status == 400 and body["error"]["param"] == "amount"
    status, body, _ = call(stripe_api, "POST", "/v1/refunds", "charge=ch_9", key="r5")
    assert status == 404 and body["error"]["code"] == "resource_missing" and body["error"]["param"] == "charge"
    status, body, _ = call(stripe_api, "POST", "/v1/refunds", "amount=5", key="r6")
    assert status == 400 and body["error"]["code"] == "parameter_missing"
    assert call(stripe_api, "POST", "/v1/refunds", "charge=ch_2&reason=bored", key="r7")[0] == 400
    assert call(stripe_api, "POST", "/v1/refunds", "charge=ch_2&amount=0", key="r8")[0] == 400
    stripe_api.add(stripe_objects.refund(id="re_old", charge="ch_2", amount=100, status="failed", created=1))
    _, page, _ = call(stripe_api, "GET", "/v1/refunds", "charge=ch_1")
    assert {r["id"] for r in page["data"]} == {first["id"], rest["id"]} and page["url"] == "/v1/refunds"
    _, page, _ = call(stripe_api, "GET", "/v1/refunds", "limit=1&starting_after=" + page["data"][-1]["id"])
    assert [r["id"] for r in page["data"]] == ["re_old"] and page["has_more"] is False
    status, old, _ = call(stripe_api, "GET", "/v1/refunds/re_old")
    assert status == 200 and old["status"] == "failed" and old["failure_reason"] == "expired_or_canceled_card"
    assert call(stripe_api, "GET", "/v1/refunds/re_nope")[0] == 404


def test_disputes_charges_payment_intents_customers_and_webhook_endpoints(stripe_api):
    for i, status in enumerate(["warning_needs_response", "needs_response", "won", "lost"]):
        stripe_api.add(stripe_objects.dispute(id=f"dp_{i}", charge=f"ch_{i % 2}", status=status, amount=1500,
                                              created=1_700_000_000 + i))
    _, page, _ = call(stripe_api, "GET", "/v1/disputes", "charge=ch_1")
    assert [d["id"] for d in page["data"]] == ["dp_3", "dp_1"]
    _, won, _ = call(stripe_api, "GET", "/v1/disputes/dp_2")
    assert won["status"] == "won" and [t["amount"] for t in won["balance_transactions"]] == [-1500, 1500]
    _, inquiry, _ = call(stripe_api, "GET", "/v1/disputes/dp_0")
    assert inquiry["balance_transactions"] == [] and inquiry["payment_method_details"]["card"]["case_type"] == "inquiry"
    assert call(stripe_api, "GET", "/v1/disputes/dp_9")[1]["error"]["message"] == "No such dispute: 'dp_9'"

    stripe_api.add(stripe_objects.charge(id="ch_7", amount=1500, payment_intent="pi_7", customer="cus_7"))
    stripe_api.add(stripe_objects.payment_intent(id="pi_7", amount=1500, latest_charge="ch_7"))
    stripe_api.add(stripe_objects.customer(id="cus_7", email="user7@example.com"))
    assert call(stripe_api, "GET", "/v1/charges/ch_7")[1]["payment_intent"] == "pi_7"
    assert call(stripe_api, "GET", "/v1/payment_intents/pi_7")[1]["latest_charge"] == "ch_7"
    assert call(stripe_api, "GET", "/v1/customers/cus_7")[1]["email"] == "user7@example.com"
    for path in ("/v1/charges/ch_8", "/v1/payment_intents/pi_8", "/v1/customers/cus_8"):
        status, body, _ = call(stripe_api, "GET", path)
        assert status == 404 and body["error"]["code"] == "resource_missing"

    for i in range(3):
        stripe_api.add(stripe_objects.webhook_endpoint(id=f"we_{i}", url=f"https://app.example.com/hook{i}",
                                                       status="disabled" if i == 1 else "enabled",
                                                       created=1_700_000_000 + i))
    _, page, _ = call(stripe_api, "GET", "/v1/webhook_endpoints", "limit=2")
    assert [w["id"] for w in page["data"]] == ["we_2", "we_1"] and page["has_more"] is True
    assert page["data"][1]["status"] == "disabled" and "checkout.session.completed" in page["data"][0]["enabled_events"]
    _, page, _ = call(stripe_api, "GET", "/v1/webhook_endpoints", "starting_after=we_1")
    assert [w["id"] for w in page["data"]] == ["we_0"] and page["has_more"] is False


def test_lists_filter_sessions_by_customer_and_refunds_and_disputes_by_payment_intent(stripe_api):
    """The filters `user show --stripe` lists with, as Stripe applies them."""
    for i, customer in enumerate(["cus_A", "cus_B", "cus_A", None]):
        stripe_api.add(stripe_objects.checkout_session(id=f"cs_test_c{i}", customer=customer,
                                                       created=1_700_000_000 + i))
    _, page, _ = call(stripe_api, "GET", SESSIONS, "customer=cus_A")
    assert [s["id"] for s in page["data"]] == ["cs_test_c2", "cs_test_c0"]
    _, page, _ = call(stripe_api, "GET", SESSIONS, "customer=cus_A&limit=1&starting_after=cs_test_c2")
    assert [s["id"] for s in page["data"]] == ["cs_test_c0"] and page["has_more"] is False
    assert call(stripe_api, "GET", SESSIONS, "customer=cus_none")[1]["data"] == []
    for i, pi in enumerate(["pi_1", "pi_2", "pi_1"]):
        stripe_api.add(stripe_objects.refund(id=f"re_p{i}", payment_intent=pi, created=1_700_000_000 + i))
        stripe_api.add(stripe_objects.dispute(id=f"dp_p{i}", payment_intent=pi, created=1_700_000_000 + i))
    _, page, _ = call(stripe_api, "GET", "/v1/refunds", "payment_intent=pi_1")
    assert [r["id"] for r in page["data"]] == ["re_p2", "re_p0"]
    _, page, _ = call(stripe_api, "GET", "/v1/disputes", "payment_intent=pi_2")
    assert [d["id"] for d in page["data"]] == ["dp_p1"]
    assert call(stripe_api, "GET", "/v1/disputes", "payment_intent=pi_1&status=lost")[0] == 400


def test_the_objects_refuse_a_field_they_do_not_have():
    with pytest.raises(TypeError, match="has no field amout"):
        stripe_objects.refund(amout=5)
    e = stripe_objects.event("checkout.session.completed", stripe_objects.checkout_session(livemode=True))
    assert e["livemode"] is True and e["data"]["object"]["id"].startswith("cs_live_")
    s = stripe_objects.checkout_session(amount=3000, discount=500, tax=250)
    assert (s["amount_subtotal"], s["amount_total"]) == (3000, 2750)
    assert s["total_details"] == {"amount_discount": 500, "amount_shipping": 0, "amount_tax": 250}
    with pytest.raises(ValueError):
        stripe_objects.dispute(status="open")


def test_runs_by_hand_without_arguments():
    p = subprocess.Popen([sys.executable, "stripe_standin.py"], stdout=subprocess.PIPE, text=True,
                         cwd=str(__import__("pathlib").Path(__file__).parent))
    try:
        line = p.stdout.readline()
        assert line.startswith("export STRIPE_API_BASE=http://127.0.0.1:"), line
        base = line.split()[1].split("=", 1)[1]
        req = urllib.request.Request(base + "/v1/account", headers={"Authorization": "Bearer sk_test_local"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["object"] == "account"
    finally:
        p.terminate()
        p.wait(timeout=10)

"""The Stripe stand-in itself: it must refuse what Stripe refuses and page like Stripe, or the
checkout and sync tests built on it prove nothing."""
import json
import urllib.error
import urllib.parse
import urllib.request

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
    assert status == 400 and body["error"]["code"] == "parameter_missing" and body["error"]["param"] == "cancel_url"
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
    ok = "success_url=https%3A%2F%2Fa&cancel_url=https%3A%2F%2Fb"
    _, first, _ = call(stripe_api, "POST", SESSIONS, ok, key="same")
    status, again, headers = call(stripe_api, "POST", SESSIONS, ok, key="same")
    assert status == 200 and again["id"] == first["id"] and headers.get("Idempotent-Replayed") == "true"
    status, body, _ = call(stripe_api, "POST", SESSIONS, ok + "&client_reference_id=x", key="same")
    assert status == 400 and body["error"]["type"] == "idempotency_error"
    assert len(stripe_api.sessions) == 1


def test_scripted_answers_come_first_and_in_order(stripe_api):
    stripe_api.script(Answer.error(402, "card_error", "declined", code="card_declined"),
                      Answer.error(429, "rate_limit_error", headers={"Retry-After": "3"}), path=SESSIONS)
    ok = "success_url=https%3A%2F%2Fa&cancel_url=https%3A%2F%2Fb"
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

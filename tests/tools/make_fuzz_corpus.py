#!/usr/bin/env python3
"""Write the seed corpus of the fuzz targets that read Stripe events, from the objects of
tests/e2e/stripe_objects.py:

    make_fuzz_corpus.py [CORPUS_DIR]        (default: tests/fuzz_corpus)

fuzz_events/   byte 0 picks the reader's chunk size, the rest is a file `stripe replay` reads:
               one event (pretty-printed), a list object, an array, NDJSON of every event type
               the tool handles, an event with wrong types, and escapes in ids.
fuzz_signature/valid, two_v1    a Stripe-Signature header, a 0 byte, the body it signs
               (HMAC-SHA256 with the target's secret whsec_fuzz at t=1767225600).

The other seeds (fuzz_signature/no_t and spaces, fuzz_csv_import/, fuzz_policy/) are written by
hand. The same objects give the same files: ids and times are fixed here.
"""
import hashlib
import hmac
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e"))
import stripe_objects as so  # noqa: E402

T = 1767225600
SECRET = b"whsec_fuzz"


def purchase(n, user, pack, paid=True, type="checkout.session.completed", event_n=None):
    session = so.pack_session(user, pack, id=f"cs_test_a1Seed{n:04d}", payment_intent=f"pi_3Seed{n:04d}",
                              email=f"user{user}@example.com", created=T - 120, paid=paid)
    event_n = event_n or n
    return so.event(type, session, id=f"evt_1Seed{event_n:04d}", created=T + event_n)


def events():
    refunded = so.charge(id="ch_3Seed0003", amount=3000, amount_refunded=3000, payment_intent="pi_3Seed0001",
                         created=T - 100)
    disputed = so.dispute(id="dp_1Seed0004", charge="ch_3Seed0004", payment_intent="pi_3Seed0002", amount=500,
                          status="needs_response", created=T - 90)
    refund = so.refund(id="re_3Seed0005", amount=1000, charge="ch_3Seed0003", payment_intent="pi_3Seed0001",
                       status="failed", created=T - 80)
    return [
        purchase(1, 1, "pro"),
        purchase(2, 2, "starter", paid=False),
        so.event("charge.refunded", refunded, id="evt_1Seed0003", created=T + 3,
                 previous_attributes={"amount_refunded": 0, "refunded": False}),
        so.event("charge.dispute.created", disputed, id="evt_1Seed0004", created=T + 4),
        so.event("refund.failed", refund, id="evt_1Seed0005", created=T + 5,
                 previous_attributes={"status": "pending", "failure_reason": None}),
        purchase(2, 2, "starter", type="checkout.session.async_payment_succeeded", event_n=6),
        so.event("customer.created", so.customer(id="cus_Seed0007", email="user3@example.com"),
                 id="evt_1Seed0007", created=T + 7),
    ]


def wrong_types():
    e = purchase(9, 1, "starter")
    e["created"] = "soon"
    e["livemode"] = "false"
    s = e["data"]["object"]
    s.update(amount_total="500", amount_subtotal=None, metadata=[1, 2], client_reference_id=1, currency=840)
    return e


def write(path, chunk_byte, text):
    path.write_bytes(bytes([chunk_byte]) + text.encode())


def main():
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz_corpus"
    ev_dir, sig_dir = corpus / "fuzz_events", corpus / "fuzz_signature"
    ev_dir.mkdir(parents=True, exist_ok=True)
    sig_dir.mkdir(parents=True, exist_ok=True)
    all_events = events()
    write(ev_dir / "single.json", 0, json.dumps(all_events[0], indent=2))
    write(ev_dir / "list.json", 16, json.dumps(so.list_object(all_events[:3], "/v1/events")))
    write(ev_dir / "array.json", 3, json.dumps(all_events, indent=1))
    write(ev_dir / "events.ndjson", 63, "".join(json.dumps(e) + "\n" for e in all_events))
    write(ev_dir / "wrong_types.json", 5, json.dumps(wrong_types()))
    write(ev_dir / "escapes.ndjson", 1,
          '{"id":"evt_\\u00e9\\"x","type":"a","created":1,"livemode":false,"data":{"object":{"id":"x\\\\"}}}\n'
          '{"id":"evt_2","type":"b","created":-1,"livemode":true,"data":{"object":{}}}')

    body = json.dumps(all_events[0]).encode()
    good = hmac.new(SECRET, str(T).encode() + b"." + body, hashlib.sha256).hexdigest()
    (sig_dir / "valid").write_bytes(f"t={T},v1={good},v0=abc".encode() + b"\0" + body)
    (sig_dir / "two_v1").write_bytes(f"t={T - 600},v1={'0' * 64},v1={good}".encode() + b"\0" + body)


if __name__ == "__main__":
    main()

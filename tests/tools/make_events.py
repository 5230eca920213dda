#!/usr/bin/env python3
"""Write Stripe events for replay tests and benchmarks, shaped by tests/e2e/stripe_objects.py.

    make_events.py OUT --events N --users U [--format list|array|ndjson] [--seed S]

The mix, as a webhook endpoint of a credit-pack shop receives it: mostly
checkout.session.completed, paid, for one of the four packs, bought by users 1..U (the ids
make_legacy_db.py gives); about 3% of the deliveries repeat an earlier event (same id); about 2%
are of a type the tool ignores (customer.created); about 2% of the purchases name a user that
does not exist; about 3% of the sessions complete unpaid and are followed, later, by their
checkout.session.async_payment_succeeded. Events are about 2.8 KB each, `created` ascending.
The same seed writes the same file. 100,000 events take a few seconds (each event is filled
into a template of the serialised objects, not serialised again).
"""
import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
import stripe_objects  # noqa: E402

PACKS = list(stripe_objects.PACK_PRICES)
START = stripe_objects.CREATED


def template():
    """The JSON text of one checkout.session event, with {slots} for what varies."""
    slots = {}

    def slot(name):
        slots[name] = f"@@{name}@@"
        return slots[name]

    session = stripe_objects.pack_session(1, "starter", email="user1@example.com")
    session.update(id=slot("sid"), amount_subtotal=slot("amount"), amount_total=slot("amount"),
                   client_reference_id=slot("user"), metadata={"user_id": slot("user"), "pack": slot("pack")},
                   customer_email=slot("email"), created=slot("created"), expires_at=slot("expires_at"),
                   payment_status=slot("payment_status"), payment_intent=slot("pi"))
    session["customer_details"]["email"] = slot("email")
    ev = stripe_objects.event(slot("type"), session, id=slot("eid"), created=slot("ecreated"))
    text = json.dumps(ev, separators=(", ", ": ")).replace("{", "{{").replace("}", "}}")
    for name in slots:
        text = text.replace(f'"@@{name}@@"', "{" + name + "}")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", choices=["list", "array", "ndjson"], default="list")
    a = ap.parse_args()
    if a.events < 0 or a.users < 1:
        ap.error("--events must be 0 or more and --users 1 or more")
    rng = random.Random(a.seed)
    text = template()
    sent = []          # the slots of every event written, for repeated deliveries
    pending = []       # unpaid sessions waiting for their async_payment_succeeded
    created = START
    q = json.dumps

    def checkout(kind, session, paid):
        return dict(session, type=q(kind), eid=q(f"evt_1Qt{len(sent):021d}"), ecreated=created,
                    payment_status=q("paid" if paid else "unpaid"))

    def other():
        cus = stripe_objects.customer(id=f"cus_Qt{rng.randrange(10**12):012d}", created=created)
        return json.dumps(stripe_objects.event("customer.created", cus, id=f"evt_1Qt{len(sent):021d}",
                                               created=created), separators=(", ", ": "))

    with open(a.out, "w") as f:
        opening, sep, closing = {"list": ('{"object": "list", "data": [\n', ",\n", '\n], "has_more": false, '
                                          '"url": "/v1/events"}\n'),
                                 "array": ("[\n", ",\n", "\n]\n"), "ndjson": ("", "\n", "\n")}[a.format]
        f.write(opening)
        out, first = [], True

        def flush():
            nonlocal out, first
            if out:
                f.write(("" if first else sep) + sep.join(out))
                out, first = [], False

        while len(sent) < a.events:
            r = rng.random()
            if r < 0.03 and sent:
                ev = rng.choice(sent)                                   # a repeated delivery
            else:
                created += rng.randrange(1, 30)
                if r < 0.05:
                    ev = other()
                elif r < 0.08 and pending:
                    ev = checkout("checkout.session.async_payment_succeeded", pending.pop(0), True)
                else:
                    user = rng.randrange(1, a.users + 1) if r >= 0.10 else a.users + rng.randrange(1, 10**6)
                    pack = rng.choice(PACKS)
                    sid = f"cs_test_a1Qt{len(sent):026d}"
                    session = {"user": q(str(user)), "sid": q(sid), "pi": q(f"pi_3Qt{len(sent):021d}"),
                               "amount": stripe_objects.PACK_PRICES[pack], "pack": q(pack),
                               "email": q(f"user{user}@example.com"), "created": created - 60,
                               "expires_at": created - 60 + 86400}
                    paid = rng.random() >= 0.03
                    if not paid:
                        pending.append(session)
                    ev = checkout("checkout.session.completed", session, paid)
            sent.append(ev)
            out.append(ev if isinstance(ev, str) else text.format(**ev))
            if len(out) >= 2000:
                flush()
        flush()
        f.write(closing if sent or a.format != "ndjson" else "")

if __name__ == "__main__":
    main()

"""Hostile input, written by hand: huge, negative and zero amounts, wrong JSON types, deeply
nested JSON, invalid UTF-8, SQL metacharacters, empty files. Each gives a one-line error with the
documented exit code (or, for an event, a stored needs_attention outcome) and changes nothing."""
import json

import pytest

from conftest import dump, query
from stripe_events import completed, write
from test_credits import db, one_line, user  # noqa: F401 (db is a fixture)

SQL = "'; DROP TABLE users; --"
HUGE = "99999999999999999999"


def unchanged_error(qt, db, args, code, **kw):
    before = dump(db)
    r = qt(*args, db=db, **kw)
    assert r.rc == code, (args, r.rc, r.out, r.err)
    assert one_line(r.err), r.err
    assert r.err.startswith("quicktools: "), r.err
    assert dump(db) == before
    return r


# --- amounts on the command line and in an import --------------------------------------------

@pytest.mark.parametrize("action", ["grant", "refund", "debit"])
@pytest.mark.parametrize("amount", [HUGE, "-5", "0", "-0", "1e3", "0x10", " 5", "5.0", "٣"])
def test_bad_amounts_on_the_command_line(qt, db, action, amount):
    unchanged_error(qt, db, ["credits", action, "1", amount, "--reason", "r"], 2)


def test_sql_in_a_user_is_an_unknown_user(qt, db):
    r = unchanged_error(qt, db, ["credits", "grant", SQL, "5", "--reason", "r"], 1)
    assert SQL in r.err
    unchanged_error(qt, db, ["credits", "grant", SQL + "@example.com", "5", "--reason", "r"], 1)
    assert query(db, "SELECT count(*) FROM users") == [(3,)]


def test_sql_in_a_reason_and_a_key_is_stored_as_text(qt, db):
    key = SQL.replace(" ", "")  # keys hold no spaces
    r = qt("credits", "grant", "1", "5", "--reason", SQL, "--idempotency-key", key, db=db, json=True)
    assert r.rc == 0, r.err
    assert query(db, "SELECT reason, idempotency_key FROM quicktools_ledger") == [(SQL, key)]
    assert query(db, "SELECT count(*) FROM users") == [(3,)] and user(db)[0] == 15


@pytest.mark.parametrize("amount", [HUGE, "-5", "0", "9223372036854775808", "1_000"])
def test_bad_amounts_in_an_import(qt, db, tmp_path, amount):
    csv = tmp_path / "a.csv"
    csv.write_text(f"user,action,amount,reason\n1,grant,{amount},r\n")
    before = dump(db)
    r = qt("credits", "import", csv, db=db)
    assert r.rc == 2
    assert r.err.splitlines()[0].startswith(f"{csv}:2: "), r.err
    assert r.err.splitlines()[-1] == f"quicktools: {csv}: 1 of 1 rows are bad; nothing was changed"
    assert dump(db) == before


def test_sql_metacharacters_in_an_import(qt, db, tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text(f'user,action,amount,reason\n"{SQL}",grant,5,r\n1,grant,5,"{SQL}"\n')
    before = dump(db)
    r = qt("credits", "import", csv, db=db)
    assert r.rc == 2 and len(r.err.strip().splitlines()) == 2
    assert r.err.startswith(f"{csv}:2: ")
    assert dump(db) == before


# --- invalid UTF-8 ------------------------------------------------------------------------------

def test_invalid_utf8_in_an_import(qt, db, tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_bytes(b"user,action,amount,reason\n1,grant,5,caf\xe9 \xff\n")
    before = dump(db)
    r = qt("credits", "import", csv, db=db)
    assert r.rc == 2, r.err
    assert r.err.splitlines()[0].startswith(f"{csv}:2: ") and "UTF-8" in r.err
    assert dump(db) == before


def test_invalid_utf8_in_an_event_file(qt, db, tmp_path):
    good = json.dumps(completed(1, "starter")).encode()
    path = tmp_path / "e.ndjson"
    path.write_bytes(good + b"\n" + good.replace(b'"starter"', b'"st\xffrter"') + b"\n")
    r = unchanged_error(qt, db, ["stripe", "replay", path], 2)
    assert str(path) in r.err and "nothing" in r.err


# --- wrong JSON types and deep nesting in events -----------------------------------------------

def stored_attention(qt, db, tmp_path, ev):
    users = query(db, "SELECT * FROM users ORDER BY id")
    path = write(tmp_path / "e.json", [ev])
    r = qt("stripe", "replay", path, db=db, json=True)
    assert r.rc == 3, r.out + r.err
    assert r.json["counts"]["needs_attention"] == 1
    assert query(db, "SELECT event_id, outcome FROM quicktools_stripe_events") == [(ev["id"], "needs_attention")]
    assert query(db, "SELECT * FROM users ORDER BY id") == users
    assert query(db, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    return r.json


@pytest.mark.parametrize("change", [
    {"amount_total": "500"}, {"amount_total": 5e2}, {"amount_total": None},
    {"amount_total": -500}, {"amount_total": 0}, {"metadata": ["1", "starter"]}, {"metadata": "1"},
    {"metadata": {"user_id": SQL, "pack": "starter"}},
    {"metadata": {"user_id": "1", "pack": SQL}}, {"currency": ["usd"]}, {"payment_status": True},
    {"client_reference_id": {"id": "1"}, "metadata": {}}, {"mode": None},
])
def test_wrong_types_in_a_session_need_attention(qt, db, tmp_path, change):
    ev = completed(1, "starter")
    ev["data"]["object"].update(change)
    stored_attention(qt, db, tmp_path, ev)


def test_a_number_too_large_for_any_integer_is_malformed_input(qt, db, tmp_path):
    ev = completed(1, "starter")
    ev["data"]["object"]["amount_total"] = int(HUGE)
    r = unchanged_error(qt, db, ["stripe", "replay", write(tmp_path / "e.json", [ev])], 2)
    assert "malformed JSON" in r.err and "nothing" in r.err


@pytest.mark.parametrize("change", [{"id": 5}, {"type": ["x"]}, {"created": "today"}, {"data": []},
                                    {"data": {"object": "cs_1"}}, {"livemode": "false"}])
def test_wrong_types_in_the_envelope_are_kept_for_a_person_and_the_rest_applied(qt, db, tmp_path, change):
    ev = completed(1, "starter")
    ev.update(change)
    r = qt("stripe", "replay", write(tmp_path / "e.json", [completed(2, "pro"), ev]), db=db, json=True)
    assert r.rc == 3 and r.json["counts"] == {**r.json["counts"], "credited": 1, "needs_attention": 1}, r.out
    assert "a shape this tool cannot read" in r.json["attention"][0]["reason"]
    assert query(db, "SELECT count(*) FROM quicktools_stripe_events WHERE outcome = 'needs_attention' "
                     "AND payload IS NOT NULL") == [(1,)]
    assert query(db, "SELECT credits_balance FROM users WHERE id IN (1, 2) ORDER BY id") == [(10,), (1210,)]


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000],
                         ids=["open-arrays", "open-objects", "closed-arrays"])
def test_deeply_nested_json_event_file(qt, db, tmp_path, text):
    path = tmp_path / "deep.json"
    path.write_text(text)
    unchanged_error(qt, db, ["stripe", "replay", path], 2)


def test_deeply_nested_json_inside_an_event(qt, db, tmp_path):
    ev = json.dumps(completed(1, "starter"))
    path = tmp_path / "deep.json"
    path.write_text(ev[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    r = unchanged_error(qt, db, ["stripe", "replay", path], 2)
    assert "too deep" in r.err


@pytest.mark.parametrize("text", ["[" * 100_000, '{"tiers":' * 100_000, "{\"name\": \"caf\xe9\"}"],
                         ids=["open-arrays", "open-objects", "latin-1"])
def test_hostile_policy_files(qt, make_db, tmp_path, text):
    path = make_db(users=3)
    policy = tmp_path / "p.json"
    policy.write_bytes(text.encode("latin-1"))
    unchanged_error(qt, path, ["migrate", "packs", "--no-backup", "--policy", policy], 2)


@pytest.mark.parametrize("tiers", [{"pro": {"credits": int(HUGE)}}, {"pro": {"credits": -1}},
                                   {"pro": {"credits": "1e3"}}, {"pro": {"purchased_equivalent": -5}},
                                   {"pro": {"api": "yes"}}, {"pro": []}, {"pro": {"api_statuses": "active"}},
                                   {"pro": {"credits": 1.5}}, {"pro": {"credits": True}}])
def test_hostile_policy_values(qt, make_db, tmp_path, tiers):
    path = make_db(users=3)
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"name": SQL, "tiers": tiers}))
    unchanged_error(qt, path, ["migrate", "packs", "--no-backup", "--policy", policy], 2)


def test_a_policy_number_beyond_a_double_is_a_usage_error(qt, make_db, tmp_path):
    """Found by fuzz_policy: nlohmann's out_of_range escaped as an internal error (exit 1)."""
    path = make_db(users=3)
    policy = tmp_path / "p.json"
    policy.write_text('{"tiers": {"pro": {"credits": 6666666666666666666666666040088761E386}}}')
    r = unchanged_error(qt, path, ["migrate", "packs", "--no-backup", "--policy", policy], 2)
    assert "too large" in r.err


# --- empty files ----------------------------------------------------------------------------------

def test_empty_import_file(qt, db, tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    unchanged_error(qt, db, ["credits", "import", tmp_path / "e.csv"], 2)
    unchanged_error(qt, db, ["credits", "import", "-"], 2, input="")


def test_empty_event_file(qt, db, tmp_path):
    (tmp_path / "e.json").write_bytes(b"")
    unchanged_error(qt, db, ["stripe", "replay", tmp_path / "e.json"], 2)
    unchanged_error(qt, db, ["stripe", "replay", "-"], 2, input="")


def test_empty_policy_file(qt, make_db, tmp_path):
    path = make_db(users=3)
    (tmp_path / "p.json").write_bytes(b"")
    unchanged_error(qt, path, ["migrate", "packs", "--no-backup", "--policy", tmp_path / "p.json"], 2)

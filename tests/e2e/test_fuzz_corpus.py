"""The fuzz targets' seed corpus is what tests/tools/make_fuzz_corpus.py writes from our own
Stripe objects, and its seeds are what they claim to be: events `stripe replay` reads, and
signatures that verify (or do not) with the fuzz target's secret."""
import subprocess
import sys

from conftest import ROOT

CORPUS = ROOT / "tests" / "fuzz_corpus"
MADE = ("fuzz_events/single.json", "fuzz_events/list.json", "fuzz_events/array.json",
        "fuzz_events/events.ndjson", "fuzz_events/wrong_types.json", "fuzz_events/escapes.ndjson",
        "fuzz_signature/valid", "fuzz_signature/two_v1")


def test_the_committed_corpus_is_what_the_script_writes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "make_fuzz_corpus.py"), str(tmp_path)], check=True)
    for name in MADE:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
    assert sorted(p.name for p in (CORPUS / "fuzz_events").iterdir()) == sorted(
        n.split("/")[1] for n in MADE if n.startswith("fuzz_events/"))


def test_the_event_seeds_are_files_replay_reads(qt, tmp_path):
    from stripe_events import new_database
    db = new_database(tmp_path / "quicktools.db", 1, 2)
    expected = {"single.json": 1, "list.json": 3, "array.json": 7, "events.ndjson": 7}
    for name, count in expected.items():
        path = tmp_path / name
        path.write_bytes((CORPUS / "fuzz_events" / name).read_bytes()[1:])    # byte 0 is the chunk size
        r = qt("stripe", "replay", "--dry-run", path, db=db, json=True)
        assert r.rc in (0, 3) and r.json["events"] == count, (name, r.out, r.err)
        assert r.json["counts"]["credited"] >= 1, (name, r.out)


def test_the_signature_seeds_verify_with_the_targets_secret(qt, tmp_path):
    env = {"STRIPE_WEBHOOK_SECRET": "whsec_fuzz"}
    results = {}
    for name in ("valid", "two_v1"):
        header, body = (CORPUS / "fuzz_signature" / name).read_bytes().split(b"\0", 1)
        path = tmp_path / name
        path.write_bytes(body)
        results[name] = qt("stripe", "verify-signature", "--header", header.decode(), "--tolerance", "0", path,
                           env=env).rc
    assert results == {"valid": 0, "two_v1": 3}

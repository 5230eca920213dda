"""--metrics-file on stripe sync, stripe replay and credits audit: Prometheus' text exposition
format (read here by a strict parser of the format), written atomically with mode 0644, also
when the run fails, keeping the last success time of the previous file."""
import math
import os
import re
import stat
import time

import pytest

from stripe_events import completed, new_database, replay, use
from stripe_standin import Answer

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_prometheus(text):
    """{name: {"help", "type", "samples": {frozenset(labels): value}}} of a text exposition, or
    AssertionError at the first thing Prometheus' parser would refuse or node_exporter would
    reject: a bad name, label or value, HELP or TYPE twice or TYPE after a sample, a family
    split in two, a repeated series, a missing final newline."""
    assert text.endswith("\n"), "the last line must end with a newline"
    families, done, current = {}, set(), None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {n}: {line!r}"
        assert line.strip(), f"{where}: empty line"
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                assert NAME.match(name), where
                fam = families.setdefault(name, {"help": None, "type": None, "samples": {}})
                key = parts[1].lower()
                assert fam[key] is None, f"{where}: second {parts[1]}"
                assert name not in done, f"{where}: {name} appears again after another family"
                if key == "type":
                    assert len(parts) == 4 and parts[3] in TYPES, where
                    assert not fam["samples"], f"{where}: TYPE after samples"
                else:
                    assert len(parts) == 4 and parts[3].strip(), f"{where}: HELP without text"
                fam[key] = parts[3]
                if current not in (None, name):
                    done.add(current)
                current = name
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)(?: (-?\d+))?\Z", line)
        assert m, f"{where}: not a sample"
        name, labels_text, value = m.group(1), m.group(2), m.group(3)
        labels = {}
        if labels_text:
            inner = labels_text[1:-1]
            pos = 0
            while pos < len(inner):
                lm = LABEL.match(inner, pos)
                assert lm, f"{where}: bad label at {inner[pos:]!r}"
                assert lm.group(1) not in labels, f"{where}: label {lm.group(1)} twice"
                labels[lm.group(1)] = lm.group(2).replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
                pos = lm.end()
                if pos < len(inner):
                    assert inner[pos] == ",", where
                    pos += 1
        assert value in ("NaN", "+Inf", "-Inf") or re.match(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z", value), where
        assert name not in done, f"{where}: {name} appears again after another family"
        if current not in (None, name):
            done.add(current)
        current = name
        fam = families.setdefault(name, {"help": None, "type": None, "samples": {}})
        key = frozenset(labels.items())
        assert key not in fam["samples"], f"{where}: the same series twice"
        fam["samples"][key] = float(value)
    return families


def value(families, name, **labels):
    return families[name]["samples"][frozenset(labels.items())]


def test_the_parser_refuses_what_prometheus_refuses():
    good = '# HELP a_b x\n# TYPE a_b gauge\na_b{c="d\\"e"} 1.5\na_b{c="f"} 2\n'
    assert value(parse_prometheus(good), "a_b", c='d"e') == 1.5
    for bad in ['a_b 1', 'a-b 1\n', 'a_b{c=d} 1\n', 'a_b one\n', '# TYPE a_b gauge\n# TYPE a_b gauge\n',
                'a_b 1\n# TYPE a_b gauge\n', 'a_b 1\nc 1\na_b{x="y"} 2\n', 'a_b 1\na_b 2\n', '\n',
                '# TYPE a_b meter\n', '# HELP a_b\n']:
        with pytest.raises(AssertionError):
            parse_prometheus(bad)


@pytest.fixture
def db(tmp_path):
    return new_database(tmp_path / "quicktools.db", 1, 2)


def read(path):
    text = path.read_text()
    return text, parse_prometheus(text)


def common(families, command, success, exit_code):
    for name, fam in families.items():
        assert name.startswith("quicktools_") and fam["type"] == "gauge" and fam["help"], name
        assert all(dict(k)["command"] == command for k in fam["samples"]), name
    assert value(families, "quicktools_last_run_success", command=command) == (1 if success else 0)
    assert value(families, "quicktools_last_run_exit_code", command=command) == exit_code
    run = value(families, "quicktools_last_run_timestamp_seconds", command=command)
    assert abs(run - time.time()) < 60
    assert 0 <= value(families, "quicktools_run_duration_seconds", command=command) < 60
    return run


def test_sync_writes_its_metrics_and_a_failed_run_keeps_the_last_success(qt, db, stripe_api, tmp_path):
    now = int(time.time())
    for uid, ago in ((1, 600), (2, 300)):
        e = completed(uid, "starter")
        stripe_api.add_event(e["type"], e["data"]["object"], now - ago)
    prom = tmp_path / "textfile" / "quicktools_sync.prom"
    prom.parent.mkdir()
    r = qt("stripe", "sync", "--metrics-file", prom, db=db, env=stripe_api.env())
    assert r.rc == 0, r.err
    text, fam = read(prom)
    run = common(fam, "stripe_sync", True, 0)
    assert value(fam, "quicktools_last_success_timestamp_seconds", command="stripe_sync") == run
    assert value(fam, "quicktools_last_run_events", command="stripe_sync", outcome="credited") == 2
    assert value(fam, "quicktools_last_run_events", command="stripe_sync", outcome="needs_attention") == 0
    assert len(fam["quicktools_last_run_events"]["samples"]) == 10
    assert value(fam, "quicktools_attention_items", command="stripe_sync") == 0
    assert value(fam, "quicktools_last_run_credits", command="stripe_sync", kind="added") == 200
    assert value(fam, "quicktools_stripe_sync_pages", command="stripe_sync") == 1
    assert value(fam, "quicktools_stripe_sync_cursor_timestamp_seconds", command="stripe_sync") == now - 300
    assert stat.S_IMODE(os.stat(prom).st_mode) == 0o644
    assert os.listdir(prom.parent) == ["quicktools_sync.prom"]       # no temporary file left behind
    # the next run fails: Stripe cannot be reached
    os.link(prom, tmp_path / "old.prom")
    time.sleep(1.1)
    stripe_api.script(Answer.dropped(), path="/v1/account")
    failed = qt("stripe", "sync", "--metrics-file", prom, "--max-retries", "0", db=db, env=stripe_api.env())
    assert failed.rc == 1 and "could not reach Stripe" in failed.err
    _, after = read(prom)
    later = common(after, "stripe_sync", False, 1)
    assert later > run
    assert value(after, "quicktools_last_success_timestamp_seconds", command="stripe_sync") == run
    assert "quicktools_last_run_events" not in after and "quicktools_attention_items" not in after
    assert (tmp_path / "old.prom").read_text() == text       # replaced by rename, not rewritten in place
    assert stat.S_IMODE(os.stat(prom).st_mode) == 0o644 and os.listdir(prom.parent) == ["quicktools_sync.prom"]


def test_a_failure_without_a_previous_file_has_no_success_time(qt, db, stripe_api, tmp_path):
    prom = tmp_path / "sync.prom"
    stripe_api.script(Answer.error(500, "api_error"), path="/v1/account")
    r = qt("stripe", "sync", "--metrics-file", prom, "--max-retries", "0", db=db, env=stripe_api.env())
    assert r.rc == 1
    _, fam = read(prom)
    common(fam, "stripe_sync", False, 1)
    assert "quicktools_last_success_timestamp_seconds" not in fam


def test_replay_needing_attention_is_a_success_with_attention_items(qt, db, tmp_path):
    prom = tmp_path / "replay.prom"
    r = replay(qt, db, completed(1, "pro"), completed(99, "pro"), args=["--metrics-file", prom])
    assert r.rc == 3
    _, fam = read(prom)
    common(fam, "stripe_replay", True, 3)
    assert value(fam, "quicktools_attention_items", command="stripe_replay") == 1
    assert value(fam, "quicktools_last_run_events", command="stripe_replay", outcome="credited") == 1
    assert value(fam, "quicktools_last_run_events", command="stripe_replay", outcome="needs_attention") == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "evt_1", "object": "event", ')
    usage = qt("stripe", "replay", bad, "--metrics-file", prom, db=db)
    assert usage.rc == 2
    _, fam = read(prom)
    common(fam, "stripe_replay", False, 2)


def test_audit_reports_violations_and_every_file_names_each_metric_alike(qt, db, tmp_path, stripe_api):
    prom = tmp_path / "audit.prom"
    assert qt("credits", "audit", "--metrics-file", prom, db=db).rc == 0
    _, clean = read(prom)
    common(clean, "credits_audit", True, 0)
    assert value(clean, "quicktools_audit_violations", command="credits_audit") == 0
    assert value(clean, "quicktools_audit_users_checked", command="credits_audit") == 2
    use(db, 2, 50)                                           # below zero
    assert qt("credits", "audit", "--metrics-file", prom, db=db).rc == 3
    _, broken = read(prom)
    common(broken, "credits_audit", True, 3)
    assert value(broken, "quicktools_audit_violations", command="credits_audit") == 1
    assert value(broken, "quicktools_audit_violations_by_problem", command="credits_audit",
                 problem="negative_balance") == 1
    assert value(broken, "quicktools_audit_violations_by_problem", command="credits_audit", problem="invariant") == 0
    assert value(broken, "quicktools_attention_items", command="credits_audit") == 1
    # node_exporter merges the files: a metric has one HELP text whichever command wrote it
    sync = tmp_path / "sync.prom"
    assert qt("stripe", "sync", "--metrics-file", sync, db=db, env=stripe_api.env()).rc == 0
    _, synced = read(sync)
    for name in set(synced) & set(broken):
        assert synced[name]["help"] == broken[name]["help"], name


def test_a_metrics_file_that_cannot_be_written(qt, db, tmp_path):
    missing = qt("credits", "audit", "--metrics-file", tmp_path / "nowhere" / "a.prom", db=db, json=True)
    assert missing.rc == 2 and "does not exist" in missing.json["error"] and missing.out.count("{") == 1
    directory = qt("credits", "audit", "--metrics-file", tmp_path, db=db)
    assert directory.rc == 2 and "is a directory" in directory.err
    unwritable = qt("-q", "credits", "audit", "--metrics-file", "/proc/quicktools.prom", db=db)
    assert unwritable.rc == 1 and "cannot write the metrics file /proc/quicktools.prom" in unwritable.err


def test_values_are_plain_numbers(qt, db, tmp_path):
    prom = tmp_path / "a.prom"
    assert qt("credits", "audit", "--metrics-file", prom, db=db).rc == 0
    for line in prom.read_text().splitlines():
        if not line.startswith("#"):
            number = float(line.rsplit(" ", 1)[1])
            assert math.isfinite(number) and "e" not in line.rsplit(" ", 1)[1], line

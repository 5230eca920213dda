"""The cron wrapper and the systemd unit of docs/commands.md, run as written (paths swapped
for prepared ones, `mail` for a recorder) with a live key against the stand-in over https."""
import os
import re
import shlex
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, query
from stripe_events import completed, new_database, user

DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
LIVE_KEY = "sk_live_cronExample0123456789"


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S)


def localise(text, paths):
    for option, path in paths.items():
        text = re.sub(rf"({re.escape(option)}[ =])/\S+", rf"\g<1>{path}", text)
    return text


@pytest.fixture
def box(tmp_path, stripe_api_tls):
    """A live-mode shop: the database, the key file, a `mail` that records, quicktools on PATH."""
    db = new_database(tmp_path / "quicktools.db", 1, 2)
    key = tmp_path / "stripe.key"
    key.write_text(LIVE_KEY + "\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "quicktools").symlink_to(BIN)
    mail = bindir / "mail"
    mail.write_text(f'#!/bin/sh\n{{ printf "subject: %s\\n" "$2"; cat; }} >> {tmp_path}/mail.log\n')
    mail.chmod(mail.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUICKTOOLS_", "STRIPE_"))}
    env.update(stripe_api_tls.env(LIVE_KEY))
    del env["STRIPE_API_KEY"]                    # the examples read the key file
    env["PATH"] = f"{bindir}:{env['PATH']}"
    return {"db": db, "key": key, "env": env, "api": stripe_api_tls, "tmp": tmp_path,
            "paths": {"--db": db, "--api-key-file": key, "QUICKTOOLS_DB": db,
                      "--metrics-file": tmp_path / "quicktools.prom"}}


def wrapper(box):
    [script] = [b for b in blocks("sh") if b.startswith("#!/bin/sh") and "stripe sync" in b]
    path = box["tmp"] / "quicktools-sync"
    path.write_text(localise(script, box["paths"]))
    path.chmod(0o755)
    return path


def test_the_documented_examples_pass_live_and_read_the_key_file():
    [script] = [b for b in blocks("sh") if b.startswith("#!/bin/sh") and "stripe sync" in b]
    [unit] = [b for b in blocks("ini") if "ExecStart=" in b]
    for text in (script, unit):
        line = next(x for x in text.splitlines() if "stripe sync" in x)
        assert "--live" in line and "--api-key-file" in line


def test_the_cron_wrapper_applies_live_events_silently_with_a_live_key(box):
    box["api"].events.append(completed(1, "pro", livemode=True, created=int(time.time()) - 60))
    r = subprocess.run([wrapper(box)], env=box["env"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not (box["tmp"] / "mail.log").exists(), r.stderr
    assert user(box["db"], 1)[0] == 1210
    assert box["api"].calls("GET", "/v1/events")[0].headers["authorization"] == f"Bearer {LIVE_KEY}"
    metrics = (box["tmp"] / "quicktools.prom").read_text()        # --metrics-file, for node_exporter
    assert 'quicktools_last_run_success{command="stripe_sync"} 1\n' in metrics
    assert 'quicktools_last_run_events{command="stripe_sync",outcome="credited"} 1\n' in metrics


def test_the_cron_wrapper_mails_events_that_need_attention(box):
    box["api"].events.append(completed(99, "pro", livemode=True, created=int(time.time()) - 60))   # no such user
    subprocess.run([wrapper(box)], env=box["env"], timeout=60, check=True)
    log = (box["tmp"] / "mail.log").read_text()
    assert "subject: quicktools: Stripe events need attention" in log and "unknown user 99" in log


def test_the_cron_wrapper_mails_a_test_key_on_the_live_database(box):
    box["api"].events.append(completed(1, "pro", livemode=True, created=int(time.time()) - 60))
    subprocess.run([wrapper(box)], env=box["env"], timeout=60, check=True)     # binds the database: live
    box["key"].write_text("sk_test_wrongKey0123456789\n")
    box["api"].events.append(completed(2, "pro", livemode=False, created=int(time.time()) - 60))
    subprocess.run([wrapper(box)], env=box["env"], timeout=60, check=True)
    log = (box["tmp"] / "mail.log").read_text()
    assert "subject: quicktools: stripe sync failed" in log and "live mode" in log
    assert 'quicktools_last_run_exit_code{command="stripe_sync"} 4\n' in (box["tmp"] / "quicktools.prom").read_text()
    assert user(box["db"], 2)[0] == 10


def test_the_systemd_unit_runs_as_written(box):
    [unit] = [b for b in blocks("ini") if "ExecStart=" in b]
    box["api"].events.append(completed(2, "standard", livemode=True, created=int(time.time()) - 60))
    env = dict(box["env"])
    for line in unit.splitlines():
        if line.startswith("Environment="):
            name, value = line[len("Environment="):].split("=", 1)
            env[name] = str(box["paths"].get(name, value))
    exec_start = localise(next(x for x in unit.splitlines() if x.startswith("ExecStart=")), box["paths"])
    argv = shlex.split(exec_start[len("ExecStart="):])
    argv[0] = BIN
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "1 credited" in r.stdout, r.stderr   # the report goes to the journal
    assert user(box["db"], 2)[0] == 510
    assert query(box["db"], "SELECT value FROM quicktools_state WHERE name = 'stripe.account'")[0][0].find(
        '"livemode":true') >= 0

"""credits import on both engines (a real file, a PostgreSQL database): checks of every row with
line numbers, all or nothing, dry run, stdin, and idempotency keys shared with the command line."""
import subprocess
import threading
import time

import pytest

from conftest import BIN, dump, is_url, qt_command, query
from test_credits import AppTransaction, app_db, audit_clean, one_line, user, web_usage  # noqa: F401 (a fixture)
from webapp_writer import PsqlSession


def content(path):
    """dump() without PostgreSQL's sequence positions: a rolled-back transaction does not give
    back the ledger ids it took (an import checks its rows as it writes them)."""
    return [line for line in dump(path) if not line.startswith("SELECT pg_catalog.setval(")]


# --- import --------------------------------------------------------------------------------

def write_csv(tmp_path, text, name="adjust.csv", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def test_import_applies_all_rows_in_one_transaction(qt, app_db, tmp_path):
    web_usage(app_db, 2, 6)
    csv = write_csv(tmp_path, '\ufeffreason,user,amount,action,idempotency_key\n'
                              '"goodwill, ticket ""9""",1,50,grant,t9\n'
                              'task failed,user2@example.com,6,refund,\n'
                              'correction,1,60,debit,\n', newline="\r\n")
    r = qt("credits", "import", csv, db=app_db, json=True)
    assert r.rc == 0, r.err
    doc = r.json
    assert doc["committed"] is True
    assert doc["totals"] == {"rows": 3, "applied": 3, "skipped": 0, "users": 2, "granted": 50, "refunded": 6,
                             "debited": 60}
    assert [row["balance_after"] for row in doc["rows"]] == [60, 10, 0]
    assert user(app_db, 1)[0] == 0 and user(app_db, 2) == (10, 0, 0, 0)
    rows = query(app_db, "SELECT reason, source, idempotency_key FROM quicktools_ledger ORDER BY id")
    assert rows[0] == ('goodwill, ticket "9"', f"import:{csv}:2", "t9")
    assert rows[2][1] == f"import:{csv}:4"
    audit_clean(qt, app_db)
    # Importing the same file again: the keyed row is skipped, the others would apply again, but
    # the refund is now more than was used and the debit is short, so the whole file is refused.
    before = content(app_db)
    r = qt("credits", "import", csv, db=app_db)
    assert r.rc == 2 and f"{csv}:3: refunding 6 is more than the 0 credits used so far: over by 6" in r.err
    assert f"{csv}:4: debiting 60 would take the balance of 0 below zero: short by 60" in r.err
    assert content(app_db) == before


def test_import_reports_every_bad_row_with_its_line_and_changes_nothing(qt, app_db, tmp_path):
    assert qt("credits", "grant", "1", "5", "--reason", "r", "--idempotency-key", "used", db=app_db).rc == 0
    csv = write_csv(tmp_path, "user,action,amount,reason,idempotency_key\n"
                              "1,grant,5,fine,\n"              # 2 good
                              "nobody@example.com,grant,5,x,\n"  # 3 unknown user
                              "1,gift,5,x,\n"                  # 4 bad action
                              "1,grant,1e3,x,\n"               # 5 bad amount
                              "1,grant,5,   ,\n"               # 6 empty reason
                              "2,debit,11,x,\n"                # 7 short by 1
                              "\n"
                              "3,grant,5,a,dup\n"              # 9 good
                              "3,grant,6,a,dup\n"              # 10 same key, different request
                              "1,grant,7,r,used\n"             # 11 key used in the ledger for 5
                              "1,grant\n"                      # 12 too few fields
                              '1,grant,5,"open\n')            # 13 unterminated quote
    before = content(app_db)
    r = qt("credits", "import", csv, db=app_db)
    assert r.rc == 2
    lines = r.err.strip().splitlines()
    assert [line.split(":")[1] for line in lines[:-1]] == ["3", "4", "5", "6", "7", "10", "11", "12", "13"]
    assert "no user nobody@example.com" in lines[0]
    assert "short by 1" in lines[4]
    assert "also on line 9" in lines[5]
    assert "amount 5 there, 7 here" in lines[6]
    assert lines[-1] == f"quicktools: {csv}: 9 of 11 rows are bad; nothing was changed"
    assert content(app_db) == before
    doc = qt("credits", "import", csv, db=app_db, json=True).json
    assert doc["ok"] is False and doc["exit_code"] == 2
    assert [e["line"] for e in doc["errors"]] == [3, 4, 5, 6, 7, 10, 11, 12, 13]


def test_import_is_all_or_nothing_when_the_last_row_is_bad(qt, app_db, tmp_path):
    rows = "".join(f"{1 + i % 3},grant,{1 + i},bulk {i},\n" for i in range(500))
    csv = write_csv(tmp_path, "user,action,amount,reason,idempotency_key\n" + rows + "1,debit,999999,x,\n")
    before = content(app_db)
    r = qt("credits", "import", csv, db=app_db)
    assert r.rc == 2 and f"{csv}:502:" in r.err
    assert content(app_db) == before


def test_import_dry_run_shows_effects_and_changes_nothing(qt, app_db, tmp_path):
    csv = write_csv(tmp_path, "user,action,amount,reason,idempotency_key\n"
                              "1,grant,5,a,k\n1,debit,15,b,\n1,grant,5,a,k\n")
    before = content(app_db)
    r = qt("credits", "import", csv, "--dry-run", db=app_db)
    assert r.rc == 0
    assert "line 2: grant 5 for user1@example.com (id 1): balance 10 -> 15" in r.out
    assert "line 3: debit 15 for user1@example.com (id 1): balance 15 -> 0" in r.out
    assert "same key and request as line 2, skipped" in r.out
    assert "Would apply 2 of 3 rows" in r.out and "Dry run: nothing changed" in r.out
    doc = qt("credits", "import", csv, "--dry-run", db=app_db, json=True).json
    assert doc["dry_run"] is True and doc["committed"] is False and doc["totals"]["skipped"] == 1
    assert content(app_db) == before


def test_import_from_stdin_and_keys_shared_with_the_command_line(qt, app_db):
    r = qt("credits", "import", "-", db=app_db,
           input="user,action,amount,reason,idempotency_key\n2,grant,7,promo,p-2\n")
    assert r.rc == 0 and "Applied 1 of 1 rows from stdin" in r.out
    assert query(app_db, "SELECT source FROM quicktools_ledger") == [("import:stdin:2",)]
    r = qt("credits", "grant", "2", "7", "--reason", "promo", "--idempotency-key", "p-2", db=app_db, json=True)
    assert r.rc == 0 and r.json["replayed"] is True
    assert user(app_db, 2)[0] == 17


def test_import_from_an_unreadable_stdin_says_so_and_changes_nothing(app_db):
    import os
    before = content(app_db)
    folder = os.open("/", os.O_RDONLY | os.O_DIRECTORY)  # open, but a read fails (EISDIR)
    try:
        r = subprocess.run([BIN, "--db", str(app_db), "credits", "import", "-"], stdin=folder, capture_output=True,
                           text=True, timeout=60)
    finally:
        os.close(folder)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == ["quicktools: cannot read stdin: Is a directory"]
    assert content(app_db) == before


def test_import_of_no_rows(qt, app_db, tmp_path):
    before = content(app_db)
    r = qt("credits", "import", write_csv(tmp_path, "user,action,amount,reason\n"), db=app_db)
    assert r.rc == 0 and "no rows" in r.out
    r = qt("credits", "import", write_csv(tmp_path, "", name="empty.csv"), db=app_db)
    assert r.rc == 2 and "is empty" in r.err and one_line(r.err)
    r = qt("credits", "import", write_csv(tmp_path, "user,action,credits,reason\n1,grant,5,x\n", name="h.csv"),
           db=app_db)
    assert r.rc == 2 and 'unknown column "credits"' in r.err and one_line(r.err)
    r = qt("credits", "import", write_csv(tmp_path, "user,action,reason\n1,grant,x\n", name="m.csv"), db=app_db)
    assert r.rc == 2 and "lacks amount" in r.err
    r = qt("credits", "import", tmp_path / "missing.csv", db=app_db)
    assert r.rc == 2 and "cannot read" in r.err
    assert content(app_db) == before


def test_import_records_the_actor_and_waits_for_the_web_app(qt, app_db):
    # The app's usage of user 1 is in flight: the refund of it is allowed once it commits.
    app = AppTransaction(app_db, "UPDATE users SET credits_balance = credits_balance - 1, credits_lifetime_used = "
                             "credits_lifetime_used + 1 WHERE id = 1")
    release = threading.Timer(0.5, app.commit)
    release.start()
    start = time.monotonic()
    r = qt("credits", "import", "-", "--actor", "ops-bot", db=app_db,
           input="user,action,amount,reason\n1,refund,1,usage charged twice\n")
    release.join()
    assert r.rc == 0, r.err
    assert time.monotonic() - start >= 0.4
    assert user(app_db) == (10, 0, 0, 0)
    assert query(app_db, "SELECT actor, kind FROM quicktools_ledger") == [("ops-bot", "refund")]
    audit_clean(qt, app_db)


def test_import_checks_its_rows_against_the_app_write_it_waited_for(qt, app_db):
    # The app's usage of 5 of user 1's 10 credits is in flight: the debit of 10 is then short by 5.
    app = AppTransaction(app_db, "UPDATE users SET credits_balance = credits_balance - 5, credits_lifetime_used = "
                                 "credits_lifetime_used + 5 WHERE id = 1")
    release = threading.Timer(0.5, app.commit)
    release.start()
    r = qt("credits", "import", "-", db=app_db, input="user,action,amount,reason\n1,debit,10,x\n")
    release.join()
    assert user(app_db) == (5, 0, 5, 0)
    assert r.rc == 2, r.err
    assert r.err.startswith("stdin:2: debiting 10 would take the balance of 5 below zero: short by 5"), r.err
    assert query(app_db, "SELECT count(*) FROM quicktools_ledger") == [(0,)]
    audit_clean(qt, app_db)


def web_usage_within(path, uid, n, seconds):
    """The app's usage write, given up (an error) if it waits for a lock more than `seconds`."""
    sql = (f"UPDATE users SET credits_balance = credits_balance - {n}, "
           f"credits_lifetime_used = credits_lifetime_used + {n} WHERE id = {uid}")
    if is_url(path):
        app = PsqlSession(path)
        app.run(f"SET lock_timeout = '{int(seconds * 1000)}ms'; {sql};")
        app.close()
    else:
        import sqlite3
        con = sqlite3.connect(str(path), timeout=seconds)
        con.execute(sql)
        con.commit()
        con.close()


def test_an_import_from_a_slow_pipe_never_holds_the_app_waiting(qt, app_db):
    """The rows come slowly through a pipe: the tool reads them all before it takes the write
    lock, so the web app's writes meanwhile go through at once."""
    cmd, env = qt_command(["credits", "import", "-"], app_db, False, None)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    p.stdin.write("user,action,amount,reason\n1,grant,5,slow pipe\n")
    p.stdin.flush()
    time.sleep(0.5)                                   # the tool has the first rows; more may come
    web_usage_within(app_db, 2, 1, 0.3)                   # the web app gives up after 0.3 s
    p.stdin.write("2,grant,7,slow pipe\n")
    p.stdin.close()
    assert p.wait(timeout=30) == 0, p.stderr.read()
    assert user(app_db, 1)[0] == 15 and user(app_db, 2)[:3] == (16, 0, 1)
    audit_clean(qt, app_db)

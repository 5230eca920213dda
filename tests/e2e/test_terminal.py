"""What a person sees in a real terminal (tmux): progress lines on stderr for long work, the
report's bars and colours; and that none of it reaches a pipe."""
import re

import pytest

from conftest import BIN, run_qt
from terminal import Terminal

# A real terminal (tmux) and 200,000-row databases (`./scripts/dev.sh test --quick` skips them).
pytestmark = pytest.mark.slow

PROGRESS = {  # the label each long operation draws, and a regex of its final line
    "backup": r"db backup: pages: (\d+)/\1 \(100%\), \d+/s, done in \d+\.\ds",
    "migrate": r"migrate packs: (\d+)/\1 \(100%\), \d+/s, done in \d+\.\ds",
    "drop": r"drop-deprecated: backup pages: (\d+)/\1 \(100%\), \d+/s, done in \d+\.\ds",
    "import": r"importing rows: \d+, \d+/s, done in \d+\.\ds",  # streamed: the total is not known ahead
}


@pytest.fixture
def terminal(tmp_path):
    t = Terminal(tmp_path)
    yield t
    t.close()


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    from conftest import make_database
    return make_database(tmp_path_factory.mktemp("big") / "big.db", users=200000, state="legacy")


def copy(src, dst):
    dst.write_bytes(src.read_bytes())
    return dst


def test_migration_shows_count_rate_and_time_left_while_running(terminal, big_db, tmp_path):
    path = copy(big_db, tmp_path / "q.db")
    seen = []
    rc, screen = terminal.run([BIN, "--db", path, "migrate", "packs", "--no-backup"],
                              while_running=lambda s: seen.extend(re.findall(r"migrate packs: \d+/200000 .*left", s)))
    assert rc == 0, screen
    assert re.search(PROGRESS["migrate"], screen), screen
    assert "200000/200000" in screen
    assert seen, "no progress line with the time left was on the screen while the migration ran"
    assert re.search(r"migrate packs: \d+/200000 \(\d+%\), \d+/s, \d+s left", seen[0])


def test_backup_import_and_drop_show_progress_on_a_terminal(terminal, big_db, tmp_path):
    rc, screen = terminal.run([BIN, "--db", big_db, "db", "backup", tmp_path / "copy.db"])
    assert rc == 0 and re.search(PROGRESS["backup"], screen), screen
    path = copy(big_db, tmp_path / "q.db")
    assert run_qt("migrate", "packs", "--no-backup", db=path).rc == 0
    csv = tmp_path / "grants.csv"
    csv.write_text("user,action,amount,reason\n" + "".join(f"{i},grant,1,goodwill\n" for i in range(1, 2001)))
    rc, screen = terminal.run([BIN, "--db", path, "credits", "import", csv])
    assert rc == 0 and re.search(PROGRESS["import"], screen), screen
    rc, screen = terminal.run([BIN, "--db", path, "db", "drop-deprecated", "--yes", "--force",
                               "--backup", tmp_path / "before-drop.db"])
    assert rc == 0 and re.search(PROGRESS["drop"], screen), screen
    assert "drop-deprecated: rewriting users..." in screen


def test_no_progress_when_stderr_is_not_a_terminal(big_db, tmp_path):
    path = copy(big_db, tmp_path / "q.db")
    for args in (["db", "backup", tmp_path / "copy.db"], ["migrate", "packs", "--no-backup"]):
        r = run_qt(*args, db=path)
        assert r.rc == 0, r.err
        assert "\r" not in r.err and "/s" not in r.err and "\x1b" not in r.err, r.err


def test_no_progress_with_quiet_on_a_terminal(terminal, big_db, tmp_path):
    rc, screen = terminal.run([BIN, "-q", "--db", big_db, "db", "backup", tmp_path / "copy.db"])
    assert rc == 0 and "db backup: pages" not in screen, screen


# --- report: bars and colours ---------------------------------------------------------------

def report_db(make_db):
    path = make_db(users=50, state="legacy")
    assert run_qt("migrate", "packs", "--no-backup", db=path).rc == 0
    import sqlite3
    con = sqlite3.connect(str(path))
    with con:
        con.execute("UPDATE users SET credits_purchased_total = 600 WHERE id <= 10")   # email tier: 10 users
        con.execute("UPDATE users SET credits_purchased_total = 0 WHERE id > 10")      # community: 40 users
        con.execute("INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, "
                    "credited_at) VALUES ('cs_1', 1, 'pro', 1200, 3000, 'now'), ('cs_2', 2, 'pro', 1200, 3000, "
                    "'now'), ('cs_3', 3, 'starter', 100, 500, 'now'), ('cs_4', 4, 'pro', 1200, 3000, 'now')")
    con.close()
    return path


def bar_length(line):
    full = line.count("\u2588")
    eighths = {"\u258f": 1, "\u258e": 2, "\u258d": 3, "\u258c": 4, "\u258b": 5, "\u258a": 6, "\u2589": 7}
    return full + sum(n for ch, n in eighths.items() if ch in line) / 8


def chart(text, title):
    block = text.split(title + "\n", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0]: line for line in block.splitlines()}


def test_report_draws_bars_proportional_to_the_numbers(qt, make_db):
    path = report_db(make_db)
    r = qt("report", db=path, env={"COLUMNS": ""})  # piped, no width given: 80 columns
    assert r.rc == 0, r.err
    assert "\x1b" not in r.out
    users = chart(r.out, "Users per support tier:")
    assert "40 users" in users["Community"] and "10 users" in users["Email"]
    assert bar_length(users["Community"]) == pytest.approx(4 * bar_length(users["Email"]), abs=0.25)
    assert bar_length(users["Priority"]) == 0
    assert 75 <= max(len(line) for line in users.values()) <= 80
    sold = chart(r.out, "Packs sold:")
    assert bar_length(sold["pro"]) == pytest.approx(3 * bar_length(sold["starter"]), abs=0.25)
    assert "Credits per support tier:" in r.out
    wide = qt("report", db=path, env={"COLUMNS": "160"}).out
    assert bar_length(chart(wide, "Users per support tier:")["Community"]) > bar_length(users["Community"]) + 50
    assert qt("report", db=path, json=True).json["support_tiers"][0] == {"support_tier": "Community", "users": 40}


def test_report_colours_only_on_a_terminal_without_no_color(terminal, make_db):
    path = report_db(make_db)
    rc, screen = terminal.run([BIN, "--db", path, "report"], escapes=True)
    assert rc == 0 and "\x1b[36m" in screen and "\u2588" in screen, screen
    rc, screen = terminal.run([BIN, "--db", path, "--no-color", "report"], escapes=True)
    assert rc == 0 and "\x1b[36m" not in screen and "\u2588" in screen, screen
    rc, screen = terminal.run(["env", "NO_COLOR=1", BIN, "--db", path, "report"], escapes=True)
    assert rc == 0 and "\x1b[36m" not in screen and "\u2588" in screen, screen
    # bars as wide as the 120-column terminal
    assert max(len(line) for line in terminal.run([BIN, "--db", path, "report"])[1].splitlines()) > 100

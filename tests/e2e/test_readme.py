"""Every `quicktools ...` line in the sh blocks of the README's user sections (operator, support,
cron, CI) runs against a prepared database and ends with the exit code its comment names
(`# exit N` at the start of the comment; no such comment means 0)."""
import re
import shlex

import pytest

import sqlite3

from conftest import ROOT, query, run_qt

README = ROOT / "README.md"
SECTIONS = {"operator": "### Operator: migration day", "support": "### Support: one user's credits",
            "cron": "### Cron: unattended jobs", "ci": "### CI: the schema check"}


def execute(path, *statements):
    con = sqlite3.connect(str(path))
    with con:
        for statement in statements:
            con.execute(statement)
    con.close()


def section_lines(title):
    """The quicktools command lines of the sh blocks under `title`, up to the next heading."""
    text = README.read_text()
    start = text.index(title + "\n")
    end = min(i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1), len(text)) if i > 0)
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text[start:end], re.S):
        lines += [line.strip() for line in block.splitlines() if line.strip().startswith("quicktools ")]
    return lines


def expected_exit(line):
    comment = re.search(r"\s#\s*(.*)$", line)
    code = re.match(r"exit (\d+)\b", comment.group(1)) if comment else None
    return int(code.group(1)) if code else 0


def run_section(name, tmp_path, env, replacements=(), before=None):
    lines = section_lines(SECTIONS[name])
    assert lines, f"no commands found in {SECTIONS[name]}"
    ran = 0
    for line in lines:
        command = line
        for old, new in replacements:
            command = command.replace(old, new)
        argv = shlex.split(command, comments=True)
        assert argv[0] == "quicktools"
        if before:
            before(line)
        redirect = None
        if ">" in argv:  # `> FILE`: stdout to a file, as the shell would
            redirect = tmp_path / argv[argv.index(">") + 1]
            argv = argv[:argv.index(">")]
        r = run_qt(*argv[1:], env=env, cwd=tmp_path)
        if redirect:
            redirect.write_text(r.out)
        assert r.rc == expected_exit(line), f"{line}\n-> exit {r.rc}\n{r.out}\n{r.err}"
        ran += 1
    return ran


def test_operator_runbook(make_db, tmp_path, stripe_api):
    path = make_db(users=300, state="legacy")
    (tmp_path / "backups").mkdir()
    billing = [row[0] for row in query(path, "SELECT stripe_subscription_id FROM users WHERE subscription_status IN "
                                             "('active', 'trialing', 'past_due') AND stripe_subscription_id <> ''")]
    assert billing, "the prepared database should have billing subscriptions for the runbook to cancel"
    stripe_api.subscriptions.update({sub: "active" for sub in billing})
    env = dict(stripe_api.env(), QUICKTOOLS_DB=str(path))
    ran = run_section("operator", tmp_path, env, [("/var/backups/", f"{tmp_path}/backups/")])
    assert ran >= 9
    # the runbook's --cancel-subscriptions line really cancelled every billing subscription at the stand-in
    assert sorted(c.path for c in stripe_api.calls("DELETE")) == sorted(f"/v1/subscriptions/{s}" for s in billing)
    assert query(path, "SELECT DISTINCT cancel_status FROM quicktools_migrated_users "
                       "WHERE old_subscription_id IS NOT NULL AND old_status IN ('active','trialing','past_due')") \
        == [("canceled",)]
    assert query(path, "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'subscription_tier'") == [(0,)]
    for name in ("quicktools-before-packs.db", "pre-packs.db", "before-drop.db"):
        assert (tmp_path / "backups" / name).exists(), name


@pytest.fixture
def migrated(make_db, tmp_path):
    path = make_db(users=40, state="legacy")
    assert run_qt("migrate", "packs", "--no-backup", db=path).rc == 0
    # the web app used 5 of user 1's credits, so a refund has something to give back
    assert run_qt("credits", "grant", "1", "20", "--reason", "setup", db=path).rc == 0
    execute(path, "UPDATE users SET credits_balance = credits_balance - 5, credits_lifetime_used = "
            "credits_lifetime_used + 5 WHERE id = 1")
    return path


def test_support_playbook(migrated, tmp_path):
    before = query(migrated, "SELECT count(*) FROM quicktools_ledger WHERE user_id = 1")[0][0]
    ran = run_section("support", tmp_path, {"QUICKTOOLS_DB": str(migrated)},
                      [("alice@example.com", "user1@example.com")])
    assert ran == len(section_lines(SECTIONS["support"]))
    kinds = [row[0] for row in query(migrated, "SELECT kind FROM quicktools_ledger WHERE user_id = 1 ORDER BY id")]
    assert kinds[before:] == ["grant", "refund", "debit"], kinds
    assert run_qt("credits", "audit", db=migrated).rc == 0


def test_cron_jobs(migrated, tmp_path):
    ran = run_section("cron", tmp_path, {"QUICKTOOLS_DB": str(migrated)},
                      [("/var/log/", f"{tmp_path}/")])
    assert ran == len(section_lines(SECTIONS["cron"]))
    assert (tmp_path / "quicktools-audit.txt").exists()


def test_ci_schema_check(tmp_path):
    ran = run_section("ci", tmp_path, {})
    assert ran == len(section_lines(SECTIONS["ci"]))
    assert (tmp_path / "ci.db").exists()
    # and the check fails the job on drift
    execute(tmp_path / "ci.db", "DROP INDEX ix_quicktools_ledger_user_id")
    assert run_qt("--db", "ci.db", "db", "verify", cwd=tmp_path).rc == 3

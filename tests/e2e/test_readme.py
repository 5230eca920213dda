"""Every `quicktools ...` line in the sh blocks of README.md and docs/*.md runs against a prepared
database and must end as its comment says.

The convention (README.md, "Who does what"): a comment that starts with `exit N` names the exit
code, and `exit N: TEXT` names what the command says: the first "quoted phrase" of TEXT, or
without quotes all of TEXT, must appear in its stdout or stderr (case and runs of spaces
ignored). Any other comment, or none, means exit 0. A non-zero exit must name its phrase.

The README's four runbooks (operator, support, cron, CI) each have a test below with the
checks of what they leave behind. Every other sh block is one test case, on a fresh sandbox: a
temporary working directory with `quicktools.db` in it (migrated, unless an HTML comment
`<!-- test: STATE [FILE] -->` right above the block says `legacy`, `migrated` or `no-database`
and maybe another file name), the example files the docs name (refunds.csv, events.json, year.ndjson,
generous.json, ...), a Stripe stand-in with the database's billing subscriptions and a few
events, and the docs' example paths and secrets swapped for prepared ones. In a block,
`export NAME=VALUE ...` lines and `NAME=VALUE quicktools ...` prefixes set the environment,
`\\` continues a line, `< FILE` and `> FILE` redirect, `$NAME` expands; lines that start with
anything else (shell scripts, build commands) are not run."""
import datetime
import json
import re
import shlex
import sqlite3
import time

import pytest

import stripe_events
import stripe_objects
from conftest import ROOT, make_database, query, run_qt

README = ROOT / "README.md"
DOCS = [README] + sorted((ROOT / "docs").glob("*.md"))
SECTIONS = {"operator": "### Operator: migration day", "support": "### Support: one user's credits",
            "cron": "### Cron: unattended jobs", "ci": "### CI: the schema check"}
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
DIRECTIVE = re.compile(r"<!-- test: (legacy|migrated|no-database)(?: (\S+))? -->\n\Z")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
WEBHOOK_SECRET = "whsec_readme0123456789abcdef"


def execute(path, *statements):
    con = sqlite3.connect(str(path))
    with con:
        for statement in statements:
            con.execute(statement)
    con.close()


# -- reading the documents --------------------------------------------------------------------

def split_comment(line):
    """(command, comment): the comment starts at the first # outside quotes after a space."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def command_lines(block):
    """The lines of an sh block that the test runs, with `\\` continuations joined."""
    joined, current = [], ""
    for raw in block.splitlines():
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        joined.append((current + raw).strip())
        current = ""
    runnable = []
    for line in joined:
        command, _ = split_comment(line)
        words = command.split()
        while words and ASSIGNMENT.match(words[0]):
            words = words[1:]
        if command.startswith("export ") or (words and words[0] == "quicktools"):
            runnable.append(line)
    return runnable


def section_span(text, title):
    start = text.index(title + "\n")
    end = min(i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1), len(text)) if i > 0)
    return start, end


def section_lines(title):
    """The command lines of the sh blocks of one of the README's sections."""
    text = README.read_text()
    start, end = section_span(text, title)
    return [line for m in FENCE.finditer(text[start:end]) for line in command_lines(m.group(1))]


def doc_blocks():
    """(id, path, directive, lines) of every sh block outside the README's runbooks."""
    blocks = []
    for path in DOCS:
        text = path.read_text()
        skip = [section_span(text, title) for title in SECTIONS.values()] if path == README else []
        for m in FENCE.finditer(text):
            if any(a <= m.start() < b for a, b in skip):
                continue
            lines = command_lines(m.group(1))
            if not lines:
                continue
            directive = DIRECTIVE.search(text[:m.start()])
            state, name = directive.groups() if directive else ("migrated", None)
            lineno = text.count("\n", 0, m.start()) + 1
            blocks.append(pytest.param(path, state, name or "quicktools.db", lines,
                                       id=f"{path.relative_to(ROOT)}:{lineno}"))
    return blocks


def expectation(line):
    """(exit code, phrase or None) that the line's comment names."""
    _, comment = split_comment(line)
    m = re.match(r"exit (\d+)\b(.*)$", comment)
    if not m:
        return 0, None
    code, rest = int(m.group(1)), m.group(2).strip()
    phrase = None
    if rest.startswith(":"):
        text = rest[1:].strip()
        quoted = re.search(r'"([^"]+)"', text)
        phrase = quoted.group(1) if quoted else text
    assert code == 0 or phrase, f"`{line}`: name what the command says, `# exit {code}: \"phrase\"`"
    return code, phrase


def said(phrase, result):
    squeeze = lambda s: " ".join(s.split()).lower()  # noqa: E731
    return squeeze(phrase) in squeeze(result.out + "\n" + result.err)


# -- running them -----------------------------------------------------------------------------

def expand(word, env):
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), word)


def run_line(line, cwd, env, replacements=()):
    """Runs one command line as the shell would; `export` lines update env. The result, or None."""
    command, _ = split_comment(line)
    assert " | " not in command and "$(" not in command.replace("$(date +%F)", ""), \
        f"`{line}`: write it without a pipe or a command substitution, so that the test can run it"
    for old, new in replacements:
        command = command.replace(old, new)
    words = shlex.split(command)
    if words[0] == "export":
        for word in words[1:]:
            name, value = word.split("=", 1)
            env[name] = expand(value, env)
        return None
    local = dict(env)
    while ASSIGNMENT.match(words[0]):
        name, value = words.pop(0).split("=", 1)
        local[name] = expand(value, env)
    assert words[0] == "quicktools", line
    args, stdin, stdout = [], None, None
    words = iter(words[1:])
    for word in words:
        if word == "<":
            stdin = (cwd / expand(next(words), local)).read_text()
        elif word == ">":
            stdout = cwd / expand(next(words), local)
        else:
            args.append(expand(word, local))
    r = run_qt(*args, env=local, cwd=cwd, input=stdin)
    if stdout:
        stdout.write_text(r.out)
    return r


def check(line, r):
    code, phrase = expectation(line)
    shown = f"{line}\n-> exit {r.rc}\n--- stdout\n{r.out}\n--- stderr\n{r.err}"
    assert r.rc == code, shown
    if phrase:
        assert said(phrase, r), f"the comment's phrase \"{phrase}\" is not in what it said:\n{shown}"


def run_section(name, tmp_path, env, replacements=(), before=None):
    lines = section_lines(SECTIONS[name])
    assert lines, f"no commands found in {SECTIONS[name]}"
    env, ran = dict(env), 0
    for line in lines:
        if before:
            before(line)
        r = run_line(line, tmp_path, env, replacements)
        if r is not None:
            check(line, r)
            ran += 1
    return ran


# -- the checker itself -----------------------------------------------------------------------

def test_exit_comments_are_read_as_documented():
    assert expectation('quicktools x   # exit 4: "below zero", nothing changed') == (4, "below zero")
    assert expectation("quicktools x   # exit 2: bad amount") == (2, "bad amount")
    assert expectation("quicktools x   # drift fails the job (exit 3)") == (0, None)
    assert expectation('quicktools x --reason "a # b"') == (0, None)
    with pytest.raises(AssertionError, match="name what the command says"):
        expectation("quicktools x   # exit 2")
    r = run_qt("credits", "debit", "1", "100000", "--reason", "typo", db="nowhere.db")
    # the README's old comment: exit 2 is right, but it came from the amount limit
    assert r.rc == 2 and not said("would go below zero", r) and said("above the LIMIT of  50000", r)


# -- the README's runbooks --------------------------------------------------------------------

def billing_subscriptions(path):
    return [row[0] for row in query(path, "SELECT stripe_subscription_id FROM users WHERE subscription_status IN "
                                          "('active', 'trialing', 'past_due') AND stripe_subscription_id <> ''")]


def test_operator_runbook(make_db, tmp_path, stripe_api):
    path = make_db(users=300, state="legacy")
    (tmp_path / "backups").mkdir()
    billing = billing_subscriptions(path)
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


# -- every other sh block ---------------------------------------------------------------------

def policy_from_docs():
    """The policy file docs/commands.md shows as generous.json."""
    text = (ROOT / "docs" / "commands.md").read_text()
    policies = [b for b in re.findall(r"^```json\n(.*?)^```", text, re.S | re.M) if '"name": "generous"' in b]
    assert len(policies) == 1, "docs/commands.md should show one policy file named generous"
    return policies[0]


def signature(secret, body, t):
    import hashlib
    import hmac
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def sandbox(tmp_path, stripe_api, state, name):
    """The working directory, environment and replacements of one block."""
    db = tmp_path / name
    if state != "no-database":
        make_database(db, users=50, state="legacy")
        stripe_api.subscriptions.update({sub: "active" for sub in billing_subscriptions(db)})
    if state == "migrated":
        assert run_qt("migrate", "packs", "--no-backup", db=db).rc == 0
        # users 1-10 bought credits and used 10 of them, as the web app writes it
        (tmp_path / "setup.csv").write_text("user,action,amount,reason\n" +
                                            "".join(f"{u},grant,30,setup\n" for u in range(1, 11)))
        assert run_qt("credits", "import", tmp_path / "setup.csv", db=db).rc == 0
        execute(db, "UPDATE users SET credits_balance = credits_balance - 10, "
                    "credits_lifetime_used = credits_lifetime_used + 10 WHERE id <= 10")
    (tmp_path / "backups").mkdir()
    (tmp_path / "stripe.key").write_text(stripe_api.env()["STRIPE_API_KEY"] + "\n")
    (tmp_path / "refunds.csv").write_text(
        "user,action,amount,reason,idempotency_key\n"
        "user3@example.com,refund,5,\"task 990 failed\",ticket-4600\n"
        "4,grant,10,\"outage, 2 hours\",\n")
    (tmp_path / "more-refunds.csv").write_text("user,action,amount,reason\n5,refund,4,\"task 991 failed\"\n")
    (tmp_path / "bad-refunds.csv").write_text("user,action,amount,reason\n6,grant,5,ok\n7,grant,1e3,typo\n")
    (tmp_path / "generous.json").write_text(policy_from_docs())
    stripe_events.write(tmp_path / "events.json", [stripe_events.completed(3, "starter"),
                                                   stripe_events.completed(4, "pro")])
    stripe_events.write(tmp_path / "day1.ndjson", [stripe_events.completed(5, "standard")], fmt="ndjson")
    stripe_events.write(tmp_path / "day2.json", [stripe_events.completed(6, "starter")], fmt="array")
    stripe_events.write(tmp_path / "live-events.json", [stripe_events.completed(8, "starter", livemode=True)])
    stripe_events.write(tmp_path / "year.ndjson", [stripe_events.completed(uid, "starter") for uid in (2, 3, 4)],
                        fmt="ndjson")
    (tmp_path / "truncated.json").write_text((tmp_path / "events.json").read_text()[:-40])
    now = int(time.time())
    for uid, pack in ((9, "starter"), (10, "business")):
        event = stripe_events.completed(uid, pack)
        stripe_api.add_event(event["type"], event["data"]["object"], now - 3600)
    # A pro pack user 7 paid that no event reported (docs: stripe reconcile, credits refund-purchase).
    unreported = stripe_events.session(7, "pro", id="cs_test_a1ReadmeUnreported0001")
    unreported["created"] = now - 7200
    stripe_api.add(unreported)
    stripe_api.add(stripe_objects.charge(payment_intent=unreported["payment_intent"], amount=3000))
    body = json.dumps(stripe_events.completed(2, "starter")).encode()
    (tmp_path / "body.json").write_bytes(body)
    env = dict(stripe_api.env(), SIG=signature(WEBHOOK_SECRET, body, now))
    replacements = [("/var/backups/", f"{tmp_path}/backups/"), ("/srv/app/quicktools.db", str(db)),
                    ("/etc/quicktools/stripe.key", str(tmp_path / "stripe.key")),
                    ("/var/log/", f"{tmp_path}/"), ("$(date +%F)", datetime.date.today().isoformat()),
                    ("sk_test_...", env["STRIPE_API_KEY"]), ("whsec_...", WEBHOOK_SECRET),
                    ("alice@example.com", "user1@example.com")]
    return env, replacements


@pytest.mark.parametrize("path,state,name,lines", doc_blocks())
def test_doc_block(path, state, name, lines, tmp_path, stripe_api):
    env, replacements = sandbox(tmp_path, stripe_api, state, name)
    ran = 0
    for line in lines:
        r = run_line(line, tmp_path, env, replacements)
        if r is not None:
            check(line, r)
            ran += 1
    assert ran, f"{path.name}: a block of exports only"


def test_docs_hold_runnable_blocks():
    """The reference is checked too: each file in docs/ that shows commands has blocks here."""
    ids = {p.id.split(":")[0] for p in doc_blocks()}
    for name in ("README.md", "docs/commands.md"):
        assert name in ids, sorted(ids)
    assert sum(1 for p in doc_blocks() if p.id.startswith("docs/")) >= 8


def anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_documents_resolve():
    """Every relative link of README.md and docs/ names a file of the repository, and a heading
    of it when it has a #fragment."""
    checked = 0
    for path in DOCS:
        text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, fragment = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            assert linked.is_file() and ROOT in linked.parents, f"{path.name}: {target} names no file"
            if fragment:
                headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
                assert fragment in {anchor(h) for h in headings}, f"{path.name}: no heading #{fragment} in {file}"
            checked += 1
    assert checked >= 20

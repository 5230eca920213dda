"""A stand-in for the web app, for the live-writer tests: a thread with its own connection (a
sqlite3 one with a busy timeout, or on a postgresql:// URL a psql session, PsqlSession) that
keeps writing `users` exactly as the app does, one short transaction per write, and counts
exactly what it committed.

    with WebApp(path, user_ids=range(1, 401)) as app:   # waits until it has committed some writes
        r = run_qt(...)                                  # the tool's long write, meanwhile
    app.delta[uid]      -> [balance, purchased, used] the app's committed writes added
    app.commits_between(t0, t1), app.longest_wait, app.counts

The app's writes keep the credit invariant: usage = balance - n and lifetime_used + n (only when
the balance covers n); its purchase webhook = balance + c, purchased_total + c, last purchase
date and amount, API access for pro and business, and the session recorded in
quicktools_checkout_sessions (credited_by 'webapp', README "Stripe events") -- crediting only
when that insert happened, so a session the tool credited first is not credited again;
sign-ups = a new user with the column default of 10 credits.

On PostgreSQL the same writes, the session recorded with INSERT ... ON CONFLICT DO NOTHING (the
UPDATE crediting only when it inserted, in one statement); a transaction waits for the rows
the tool's transaction holds (no lock_timeout) as the SQLite one waits for the file's lock.

hold_lock(path, seconds) holds the write lock (PostgreSQL: a user's row) as a long app
transaction would (lock tests); run_through_brief_lock(path, *args) shows the tool waits for
one and then does its work.
"""
import itertools
import os
import random
import sqlite3
import subprocess
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone

from conftest import Result, is_url, pg_bind, pg_literal, start_qt
import pg_cluster  # noqa: E402  (tests/tools, on sys.path through conftest)
from stripe_events import CREDITS, PRICES
# Columns a legacy-era users row needs (NOT NULL without a default), for sign-ups before the drop.
LEGACY_SIGNUP = {"subscription_tier": "free", "monthly_credits": 10, "credits_used_this_month": 0}


class PsqlSession:
    """The web app's own connection to PostgreSQL, as a psql process on pipes (the suite has no
    Python driver): run(sql) sends statements (several at once, a transaction left open across
    calls if need be) and returns the rows they printed, each a list of text fields."""
    END = "__psql_session_end__"

    def __init__(self, url):
        self.p = subprocess.Popen([os.path.join(pg_cluster.bindir(), "psql"), "-X", "-q", "-A", "-t", "-F", "|",
                                   "-v", "ON_ERROR_STOP=1", "-d", str(url)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=pg_cluster.clean_env())

    def run(self, sql):
        self.p.stdin.write(f"{sql}\n\\echo {self.END}\n")
        self.p.stdin.flush()
        rows = []
        while True:
            line = self.p.stdout.readline()
            if not line:  # psql stopped at an error (ON_ERROR_STOP): what it printed says which
                raise RuntimeError(f"psql: {' '.join('|'.join(r) for r in rows)}")
            if line.rstrip("\n") == self.END:
                return rows
            rows.append(line.rstrip("\n").split("|"))

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def now_stamp():
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


class WebApp(threading.Thread):
    def __init__(self, path, user_ids, sessions=(), pause=0.002, seed=1, signups=True, busy_timeout=60):
        """sessions: (session_id, user_id, pack) the app's webhook also receives (the same purchases
        the tool is replaying); it credits each once unless the tool recorded it first."""
        super().__init__(daemon=True)
        self.path, self.user_ids, self.pause, self.signups = str(path), list(user_ids), pause, signups
        self.busy_timeout = busy_timeout
        self.rnd = random.Random(seed)
        self.pending_sessions = list(sessions)
        self.shared = {s[0] for s in sessions}
        self.rnd.shuffle(self.pending_sessions)
        self.delta = defaultdict(lambda: [0, 0, 0])      # uid -> [balance, purchased, used]
        self.lowest = defaultdict(int)                     # uid -> the lowest the balance delta went
        self.api_unlocked = set()                          # users the app's purchases unlocked
        self.new_users = []                                # ids of sign-ups
        self.credited = set()                              # sessions the app credited
        self.skipped = set()                               # shared sessions the tool had credited first
        self.counts = {"use": 0, "buy": 0, "signup": 0, "refused": 0}
        self.commit_times = []
        self.spans = []                                    # (began, committed) of every write
        self.longest_wait = 0.0
        self.errors = []
        self._halt = threading.Event()
        self._ids = itertools.count(1)

    # -- running -----------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        self.wait_for(20)
        return self

    def __exit__(self, *exc):
        self.wait_for(len(self.commit_times) + 20, drain=True)
        self._halt.set()
        self.join()
        assert not self.errors, self.errors

    def deliver(self, sessions):
        """More sessions reach the app's webhook from now on (list appends are atomic in CPython)."""
        self.shared |= {s[0] for s in sessions}
        self.pending_sessions[:0] = sessions

    def wait_for(self, commits, drain=False):
        """Until `commits` writes are committed (and, with drain, every shared session handled)."""
        deadline = time.monotonic() + 60
        while len(self.commit_times) < commits or (drain and self.pending_sessions):
            assert not self.errors and self.is_alive(), self.errors
            assert time.monotonic() < deadline, "the web app stand-in stopped writing"
            time.sleep(0.005)

    def run(self):
        if is_url(self.path):
            con = PsqlSession(self.path)  # the test server runs without fsync (pg_cluster fast=True)
        else:
            con = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            # The same transactions and locks, without an fsync per commit: hundreds of writes a
            # second instead of about 60 on the test machine's disk.
            con.execute("PRAGMA synchronous = OFF")
        try:
            while not self._halt.is_set():
                self.one_write(con)
                time.sleep(self.pause)  # a busy app still leaves gaps; SQLite's lock is not fair
        except Exception as e:  # noqa: BLE001 -- reported by __exit__/wait_for
            self.errors.append(repr(e))
        finally:
            con.close()

    def one_write(self, con):
        r = self.rnd.random()
        if self.pending_sessions and r < 0.3:
            self.buy(con, *self.pending_sessions.pop())
        elif r < 0.75:
            self.use(con, self.rnd.choice(self.user_ids), self.rnd.randint(1, 5))
        elif r < 0.9 or not self.signups:
            pack = self.rnd.choice(list(CREDITS))
            self.buy(con, f"cs_webapp_{id(self):x}_{next(self._ids)}", self.rnd.choice(self.user_ids), pack)
        else:
            self.signup(con)

    def transaction(self, con, work):
        """BEGIN IMMEDIATE (waiting for the lock), the work, COMMIT; returns what work returned.
        On PostgreSQL: BEGIN, the work (waiting for the rows it writes), COMMIT; an error ends
        the psql session (ON_ERROR_STOP), and so the app (self.errors)."""
        started = time.monotonic()
        if isinstance(con, PsqlSession):
            con.run("BEGIN;")
            out = work()
            con.run("COMMIT;")
        else:
            con.execute("BEGIN IMMEDIATE")
            try:
                out = work()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        done = time.monotonic()
        self.longest_wait = max(self.longest_wait, done - started)
        self.spans.append((started, done))
        self.commit_times.append(done)
        return out

    # -- the app's writes --------------------------------------------------------------------
    def use(self, con, uid, n):
        sql = ("UPDATE users SET credits_balance = credits_balance - ?, "
               "credits_lifetime_used = credits_lifetime_used + ? WHERE id = ? AND credits_balance >= ?")
        if isinstance(con, PsqlSession):
            used = len(self.transaction(con, lambda: con.run(pg_bind(sql + " RETURNING id;", (n, n, uid, n)))))
        else:
            used = self.transaction(con, lambda: con.execute(sql, (n, n, uid, n))).rowcount
        if used == 1:
            self.counts["use"] += 1
            self.delta[uid][0] -= n
            self.delta[uid][2] += n
            self.lowest[uid] = min(self.lowest[uid], self.delta[uid][0])
        else:
            self.counts["refused"] += 1  # not enough credits: the app refuses the call

    def buy(self, con, session_id, uid, pack):
        credits = CREDITS[pack]

        def webhook_pg():
            """The session's insert and the credit in one statement: the UPDATE runs only for a row inserted."""
            return len(con.run(pg_bind(
                "WITH recorded AS (INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, "
                "amount_total, payment_intent, credited_by, credited_at) VALUES (?, ?, ?, ?, ?, ?, 'webapp', ?) "
                "ON CONFLICT (session_id) DO NOTHING RETURNING user_id) "
                "UPDATE users SET credits_balance = credits_balance + ?, credits_purchased_total = "
                "credits_purchased_total + ?, last_purchase_date = ?, last_purchase_amount = ?, "
                "api_access_unlocked = api_access_unlocked OR ? "
                "WHERE id = (SELECT user_id FROM recorded) RETURNING id;",
                (session_id, uid, pack, credits, PRICES[pack], f"pi_{session_id}", now_stamp(), credits, credits,
                 now_stamp(), credits, pack in ("pro", "business"))))) == 1

        def webhook():
            recorded = con.execute(
                "INSERT OR IGNORE INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, "
                "payment_intent, credited_by, credited_at) VALUES (?, ?, ?, ?, ?, ?, 'webapp', ?)",
                (session_id, uid, pack, credits, PRICES[pack], f"pi_{session_id}", now_stamp())).rowcount
            if recorded:
                con.execute(
                    "UPDATE users SET credits_balance = credits_balance + ?, credits_purchased_total = "
                    "credits_purchased_total + ?, last_purchase_date = ?, last_purchase_amount = ?, "
                    "api_access_unlocked = CASE WHEN ? THEN 1 ELSE api_access_unlocked END WHERE id = ?",
                    (credits, credits, now_stamp(), credits, pack in ("pro", "business"), uid))
            return recorded

        if self.transaction(con, webhook_pg if isinstance(con, PsqlSession) else webhook):
            self.counts["buy"] += 1
            self.credited.add(session_id)
            self.delta[uid][0] += credits
            self.delta[uid][1] += credits
            if pack in ("pro", "business"):
                self.api_unlocked.add(uid)
        else:
            self.skipped.add(session_id)

    def signup(self, con):
        n = next(self._ids)

        def insert():
            # Whatever the users table needs right now: the tool may drop columns meanwhile.
            cols = {r[1]: r for r in con.execute("PRAGMA table_info(users)")}
            values = {"email": f"signup-{id(self):x}-{n}@example.com", "hashed_password": "x", "is_active": 1,
                      "created_at": now_stamp()}
            values.update({c: v for c, v in LEGACY_SIGNUP.items() if c in cols})
            names = ", ".join(values)
            marks = ", ".join("?" * len(values))
            return con.execute(f"INSERT INTO users ({names}) VALUES ({marks})", list(values.values())).lastrowid

        def insert_pg():
            # The table's lock that the INSERT takes, first: a drop of columns has committed or waits.
            cols = {r[0] for r in con.run("LOCK TABLE users IN ROW EXCLUSIVE MODE; SELECT column_name FROM "
                                          "information_schema.columns WHERE table_schema = 'public' AND "
                                          "table_name = 'users';")}
            values = {"email": f"signup-{id(self):x}-{n}@example.com", "hashed_password": "x", "is_active": True,
                      "created_at": now_stamp()}
            values.update({c: v for c, v in LEGACY_SIGNUP.items() if c in cols})
            [[uid]] = con.run(f"INSERT INTO users ({', '.join(values)}) VALUES "
                              f"({', '.join(map(pg_literal, values.values()))}) RETURNING id;")
            return int(uid)

        uid = self.transaction(con, insert_pg if isinstance(con, PsqlSession) else insert)
        self.counts["signup"] += 1
        self.new_users.append(uid)

    # -- figures -----------------------------------------------------------------------------
    def commits_between(self, start, end):
        return sum(1 for t in self.commit_times if start <= t <= end)

    def in_flight_between(self, start, end):
        """Committed writes that began before `end` and committed after `start`: the app was
        writing (or waiting for the lock to write) while the tool ran, and its write landed."""
        return sum(1 for began, done in self.spans if began <= end and done >= start)

    @property
    def committed(self):
        return len(self.commit_times)


def hold_lock(path, seconds, commit=True, uid=None):
    """A thread that takes the write lock with the app's usage write of one credit (of user `uid`,
    or of the first user who has one) and keeps it `seconds` or until its `release` event is set,
    then commits (or rolls back); holding the lock when this returns. Afterwards the sum of
    credits_lifetime_used is 1 more when it committed. On PostgreSQL the lock is that user's row:
    the tool waits for it when it writes that user."""
    started = threading.Event()
    sql = ("UPDATE users SET credits_balance = credits_balance - 1, credits_lifetime_used = credits_lifetime_used + 1 "
           "WHERE id = (SELECT min(id) FROM users WHERE credits_balance >= 1"
           + ("" if uid is None else f" AND id = {int(uid)}") + ")")

    def hold():
        if is_url(path):
            con = PsqlSession(path)
            [[updated]] = con.run(f"BEGIN; WITH u AS ({sql} RETURNING id) SELECT count(*) FROM u;")
            assert updated == "1", f"no user {uid} with a credit to use"
            started.set()
            t.release.wait(seconds)
            con.run("COMMIT;" if commit else "ROLLBACK;")
            con.close()
            return
        con = sqlite3.connect(str(path), isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute(sql)
        started.set()
        t.release.wait(seconds)
        con.execute("COMMIT" if commit else "ROLLBACK")
        con.close()

    t = threading.Thread(target=hold)
    t.release = threading.Event()
    t.start()
    assert started.wait(60), "the app's write lock was not taken"
    return t


def run_through_brief_lock(path, *args, env=None, busy_timeout_ms=60_000, uid=None):
    """Takes the write lock with the app's usage write (of user uid, as hold_lock), starts the
    tool, and only once the tool has been running a second (so it met the lock, however slowly
    the machine starts it) commits the write. Returns (whether the tool was still waiting then,
    its Result)."""
    holder = hold_lock(path, 120, uid=uid)
    p = start_qt("--busy-timeout", busy_timeout_ms, *args, db=path, env=env)
    try:
        time.sleep(1.0)
        waiting = p.poll() is None
    finally:
        holder.release.set()
        holder.join()
    out, err = p.communicate(timeout=120)
    return waiting, Result(p.returncode, out, err)

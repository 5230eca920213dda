#!/usr/bin/env python3
"""Make a quicktools.db for tests and benchmarks, in any state the tool must handle.

    make_legacy_db.py OUT.db [--users N] [--seed S] [--state legacy|credit-packs|final]
                             [--tasks-per-user K] [--drift]
    make_legacy_db.py postgresql://USER@HOST:PORT/DBNAME [same options]

Schema: the tool's own sql/sqlite/migrations/001_legacy_schema.sql (the web app's subscription
schema). Values as the web app wrote them
(SQLAlchemy): DATETIME 'YYYY-MM-DD HH:MM:SS.ffffff', BOOLEAN 0/1. Tier mix 80% free, 10% basic,
7% pro, 3% business; statuses active/trialing/past_due/canceled; the same seed gives the same file.
--state credit-packs adds the six credit-pack columns as the earlier one-off script did
(balance = unused allowance, API for active/trialing pro/business); --state final drops the
subscription columns after that. --drift adds objects the tool does not own (a table, a
column, an index, a view, a trigger) that every command must keep intact.

Given a postgresql:// URL, the same rows go to that PostgreSQL database, with the schema
SQLAlchemy creates there (sql/postgres/migrations/: SERIAL ids, TIMESTAMP, real BOOLEANs),
through psql (COPY FROM STDIN, one transaction). The database is created when it does not
exist (connecting to the server's `postgres` database); one that has tables is refused.
"""
import argparse, os, random, shutil, sqlite3, subprocess, sys
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit, urlunsplit

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, "..", "..", "sql", "migrations")
PG_SQL = os.path.join(HERE, "..", "..", "sql", "postgres", "migrations")
DEPRECATED = ("subscription_tier", "subscription_status", "stripe_subscription_id", "monthly_credits",
              "credits_used_this_month", "credits_reset_date")
USER_COLUMNS = ("id, email, hashed_password, full_name, is_active, created_at, stripe_customer_id, subscription_tier, "
                "subscription_status, stripe_subscription_id, monthly_credits, credits_used_this_month, "
                "credits_reset_date")
TIERS = [("free", 10, 0.80), ("basic", 200, 0.10), ("pro", 1000, 0.07), ("business", 5000, 0.03)]
STATUSES = ["active"] * 8 + ["trialing", "past_due", "canceled"]


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def users(n, rng):
    base = datetime(2025, 1, 1)
    for uid in range(1, n + 1):
        r, acc = rng.random(), 0.0
        for tier, allowance, share in TIERS:
            acc += share
            if r < acc:
                break
        paid = tier != "free"
        status = rng.choice(STATUSES) if paid else None
        yield (uid, f"user{uid}@example.com", "$2b$12$" + "x" * 53, f"User {uid}", 1,
               stamp(base + timedelta(seconds=rng.randrange(0, 400 * 86400))),
               f"cus_{uid:014d}" if paid else None, tier, status,
               f"sub_{uid:014d}" if paid and status != "canceled" else None,
               allowance, rng.randrange(0, allowance + 1), stamp(datetime(2026, 12, 1)))


def is_postgres(target):
    return target.startswith(("postgresql://", "postgres://"))


def sqlite_migration(name):
    """A SQLite migration file, where it is (sql/migrations/, or sql/sqlite/migrations/)."""
    for folder in (SQL, os.path.join(HERE, "..", "..", "sql", "sqlite", "migrations")):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit(f"no {name} under sql/")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="a SQLite file to create, or a postgresql:// URL")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--state", choices=["legacy", "credit-packs", "final"], default="legacy")
    ap.add_argument("--tasks-per-user", type=int, default=0)
    ap.add_argument("--drift", action="store_true")
    a = ap.parse_args()
    if is_postgres(a.out):
        make_postgres(a)
        return
    if os.path.exists(a.out):
        sys.exit(f"{a.out} exists; refusing to overwrite")
    rng = random.Random(a.seed)
    db = sqlite3.connect(a.out, isolation_level=None)
    db.executescript(open(sqlite_migration("001_legacy_schema.sql")).read())
    db.execute("BEGIN")
    db.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", users(a.users, rng))
    db.execute("""INSERT INTO api_keys (user_id, name, key_prefix, key_hash, created_at, is_active)
                  SELECT id, 'default', 'qt_' || id, 'hash' || id, created_at, 1
                  FROM users WHERE subscription_tier IN ('pro', 'business') ORDER BY id""")
    for _ in range(a.tasks_per_user):
        db.execute("""INSERT INTO tasks (user_id, tool, status, credits_charged, created_at)
                      SELECT id, 'pdf-merge', 'done', 1, created_at FROM users ORDER BY id""")
    if a.state != "legacy":
        for line in open(sqlite_migration("002_credit_pack_columns.sql")):
            if line.startswith("ALTER"):
                db.execute(line)
        db.execute("""UPDATE users SET credits_balance = max(monthly_credits - credits_used_this_month, 0),
                      api_access_unlocked = (subscription_tier IN ('pro','business')
                                             AND subscription_status IN ('active','trialing'))""")
    if a.state == "final":
        for col in DEPRECATED:
            db.execute(f"ALTER TABLE users DROP COLUMN {col}")
    if a.drift:
        db.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, user_id INTEGER, note TEXT)")
        db.execute("INSERT INTO audit_log (user_id, note) SELECT id, 'created' FROM users ORDER BY id")
        db.execute("ALTER TABLE users ADD COLUMN marketing_opt_in BOOLEAN NOT NULL DEFAULT 0")
        db.execute("CREATE INDEX ix_users_created_at ON users (created_at)")
        db.execute("CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active")
        db.execute("""CREATE TRIGGER users_audit AFTER INSERT ON users
                      BEGIN INSERT INTO audit_log (user_id, note) VALUES (new.id, 'signup'); END""")
    db.execute("COMMIT")
    db.close()


# --- PostgreSQL ---------------------------------------------------------------------------

def psql(url, sql, **kw):
    exe = shutil.which("psql") or sys.exit("psql not found (Debian's postgresql-client)")
    p = subprocess.run([exe, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url], input=sql, text=True,
                       capture_output=True, **kw)
    if p.returncode != 0:
        sys.exit(f"psql: {p.stderr.strip()}")
    return p.stdout


def literal(text):
    return "'" + text.replace("'", "''") + "'"


def copy_value(v):
    """A value in COPY's text format (the generated values hold no tabs, newlines or backslashes)."""
    if v is None:
        return "\\N"
    return str(v)


def make_postgres(a):
    parts = urlsplit(a.out)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        sys.exit(f"{a.out}: the URL names no database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    if not psql(admin, f"SELECT 1 FROM pg_database WHERE datname = {literal(dbname)}").strip():
        psql(admin, "CREATE DATABASE " + '"' + dbname.replace('"', '""') + '"')
    elif psql(a.out, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = 'public'").strip() != "0":
        sys.exit(f"database {dbname} is not empty; refusing to add to it")
    rng = random.Random(a.seed)
    exe = shutil.which("psql") or sys.exit("psql not found (Debian's postgresql-client)")
    p = subprocess.Popen([exe, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", a.out], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    w = p.stdin.write
    w("BEGIN;\n")
    w(open(os.path.join(PG_SQL, "001_legacy_schema.sql")).read())
    w(f"\nCOPY users ({USER_COLUMNS}) FROM STDIN;\n")
    for row in users(a.users, rng):
        row = list(row)
        row[4] = "t" if row[4] else "f"
        w("\t".join(copy_value(v) for v in row) + "\n")
    w("\\.\n")
    w("SELECT setval(pg_get_serial_sequence('users', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM users;\n")
    w("""INSERT INTO api_keys (user_id, name, key_prefix, key_hash, created_at, is_active)
         SELECT id, 'default', 'qt_' || id, 'hash' || id, created_at, true
         FROM users WHERE subscription_tier IN ('pro', 'business') ORDER BY id;\n""")
    for _ in range(a.tasks_per_user):
        w("""INSERT INTO tasks (user_id, tool, status, credits_charged, created_at)
             SELECT id, 'pdf-merge', 'done', 1, created_at FROM users ORDER BY id;\n""")
    if a.state != "legacy":
        w(open(os.path.join(PG_SQL, "002_credit_pack_columns.sql")).read())
        w("""\nUPDATE users SET credits_balance = greatest(monthly_credits - credits_used_this_month, 0),
             api_access_unlocked = (subscription_tier IN ('pro', 'business')
                                    AND subscription_status IN ('active', 'trialing'));\n""")
    if a.state == "final":
        w("ALTER TABLE users " + ", ".join(f"DROP COLUMN {c}" for c in DEPRECATED) + ";\n")
    if a.drift:
        w("""CREATE TABLE audit_log (id SERIAL PRIMARY KEY, user_id INTEGER, note TEXT);
             INSERT INTO audit_log (user_id, note) SELECT id, 'created' FROM users ORDER BY id;
             ALTER TABLE users ADD COLUMN marketing_opt_in BOOLEAN NOT NULL DEFAULT false;
             CREATE INDEX ix_users_created_at ON users (created_at);
             CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active;
             CREATE FUNCTION users_audit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO audit_log (user_id, note) VALUES (NEW.id, 'signup'); RETURN NEW; END $$;
             CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_audit();\n""")
    w("COMMIT;\nANALYZE;\n")
    p.stdin.close()
    if p.wait() != 0:
        sys.exit(f"psql failed loading {dbname}")


if __name__ == "__main__":
    main()

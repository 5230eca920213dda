"""The suite's own PostgreSQL server (tests/tools/pg_cluster.py) and its fixtures: it starts,
listens on 127.0.0.1 only, runs as an unprivileged user when the suite runs as root, checks
the password user's password, gives each test its own database, goes away with its process
however that ends, and the legacy generator puts the same rows on both engines."""
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import pg_cluster
from conftest import ROOT, dump, is_url, make_target, query

TABLES = ["users", "api_keys", "tasks"]


def psql(pg, *args, env=None, user=None):
    cmd = [os.path.join(pg_cluster.bindir(), "psql"), "-X", "-A", "-t", "-w", "-h", pg.host, "-p", str(pg.port),
           "-U", user or pg.superuser, "-d", "postgres", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env={**pg_cluster.clean_env(), **(env or {})})


def listening_addresses(port):
    """Local addresses with a listening TCP socket on port, from /proc/net/tcp and tcp6."""
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(name):
            continue
        with open(name) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                addr, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                    found.append(addr)
    return found


def test_server_is_postgresql_15_and_answers(pg_server):
    p = psql(pg_server, "-c", "SELECT current_setting('server_version_num')::int / 10000, current_user")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "15|postgres"


def test_listens_on_127_0_0_1_only(pg_server):
    assert psql(pg_server, "-c", "SHOW listen_addresses").stdout.strip() == "127.0.0.1"
    # One listening socket on the port, bound to 127.0.0.1 (0100007F in /proc's byte order).
    assert listening_addresses(pg_server.port) == ["0100007F"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", pg_server.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", pg_server.port), timeout=5).close()
    # Its unix socket is in its own folder, not in /var/run/postgresql.
    assert os.path.exists(os.path.join(pg_server.socket_dir, f".s.PGSQL.{pg_server.port}"))


def test_runs_as_an_unprivileged_user_when_the_suite_is_root(pg_server):
    owner = os.stat(f"/proc/{pg_server.server_pid()}").st_uid
    if os.geteuid() == 0:
        assert owner != 0 and owner == pg_server.as_user[0]
    else:
        assert owner == os.geteuid()


def test_password_user_needs_its_password(pg_server):
    user = pg_server.password_user
    ok = psql(pg_server, "-c", "SELECT current_user", user=user, env={"PGPASSWORD": pg_server.password})
    assert ok.returncode == 0 and ok.stdout.strip() == user
    missing = psql(pg_server, "-c", "SELECT 1", user=user)
    assert missing.returncode != 0 and "no password supplied" in missing.stderr
    wrong = psql(pg_server, "-c", "SELECT 1", user=user, env={"PGPASSWORD": "not-it"})
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    # The password in the URL works too, and the default URL carries none.
    assert psql(pg_server, "-c", "SELECT 1", user=user).returncode != 0
    assert pg_server.password not in pg_server.url("postgres", user=user)
    p = subprocess.run([os.path.join(pg_cluster.bindir(), "psql"), "-X", "-At", "-w", "-c", "SELECT 2",
                        pg_server.url("postgres", user=user, password=pg_server.password)],
                       capture_output=True, text=True, env=pg_cluster.clean_env())
    assert p.returncode == 0 and p.stdout.strip() == "2"


def test_pg_url_is_a_fresh_empty_database_of_its_own(pg_url, make_db):
    assert pg_url.startswith("postgresql://postgres@127.0.0.1:")
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    other = make_db("postgres", users=3)
    assert other != pg_url and is_url(other)
    query(pg_url, "CREATE TABLE users (id INTEGER PRIMARY KEY, note TEXT)")
    query(pg_url, "INSERT INTO users VALUES (?, ?)", (1, "it's mine"))
    assert query(pg_url, "SELECT id, note FROM users") == [(1, "it's mine")]
    assert query(other, "SELECT count(*) FROM users") == [(3,)]
    assert query(other, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'") == [(1,)]


def test_a_test_database_is_dropped_afterwards(pg_server, tmp_path):
    from conftest import drop_pg_database
    url = make_target("postgres", tmp_path, users=2)
    name = url.rsplit("/", 1)[1]
    exists = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    assert pg_server.psql("postgres", exists).stdout.strip() == "1"
    drop_pg_database(url)
    assert pg_server.psql("postgres", exists).stdout.strip() == "0"


def test_engine_fixture_gives_a_target_on_each_engine(engine, make_db):
    db = make_db(engine, users=7, state="credit-packs")
    assert is_url(db) == (engine == "postgres")
    assert query(db, "SELECT count(*), sum(credits_balance) FROM users WHERE id <= ?", (7,))[0][0] == 7


def test_server_and_folder_go_away_when_their_process_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT / 'tests' / 'tools')!r})
        import pg_cluster
        pg = pg_cluster.Cluster().start()
        print(pg.dir, pg.server_pid(), flush=True)
        time.sleep(600)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    folder, pid = p.stdout.readline().split()
    assert os.path.isdir(folder) and os.path.exists(f"/proc/{pid}")
    p.kill()
    p.wait()
    deadline = time.monotonic() + 30
    while (os.path.exists(folder) or os.path.exists(f"/proc/{pid}")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(folder)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_stop_removes_the_folder_and_the_server():
    pg = pg_cluster.Cluster().start()
    folder, pid = pg.dir, pg.server_pid()
    pg.stop()
    assert not os.path.exists(folder)
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def columns(db, table):
    if is_url(db):
        return [r[0] for r in query(db, "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                        "ORDER BY ordinal_position", (table,))]
    return [r[1] for r in query(db, f"PRAGMA table_info({table})")]


@pytest.mark.parametrize("state,drift", [("legacy", False), ("credit-packs", False), ("final", True)])
def test_generator_writes_the_same_rows_on_both_engines(make_db, state, drift):
    lite = make_db("sqlite", users=300, state=state, drift=drift, seed=11, tasks_per_user=2)
    pg = make_db("postgres", users=300, state=state, drift=drift, seed=11, tasks_per_user=2)
    for table in TABLES + (["audit_log"] if drift else []):
        assert columns(lite, table) == columns(pg, table)
        rows = f"SELECT * FROM {table} ORDER BY id"
        assert query(lite, rows) == query(pg, rows), table
    assert len(query(pg, "SELECT * FROM users")) == 300
    if drift:  # the drift's view and trigger work on PostgreSQL as on SQLite
        assert query(pg, "SELECT count(*) FROM active_users") == query(lite, "SELECT count(*) FROM active_users")
        query(pg, "INSERT INTO users (email, hashed_password, is_active, created_at) VALUES "
                  "('new@example.com', 'x', true, now())")
        assert query(pg, "SELECT note FROM audit_log WHERE user_id = 301") == [("signup",)]


def test_generator_refuses_a_database_that_has_tables(pg_url):
    query(pg_url, "CREATE TABLE something (id INTEGER)")
    p = subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "make_legacy_db.py"), pg_url, "--users", "2"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "not empty" in p.stderr
    assert query(pg_url, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'") == [(0,)]


def test_dump_sees_every_change_on_postgresql(make_db):
    db = make_db("postgres", users=20, state="credit-packs")
    before = dump(db)
    assert any("CREATE TABLE public.users" in line for line in before)
    assert dump(db) == before
    query(db, "UPDATE users SET credits_balance = credits_balance + 1 WHERE id = 5")
    assert dump(db) != before
    query(db, "UPDATE users SET credits_balance = credits_balance - 1 WHERE id = 5")
    assert dump(db) == before
    query(db, "CREATE INDEX ix_extra ON users (full_name)")
    assert dump(db) != before

"""db backup on PostgreSQL: pg_dump's custom format, 0600, restorable to the same database, never over an
existing file, the password neither in the output nor on pg_dump's command line; without pg_dump a
sentence that says what to install."""
import os
import stat
import subprocess

from conftest import dump, query
from test_postgres import dbname, one_line, password_url


def pg_restore(pg_server):
    return os.path.join(os.path.dirname(pg_server.psql_command()[0]), "pg_restore")


def test_backup_is_0600_and_restores_to_the_same_database(qt, make_db, pg_server, tmp_path):
    url = make_db("postgres", users=40, state="credit-packs", tasks_per_user=2)
    assert qt("db", "upgrade", db=url).rc == 0
    before = dump(url)
    dest = tmp_path / "copy.dump"
    full = password_url(pg_server, dbname(url))
    r = qt("db", "backup", str(dest), db=full, json=True)
    assert r.rc == 0, r.err
    assert pg_server.password not in r.out and pg_server.password not in r.err
    assert r.json["path"] == str(dest) and r.json["bytes"] == dest.stat().st_size > 0
    # A dump has no database pages: none reported, and the format says what the file is.
    assert r.json["pages"] is None and r.json["format"] == "pg_dump_custom"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["copy.dump"]  # no partial file left
    restored = pg_server.create_database(dbname(url) + "_r")
    try:
        subprocess.run([pg_restore(pg_server), "--no-owner", "-d", restored, str(dest)], check=True,
                       capture_output=True)
        assert dump(restored) == before
    finally:
        pg_server.drop_database(dbname(url) + "_r")
    text = qt("db", "backup", str(tmp_path / "again.dump"), db=full)
    assert text.rc == 0 and f"to {tmp_path / 'again.dump'}" in text.out and pg_server.password not in text.out
    assert text.out.endswith(f"({(tmp_path / 'again.dump').stat().st_size} bytes, pg_dump's custom format).\n")


def test_refuses_an_existing_destination(qt, make_db, tmp_path):
    url = make_db("postgres", users=5)
    dest = tmp_path / "taken.dump"
    dest.write_text("keep me")
    r = qt("db", "backup", str(dest), db=url)
    assert r.rc == 4 and one_line(r.err).endswith(f"{dest} already exists; choose another backup path")
    assert dest.read_text() == "keep me" and [p.name for p in tmp_path.iterdir()] == ["taken.dump"]


def test_without_pg_dump_on_path_a_sentence_says_what_to_install(qt, make_db, tmp_path):
    url = make_db("postgres", users=5)
    dest = tmp_path / "copy.dump"
    r = qt("db", "backup", str(dest), db=url, env={"PATH": str(tmp_path)})
    assert r.rc == 1
    line = one_line(r.err)
    assert "pg_dump" in line and "not on PATH" in line and "install postgresql-client" in line
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_the_password_never_reaches_pg_dumps_command_line(qt, make_db, pg_server, tmp_path):
    # A pg_dump stand-in on PATH records its arguments and whether PGPASSWORD came, then runs the real one.
    url = make_db("postgres", users=5)
    real = os.path.join(os.path.dirname(pg_server.psql_command()[0]), "pg_dump")
    log = tmp_path / "args.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pg_dump"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "pw=${{PGPASSWORD:+set}}" >> {log}\nexec {real} "$@"\n')
    fake.chmod(0o755)
    os.symlink(pg_restore(pg_server), bindir / "pg_restore")
    full = password_url(pg_server, dbname(url))
    dest = tmp_path / "copy.dump"
    r = qt("db", "backup", str(dest), db=full, env={"PATH": f"{bindir}:{os.environ['PATH']}"})
    assert r.rc == 0, r.err
    logged = log.read_text()
    assert pg_server.password not in logged and "--format=custom" in logged and "pw=set" in logged
    assert f"--dbname=postgresql://{pg_server.password_user}@" in logged


def test_a_failing_pg_dump_leaves_nothing_and_shows_no_password(qt, make_db, pg_server, tmp_path):
    url = make_db("postgres", users=5)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "pg_dump"
    fake.write_text('#!/bin/sh\necho "pg_dump: error: server version mismatch" >&2\nexit 1\n')
    fake.chmod(0o755)
    os.symlink(pg_restore(pg_server), bindir / "pg_restore")
    dest = tmp_path / "out" / "copy.dump"
    dest.parent.mkdir()
    r = qt("db", "backup", str(dest), db=password_url(pg_server, dbname(url)), env={"PATH": str(bindir)})
    assert r.rc == 1 and "server version mismatch" in one_line(r.err) and "no backup was written" in r.err
    assert pg_server.password not in r.err
    assert list(dest.parent.iterdir()) == []
    assert query(url, "SELECT count(*) FROM users") == [(5,)]

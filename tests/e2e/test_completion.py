"""Completion scripts and the man page come from the real command tree."""
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT


def test_completions_folder_matches_the_binary(qt):
    for shell, name in (("bash", "quicktools.bash"), ("zsh", "_quicktools"), ("fish", "quicktools.fish")):
        r = qt("completion", shell)
        assert r.rc == 0
        assert (ROOT / "completions" / name).read_text() == r.out, \
            f"completions/{name} is stale: run scripts/dev.sh completions"


def complete(words, cwd=None):
    """Runs the bash completion function as bash itself would for `quicktools WORDS...`."""
    script = subprocess.run([BIN, "completion", "bash"], capture_output=True, text=True, check=True).stdout
    line = "quicktools " + " ".join(words)
    program = script + f"""
COMP_WORDS=(quicktools {' '.join(repr(w) if w else "''" for w in words)})
COMP_CWORD={len(words)}
COMP_LINE={line!r}
_quicktools
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    p = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return sorted(x for x in p.stdout.splitlines() if x)


def test_bash_completes_commands_and_options():
    assert {"db", "completion"} <= set(complete([""]))
    assert complete(["db", "ve"]) == ["verify"]
    assert "--dry-run" in complete(["db", "upgrade", "--"])
    assert "--db" in complete(["--"])
    # an option's value is skipped when finding the command
    assert complete(["--db", "x.db", "db", "st"]) == ["status"]


def test_bash_completes_files_where_a_file_is_expected(tmp_path):
    (tmp_path / "backup-one.db").write_text("")
    (tmp_path / "other.txt").write_text("")
    assert complete(["db", "backup", "back"], cwd=tmp_path) == ["backup-one.db"]
    assert complete(["--db", "oth"], cwd=tmp_path) == ["other.txt"]


def test_man_page_lists_every_command(qt):
    r = qt("manpage")
    assert r.rc == 0 and r.out.startswith(".TH QUICKTOOLS 1")
    for command in ("db init", "db status", "db upgrade", "db verify", "db backup DEST"):
        assert f".SS {command}" in r.out
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", "-"], input=r.out, capture_output=True, text=True,
                           env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"})
        assert "db verify" in p.stdout

"""--help and usage errors as a new user meets them: every command has an example, and a
command-line mistake says what was wrong and which --help to read."""
import re

from conftest import run_qt


def subcommands(path):
    out = run_qt(*path, "--help").out
    if "Subcommands:" not in out:
        return []
    block = out.split("Subcommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if re.match(r"  \S", line)]


def every_command(path=()):
    yield path
    for name in subcommands(path):
        yield from every_command(path + (name,))


def test_every_command_and_group_has_an_example_that_names_it():
    seen = 0
    for path in every_command():
        r = run_qt(*path, "--help")
        assert r.rc == 0, path
        assert re.search(r"^Examples?:\n  \S", r.out, re.M), f"{path}: no example\n{r.out}"
        examples = r.out.split("Example", 1)[1]
        assert " ".join(path) in examples, f"{path}: the examples do not use the command\n{r.out}"
        seen += 1
    assert seen >= 25  # the program, its groups and their commands


def test_a_missing_command_lists_the_commands():
    r = run_qt("db")
    assert r.rc == 2
    assert r.err.strip() == ("quicktools: quicktools db needs a command: init, status, upgrade, verify, backup, "
                             "drop-deprecated; run `quicktools db --help` for the options and an example")


def test_an_unknown_command_is_named():
    r = run_qt("db", "frob")
    assert r.rc == 2 and "frob is not a command of quicktools db; the commands are init, status" in r.err
    r = run_qt("frob")
    assert r.rc == 2 and "frob is not a command of quicktools; the commands are db," in r.err


def test_a_missing_argument_points_at_the_commands_help():
    r = run_qt("credits", "grant", "1", "5")
    assert r.rc == 2
    assert r.err.strip() == ("quicktools: --reason is required; run `quicktools credits grant --help` for the "
                             "options and an example")
    r = run_qt("--json", "report", "--frob")
    assert r.rc == 2 and r.json == {"ok": False, "exit_code": 2, "error": "The following argument was not expected: "
                                    "--frob; run `quicktools report --help` for the options and an example"}

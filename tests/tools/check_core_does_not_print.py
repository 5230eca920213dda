#!/usr/bin/env python3
"""Fails (exit 1, naming file and line) if a file of the core prints or knows about the terminal.

The core is src/ except src/cli/ and src/main.cpp, with its headers (include/quicktools/ except
include/quicktools/cli/). It reports through return values, exceptions and callbacks
(util::ProgressCallback); only the command layer (src/cli) writes to streams, through its
cli::Context. Usage: check_core_does_not_print.py SOURCE_DIR
"""
import re
import sys
from pathlib import Path

FORBIDDEN = [
    (re.compile(r'#\s*include\s*<iostream>'), "includes <iostream>"),
    (re.compile(r'#\s*include\s*<CLI/'), "includes CLI11"),
    (re.compile(r'\bCLI::'), "uses CLI11"),
    (re.compile(r'\bisatty\s*\('), "asks whether a descriptor is a terminal (isatty)"),
    (re.compile(r'\bstd::(cout|cerr|clog|cin)\b'), "uses a standard stream"),
    (re.compile(r'\b(printf|fprintf|vprintf|vfprintf|puts|fputs|putchar|perror)\s*\('), "prints (printf family)"),
    (re.compile(r'\bfmt::print\s*\('), "prints (fmt::print)"),
    (re.compile(r'\b(stdout|stderr|STDOUT_FILENO|STDERR_FILENO)\b'), "names stdout or stderr"),
]


def core_files(root: Path):
    for base, excluded in ((root / "src", root / "src" / "cli"), (root / "include" / "quicktools",
                                                                    root / "include" / "quicktools" / "cli")):
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h") or excluded in path.parents:
                continue
            if path == root / "src" / "main.cpp":
                continue
            yield path


def code_of(line: str) -> str:
    """The line without its // comment and without the contents of its string literals."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    problems = []
    files = list(core_files(root))
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = code_of(line)
            for pattern, what in FORBIDDEN:
                if pattern.search(code):
                    problems.append(f"{path.relative_to(root)}:{number}: {what}: {line.strip()}")
    if not files:
        problems.append(f"no core files found under {root}")
    for p in problems:
        print(p)
    if problems:
        print("The core must not print: return the result, or take a callback (util::ProgressCallback), and let "
              "src/cli render it through cli::Context (docs/architecture.md).")
        return 1
    print(f"{len(files)} core files, none prints")
    return 0


if __name__ == "__main__":
    sys.exit(main())

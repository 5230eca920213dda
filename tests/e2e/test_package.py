"""The Debian package (`./scripts/dev.sh package`, CPack's DEB generator): built from the build
directory of the binary under test into a temporary directory, then checked as an operator's
machine would see it: the file name, the control fields, every file in its standard place, a
Depends that covers every library the binary links, and a binary that runs once unpacked. dpkg
itself installs it into a private root (a copy of this machine's package database, so Depends
must be satisfied by what is installed here), without root and without touching the system."""
import fcntl
import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT

BUILD = Path(BIN).resolve().parent
VERSION = re.search(r"project\(quicktools VERSION (\S+)", (ROOT / "CMakeLists.txt").read_text()).group(1)
FILES = {
    "/usr/bin/quicktools",
    "/usr/share/man/man1/quicktools.1.gz",
    "/usr/share/bash-completion/completions/quicktools",
    "/usr/share/zsh/vendor-completions/_quicktools",
    "/usr/share/fish/vendor_completions.d/quicktools.fish",
}


def run(*args, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)
    assert p.returncode == 0, f"{' '.join(map(str, args))} -> exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    config = BUILD / "CPackConfig.cmake"
    assert config.exists(), f"{config} missing: the package is built from the binary's CMake build directory"
    out = tmp_path_factory.mktemp("package")
    # cpack first brings the build directory up to date; one at a time when several workers test.
    with open(BUILD / ".package-test.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run("cpack", "--config", config, "-G", "DEB", "-B", out, cwd=BUILD)
    return out / f"quicktools_{VERSION}_amd64.deb"


def field(deb, name):
    return run("dpkg-deb", "-f", deb, name).strip()


def test_package_is_named_and_described_as_debian_expects(deb):
    assert deb.exists(), sorted(p.name for p in deb.parent.iterdir())
    assert field(deb, "Package") == "quicktools"
    assert field(deb, "Version") == VERSION
    assert field(deb, "Architecture") == "amd64"
    assert field(deb, "Section") == "admin"
    assert re.fullmatch(r".+ <[^@ ]+@[^> ]+>", field(deb, "Maintainer"))
    summary, *long = field(deb, "Description").splitlines()
    assert "credit-pack" in summary and long and all(line.startswith(" ") for line in long)


def test_files_are_in_their_standard_places(deb):
    listing = run("dpkg-deb", "-c", deb).splitlines()
    files = {line.split()[-1].lstrip(".") for line in listing if line.startswith("-")}
    assert files == FILES
    modes = {line.split()[-1].lstrip("."): line.split()[0] for line in listing}
    assert modes["/usr/bin/quicktools"] == "-rwxr-xr-x"
    assert all(line.split()[1] == "root/root" for line in listing)


def needed_libraries(binary):
    """Each shared library the binary names (DT_NEEDED) -> its path on this machine."""
    needed = re.findall(r"NEEDED\s+(\S+)", run("objdump", "-p", binary))
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", run("ldd", binary), re.M))
    assert needed and set(needed) <= set(paths), (needed, paths)
    return {name: paths[name] for name in needed}


def owning_package(path):
    for candidate in (path, os.path.realpath(path), re.sub(r"^/usr/lib/", "/lib/", os.path.realpath(path))):
        p = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout.split(":")[0]
    raise AssertionError(f"no Debian package owns {path}")


def test_depends_names_the_package_of_every_linked_library(deb, tmp_path):
    depends = {re.match(r"[\w.+-]+", d.strip()).group(0) for d in field(deb, "Depends").split(",")}
    for name in ("libsqlite3-0", "libcurl4", "libssl3", "libc6", "libstdc++6"):
        assert name in depends, (name, depends)
    assert any(d.startswith("libsimdjson") for d in depends) and any(d.startswith("libfmt") for d in depends)
    run("dpkg-deb", "-x", deb, tmp_path)
    for soname, path in needed_libraries(tmp_path / "usr/bin/quicktools").items():
        assert owning_package(path) in depends, f"{soname} ({path}) comes from {owning_package(path)}, " \
                                                f"not in Depends: {sorted(depends)}"


def test_unpacked_binary_runs_and_finds_every_library(deb, tmp_path):
    run("dpkg-deb", "-x", deb, tmp_path)
    binary = tmp_path / "usr/bin/quicktools"
    ldd = run("ldd", binary)
    assert "not found" not in ldd, ldd
    assert run(binary, "--version").strip().endswith(VERSION)
    # stripped: the installed binary carries no debug sections
    assert ".debug_info" not in run("objdump", "-h", binary)
    # the man page is the binary's own (`quicktools manpage`: the command tree of --help), gzip'd
    page = gzip.decompress((tmp_path / "usr/share/man/man1/quicktools.1.gz").read_bytes()).decode()
    assert page.startswith(".TH QUICKTOOLS 1") and page == run(binary, "manpage")
    bash = (tmp_path / "usr/share/bash-completion/completions/quicktools").read_text()
    assert bash == (ROOT / "completions/quicktools.bash").read_text()


def test_dpkg_installs_it_where_its_depends_are_met(deb, tmp_path):
    """dpkg -i into a private root holding a copy of this machine's package database: dpkg checks
    the Depends against what is installed here, unpacks, configures and lists the files."""
    admin = tmp_path / "root/var/lib/dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True)
    shutil.copy("/var/lib/dpkg/status", admin / "status")
    (admin / "available").touch()
    dpkg = ["dpkg", "--force-not-root", f"--root={tmp_path / 'root'}", f"--log={tmp_path / 'dpkg.log'}",
            "--no-triggers"]
    run(*dpkg, "-i", deb)
    assert "Status: install ok installed" in run(*dpkg, "-s", "quicktools")
    assert set(run(*dpkg, "-L", "quicktools").split()) >= FILES
    assert run(tmp_path / "root/usr/bin/quicktools", "--version").strip().endswith(VERSION)
    run(*dpkg, "-r", "quicktools")
    assert not (tmp_path / "root/usr/bin/quicktools").exists()

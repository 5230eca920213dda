"""A real terminal for tests: a private tmux server (its own socket) running bash, where commands
are typed and the screen is read back."""
import os
import re
import shlex
import subprocess
import time
import uuid


class Terminal:
    def __init__(self, tmp_path, width=120, height=30, env=None):
        self.socket = str(tmp_path / f"tmux-{uuid.uuid4().hex[:8]}.sock")
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("NO_COLOR", "COLUMNS", "LINES", "TMUX") and not k.startswith(("QUICKTOOLS_DB", "STRIPE_"))}
        clean.update(env or {})
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "t",
                   "bash --norc --noprofile", env=clean)
        self.type("PS1='$ '; unset NO_COLOR")

    def _tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True, text=True,
                              env=env).stdout

    def type(self, line):
        self._tmux("send-keys", "-t", "t", "-l", line)
        self._tmux("send-keys", "-t", "t", "Enter")

    def screen(self, escapes=False):
        args = ["capture-pane", "-t", "t", "-p", "-J", "-S", "-1000"] + (["-e"] if escapes else [])
        return self._tmux(*args)

    def run(self, argv, timeout=120, while_running=None, escapes=False):
        """Types `argv` (a list, quoted for bash) and waits for it to end. Returns (exit code,
        screen). `while_running(screen)` is called on each look at the screen before the end."""
        marker = uuid.uuid4().hex[:8]
        self._tmux("clear-history", "-t", "t")
        self.type("clear; " + " ".join(shlex.quote(str(a)) for a in argv) + f"; echo END{marker}=$?")
        deadline = time.monotonic() + timeout
        pattern = re.compile(rf"END{marker}=(\d+)")
        while time.monotonic() < deadline:
            screen = self.screen(escapes)
            found = pattern.search(screen)
            if found:
                return int(found.group(1)), screen
            if while_running:
                while_running(screen)
            time.sleep(0.05)
        raise AssertionError(f"{argv} did not end within {timeout}s:\n{self.screen()}")

    def close(self):
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)

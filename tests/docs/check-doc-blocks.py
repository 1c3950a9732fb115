#!/usr/bin/env python3
"""Runs the shell blocks of the docs, so the docs cannot drift from the code.

Every fenced block whose language is sh, bash or shell carries one mark
after the language (docs/development.md, "Shell blocks in the docs"):

  run         quick: run with bash -euo pipefail, must exit 0 within 30 s
  run background
              quick, but keeps running (e.g. relay-cli listen): started in
              the background, must exit 0 by the end of its page; a later
              `run` block's ABC-DEF-GHI is replaced by the code it printed
  server      starts a server that runs until stopped: started with
              127.0.0.1:8080 replaced by 127.0.0.1:0, must print
              "listening on ws://" within 15 s, then gets SIGTERM
  manual      needs a value read off an earlier output (e.g. SERVICE_HEX)
  long        benchmarks, soaks, builds, anything taking minutes
  system      changes the machine (dpkg, systemctl, sysctl, /etc)

manual, long and system blocks are only checked with `bash -n` and for
flags; every block is. The flag check: every --flag given to relay or
relay-cli (by any path, e.g. build/bin/relay) must be listed by
`relay --help` or `relay-cli COMMAND --help`.

Quick blocks run in one scratch directory per page (so a key made by one
block is there for the next), with build/ pointing at the build directory,
its bin/ first on PATH, and 127.0.0.1:8080 replaced by the address of a
relay this script starts on a free loopback port.

  check-doc-blocks.py BUILD_DIR SOURCE_DIR FILE.md...
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

MARKS = {"run", "server", "manual", "long", "system"}
SHELLS = {"sh", "bash", "shell"}
FENCE = re.compile(r"^```(.*)$")
PLACEHOLDER_CODE = "ABC-DEF-GHI"


def blocks(path):
    """Yields (line number, language, marks, text) of each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        words = m.group(1).split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        lang = words[0] if words else ""
        yield start, lang, set(words[1:]), "\n".join(body) + "\n"


def flags_of(help_text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))


class FlagChecker:
    def __init__(self, bindir):
        self.bin = bindir
        self.relay = flags_of(self.help("relay", [])) | {"--help", "--version"}
        self.cli_overview = self.help("relay-cli", [])
        self.cli = {}

    def help(self, program, args):
        return subprocess.run([os.path.join(self.bin, program)] + args + ["--help"],
                              capture_output=True, text=True, timeout=10, check=True).stdout

    def cli_flags(self, command):
        if command not in self.cli:
            try:
                self.cli[command] = flags_of(self.help("relay-cli", [command])) | {"--json", "--help"}
            except subprocess.CalledProcessError:
                self.cli[command] = None
        return self.cli[command]

    def check(self, text):
        """Problems with the relay / relay-cli flags used in a shell text."""
        problems = []
        joined = re.sub(r"\\\n", " ", text)
        for line in joined.split("\n"):
            # Command substitutions and pipes start new commands.
            line = re.sub(r"\$\(|`|\)", " ; ", line)
            try:
                lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
                lexer.whitespace_split = True
                lexer.commenters = "#"
                tokens = list(lexer)
            except ValueError as e:
                problems.append(f"cannot split '{line}': {e}")
                continue
            command = []
            for tok in tokens + [";"]:
                if tok and set(tok) <= set(";&|<>"):
                    problems += self.check_command(command)
                    command = []
                else:
                    command.append(tok)
        return problems

    def check_command(self, words):
        while words and (re.match(r"^\w+=", words[0]) or words[0] in ("sudo", "exec", "nice", "time")):
            words = words[1:]
        if words and words[0] == "timeout" and len(words) > 2:
            words = words[2:]
        if not words:
            return []
        program = os.path.basename(words[0])
        given = [w.split("=", 1)[0] for w in words[1:] if w.startswith("--")]
        if program == "relay":
            known = self.relay
            what = "relay --help"
        elif program == "relay-cli":
            if len(words) < 2 or words[1].startswith("-"):
                known, what = {"--help", "--version"}, "relay-cli --help"
            else:
                known = self.cli_flags(words[1])
                if known is None:
                    return [f"relay-cli has no command '{words[1]}'"]
                what = f"relay-cli {words[1]} --help"
        else:
            return []
        return [f"{flag} is not listed by {what}" for flag in given if flag not in known]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def group_members(pgid):
    """The processes of group `pgid` that still run (zombies excluded: an
    orphan's zombie may never be reaped here)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        state, _ppid, pgrp = stat[stat.rindex(")") + 2:].split()[:3]
        if state != "Z" and int(pgrp) == pgid:
            members.append(int(entry))
    return members


def stop(proc, seconds=15):
    """SIGTERM to the whole process group of `proc` (a block's shell and
    whatever it started). True when every process of the group ended within
    `seconds` (the relay drains for 5 s by default); otherwise the group is
    killed and False: a server that ignores SIGTERM is a defect."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    ended = bool(wait_for(lambda: not group_members(proc.pid), seconds))
    if not ended:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    return ended


def main():
    build, source, files = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2]), sys.argv[3:]
    bindir = os.path.join(build, "bin")
    flags = FlagChecker(bindir)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    failures, counts = [], {}
    with tempfile.TemporaryDirectory(prefix="relay-doc-blocks.") as tmp:
        relay_out = os.path.join(tmp, "relay.out")
        relay = subprocess.Popen([os.path.join(bindir, "relay"), "--listen", "127.0.0.1:0"],
                                 stdout=open(relay_out, "w"), stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            address = wait_for(lambda: (re.findall(r"listening on ws://(127\.0\.0\.1:\d+)", read(relay_out)) or [None])[0], 15)
            if not address:
                print("check-doc-blocks: the relay did not start")
                return 1
            print(f"check-doc-blocks: relay on {address}")
            for page in files:
                failures += check_page(page, source, build, tmp, env, address, flags, counts)
        finally:
            if not stop(relay):
                failures.append("the relay the pages ran against was still running 15 s after SIGTERM")
    summary = ", ".join(f"{n} {mark}" for mark, n in sorted(counts.items()))
    print(f"check-doc-blocks: {len(files)} pages, shell blocks: {summary}")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


def check_page(page, source, build, tmp, env, address, flags, counts):
    failures = []
    name = os.path.relpath(os.path.realpath(page), source)
    scratch = tempfile.mkdtemp(prefix=name.replace("/", "_") + ".", dir=tmp)
    os.symlink(build, os.path.join(scratch, "build"))
    background = []  # (where, process, output file)
    for line, lang, marks, text in blocks(page):
        if lang not in SHELLS:
            continue
        where = f"{name}:{line}"
        kind = marks & MARKS
        if len(kind) != 1:
            failures.append(f"{where}: a shell block needs exactly one of {sorted(MARKS)} after the language")
            continue
        kind = kind.pop()
        label = "run background" if kind == "run" and "background" in marks else kind
        counts[label] = counts.get(label, 0) + 1
        syntax = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        if syntax.returncode != 0:
            failures.append(f"{where}: bash -n: {syntax.stderr.strip()}")
            continue
        failures += [f"{where}: {p}" for p in flags.check(text)]
        if kind == "run":
            script = text.replace("127.0.0.1:8080", address)
            if PLACEHOLDER_CODE in script and "background" not in marks:
                code = wait_for(lambda: next((c for _, _, out in background
                                              for c in re.findall(r"^code: (\S+)$", read(out), re.M)), None), 15)
                if not code:
                    failures.append(f"{where}: no earlier background block printed a code")
                    continue
                script = script.replace(PLACEHOLDER_CODE, code)
            if "background" in marks:
                out = os.path.join(scratch, f"background-{line}.out")
                proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=scratch, env=env,
                                        stdout=open(out, "w"), stderr=subprocess.STDOUT, start_new_session=True)
                background.append((where, proc, out))
                continue
            try:
                done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=scratch, env=env,
                                      capture_output=True, text=True, timeout=30)
                if done.returncode != 0:
                    failures.append(f"{where}: exit {done.returncode}:\n{done.stdout}{done.stderr}")
            except subprocess.TimeoutExpired:
                failures.append(f"{where}: still running after 30 s")
        elif kind == "server":
            script = text.replace("127.0.0.1:8080", "127.0.0.1:0")
            out = os.path.join(scratch, f"server-{line}.out")
            proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=scratch, env=env,
                                    stdout=open(out, "w"), stderr=subprocess.STDOUT, start_new_session=True)
            listening = wait_for(lambda: "listening on ws://" in read(out) or proc.poll() is not None, 15)
            alive = proc.poll() is None
            stopped = stop(proc)
            if not (listening and alive and "listening on ws://" in read(out)):
                failures.append(f"{where}: the server did not start:\n{read(out)}")
            elif not stopped:
                failures.append(f"{where}: the server was still running 15 s after SIGTERM:\n{read(out)}")
    for where, proc, out in background:
        try:
            status = proc.wait(30)
            if status != 0:
                failures.append(f"{where}: background block exited {status}:\n{read(out)}")
        except subprocess.TimeoutExpired:
            stop(proc)
            failures.append(f"{where}: background block still running 30 s after the page ended:\n{read(out)}")
    return failures


if __name__ == "__main__":
    sys.exit(main())

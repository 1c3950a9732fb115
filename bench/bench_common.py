"""Helpers shared by the benchmark scripts (bench/run, bench/fairness):
starting a server on a free loopback port and stopping it, both bounded."""
import os
import select
import signal
import subprocess
import time


def start_server(bin_dir, name, log, extra_args=()):
    """Starts bin_dir/name on 127.0.0.1:0; returns (process, url) once it
    prints its "listening on" line (10 s at most)."""
    proc = subprocess.Popen([os.path.join(bin_dir, name), "--listen", "127.0.0.1:0"] + list(extra_args),
                            stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.monotonic() + 10
    line = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("listening on "):
                return proc, line.split()[-1]
            if not line:
                break
    stop_server(proc)
    raise RuntimeError("%s did not start (last output: %r)" % (name, line))


def stop_server(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

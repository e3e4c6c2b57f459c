"""bench/cloud/procs.py: the child processes of the cloud bench (the Alibaba Cloud simulator and
our server). Every long-lived pid is recorded here and in the pid file bench/cloud/run reads, so
a normal end, an error, Ctrl-C or SIGTERM all leave nothing behind. The one-shot curl processes
are not written to the pid file (that would put a file write inside every timed call): each has
--max-time and is killed here on exit like the rest. Owner: bench-cloud."""
import atexit
import json
import os
import selectors
import signal
import subprocess
import sys
import time

_live = set()
_PID_FILE = os.environ.get("BENCH_CLOUD_PID_FILE")


def _sync():
    if _PID_FILE:
        with open(_PID_FILE, "w") as f:
            f.write("".join(f"{p}\n" for p in sorted(_live)))


def track(pid, persist=True):
    _live.add(pid)
    if persist:
        _sync()


def forget(pid, persist=True):
    if pid in _live:
        _live.discard(pid)
        if persist:
            _sync()


def kill_all():
    """SIGKILLs every child still recorded: the last resort on exit."""
    for pid in list(_live):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _live.clear()
    _sync()


def install_cleanup():
    """Kills every child on exit and on SIGINT/SIGTERM/SIGHUP (then exits 130/143/129)."""
    atexit.register(kill_all)

    def on_signal(signum, _frame):
        sys.stderr.write(f"\nbench-cloud: {signal.Signals(signum).name}, stopping every child\n")
        kill_all()
        os._exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)


def proc_status(pid):
    """VmRSS and VmHWM of a live process in kB (None when it is gone)."""
    out = {"rss_kb": None, "hwm_kb": None}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_kb"] = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm_kb"] = int(line.split()[1])
    except OSError:
        pass
    return out


def cpu_ns(pid):
    """CPU time a live process has used so far, in ns (schedstat of every thread: exact, unlike
    the clock ticks of /proc/PID/stat)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return total


def stop(proc, grace=5.0):
    """Closes the child's stdin (both children exit on EOF), then TERM, then KILL. Returns the
    exit status."""
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass
    try:
        rc = proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            rc = proc.wait(2)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    forget(proc.pid)
    return rc


def start_simulator(script, state_dir, stderr_path, timeout=30.0):
    """Starts tests/sim/aliyun/server.py on a free loopback port; returns (proc, ready line)."""
    err = open(stderr_path, "wb")
    proc = subprocess.Popen([sys.executable, script, "--port", "0", "--state-dir", state_dir, "--exit-on-stdin-eof"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    err.close()
    track(proc.pid)
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            stop(proc, 0)
            raise RuntimeError(f"simulator not ready after {timeout:.0f} s: {_tail(stderr_path)}")
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            stop(proc, 0)
            raise RuntimeError(f"simulator exited before it was ready: {_tail(stderr_path)}")
        line += chunk
    sel.close()
    return proc, json.loads(line.split(b"\n", 1)[0])


def _tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""

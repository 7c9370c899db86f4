"""lib.py - helpers shared by the integration tests: running mapwatch, reading its JSON, reporting results."""
import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
MAPWATCH = os.environ.get("MAPWATCH", os.path.join(BUILD, "mapwatch"))

_results = {"passed": 0, "failed": 0, "skipped": 0}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, want, what):
    if got != want:
        raise Fail(f"{what}: got {got!r}, want {want!r}")


def run_test(name, fn):
    """Run one test function; print PASS/FAIL/SKIP name."""
    try:
        r = fn()
        if isinstance(r, str) and r.startswith("skip:"):
            _results["skipped"] += 1
            print(f"SKIP {name}: {r[5:].strip()}", flush=True)
            return
        _results["passed"] += 1
        print(f"PASS {name}", flush=True)
    except Fail as e:
        _results["failed"] += 1
        print(f"FAIL {name}: {e}", flush=True)
    except Exception as e:  # a crash in the test is a failure too
        _results["failed"] += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)


def run_selected(tests):
    """Run the (name, fn) tests whose name contains argv[1] (all without one);
    print the summary line and return the exit status."""
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    for name, fn in tests:
        if only in name:
            run_test(name, fn)
    return summary()


def summary():
    r = _results
    print(f"{r['passed']} passed, {r['failed']} failed, {r['skipped']} skipped", flush=True)
    return 1 if r["failed"] else 0


_tmpdirs = []


def _remove_tmpdirs():
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def tmpdir():
    """A fresh directory, removed when the test file ends (MW_KEEP_TMP=1 keeps them):
    a host-wide soak writes gigabytes there."""
    d = tempfile.mkdtemp(prefix="mw-it-")
    if not _tmpdirs and os.environ.get("MW_KEEP_TMP") != "1":
        atexit.register(_remove_tmpdirs)
    _tmpdirs.append(d)
    return d


_built = set()  # the programs build_prog built or checked in this process


def build_prog(src, out, extra=()):
    """Compile a test program from tests/integration into build/it/."""
    os.makedirs(os.path.join(BUILD, "it"), exist_ok=True)
    exe = os.path.join(BUILD, "it", out)
    srcp = os.path.join(ROOT, "tests", "integration", src)
    if exe not in _built and (not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(srcp)):
        subprocess.run(["gcc", "-O1", "-g", "-Wall", "-Werror", "-o", exe, srcp, "-lpthread", *extra], check=True)
        # dated as its source, and at least two minutes back (settle); built once per test file
        # while its source is that new
        settle(exe, min(os.path.getmtime(srcp), time.time() - 120))
    _built.add(exe)
    return exe


def settle(path, when=None):
    """Date a test program (built or copied) two minutes back, or at when: a fixture, not a dropped
    program (one written under 60 s before it runs is dropped_code at its exec; test_dropexec.py
    writes the programs it judges)."""
    t = time.time() - 120 if when is None else when
    os.utime(path, (t, t))


def mapwatch(args, timeout=60, **kw):
    """Run mapwatch with args; returns CompletedProcess (text)."""
    return subprocess.run([MAPWATCH, *args], capture_output=True, text=True, timeout=timeout, **kw)


def read_json_lines(path):
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                out.append(json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise Fail(f"{path}:{n}: not valid JSON/UTF-8: {e}: {raw[:200]!r}")
    return out


def arg_values(ev):
    """Raw argument values of a mapwatch JSON event as unsigned 64-bit ints."""
    vals = []
    for a in ev["args"]:
        v = a["value"]
        if isinstance(v, str):
            v = int(v, 16)
        # int arguments compare as the 32 bits the kernel uses
        vals.append(v & (0xFFFFFFFF if a["type"] == "int" else 0xFFFFFFFFFFFFFFFF))
    return vals


def is_root():
    return os.geteuid() == 0


def unistd_numbers(path):
    """{name: number} from a kernel unistd header (#define __NR_x [(__NR_SYSCALL_BASE +] n[)],
    asm-generic's __NR3264_x included); None when the header is not installed."""
    if not os.path.exists(path):
        return None
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define\s+(?:__NR3264_|__NR_)(\w+)\s+\(?(?:__NR_SYSCALL_BASE\s*\+\s*)?(\d+)\)?\s*$", line)
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


def skipped_without_root():
    """Integration tests run as root against the real kernel: elsewhere the file
    prints its one skip and the summary line; True when it did."""
    if is_root():
        return False
    print("SKIP integration: needs root")
    print("0 passed, 0 failed, 1 skipped")
    return True


def stats(err):
    """The --stats counts in mapwatch's stderr, from the one JSON object --json prints or from the
    text lines; a dict with the JSON object's keys (eventsSeen, eventsWritten, eventsLost,
    lost{ringBufferFull, unmatchedExit, pendingMapFull}, filteredInKernel, ...), or None."""
    for line in reversed(err.splitlines()):
        if line.startswith("{") and '"stats":"mapwatch"' in line:
            return json.loads(line)
    m = re.search(r"events seen (\d+), written (\d+)[^,]*, lost (\d+) \(ring buffer full (\d+), "
                  r"unmatched exit (\d+), pending map full (\d+)\), filtered in kernel (\d+)", err)
    if not m:
        return None
    v = [int(x) for x in m.groups()]
    sk = re.search(r"hook runs the kernel skipped \([^)]*\) (\d+)", err)  # named only when not 0
    return {"eventsSeen": v[0], "eventsWritten": v[1], "eventsLost": v[2],
            "lost": {"ringBufferFull": v[3], "unmatchedExit": v[4], "pendingMapFull": v[5]},
            "filteredInKernel": v[6], "hooks": {"skippedRuns": int(sk.group(1)) if sk else 0}}


class FileWatcher:
    """Follow a file as it grows, from a thread, noting when each line appeared.

    lines: list of (line bytes, lo, hi): the line was not in the file at time lo
    (taken before the read that came up short; 0 for lines already there at
    the first read) and was at time hi (after the read that found it). A delay measured from lo cannot be inflated by this
    thread being descheduled, so a check on it stays fair on a busy machine.
    """

    def __init__(self, path, interval=0.005, on_line=None):
        """on_line(line, lo, hi), when given, takes each line instead of the
        list (a long soak writes gigabytes)."""
        import threading
        self.path, self.interval = path, interval
        self.lines = []
        self.on_line = on_line or (lambda ln, lo, hi: self.lines.append((ln, lo, hi)))
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        import time
        f = None
        buf = b""
        lo = 0.0  # before the previous read (what it missed came later); 0: no read yet
        while True:
            before = time.time()
            if f is None:
                try:
                    f = open(self.path, "rb")
                except FileNotFoundError:
                    f = None
            chunk = f.read() if f else b""
            now = time.time()
            if chunk:
                buf += chunk
                *done, buf = buf.split(b"\n")
                for ln in done:
                    self.on_line(ln, lo, now)
            lo = before
            if self._stop.is_set() and not chunk:
                break
            time.sleep(self.interval)
        if f:
            f.close()

    def stop(self):
        self._stop.set()
        self._t.join()


class RunDelay:
    """Sample how long process pid's main thread has waited for a CPU
    (/proc/PID/schedstat, second field: ns runnable but not running), so a
    check on delivery time can tell a slow program from a starved one."""

    def __init__(self, pid, interval=0.01):
        import threading
        self.pid, self.interval = pid, interval
        self.samples = []  # (time, ns waited so far)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _read(self):
        try:
            with open(f"/proc/{self.pid}/schedstat") as f:
                return int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return None

    def _run(self):
        import time
        while not self._stop.is_set():
            v = self._read()
            if v is not None:
                self.samples.append((time.time(), v))
            time.sleep(self.interval)

    def waited(self, t1, t2):
        """Seconds the process surely spent waiting for a CPU between t1 and
        t2: from the first sample at or after t1 to the last at or before t2
        (never more than it really waited)."""
        import bisect
        ts = [s[0] for s in self.samples]
        i, j = bisect.bisect_left(ts, t1), bisect.bisect_right(ts, t2) - 1
        if i >= len(ts) or j < 0 or j <= i:
            return 0.0
        return max(0.0, (self.samples[j][1] - self.samples[i][1]) / 1e9)

    def worst_window(self, span=1.0):
        """The most seconds it waited for a CPU within any span seconds."""
        worst, j = 0.0, 0
        for i in range(len(self.samples)):
            while j < len(self.samples) and self.samples[j][0] - self.samples[i][0] <= span:
                j += 1
            worst = max(worst, (self.samples[j - 1][1] - self.samples[i][1]) / 1e9)
        return worst

    def stop(self):
        self._stop.set()
        self._t.join()

"""test_soak.py - soak test (root) of issue #10: host-wide --alerts --json --stats for MW_SOAK_S seconds (default 60) while a load generator forks and execs 50 processes a second (each with threads), beside a 16 KiB-buffer instance: exact accounting, no loss, every call present, flat RSS, every record on time."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (BUILD, MAPWATCH, Fail, FileWatcher, RunDelay, build_prog, check, eq, is_root, run_selected,
                 stats, tmpdir)

SOAK_S = float(os.environ.get("MW_SOAK_S", "60"))
RATE = 50
FLUSH_MS = 50
SLACK_S = 0.100
FLOOD_EVENTS_S = 20000  # 10x what the generator makes host-wide: beyond it the host is someone else's
STARVED_S = 0.3         # mapwatch runnable without a CPU for this long in one second: starved
MAIN_LEN, THREAD_LEN = 0x3a3a000, 0x3b3b000
# the plain build for the default-buffer instance, whose RSS is measured (a
# sanitizer runtime's quarantine grows by design); the suite's build (ASan)
# for the 16 KiB one
PLAIN = os.path.join(BUILD, "mapwatch")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def start(binary, args, d, name):
    err = open(os.path.join(d, name + ".err"), "w+")
    p = subprocess.Popen([binary, "-v", *args], stdout=subprocess.DEVNULL, stderr=err)
    end = time.time() + 60
    while True:
        err.seek(0)
        if "tracing all processes" in err.read():
            return p, err
        if p.poll() is not None or time.time() > end:
            p.kill()
            err.seek(0)
            raise Fail(f"{name}: mapwatch did not start: {err.read()[-400:]}")
        time.sleep(0.05)


def stats_of(err):
    err.seek(0)
    text = err.read()
    st = stats(text)
    check(st, f"no --stats: {text[-400:]!r}")
    return {"seen": st["eventsSeen"], "written": st["eventsWritten"], "lost": st["eventsLost"],
            "rb_full": st["lost"]["ringBufferFull"], "unmatched": st["lost"]["unmatchedExit"],
            "pending_full": st["lost"]["pendingMapFull"]}


TS_RE = re.compile(rb'"timestamp":(\d+)')
DUR_RE = re.compile(rb'"durationNs":(\d+)')
PID_RE = re.compile(rb'"hostProcessId":(\d+)')
LEN_RE = re.compile(rb'"name":"(?:length|len)","type":"u64","value":(\d+)')
NAME_RE = re.compile(rb'"eventName":"(\w+)"')


def t_soak():
    gen = build_prog("soakgen.c", "soakgen")
    check(os.path.exists(PLAIN), f"{PLAIN} not built")
    d = tmpdir()
    out_a, out_b = os.path.join(d, "default.json"), os.path.join(d, "small.json")
    common = ["--alerts", "--json", "--stats", "--flush-ms", str(FLUSH_MS)]
    acc = {"lines": 0, "worst": -1.0, "worst_raw": -1.0, "worst_line": b"", "worst_lo": 0.0,
           "late": [], "got": {}}

    def on_line(ln, lo, hi):
        """Each line as it appears: its lateness (judged at the end, when the
        schedstat samples cover it) and the generated processes' calls."""
        if not ln.startswith(b"{"):
            return
        acc["lines"] += 1
        ts = TS_RE.search(ln)
        if ts and lo:
            dur = DUR_RE.search(ln)
            ready = (int(ts.group(1)) + (int(dur.group(1)) if dur else 0)) / 1e9
            late = lo - ready  # it was not in the file yet at lo
            acc["worst_raw"] = max(acc["worst_raw"], late)
            if late > FLUSH_MS / 1000:
                acc["late"].append((late, ready, lo, ln[:600]))
        if b'"soakgen"' not in ln:
            return
        pm, lm, nm = PID_RE.search(ln), LEN_RE.search(ln), NAME_RE.search(ln)
        if not (pm and lm and nm) or nm.group(1) not in (b"mmap", b"munmap"):
            return
        length = int(lm.group(1))
        if MAIN_LEN <= length < MAIN_LEN + 4 * 4096 or THREAD_LEN <= length < THREAD_LEN + 2 * 4096:
            pid = int(pm.group(1))
            acc["got"][pid] = acc["got"].get(pid, 0) + 1

    watch = FileWatcher(out_a, interval=0.01, on_line=on_line)  # from before the file exists
    a, err_a = start(PLAIN, [*common, "-o", out_a], d, "default")
    try:
        b, err_b = start(MAPWATCH, [*common, "--buffer-size", "16K", "-o", out_b], d, "small")
    except Fail:
        a.kill()
        watch.stop()
        raise
    starved = RunDelay(a.pid)
    log = os.path.join(d, "children.log")
    t0 = time.time()
    g = subprocess.Popen([gen, log, str(SOAK_S), str(RATE)])
    rss = []
    smaps = {}
    try:
        next_sample = t0
        while g.poll() is None:
            if time.time() >= next_sample:
                rss.append((round(time.time() - t0), rss_kib(a.pid)))
                if os.environ.get("MW_SOAK_SMAPS"):
                    smaps[rss[-1][0]] = open(f"/proc/{a.pid}/smaps").read()
                next_sample += 5
            time.sleep(0.1)
        rss.append((round(time.time() - t0), rss_kib(a.pid)))
        time.sleep(0.5)
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        starved.stop()
        ra, rb = a.wait(timeout=60), b.wait(timeout=60)
        watch.stop()
    took = time.time() - t0
    eq(g.returncode, 0, "load generator exit status")
    eq((ra, rb), (0, 0), "mapwatch exit statuses")
    sa, sb = stats_of(err_a), stats_of(err_b)
    # The machine is shared: when other programs flood it far beyond this
    # load (another engineer's benchmark), a starved reader may lose events;
    # then every call missing below must be one of those counted lost.
    host_rate = sa["seen"] / (time.time() - t0)
    starved_s = starved.worst_window(1.0)
    flooded = host_rate > FLOOD_EVENTS_S or starved_s > STARVED_S

    # every generated process: its 4 calls and its two threads' 2 each, mapped and unmapped
    spawned = [int(x) for x in open(log).read().split()]
    want = {}  # pid -> children that had it (pids wrap in ten minutes)
    for p in spawned:
        want[p] = want.get(p, 0) + 1
    got = {p: n for p, n in acc["got"].items() if p in want}
    lines, worst_raw = acc["lines"], acc["worst_raw"]
    worst, worst_line, worst_at = max(0.0, worst_raw) if not acc["late"] else 0.0, b"", 0.0
    for late, ready, lo, ln in acc["late"]:
        # the machine is shared: time mapwatch was runnable but had no CPU
        # is not time it kept the record waiting
        late -= starved.waited(ready, lo)
        if late > worst:
            worst, worst_line, worst_at = late, ln, lo - t0
    short = [p for p in want if got.get(p, 0) != 16 * want[p]]
    missing = sum(16 * want[p] - got.get(p, 0) for p in short)
    # memory: flat once warm (the first 15 s fill caches and the buffer's pages)
    warm = [kb for t, kb in rss if t >= 15 and kb]
    growth = (max(warm) - warm[0]) if len(warm) > 1 else 0
    events_s = sa["seen"] / took
    print(f"  soak {took:.0f} s: {events_s:.0f} events/s; default buffer seen {sa['seen']} written "
          f"{sa['written']} lost {sa['lost']} (unmatched exits at attach {sa['unmatched']}); 16 KiB "
          f"buffer seen {sb['seen']} written {sb['written']} lost {sb['lost']}; RSS KiB "
          f"{' '.join(f'{t}s:{kb}' for t, kb in rss)}; worst delay {worst * 1000:.0f} ms over {lines} lines "
          f"(raw {worst_raw * 1000:.0f} ms before subtracting time mapwatch waited for a CPU); host "
          f"{host_rate:.0f} events/s, mapwatch waited for a CPU up to {starved_s:.2f} s in a second",
          flush=True)
    # the accounting is exact: every call seen was written or counted lost
    eq(sa["written"] + sa["rb_full"], sa["seen"], f"default buffer: written + lost = seen ({sa})")
    eq(sb["written"] + sb["rb_full"], sb["seen"], f"16 KiB buffer: written + lost = seen ({sb})")
    # (unmatched exits: calls already in the kernel when mapwatch attached, not losses)
    if not flooded:
        eq((sa["rb_full"], sa["pending_full"]), (0, 0), f"default buffer: events lost at {RATE} processes/s ({sa})")
    eq(len(spawned), int(SOAK_S * RATE), "processes generated")
    if flooded:
        print(f"  NOTE: the host made {host_rate:.0f} events/s (limit {FLOOD_EVENTS_S}) and mapwatch waited "
              f"up to {starved_s:.2f} s of a second for a CPU (limit {STARVED_S}): others' load; losses "
              f"allowed, each accounted for", flush=True)
        check(missing <= sa["rb_full"], f"{missing} generated calls missing, only {sa['rb_full']} counted lost")
    else:
        check(not short, f"{len(short)} of {len(want)} generated processes lack calls "
                         f"(e.g. pid {short[0] if short else 0}: {got.get(short[0], 0) if short else 0} of "
                         f"{16 * want[short[0]] if short else 0})")
    if smaps:
        with open(os.environ["MW_SOAK_SMAPS"], "w") as f:
            for t, text in smaps.items():
                f.write(f"=== {t}\n{text}")
    check(len(warm) > 1, "too few RSS samples")
    check(growth < 1024, f"RSS grew {growth} KiB after warm-up: {rss}")
    if flooded:
        print(f"  NOTE: delivery delay not judged under others' flood (worst {worst * 1000:.0f} ms)", flush=True)
        return
    check(worst <= FLUSH_MS / 1000 + SLACK_S,
          f"a record appeared {worst * 1000:.0f} ms after its call ended (limit {FLUSH_MS + SLACK_S * 1000:.0f} ms), "
          f"{worst_at:.1f} s into the run: {worst_line[:600]!r}")


def main():
    if not is_root():
        print("SKIP all: integration tests need root")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    return run_selected([("soak", t_soak)])


if __name__ == "__main__":
    sys.exit(main())

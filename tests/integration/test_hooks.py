"""test_hooks.py - integration tests (root) of the hook modes: choice, refusals, switching on 32-bit processes."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_native
from lib import (BUILD, MAPWATCH, ROOT, build_prog, check, eq, skipped_without_root, mapwatch, read_json_lines,
                 run_selected, tmpdir)

MODES = ("function", "tracepoint", "dispatcher")


def hooks_line():
    """The 'Hooks here' line of --list: which mode runs here and why better ones were refused."""
    p = mapwatch(["--list"])
    eq(p.returncode, 0, "--list exit status")
    lines = [l for l in p.stdout.splitlines() if l.startswith("Hooks here")]
    eq(len(lines), 1, "'Hooks here' lines in --list")
    return lines[0]


def chosen_mode(line):
    m = re.match(r"Hooks here \(--hook auto\): (\w+)", line)
    check(m and m.group(1) in MODES, f"--list names no hook mode: {line!r}")
    return m.group(1)


def build32(src, out):
    """gcc -m32 -static a test program; None when this machine cannot build or run one."""
    exe = os.path.join(BUILD, "it", out)
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    r = subprocess.run(["gcc", "-m32", "-static", "-O1", "-o", exe,
                        os.path.join(ROOT, "tests", "integration", src)], capture_output=True)
    if r.returncode != 0:
        return None
    try:
        if subprocess.run([exe, "0", "0"], timeout=10).returncode != 0:
            return None
    except OSError:
        return None  # ia32 emulation off: the kernel cannot exec it
    return exe


def t_list_names_mode():
    """--list says which mode auto picks here and, when it is not the best,
    why the better ones were refused (the reason comes from the kernel)."""
    line = hooks_line()
    mode = chosen_mode(line)
    if mode != "function":
        check("refused: function: " in line, f"function mode refused without a reason: {line!r}")
    for m in ("tracepoint", "dispatcher"):
        p = mapwatch(["--hook", m, "--list"])
        eq(p.returncode, 0, f"--hook {m} --list")
        check(f"Hooks here (--hook {m}): {m} " in p.stdout, f"--hook {m} --list names another mode")


def t_function_mode():
    """--hook function either runs (and records what the tracepoints record)
    or exits 1 with the kernel's reason and what to do."""
    mode = chosen_mode(hooks_line())
    if mode == "function":
        _, events, _, _ = run_native(["--hook", "function"])
        check(events, "no events in function mode")
        return
    p = mapwatch(["--hook", "function", "--", "true"])
    eq(p.returncode, 1, "--hook function where fentry is refused: exit status")
    check("--hook function is not possible here (function: " in p.stderr and "use --hook auto" in p.stderr,
          f"refusal line: {p.stderr.strip()!r}")


MMAPCALLS = None


def run_native(extra):
    d = tmpdir()
    log, out = os.path.join(d, "log.json"), os.path.join(d, "events.json")
    files = os.path.join(d, "files")
    os.mkdir(files)
    p = mapwatch(["--json", "--stats", "--output", out, *extra, "--", MMAPCALLS, log, files])
    eq(p.returncode, 0, f"mapwatch {' '.join(extra)} exit status (stderr: {p.stderr.strip()[-400:]})")
    return read_json_lines(log), read_json_lines(out), p.stderr, d


def t_modes_agree():
    """The dispatcher and the per-syscall tracepoints hand the same calls to
    the same entry/exit code: each records every field of every native call."""
    for extra in (["--hook", "dispatcher"], ["--hook", "tracepoint", "--compat", "off"],
                  ["--hook", "tracepoint"]):
        log, events, _, _ = run_native(extra)
        try:
            check_native(log, events)
        except Exception as e:
            raise type(e)(f"{' '.join(extra)}: {e}")


def start_host_wide(args, d):
    out, err = os.path.join(d, "events.json"), os.path.join(d, "err.txt")
    p = subprocess.Popen([MAPWATCH, "-v", "--json", "--stats", "--output", out, *args],
                         stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    end = time.time() + 60
    while "mapwatch: attached" not in open(err).read():
        check(p.poll() is None, f"mapwatch exited: {open(err).read()[-500:]}")
        check(time.time() < end, "mapwatch did not attach in 60 s")
        time.sleep(0.05)
    return p, out, err


def load_calls(events, pid):
    """The load's own calls in the order it made them: its mmaps (MAP_NORESERVE
    marks them, not the loader's) and the munmaps of what they mapped."""
    ours, mine = set(), []
    for e in sorted((e for e in events if e["hostProcessId"] == pid), key=lambda e: e["timestamp"]):
        if e["eventName"] == "mmap" and e["args"][3]["value"] & 0x4000:
            ours.add(e["returnValue"])
            mine.append(e)
        elif e["eventName"] == "munmap" and int(e["args"][0]["value"], 16) in ours:
            mine.append(e)
    return mine


def gaps_in_load(mine, events, runs):
    """Where the load's sequence of calls (mine: load_calls(); mmap, munmap,
    lengths 1..7 pages in turn) breaks, in ms since its first call, beside the
    32-bit runs' first and last calls: what a failure of the switch test is
    judged by (a break at 0.0 ms: the load's first calls went unseen)."""
    if not mine:
        return "no calls of the load"
    t0 = mine[0]["timestamp"]
    ms = lambda e: round((e["timestamp"] - t0) / 1e6, 3)
    out, want = [], 0  # want: index of the next expected call (2 per pair)
    for e in mine:
        pair = (e["args"][1]["value"] // 4096 - 1)
        got = (e["eventName"] == "munmap")
        skipped = (2 * pair + got - want) % 14
        if skipped:
            out.append(f"{skipped} (mod 14) call(s) missing before {e['eventName']} at {ms(e)} ms")
        want = (2 * pair + got + 1) % 14
    spans = []
    for i, rpid in runs:
        ts = [e["timestamp"] for e in events if e["hostProcessId"] == rpid]
        if ts:
            spans.append(f"run {i}: {round((min(ts) - t0) / 1e6, 3)}..{round((max(ts) - t0) / 1e6, 3)} ms")
    return "; ".join(out or ["no gap in the sequence"]) + " | 32-bit " + ", ".join(spans)


def t_switch_on_32bit():
    """Host-wide, as users run it: a steady 64-bit mmap/munmap load while
    32-bit programs start and end six times (MW_SWITCH_RUNS=N: N times). In tracepoint mode the hooks
    switch to the dispatcher and back each time; no 64-bit call may be lost
    or reported twice across the switches, and every 32-bit call made after
    the program's start-up is reported once."""
    hook32 = build32("hook32.c", "hook32")
    if not hook32:
        return "skip: this machine cannot build or run 32-bit programs (gcc-multilib, ia32 emulation)"
    load = build_prog("hookload.c", "hookload")
    mode = chosen_mode(hooks_line())
    d = tmpdir()
    p, out, err = start_host_wide(["--comm", "hookload,hook32", "--buffer-size", "64M"], d)
    try:
        nruns = int(os.environ.get("MW_SWITCH_RUNS", "6"))  # more: a soak of the switching
        w = subprocess.Popen([load, str(1 + 0.6 * nruns)], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        runs = []  # (id, pid): other checkouts may run this test at the same time
        for i in range(nruns):
            r = subprocess.Popen([hook32, "150", str(i)])
            eq(r.wait(timeout=30), 0, f"hook32 run {i} exit status")
            runs.append((i, r.pid))
            time.sleep(0.3)
        wout, _ = w.communicate(timeout=60)
        eq(w.returncode, 0, "hookload exit status")
        time.sleep(0.3)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    eq(p.returncode, 0, "mapwatch exit status")
    n = int(wout.split()[1])
    events = [e for e in read_json_lines(out) if e.get("eventName") != "lost"]
    errtext = open(err).read()
    stats = [json.loads(l) for l in errtext.splitlines() if l.startswith('{"schemaVersion"')]
    eq(len(stats), 1, "--stats --json lines")
    st = stats[0]
    eq(st["lost"]["ringBufferFull"], 0, "events lost to a full ring buffer (the reader fell behind)")
    # the 64-bit load: every pair once
    calls = load_calls(events, w.pid)
    lens = Counter((e["eventName"], e["args"][1]["value"]) for e in calls)
    want = Counter()
    for i in range(n):
        for ev in ("mmap", "munmap"):
            want[(ev, 4096 * (1 + i % 7))] += 1
    if sum(lens.values()) != 2 * n:
        print(f"INFO hooks/switch_on_32bit: {gaps_in_load(calls, events, runs)}; stats {st}", flush=True)
    eq(sum(lens.values()), 2 * n, "64-bit calls reported (each once) across the switches")
    eq(lens, want, "64-bit calls by length")
    # the 32-bit programs: the calls after their start-up
    for i, pid in runs:
        got = Counter((e["eventName"], e["args"][1]["value"]) for e in events
                      if e["hostProcessId"] == pid and e["contextFlags"]["isCompat"]
                      and 4096 * (1000 + i * 16) <= e["args"][1]["value"] < 4096 * (1000 + i * 16 + 8))
        eq(sum(got.values()), 16, f"32-bit run {i}: its 8 mmap2 and 8 munmap calls")
        eq(set(k[0] for k in got), {"mmap2", "munmap"}, f"32-bit run {i}: event names")
    eq(st["lost"]["unmatchedExit"], 0, "unmatched exits")
    if mode == "tracepoint":
        to_disp = errtext.count("dispatcher attached")
        back = errtext.count("dispatcher detached")
        check(to_disp >= 1 and back >= 1, f"no switch seen (to dispatcher {to_disp}, back {back})")
        hs = st["hooks"]
        eq(hs["mode"], "tracepoint", "hook mode in --stats")
        eq(hs["toDispatcher"], to_disp, "switches counted vs reported")
        eq(hs["skippedRuns"], 0, "program runs the kernel skipped (recursion_misses)")
        # each of the six 32-bit runs got its switch (a watcher blocked
        # closing tracepoints once missed every other one)
        eq(sorted(set(int(x) for x in re.findall(r"32-bit process (\d+) started", errtext))
                  & {pid for _, pid in runs}), sorted(pid for _, pid in runs), "32-bit runs switched for")
        print(f"INFO hooks/switch_on_32bit: {hs}; 64-bit pairs {n}", flush=True)


def main():
    global MMAPCALLS
    if skipped_without_root():
        return 0
    MMAPCALLS = build_prog("mmapcalls.c", "mmapcalls")
    tests = [("hooks/list_names_mode", t_list_names_mode), ("hooks/function_mode", t_function_mode),
             ("hooks/modes_agree", t_modes_agree), ("hooks/switch_on_32bit", t_switch_on_32bit)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

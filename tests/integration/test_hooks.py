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


def build32(src, out, flags=(), probe=("0", "0")):
    """gcc -m32 -static (and flags) a test program, then run it once with probe's arguments;
    None when this machine cannot build or run one."""
    exe = os.path.join(BUILD, "it", out)
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    r = subprocess.run(["gcc", "-m32", "-static", *flags, "-O1", "-o", exe,
                        os.path.join(ROOT, "tests", "integration", src)], capture_output=True)
    if r.returncode != 0:
        return None
    try:
        if subprocess.run([exe, *probe], timeout=10).returncode != 0:
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


def switch_run(hook):
    """Host-wide, as users run it: a steady 64-bit mmap/munmap load while
    32-bit programs start and end six times (MW_SWITCH_RUNS=N: N times). No
    64-bit call may be lost or reported twice, and every 32-bit call is
    reported once. hook None (auto): the mode that sees 32-bit programs from
    their first instruction, so each run makes its calls at once. hook
    "tracepoint": the hooks switch to the dispatcher and back each time, and
    a 32-bit start's window before the switch is by design (counted): each
    run waits for mapwatch to say its dispatcher is attached, so what is
    judged is the switch's behaviour, not this machine's speed."""
    hook32 = build32("hook32.c", "hook32")
    if not hook32:
        return "skip: this machine cannot build or run 32-bit programs (gcc-multilib, ia32 emulation)"
    load = build_prog("hookload.c", "hookload")
    d = tmpdir()
    extra = ["--hook", hook] if hook else []
    p, out, err = start_host_wide(["--comm", "hookload,hook32", "--buffer-size", "64M", *extra], d)
    try:
        nruns = int(os.environ.get("MW_SWITCH_RUNS", "6"))  # more: a soak of the switching
        w = subprocess.Popen([load, str(1 + 0.6 * nruns)], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        runs = []  # (id, pid): other checkouts may run this test at the same time
        for i in range(nruns):
            if hook == "tracepoint":
                r = subprocess.Popen([hook32, "-", str(i)], stdin=subprocess.PIPE)
                end = time.time() + 30
                while f"32-bit process {r.pid} started: dispatcher attached" not in open(err).read():
                    check(time.time() < end, f"run {i}: no switch reported for pid {r.pid} in 30 s")
                    time.sleep(0.01)
                r.stdin.close()  # go
            else:
                r = subprocess.Popen([hook32, "0", str(i)])
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
        print(f"INFO hooks/switch: {gaps_in_load(calls, events, runs)}; stats {st}", flush=True)
    eq(sum(lens.values()), 2 * n, "64-bit calls reported (each once) across the switches")
    eq(lens, want, "64-bit calls by length")
    # the 32-bit programs: every call of theirs
    for i, pid in runs:
        got = Counter((e["eventName"], e["args"][1]["value"]) for e in events
                      if e["hostProcessId"] == pid and e["contextFlags"]["isCompat"]
                      and 4096 * (1000 + i * 16) <= e["args"][1]["value"] < 4096 * (1000 + i * 16 + 8))
        eq(sum(got.values()), 16, f"32-bit run {i}: its 8 mmap2 and 8 munmap calls")
        eq(set(k[0] for k in got), {"mmap2", "munmap"}, f"32-bit run {i}: event names")
    eq(st["lost"]["unmatchedExit"], 0, "unmatched exits")
    hs = st["hooks"]
    eq(hs["skippedRuns"], 0, "program runs the kernel skipped (recursion_misses)")
    if hook == "tracepoint":
        to_disp = errtext.count("dispatcher attached")
        back = errtext.count("dispatcher detached")
        check(to_disp >= 1 and back >= 1, f"no switch seen (to dispatcher {to_disp}, back {back})")
        eq(hs["mode"], "tracepoint", "hook mode in --stats")
        eq(hs["compat"], "afterSwitch", "32-bit coverage in --stats")
        eq(hs["toDispatcher"], to_disp, "switches counted vs reported")
        check("warning: --hook tracepoint:" in errtext, "--hook tracepoint started without its warning")
        # each of the 32-bit runs got its switch (a watcher blocked
        # closing tracepoints once missed every other one)
        eq(sorted(set(int(x) for x in re.findall(r"32-bit process (\d+) started", errtext))
                  & {pid for _, pid in runs}), sorted(pid for _, pid in runs), "32-bit runs switched for")
    else:
        check(hs["mode"] in ("function", "dispatcher"), f"auto mode with 32-bit tasks: {hs['mode']}")
        eq(hs["compat"], "fromStart", "32-bit coverage in --stats")
        eq((hs["toDispatcher"], hs["switchGap"]), (0, 0), "switches and 32-bit starts unseen")
        check("warning" not in errtext, f"a warning in auto mode: {errtext[-300:]!r}")
    print(f"INFO hooks/switch ({hook or 'auto'}): {hs}; 64-bit pairs {n}", flush=True)


def t_switch_on_32bit():
    return switch_run("tracepoint")


def t_auto_sees_32bit_at_once():
    return switch_run(None)


def build_nolibc32(src, out):
    """build32() of a program without a C library (its own _start), probed with no argument."""
    return build32(src, out, ("-nostdlib", "-ffreestanding", "-fno-pie", "-no-pie", "-fno-stack-protector",
                              "-Wall", "-Werror"), probe=())


def race_32bit(opts, progs, d):
    """mapwatch host-wide with opts, scoped to progs' executables (--exe: by
    inode; --comm, a renamable name, is refused with --kill-wx), beside a
    CPU-bound loop on every core; each program run 40 times right after
    "attached" and 40 times 2 s later. Returns ({prog: [(exit status, marker
    made)]}, alerts)."""
    names = ",".join(progs)
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(os.cpu_count() or 2)]
    runs = {x: [] for x in progs}
    try:
        p, out, err = start_host_wide(["--exe", names, *opts], d)
        try:
            for phase in range(2):
                if phase:
                    time.sleep(2)
                for i in range(40):
                    for x in progs:
                        marker = os.path.join(d, f"{os.path.basename(x)}-{phase}-{i}")
                        r = subprocess.run([x, marker], timeout=30)
                        runs[x].append((r.returncode, os.path.exists(marker)))
        finally:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=60)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    eq(p.returncode, 0, f"mapwatch {' '.join(opts)} exit status: {open(err).read()[-400:]}")
    alerts = [e for e in read_json_lines(out) if e.get("eventName") == "alert"]
    st = [json.loads(l) for l in open(err).read().splitlines() if l.startswith('{"schemaVersion"')]
    eq(len(st), 1, "--stats --json lines")
    eq(st[0]["hooks"]["switchGap"], 0, "32-bit starts before the dispatcher (hooks.switchGap)")
    return runs, alerts


def t_no_32bit_window():
    """The race an attacker arranges: a no-libc i386 program whose first system
    call asks mmap2(RWX), and a 64-bit program asking mprotect(RWX) through int
    0x80, started right after mapwatch says "attached" and again later, while
    every core is busy. --kill-wx kills every run before its payload (a marker
    file) and --alerts-only reports every run."""
    first = build_nolibc32("first32.c", "first32")
    if not first:
        return "skip: this machine cannot build or run i386 programs (gcc-multilib, ia32 emulation)"
    int80 = build_prog("int80wx.c", "int80wx")
    if subprocess.run([int80], timeout=10).returncode != 0:
        return "skip: int 0x80 does not work here (no ia32 emulation)"
    progs = [first, int80]
    kinds = {first: "wx_mapping", int80: "wx_mprotect"}
    d = tmpdir()
    runs, alerts = race_32bit(["--kill-wx", "--alerts-only"], progs, d)
    for x in progs:
        name = os.path.basename(x)
        eq(sum(1 for rc, _ in runs[x] if rc == -signal.SIGKILL), 80, f"{name} runs killed under --kill-wx")
        eq(sum(1 for _, made in runs[x] if made), 0, f"{name} payloads that ran under --kill-wx")
        k = [a for a in alerts if a["processName"] == name and a["alert"]["kind"] == kinds[x]]
        eq(len(k), 80, f"{name} {kinds[x]} alerts under --kill-wx")
        check(all(a["alert"].get("action") == "killed" or a.get("action") == "killed" for a in k),
              f"{name}: an alert without action killed")
    d = tmpdir()
    runs, alerts = race_32bit(["--alerts-only"], progs, d)
    for x in progs:
        name = os.path.basename(x)
        eq(sum(1 for rc, made in runs[x] if rc == 0 and made), 80, f"{name} runs completed under --alerts-only")
        k = [a for a in alerts if a["processName"] == name and a["alert"]["kind"] == kinds[x]]
        eq(len(k), 80, f"{name} {kinds[x]} alerts under --alerts-only")
        eq(len({a["hostProcessId"] for a in k}), 80, f"{name}: runs alerted for")
        check(all(a["contextFlags"]["isCompat"] for a in k), f"{name}: alert for a call not marked 32-bit")


def t_tracepoint_refused_for_alerts():
    """--hook tracepoint cannot promise 32-bit detection: with --kill-wx or
    --alerts it is a usage error (one line, what to do), unless 32-bit tasks
    are not traced."""
    if not mw_compat():
        return "skip: this kernel runs no 32-bit code"
    for opt in ("--kill-wx", "--alerts", "--alerts-only"):
        p = mapwatch(["--hook", "tracepoint", opt, "--", "true"])
        check(p.returncode != 0, f"--hook tracepoint {opt}: exit status 0")
        lines = p.stderr.strip().splitlines()
        eq(len(lines), 1, f"--hook tracepoint {opt}: error lines ({p.stderr!r})")
        check("use --hook auto" in lines[0], f"--hook tracepoint {opt}: {lines[0]!r}")
    p = mapwatch(["--hook", "tracepoint", "--compat", "off", "--kill-wx", "--", "true"])
    eq(p.returncode, 0, f"--hook tracepoint --compat off --kill-wx: {p.stderr.strip()[-300:]}")


def mw_compat():
    """Does this kernel run 32-bit code (a 32-bit getpid by int 0x80 in a child)?"""
    exe = build_prog("int80wx.c", "int80wx")
    return subprocess.run([exe], timeout=10).returncode == 0


def main():
    global MMAPCALLS
    if skipped_without_root():
        return 0
    MMAPCALLS = build_prog("mmapcalls.c", "mmapcalls")
    tests = [("hooks/list_names_mode", t_list_names_mode), ("hooks/function_mode", t_function_mode),
             ("hooks/modes_agree", t_modes_agree), ("hooks/switch_on_32bit", t_switch_on_32bit),
             ("hooks/auto_sees_32bit_at_once", t_auto_sees_32bit_at_once),
             ("hooks/no_32bit_window", t_no_32bit_window),
             ("hooks/tracepoint_refused_for_alerts", t_tracepoint_refused_for_alerts)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

"""test_summary.py - summary mode (-c): exact counts, errors and bytes against the program's own call log; --interval; host-wide grouping."""
import errno as errnomod
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import MAPWATCH, build_prog, check, eq, is_root, mapwatch, run_selected, tmpdir

EVENTS = "mmap,mmap2,munmap,mprotect,pkey_mprotect,mremap,msync"
BODY = "mw-sum-body"  # the comm sumprog makes its calls under


def prog(bits=64):
    if bits == 32:
        return build_prog("sumprog.c", "sumprog32", ["-m32"])
    return build_prog("sumprog.c", "sumprog")


def can_run32():
    try:
        exe = prog(32)
    except subprocess.CalledProcessError:
        return None
    if subprocess.run([exe, "/dev/null"]).returncode != 0:
        return None
    return exe


def calls_of(log):
    out = []
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "call":
                out.append(r)
    check(out, f"{log}: no calls logged")
    return out


def expected(calls, only_failed=False):
    """Per event: calls, errors, errno counts and bytes, from the call log."""
    exp = {}
    for c in calls:
        ret = c["ret"]
        failed = -4095 <= ret < 0
        if only_failed and not failed:
            continue
        e = exp.setdefault(c["event"], {"calls": 0, "errors": 0, "errnos": {}, "bytesMapped": 0,
                                        "bytesUnmapped": 0, "bytesProtected": 0})
        e["calls"] += 1
        a = c["args"]
        if failed:
            e["errors"] += 1
            name = errnomod.errorcode[-ret]
            e["errnos"][name] = e["errnos"].get(name, 0) + 1
            continue
        ev = c["event"]
        if ev in ("mmap", "mmap2"):
            e["bytesMapped"] += a[1]
        elif ev == "munmap":
            e["bytesUnmapped"] += a[1]
        elif ev in ("mprotect", "pkey_mprotect"):
            e["bytesProtected"] += a[1]
        elif ev == "mremap":
            e["bytesUnmapped"] += a[1]
            e["bytesMapped"] += a[2]
    return exp


KEYS = ("calls", "errors", "errnos", "bytesMapped", "bytesUnmapped", "bytesProtected")


def got_of_group(g):
    return {ev["syscall"]: {k: ev[k] for k in KEYS} for ev in g["events"]}


def add_into(total, g):
    for name, v in got_of_group(g).items():
        t = total.setdefault(name, {k: 0 for k in KEYS if k != "errnos"} | {"errnos": {}})
        for k in KEYS:
            if k == "errnos":
                for en, n in v["errnos"].items():
                    t["errnos"][en] = t["errnos"].get(en, 0) + n
            else:
                t[k] += v[k]


def run_summary(exe, args, log, prog_args=()):
    r = mapwatch(["-c", *args, "--comm", BODY, "-e", EVENTS, "--", exe, log, *prog_args], timeout=90)
    eq(r.returncode, 0, f"mapwatch exit status (stderr: {r.stderr[-400:]})")
    return r


def t_json_exact(bits):
    def t():
        if not is_root():
            return "skip: needs root"
        exe = prog() if bits == 64 else can_run32()
        if not exe:
            return "skip: this kernel does not run 32-bit programs"
        d = tmpdir()
        log = os.path.join(d, "calls.log")
        r = run_summary(exe, ["--json"], log, ["3"])
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        eq(len(lines), 1, "JSON reports")
        rep = json.loads(lines[0])
        eq(rep["eventName"], "summary", "eventName")
        eq(rep["lost"], 0, "lost")
        eq(len(rep["groups"]), 1, "groups in event mode")
        g = rep["groups"][0]
        exp = expected(calls_of(log))
        eq(got_of_group(g), exp, "per-event counts, errors and bytes")
        eq(g["calls"], sum(e["calls"] for e in exp.values()), "total calls")
        eq(g["errors"], sum(e["errors"] for e in exp.values()), "total errors")
        check(g["seconds"] > 0 and all(ev["seconds"] > 0 for ev in g["events"]), "time was measured")
        check(abs(sum(ev["percentTime"] for ev in g["events"]) - 100) < 0.1, "% time sums to 100")
    return t


ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)(.*)\s(\S+)$")


def parse_table(text):
    """Rows of the strace -c style table: name -> fields; and the errors line."""
    rows, errs = {}, {}
    lines = text.splitlines()
    head = [i for i, l in enumerate(lines) if l.startswith("% time")]
    check(head, f"no table header in {text[:300]!r}")
    hdr = lines[head[0]]
    cols = {n: hdr.index(n) + len(n) for n in ("errors", "mapped", "unmapped", "protected")}
    for l in lines[head[0] + 2:]:
        if l.startswith("------"):
            continue
        if l.startswith("errors:"):
            for part in l[len("errors:"):].split(";"):
                name, lst = part.split(":")
                errs[name.strip()] = {en: int(n) for en, n in (x.split() for x in lst.split(","))}
            continue
        m = ROW.match(l)
        if not m:
            continue

        def col(name, width):
            s = l[cols[name] - width:cols[name]].strip()
            return int(s) if s else 0
        rows[m.group(6)] = {"calls": int(m.group(4)), "errors": col("errors", 9),
                            "bytesMapped": col("mapped", 12), "bytesUnmapped": col("unmapped", 12),
                            "bytesProtected": col("protected", 12)}
    return rows, errs


def t_table_exact():
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    log = os.path.join(d, "calls.log")
    r = run_summary(prog(), [], log, ["2"])
    rows, errs = parse_table(r.stdout)
    exp = expected(calls_of(log))
    for name, e in exp.items():
        check(name in rows, f"no row for {name} in\n{r.stdout}")
        eq({k: rows[name][k] for k in rows[name]}, {k: e[k] for k in e if k != "errnos"}, f"row {name}")
        eq(errs.get(name, {}), e["errnos"], f"errno breakdown of {name}")
    eq(set(rows) - {"total"}, set(exp), "rows")
    eq(rows["total"]["calls"], sum(e["calls"] for e in exp.values()), "total calls")
    eq(rows["total"]["errors"], sum(e["errors"] for e in exp.values()), "total errors")


def t_filters():
    """Result filters still apply in the kernel: --failed counts only the failures, --errno one errno."""
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    log = os.path.join(d, "calls.log")
    r = run_summary(prog(), ["--json", "--failed"], log, ["2"])
    g = json.loads(r.stdout)["groups"][0]
    eq(got_of_group(g), expected(calls_of(log), only_failed=True), "--failed summary")
    r = run_summary(prog(), ["--json", "--errno", "EBADF"], log, ["2"])
    g = json.loads(r.stdout)["groups"][0]
    nbadf = sum(1 for c in calls_of(log) if c["ret"] == -errnomod.EBADF)
    eq([(e["syscall"], e["calls"], e["errnos"]) for e in g["events"]],
       [("mmap", nbadf, {"EBADF": nbadf})], "--errno EBADF summary")


def t_interval():
    """--interval 1 over a 4.5 s program: 5 reports (4 full seconds and the rest at the end) adding up to the totals."""
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    log = os.path.join(d, "calls.log")
    t0 = time.time()
    r = run_summary(prog(), ["--json", "--interval", "1"], log, ["5", "0.9", "4.5"])
    took = time.time() - t0
    reps = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    eq(len(reps), 5, f"reports over {took:.2f} s")
    check(all(rep["interval"] for rep in reps), "every report marked as an interval report")
    for rep in reps[:4]:
        check(0.8 < rep["seconds"] < 1.3, f"a full interval lasts about 1 s: {rep['seconds']}")
    check(sum(1 for rep in reps if rep["groups"]) >= 4, "calls spread over the reports")
    total = {}
    for rep in reps:
        for g in rep["groups"]:
            add_into(total, g)
    eq(total, expected(calls_of(log)), "sum of the interval reports")


def t_no_records():
    """In summary mode no per-call record crosses the ring buffer (--stats: written 0)."""
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    log = os.path.join(d, "calls.log")
    r = run_summary(prog(), ["--stats"], log, ["2"])
    m = re.search(r"events seen (\d+), written (\d+)", r.stderr)
    check(m, f"no stats line: {r.stderr[-300:]}")
    eq(int(m.group(2)), 0, "records written")
    eq(int(m.group(1)), len(calls_of(log)), "calls seen in the kernel")


def wait_attached(p, errf, timeout=30):
    end = time.time() + timeout
    while "mapwatch: attached" not in open(errf).read():
        check(p.poll() is None, f"mapwatch exited: {open(errf).read()[-300:]}")
        check(time.time() < end, "mapwatch did not attach")
        time.sleep(0.05)


def t_host_wide():
    """Host-wide, while other processes run: the program shows under its pid and comm, its exe, and no container."""
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    insts = []
    for by in ("process", "comm", "exe", "container"):
        out, errf = os.path.join(d, by + ".json"), os.path.join(d, by + ".err")
        p = subprocess.Popen([MAPWATCH, "-v", "-c", "--json", "--summary-by", by, "-o", out],
                             stdout=subprocess.DEVNULL, stderr=open(errf, "w"))
        insts.append((by, p, out, errf))
    try:
        for by, p, out, errf in insts:
            wait_attached(p, errf)
        log = os.path.join(d, "calls.log")
        exe = prog()
        subprocess.run([exe, log, "3", "0.2"], check=True)
        time.sleep(0.3)
    finally:
        for by, p, out, errf in insts:
            p.send_signal(signal.SIGINT)
        for by, p, out, errf in insts:
            p.wait(timeout=30)
    calls = calls_of(log)
    pid = calls[0]["pid"]
    exp = expected(calls)
    reps = {}
    for by, p, out, errf in insts:
        eq(p.returncode, 0, f"mapwatch --summary-by {by} exit status")
        # host-wide, calls in flight at the start are reported as lost (unmatched exits)
        lines = [json.loads(l) for l in open(out).read().splitlines()]
        lines = [l for l in lines if l["eventName"] == "summary"]
        eq(len(lines), 1, f"--summary-by {by} reports")
        reps[by] = lines[0]
    gs = [g for g in reps["process"]["groups"] if g["hostProcessId"] == pid and g["processName"] == BODY]
    eq(len(gs), 1, f"groups of pid {pid} ({BODY})")
    eq(got_of_group(gs[0]), exp, "the process's summary")
    gs = [g for g in reps["comm"]["groups"] if g["processName"] == BODY]
    eq(len(gs), 1, f"groups of comm {BODY}")
    eq(got_of_group(gs[0]), exp, "the comm's summary")
    gs = [g for g in reps["exe"]["groups"] if g["executable"]["path"] == exe]
    eq(len(gs), 1, f"groups of exe {exe}")
    st = os.stat(exe)
    eq(gs[0]["executable"]["inode"], st.st_ino, "exe group inode")
    got = got_of_group(gs[0])
    for name, e in exp.items():  # the exe group also holds what the loader mapped for it
        check(got[name]["calls"] >= e["calls"] and got[name]["errors"] >= e["errors"],
              f"exe group {name}: {got[name]} vs {e}")
    gs = [g for g in reps["container"]["groups"] if g["containerId"] is None]
    eq(len(gs), 1, "host (no container) group")
    check(gs[0]["calls"] >= len(calls), "host group holds the program's calls")


def t_top_and_table_groups():
    """--summary-by process --top 1 under -- COMMAND: the loader's group and the body's; one shown."""
    if not is_root():
        return "skip: needs root"
    d = tmpdir()
    log = os.path.join(d, "calls.log")
    r = mapwatch(["-c", "--json", "--summary-by", "process", "--top", "1", "--", prog(), log, "20"])
    eq(r.returncode, 0, "exit status")
    rep = json.loads(r.stdout)
    eq(len(rep["groups"]), 1, "groups shown")
    check(rep["groupsNotShown"] >= 1, f"groups not shown: {rep['groupsNotShown']}")
    eq(rep["groups"][0]["processName"], BODY, "the largest group (20 rounds)")
    r = mapwatch(["-c", "--summary-by", "comm", "--", prog(), log])
    eq(r.returncode, 0, "exit status")
    check(f"comm {BODY}\n% time" in r.stdout and "comm sumprog\n" in r.stdout,
          f"a table per comm:\n{r.stdout}")


def t_usage():
    for args, what in ((["--top", "3"], "needs -c"), (["-c", "--alerts"], "cannot raise alerts"),
                       (["-c", "--summary-by", "tid"], "must be event"),
                       (["-c", "--interval", "0"], "from 0.1"), (["-c", "--top", "0"], "from 1")):
        r = mapwatch(args)
        eq(r.returncode, 2, f"exit status of {args}")
        check(what in r.stderr and r.stderr.count("\n") == 1, f"{args}: {r.stderr!r}")


TESTS = [
    ("summary/json_exact_64", t_json_exact(64)),
    ("summary/json_exact_32", t_json_exact(32)),
    ("summary/table_exact", t_table_exact),
    ("summary/filters", t_filters),
    ("summary/interval", t_interval),
    ("summary/no_per_call_records", t_no_records),
    ("summary/host_wide_groups", t_host_wide),
    ("summary/top_and_groups", t_top_and_table_groups),
    ("summary/usage", t_usage),
]

if __name__ == "__main__":
    sys.exit(run_selected(TESTS))

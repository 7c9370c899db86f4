"""test_filters.py - every in-kernel filter against an unfiltered run of the same workload, and exact loss accounting."""
import collections
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, arg_values, build_prog, check, eq, skipped_without_root, read_json_lines, stats,
                 run_selected, tmpdir)

CID = "3f2a9c1b7d6e5f4a" + "0123456789abcdef" * 3  # 64 hex digits


def cgroup2_root():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if " - cgroup2 " in line:
                return line.split()[4]
    return "/sys/fs/cgroup"


def start_mw(args, d, name):
    out = os.path.join(d, name + ".json")
    err = open(os.path.join(d, name + ".err"), "w")
    p = subprocess.Popen([MAPWATCH, "-v", "--json", "--stats", "--output", out, *args],
                         stdout=subprocess.DEVNULL, stderr=err)
    return {"p": p, "out": out, "err": err.name, "args": args}


def wait_attached(insts, timeout=120):
    # ~33 instances start at once, each verifying its programs: on a shared 2-core
    # machine under load that takes longer than 30 s
    end = time.time() + timeout
    for i in insts:
        while "mapwatch: attached" not in open(i["err"]).read():
            if i["p"].poll() is not None:
                raise AssertionError(f"mapwatch {i['args']} exited: {open(i['err']).read()[-500:]}")
            if time.time() > end:
                raise AssertionError(f"mapwatch {i['args']} did not attach")
            time.sleep(0.05)


def stop(insts):
    for i in insts:
        i["p"].send_signal(signal.SIGINT)
    for i in insts:
        i["p"].wait(timeout=30)


def key(e):
    return (e["hostThreadId"], e["eventName"], tuple(arg_values(e)), e["returnValue"])


def argv(e, name):
    for a in e["args"]:
        if a["name"] == name:
            v = a["value"]
            return int(v, 16) if isinstance(v, str) else v
    return None


# (filter args, predicate over a truth event) -- built once the workload's ids are known
def cases(ids):
    def prot(e):
        return argv(e, "prot")

    def flags(e):
        return argv(e, "flags") if e["eventName"] in ("mmap", "mmap2") else None

    def kind(e):
        if e["eventName"] not in ("mmap", "mmap2"):
            return None
        return e["file"]["kind"] if "file" in e else "none"

    def failed(e):
        return -4095 <= e["returnValue"] < 0

    return [
        (["--comm", "fw-child"], lambda e: e["processName"] == "fw-child"),
        (["--comm", "!=filterwork,fw-ns"], lambda e: e["processName"] not in ("filterwork", "fw-ns")),
        (["--uid", "65534"], lambda e: e["userId"] == 65534),
        (["--uid", "!=0"], lambda e: e["userId"] != 0),
        (["--pid", str(ids["main"])], lambda e: e["hostProcessId"] == ids["main"]),
        (["--pid", str(ids["main"]), "--follow"], lambda e: True),
        (["--tid", str(ids["main"])], lambda e: e["hostThreadId"] == ids["main"]),
        (["--exe", "/bin/true"], lambda e: e["executable"]["path"] == os.path.realpath("/bin/true")),
        (["--cgroup", ids["cgroup"]], lambda e: e["cgroupId"] == ids["cgroup_id"]),
        (["--cgroup", str(ids["cgroup_parent_id"])], lambda e: e["cgroupId"] == ids["cgroup_id"]),
        (["--container", "all"], lambda e: e["cgroupId"] == ids["cgroup_id"]),
        (["--container", CID[:12]], lambda e: e["cgroupId"] == ids["cgroup_id"]),
        (["--container", "0123456789ab"], lambda e: False),
        (["--container", "none"], lambda e: e["cgroupId"] != ids["cgroup_id"]),
        (["--mntns", f"!={ids['host_mntns']}"], lambda e: e["mountNamespace"] != ids["host_mntns"]),
        (["--mntns", "/proc/self/ns/mnt"], lambda e: e["mountNamespace"] == ids["host_mntns"]),
        (["--pidns", f"!={ids['host_pidns']}"], lambda e: e["pidNamespace"] != ids["host_pidns"]),
        (["--prot-all", "W,X"], lambda e: prot(e) is not None and prot(e) & 6 == 6),
        (["--prot-any", "X"], lambda e: prot(e) is not None and prot(e) & 4 != 0),
        (["--prot-any", "!=W"], lambda e: prot(e) is not None and prot(e) & 2 == 0),
        (["--flags-all", "MAP_SHARED"], lambda e: flags(e) is not None and flags(e) & 0xF == 1),
        (["--flags-any", "MAP_FIXED,MAP_POPULATE"],
         lambda e: flags(e) is not None and flags(e) & (0x10 | 0x8000) != 0),
        (["--fd-kind", "anon"], lambda e: kind(e) == "none"),
        (["--fd-kind", "file"], lambda e: kind(e) in ("regular", "shm", "deleted", "memfd")),
        (["--fd-kind", "memfd,badfd"], lambda e: kind(e) in ("memfd", "badfd")),
        (["--path", "/usr/lib"],
         lambda e: "file" in e and e["file"].get("path", "").startswith("/usr/lib/")),
        (["--failed"], failed),
        (["--succeeded"], lambda e: not failed(e)),
        (["--errno", "EBADF,EINVAL"], lambda e: e.get("errno") in ("EBADF", "EINVAL")),
        (["--min-length", "1M"], lambda e: argv(e, e["args"][1]["name"]) >= (1 << 20)),
        (["--comm", "filterwork", "--prot-any", "W", "--succeeded"],
         lambda e: e["processName"] == "filterwork" and prot(e) is not None and prot(e) & 2
         and not failed(e)),
        (["--events", "munmap", "--min-length", "8K"],
         lambda e: e["eventName"] == "munmap" and argv(e, "length") >= 8192),
    ]


def t_filters():
    prog = build_prog("filterwork.c", "filterwork")
    d = tmpdir()
    files = os.path.join(d, "files")
    os.mkdir(files)
    root = cgroup2_root()
    parent = os.path.join(root, f"mapwatch-test-{os.getpid()}")
    cg = os.path.join(parent, f"docker-{CID}.scope")
    os.makedirs(cg, exist_ok=True)
    log = os.path.join(d, "log.json")
    w = subprocess.Popen([prog, log, files, cg], stdin=subprocess.PIPE, text=True)
    insts = []
    try:
        ids = {"main": w.pid, "cgroup": cg, "cgroup_id": os.stat(cg).st_ino,
               "cgroup_parent_id": os.stat(parent).st_ino,
               "host_pidns": os.stat("/proc/self/ns/pid").st_ino,
               "host_mntns": os.stat("/proc/self/ns/mnt").st_ino}
        truth = start_mw([], d, "truth")
        all_cases = cases(ids)
        for n, (args, _) in enumerate(all_cases):
            insts.append((n, start_mw(args, d, f"f{n}")))
        wait_attached([truth] + [i for _, i in insts])
        w.stdin.write("go\n")
        w.stdin.close()
        eq(w.wait(timeout=60), 0, "workload exit status")
        time.sleep(0.5)
    finally:
        if w.poll() is None:
            w.kill()
        stop(([truth] if "truth" in dir() else []) + [i for _, i in insts])
    procs = {x["role"]: x["pid"] for x in read_json_lines(log) if x.get("type") == "proc"}
    tree = set(procs.values())
    tevents = [e for e in read_json_lines(truth["out"]) if e.get("hostProcessId") in tree]
    ns_ev = [e for e in tevents if e["hostProcessId"] == procs["ns"]]
    check(ns_ev, "no events from the namespaced child")
    check(ns_ev[0]["mountNamespace"] != ids["host_mntns"], "the namespaced child's mount namespace")
    check(ns_ev[0]["processId"] == 1 and ns_ev[0]["hostProcessId"] != 1,
          f"namespaced pid: {ns_ev[0]['processId']} / {ns_ev[0]['hostProcessId']}")
    eq(ns_ev[0]["containerId"], CID, "containerId of the event in the docker-style cgroup")
    check(all(e["containerId"] == "" for e in tevents if e["hostProcessId"] != procs["ns"]),
          "containerId outside a container")
    all_cases = cases(ids)
    failures = []
    tst = stats(open(truth["err"]).read())
    truth_unmatched = tst["lost"]["unmatchedExit"] if tst else 0
    for n, inst in insts:
        args, pred = all_cases[n]
        got = collections.Counter(key(e) for e in read_json_lines(inst["out"])
                                  if e.get("hostProcessId") in tree)
        want = collections.Counter(key(e) for e in tevents if pred(e)
                                   and (args[0] != "--events" or e["eventName"] == "munmap"))
        err = open(inst["err"]).read()
        st = stats(err)
        if got != want:
            failures.append(f"{args}: {len(got)} events, want {len(want)}; "
                            f"extra {list((got - want).keys())[:2]} missing {list((want - got).keys())[:2]}")
        elif not st or (len(want) < len(tevents) and st["filteredInKernel"] + st.get("outsideTracedTree", 0) == 0
                        and args[0] != "--events"):
            failures.append(f"{args}: the kernel's filtered counter shows nothing dropped ({err[-300:]})")
        elif (st["lost"]["unmatchedExit"] > 2 + truth_unmatched
              and st["lost"]["unmatchedExit"] >= (len(tevents) - sum(want.values())) // 2):
            # the bug this guards against leaves one unmatched exit per call the filter
            # rejected; host-wide, a few calls of other processes (two dozen mapwatch
            # instances starting at once) are already inside the kernel when an
            # instance attaches, as for the unfiltered one
            failures.append(f"{args}: {st['lost']['unmatchedExit']} exits counted as unmatched "
                            f"(unfiltered instance: {truth_unmatched}), "
                            f"{len(tevents) - sum(want.values())} calls rejected: calls the filter "
                            "rejected were taken for lost ones")
        elif not want and args != ["--container", "0123456789ab"]:
            failures.append(f"{args}: the case selects nothing; it tests nothing")
    check(not failures, "; ".join(failures))
    os.rmdir(cg)
    os.rmdir(parent)


def t_filter_errors():
    for args, word in ((["--prot-all", "W,Q"], "'Q'"), (["--flags-any", "MAP_NOPE"], "MAP_NOPE"),
                       (["--errno", "EFOO"], "EFOO"), (["--fd-kind", "weird"], "weird"),
                       (["--exe", "/nonexistent"], "/nonexistent"), (["--pid", "abc"], "abc"),
                       (["--container", "all,xyz"], "xyz"), (["--follow"], "--pid"),
                       (["--comm", "bash", "--comm", "!=sh"], "negated"),
                       (["--min-length", "12Q"], "12Q"), (["--failed", "--succeeded"], "exclude"),
                       (["--succeeded", "--errno", "EINVAL"], "--succeeded")):
        p = subprocess.run([MAPWATCH, *args], capture_output=True, text=True, timeout=20)
        eq(p.returncode, 2, f"{args} exit status")
        eq(len(p.stderr.strip().split("\n")), 1, f"{args}: one line: {p.stderr!r}")
        check(word in p.stderr, f"{args}: the error should point at {word}: {p.stderr!r}")


def t_loss_exact():
    """Reader stopped while the workload overflows a small ring buffer:
    written + reported lost == the workload's calls, exactly."""
    prog = build_prog("lossload.c", "lossload", extra=("-static",))
    d = tmpdir()
    out = os.path.join(d, "ev.json")
    gofile = os.path.join(d, "go")
    n = 20000
    mw = subprocess.Popen([MAPWATCH, "--json", "--stats", "--buffer-size", "64K", "--events",
                           "mmap,munmap", "--output", out, "--", prog, gofile, str(n)],
                          stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        mw.send_signal(signal.SIGSTOP)
        time.sleep(0.2)
        open(gofile, "w").close()
        # the workload runs while its reader is stopped; it exits when done
        deadline = time.time() + 60
        while not os.path.exists(gofile + ".done") and time.time() < deadline:
            time.sleep(0.05)
        mw.send_signal(signal.SIGCONT)
        err = mw.communicate(timeout=60)[1]
    finally:
        if mw.poll() is None:
            mw.kill()
    eq(mw.returncode, 0, f"exit status ({err[-300:]})")
    events = read_json_lines(out)
    calls = [e for e in events if e["eventName"] in ("mmap", "munmap")]
    lost_recs = [e for e in events if e["eventName"] == "lost"]
    st = stats(err)
    check(st, f"no stats line: {err[-300:]}")
    seen, written, lost = st["eventsSeen"], st["eventsWritten"], st["eventsLost"]
    check(lost > 0, f"nothing was lost: the test did not overflow the buffer ({err[-200:]})")
    eq(written, len(calls), "written count vs event lines")
    eq(sum(e["count"] for e in lost_recs), lost, "lost records in the stream vs --stats")
    eq(written + lost, seen, "written + lost vs seen")
    # the workload's own calls (3 pages each) happen while the reader is
    # stopped; its start-up calls happened before, with room in the buffer
    pid = mw_child_pid(events, prog)  # once: it scans every event
    own = [e for e in calls if e["hostProcessId"] == pid and e["args"][1]["value"] == 3 * 4096]
    eq(len(own) + lost, 2 * n, "workload calls written + lost")


def mw_child_pid(events, prog):
    pids = {e["hostProcessId"] for e in events if e["eventName"] != "lost"
            and e["executable"]["path"] == os.path.realpath(prog)}
    check(len(pids) == 1, f"workload pids {pids}")
    return pids.pop()


def main():
    if skipped_without_root():
        return 0
    return run_selected((("filters/each_filter_vs_truth", t_filters),
                         ("filters/errors", t_filter_errors),
                         ("filters/loss_exact", t_loss_exact)))


if __name__ == "__main__":
    sys.exit(main())

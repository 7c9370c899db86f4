"""test_core.py - integration tests (root) of the core tracer against the real kernel."""
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_native
from lib import (Fail, MAPWATCH, arg_values, build_prog, check, eq, skipped_without_root, mapwatch, stats,
                 read_json_lines, run_selected, tmpdir)

MMAPCALLS = None


def run_mmapcalls(extra=(), prefix=()):
    """mapwatch --json -- mmapcalls; returns (log entries, events, stderr)."""
    d = tmpdir()
    log, out = os.path.join(d, "log.json"), os.path.join(d, "events.json")
    files = os.path.join(d, "files")
    os.mkdir(files)
    p = mapwatch(["--json", "--stats", "--output", out, *extra, "--", *prefix, MMAPCALLS, log, files])
    eq(p.returncode, 0, f"mapwatch exit status (stderr: {p.stderr.strip()})")
    return read_json_lines(log), read_json_lines(out), p.stderr, d


def t_fields():
    log, events, _, _ = run_mmapcalls()
    check_native(log, events)


STRACE_RE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+= (-?\w+)")


def parse_strace(path):
    out = []
    with open(path) as f:
        for line in f:
            m = STRACE_RE.match(line)
            if not m:
                continue
            pid, name, args, ret = m.groups()
            a = [int(x.strip(), 16) if x.strip().startswith("0x") else int(x.strip())
                 for x in args.split(",")]
            if ret == "-1":
                en = line.rsplit("= -1 ", 1)[1].split()[0]
                r = -getattr(errno, en)
            else:
                r = int(ret, 16) if ret.startswith("0x") else int(ret)
            out.append((int(pid), name, a, r))
    return out


def t_strace_oracle():
    """Every mapping call of the program (loader and libc included) is reported:
    the same sequence as strace sees, with ASLR off so the addresses match too."""
    if not shutil.which("strace"):
        return "skip: strace not installed"
    d = tmpdir()
    os.mkdir(os.path.join(d, "f1"))
    os.mkdir(os.path.join(d, "f2"))
    st = os.path.join(d, "strace.out")
    subprocess.run(["strace", "-f", "-qq", "-e", "raw=all", "-e",
                    "trace=mmap,munmap,mprotect,pkey_mprotect,mremap,msync", "-o", st,
                    "setarch", "-R", MMAPCALLS, os.path.join(d, "log1"), os.path.join(d, "f1")],
                   check=True, capture_output=True)
    _, events, _, d2 = run_mmapcalls(prefix=("setarch", "-R"))
    want = parse_strace(st)
    # strace's pids differ from mapwatch's: compare per process in order of appearance
    def per_proc(seq):
        order, groups = [], {}
        for pid, name, a, r in seq:
            if pid not in groups:
                order.append(pid)
                groups[pid] = []
            groups[pid].append((name, a, r))
        return [groups[p] for p in order]
    got = [(e["hostThreadId"], e["eventName"], arg_values(e), e["returnValue"]) for e in events]
    w, g = per_proc(want), per_proc(got)
    eq(len(g), len(w), "number of threads with mapping calls")
    # setarch's own pre-exec mappings are randomized: compare shapes there, values after
    for wi, gi in zip(w, g):
        eq(len(gi), len(wi), f"calls of one thread ({[x[0] for x in wi][:5]}...)")
        for k, (a, b) in enumerate(zip(wi, gi)):
            eq(b[0], a[0], f"call {k} name")
            eq(len(b[1]), len(a[1]), f"call {k} argument count")
    # after the exec of mmapcalls (no randomization), everything matches exactly,
    # except the arguments that name scratch files (fd numbers match; paths differ)
    def tail(seq):
        # the loader maps ld.so.cache once for setarch and once for mmapcalls
        first = next(i for i, x in enumerate(seq) if x[0] == "mmap" and x[1][4] == 3)
        return seq[next(i for i in range(first + 1, len(seq)) if seq[i][1][1:] == seq[first][1][1:]):]
    wt, gt = tail(w[0]), tail(g[0])
    eq(len(gt), len(wt), "calls after exec")
    for k, (a, b) in enumerate(zip(wt, gt)):
        eq(b, a, f"call {k} after exec (name, args, return)")


def t_hostile_name_table():
    d = tmpdir()
    files = os.path.join(d, "files")
    os.mkdir(files)
    p = mapwatch(["--", MMAPCALLS, os.path.join(d, "log"), files])
    eq(p.returncode, 0, "exit status")
    lines = p.stdout.split("\n")
    evil = [l for l in lines if "evil" in l]
    check(evil, "no table line names the hostile file")
    want = 'evil\\nname\\x1b[31m"q\\\\'
    check(want in evil[0], f"table escaping: {evil[0]!r} lacks {want!r}")
    check("\x1b" not in p.stdout, "raw ESC byte in table output")
    for l in lines:
        if l:
            check(re.match(r"^\d\d:\d\d:\d\d\.\d{6} +\d+ +\d+ ", l), f"malformed table line {l!r}")


def t_hostile_name_json():
    log, events, _, d = run_mmapcalls()
    want = os.path.join(d, "files", 'evil\nname\x1b[31m"q\\')
    paths = [e["file"]["path"] for e in events if "file" in e and "path" in e["file"]]
    check(want in paths, f"JSON path of the hostile file not found exactly: {paths}")
    raw = open(os.path.join(d, "events.json"), "rb").read()
    check(b"\x1b" not in raw, "raw ESC byte in JSON output")
    check(b"evil\\nname\\u001b[31m\\\"q\\\\" in raw, "JSON escaping of the hostile name")


def t_exit_status():
    eq(mapwatch(["--", "sh", "-c", "exit 7"]).returncode, 7, "command's exit status")
    eq(mapwatch(["--", "sh", "-c", "kill -9 $$"]).returncode, 137, "killed command")
    # output that fails: a full device is an error; a reader that went away is not
    p = mapwatch(["--output", "/dev/full", "--", "/bin/true"])
    eq(p.returncode, 1, "exit status when writing fails")
    check("No space left" in p.stderr and len(p.stderr.strip().split("\n")) == 1, f"message {p.stderr!r}")
    p = subprocess.run(["sh", "-c", f"{MAPWATCH} -- sh -c 'for i in 1 2 3 4; do /bin/true; done; exit 5' | head -n 1 >/dev/null; echo $?"],
                       capture_output=True, text=True, timeout=60)
    eq(p.stdout.strip(), "0", "head's status")
    p = subprocess.run(["bash", "-c", f"{MAPWATCH} -- sh -c 'for i in 1 2 3 4; do /bin/true; done; exit 5' | head -n 1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
                       capture_output=True, text=True, timeout=60)
    eq(p.stdout.strip(), "5", "the command's status when the reader of mapwatch's output went away")
    p = mapwatch(["--", "/nonexistent/prog"])
    eq(p.returncode, 127, "missing command")
    eq(len(p.stderr.strip().split("\n")), 1, f"one-line error: {p.stderr!r}")
    check("/nonexistent/prog" in p.stderr, "error names the command")


def t_usage_errors():
    for args, word in ((["--bogus"], "--bogus"), (["--events", "mmap,nope"], "nope"),
                       (["--buffer-size", "3"], "--buffer-size"), (["--hook", "x"], "--hook"),
                       (["--output"], "--output"), (["--"], "command"), (["stray"], "stray"),
                       (["--tid", "0"], "--tid"), (["--uid", "4294967296"], "4294967296"),
                       (["--min-length", "17179869184G"], "--min-length"), (["--json=yes"], "takes no value"),
                       (["--comm", "--", "ls"], "before '--'"), (["--comm", "demo,!true"], "negates"),
                       (["--comm", "a" * 28], "'" + "a" * 15 + "'"), (["--pidns", "/etc/passwd"], "not a namespace"),
                       (["--exe", "/etc"], "directory"), (["--alerts", "--allow", "/nonexistent"], "/nonexistent"),
                       (["-e", "mmap2", "--compat", "off"], "32-bit"),
                       (["--pid", "1", "--", "true"], "COMMAND")):
        p = mapwatch(args)
        eq(p.returncode, 2, f"{args} exit status")
        eq(len(p.stderr.strip().split("\n")), 1, f"{args}: one-line error: {p.stderr!r}")
        check(word in p.stderr, f"{args}: error should mention {word}: {p.stderr!r}")
        check(p.stderr.rstrip().endswith("(try 'mapwatch --help')"), f"{args}: error should end with the hint: {p.stderr!r}")
    p = mapwatch(["--events", "nope"])
    check("mmap2" in p.stderr and "msync" in p.stderr, "unknown event lists the names")


def t_info_options():
    p = mapwatch(["--list"])
    eq(p.returncode, 0, "--list")
    for w in ("mmap2", "pgoffset: u64 [U]", "old_address: pointer [U]", "new_address: pointer [U,OPT]"):
        check(w in p.stdout, f"--list lacks {w!r}")
    p = mapwatch(["--help"])
    eq(p.returncode, 0, "--help")
    for opt in ("--json", "--output", "--events", "--stats", "--list", "--version", "Examples"):
        check(opt in p.stdout, f"--help lacks {opt}")
    p = mapwatch(["--version"])
    check(re.match(r"mapwatch \d+\.\d+", p.stdout), "--version")


def t_systemwide_and_self():
    """Host mode sees an unrelated process, never mapwatch itself, and stops cleanly on SIGINT."""
    d = tmpdir()
    out = os.path.join(d, "ev.json")
    mw = subprocess.Popen([MAPWATCH, "--json", "--stats", "-v", "--output", out], stderr=subprocess.PIPE, text=True)
    early = []
    try:
        # start-up (BPF verification) takes seconds on a loaded machine: wait for the attach
        deadline = time.time() + 30
        while time.time() < deadline:
            line = mw.stderr.readline()
            early.append(line)
            if not line or "tracing all processes" in line:
                break
        w = subprocess.run(["sh", "-c", "for i in 1 2 3; do /bin/true; done; echo $$"],
                           capture_output=True, text=True)
        time.sleep(0.3)
    finally:
        mw.send_signal(signal.SIGINT)
        err = "".join(early) + mw.communicate(timeout=20)[1]
    eq(mw.returncode, 0, f"exit after SIGINT ({err})")
    events = read_json_lines(out)
    check(any(e.get("processName") == "true" for e in events), "host mode missed /bin/true")
    check(not any(e.get("hostProcessId") == mw.pid for e in events), "mapwatch reported its own calls")
    st = stats(err)
    check(st, f"--stats line missing: {err!r}")
    eq(st["eventsWritten"], len([e for e in events if e["eventName"] != "lost"]), "written count")


def t_events_filter():
    log, events, _, _ = run_mmapcalls(extra=("--events", "mprotect,msync"))
    names = {e["eventName"] for e in events}
    check(names and names <= {"mprotect", "msync"}, f"--events let through {names}")
    eq(len([e for e in events if e["hostProcessId"] == log[0]["pid"] and e["eventName"] == "msync"]),
       len([c for c in log if c.get("event") == "msync"]), "msync calls")


def t_bad_environment():
    """Missing privileges, no BTF, tracefs not mountable: one line, exit 1."""
    if not shutil.which("setpriv") or not shutil.which("unshare"):
        return "skip: setpriv/unshare missing"
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", MAPWATCH],
                       capture_output=True, text=True, timeout=30)
    eq(p.returncode, 1, f"unprivileged exit status ({p.stderr})")
    check("root" in p.stderr and len(p.stderr.strip().split("\n")) == 1, f"privilege message {p.stderr!r}")
    empty = tmpdir()
    p = subprocess.run(["unshare", "-m", "sh", "-c",
                        f"mount --bind {empty} /sys/kernel/btf && exec {MAPWATCH}"],
                       capture_output=True, text=True, timeout=30)
    eq(p.returncode, 1, f"no-BTF exit status ({p.stderr})")
    check("BTF" in p.stderr and len(p.stderr.strip().split("\n")) == 1, f"BTF message {p.stderr!r}")
    script = ("umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null; "
              "exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin " + MAPWATCH)
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=30)
    eq(p.returncode, 1, f"no-tracefs exit status ({p.stderr})")
    check("mount -t tracefs" in p.stderr and len(p.stderr.strip().split("\n")) == 1,
          f"tracefs message {p.stderr!r}")
    # and where it can, mapwatch mounts tracefs itself
    p = subprocess.run(["unshare", "-m", "sh", "-c",
                        "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null; "
                        f"exec {MAPWATCH} -- /bin/true"], capture_output=True, text=True, timeout=30)
    eq(p.returncode, 0, f"mapwatch did not mount tracefs itself ({p.stderr})")
    check("mmap(" in p.stdout, "no events after mounting tracefs")


def t_do_mmap_refused():
    """No kernel-function hook here (kprobes absent, fentry refused): a clear
    refusal naming each probe, and --list says so. Where a hook works, the VM
    test covers the event itself."""
    p = mapwatch(["--events", "do_mmap", "--", "/bin/true"])
    lst = mapwatch(["--list"]).stdout
    line = next(l for l in lst.split("\n") if "kernel mapping function" in l)
    if "[available" in line:
        eq(p.returncode, 0, f"do_mmap available per --list, but the run failed: {p.stderr}")
        check("do_mmap(" in p.stdout, "no do_mmap events although the hook attached")
        return
    eq(p.returncode, 1, f"exit status ({p.stderr})")
    eq(len(p.stderr.strip().split("\n")), 1, f"one line: {p.stderr!r}")
    for w in ("fentry/fexit on do_mmap:", "kprobe/kretprobe on do_mmap:"):
        check(w in p.stderr, f"the refusal should say {w!r}: {p.stderr!r}")
    check("[unavailable: fentry:" in line and "kprobe:" in line, f"--list: {line!r}")


def t_paths_as_the_task_sees_them():
    """A file reached through a bind mount in a private mount namespace, and one
    inside a chroot, are reported by the paths the task itself uses."""
    if not shutil.which("unshare"):
        return "skip: unshare missing"
    prog = build_prog("mapone.c", "mapone", extra=("-static",))
    d = tmpdir()
    real = os.path.join(d, "real")
    os.makedirs(os.path.join(real, "sub"))
    with open(os.path.join(real, "sub", "data.bin"), "wb") as f:
        f.write(b"x" * 4096)
    mnt = os.path.join(d, "mnt")
    os.mkdir(mnt)
    out = os.path.join(d, "ev.json")
    script = f"mount --bind {real} {mnt} && exec {prog} {mnt}/sub/data.bin"
    p = mapwatch(["--json", "--events", "mmap", "--fd-kind", "file", "--output", out, "--",
                  "unshare", "-m", "sh", "-c", script])
    eq(p.returncode, 0, f"bind-mount run ({p.stderr})")
    paths = [e["file"]["path"] for e in read_json_lines(out) if e["processName"] == "mapone"]
    eq(paths, [f"{mnt}/sub/data.bin"], "path through the bind mount")
    # chroot: the path is relative to the task's root
    root = os.path.join(d, "root")
    os.makedirs(os.path.join(root, "srv"))
    shutil.copy(prog, os.path.join(root, "mapone"))
    with open(os.path.join(root, "srv", "blob"), "wb") as f:
        f.write(b"y" * 4096)
    p = mapwatch(["--json", "--events", "mmap", "--fd-kind", "file", "--output", out, "--",
                  "chroot", root, "/mapone", "/srv/blob"])
    eq(p.returncode, 0, f"chroot run ({p.stderr})")
    paths = [e["file"]["path"] for e in read_json_lines(out) if e["processName"] == "mapone"]
    eq(paths, ["/srv/blob"], "path inside the chroot")


def t_valgrind():
    """The tool itself under valgrind: no memory errors, no leaks, events written."""
    if not shutil.which("valgrind"):
        return "skip: valgrind not installed"
    binary = os.path.join(os.path.dirname(MAPWATCH), "mapwatch")
    supp = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "valgrind.supp")
    # --child-silent-after-fork: the forked link closer (mapwatch-close) holds
    # none of mapwatch's memory of its own; what it inherits from the threads
    # of the parent it is forked from is not a leak of either
    p = subprocess.run(["valgrind", "-q", f"--suppressions={supp}", "--error-exitcode=99",
                        "--child-silent-after-fork=yes", "--leak-check=full", binary, "--compat", "off", "--json", "--stats", "--",
                        "/bin/true"], capture_output=True, text=True, timeout=120)
    errs = [l for l in p.stderr.split("\n") if l.startswith("==")]
    eq(p.returncode, 0, f"valgrind exit status ({errs[:20]})")
    check(not errs, f"valgrind reported: {errs[:20]}")
    check(p.stdout.count('"eventName":"mmap"') >= 5, "too few events under valgrind")


def main():
    global MMAPCALLS
    if skipped_without_root():
        return 0
    MMAPCALLS = build_prog("mmapcalls.c", "mmapcalls")
    tests = [("core/fields", t_fields), ("core/strace_oracle", t_strace_oracle),
             ("core/hostile_name_table", t_hostile_name_table),
             ("core/hostile_name_json", t_hostile_name_json), ("core/exit_status", t_exit_status),
             ("core/usage_errors", t_usage_errors), ("core/info_options", t_info_options),
             ("core/systemwide_and_self", t_systemwide_and_self),
             ("core/events_filter", t_events_filter), ("core/bad_environment", t_bad_environment),
             ("core/valgrind", t_valgrind), ("core/do_mmap_refused", t_do_mmap_refused),
             ("core/paths_as_the_task_sees_them", t_paths_as_the_task_sees_them)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

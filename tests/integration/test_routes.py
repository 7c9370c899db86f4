"""test_routes.py - integration tests (root) of the routes to executable memory (issue #22): programs
run from a memfd, tmpfs or unlinked file judged at exec, scoping an attacker cannot rename out of, and
alias views (one object mapped writable and executable: wx_alias)."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, Fail, build_prog, check, eq, skipped_without_root, mapwatch, read_json_lines,
                 run_selected, tmpdir)


def t_kill_wx_comm_refused():
    """--kill-wx refuses --comm (a name the task renames with PR_SET_NAME), plain or negated: exit 2, one line."""
    for comm in ("victim", "!=sshd"):
        p = mapwatch(["--kill-wx", "--comm", comm, "--", "/bin/true"])
        eq(p.returncode, 2, f"--kill-wx --comm {comm} exit status")
        eq(len(p.stderr.strip().split("\n")), 1, f"one-line error: {p.stderr!r}")
        check("--exe" in p.stderr and "--cgroup" in p.stderr, f"error points to --exe/--cgroup: {p.stderr!r}")
    p = mapwatch(["--alerts-only", "--comm", "true", "--", "/bin/true"])
    eq(p.returncode, 0, f"--comm without --kill-wx still works ({p.stderr.strip()})")
    h = mapwatch(["--help"])
    check("rename" in h.stdout, "--help says --comm is a renamable name")


def exec_alerts(mode, d):
    """mapwatch --alerts-only --json -- execfile MODE nomap D: (exit status, exec_fileless alerts, all alerts)."""
    execfile = build_prog("execfile.c", "execfile")
    nomap = build_prog("nomap.c", "nomap", extra=("-static", "-nostdlib"))
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, "--", execfile, mode, nomap, d])
    eq(p.returncode, 0, f"{mode}: exit status (payload's; stderr: {p.stderr.strip()})")
    alerts = [e for e in read_json_lines(out) if e.get("eventName") == "alert"]
    return [e for e in alerts if e["alert"]["kind"] == "exec_fileless"], alerts


def shm_dir():
    """A fresh directory on /dev/shm (tmpfs), or None where there is none."""
    if not os.path.isdir("/dev/shm"):
        return None
    d = os.path.join("/dev/shm", f"mw-routes-{os.getpid()}")
    os.makedirs(d, exist_ok=True)
    return d


def t_exec_fileless():
    """A static program that makes no mapping call, run from a memfd, a /dev/shm file, an O_TMPFILE on
    /dev/shm and an unlinked file: one exec_fileless each, judged at exec, naming the process and the file's kind."""
    disk = tmpdir()  # not tmpfs: the unlinked case must be judged on the missing link alone
    shm = shm_dir()
    cases = [("memfd", disk, "memfd"), ("unlinked", disk, "deleted")]
    if shm:
        cases += [("shm", shm, "tmpfs"), ("tmpfile", shm, "deleted")]
    try:
        for mode, d, kind in cases:
            fl, _ = exec_alerts(mode, d)
            eq(len(fl), 1, f"{mode}: exec_fileless alerts ({[e['alert'] for e in fl]})")
            a, e = fl[0]["alert"], fl[0]
            eq((a["fileless"], a.get("judgedAt"), a["severity"], a["mitre"]), (kind, "exec", "high", "T1620"),
               f"{mode}: fileless, judgedAt, severity, mitre")
            eq(e["syscall"], "exec", f"{mode}: the trigger is the exec")
            check(e["processName"] and e["executable"]["path"], f"{mode}: the process is named: {e['executable']}")
            check(e["trigger"]["file"]["kind"] in ("memfd", "shm", "deleted"), f"{mode}: trigger file {e['trigger']['file']}")
    finally:
        if shm:
            shutil.rmtree(shm, ignore_errors=True)


def t_exec_from_disk_quiet():
    """The same program run from its file on disk, and /bin/true: no exec_fileless."""
    fl, _ = exec_alerts("disk", tmpdir())
    eq(fl, [], "execve of a program on disk")
    out = os.path.join(tmpdir(), "true.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, "--", "/bin/true"])
    eq(p.returncode, 0, f"/bin/true exit status ({p.stderr.strip()})")
    eq([e["alert"]["kind"] for e in read_json_lines(out) if e.get("eventName") == "alert"], [], "/bin/true alerts")


def t_tmpfs_chroot_alerts():
    """The host's own root on tmpfs (an initramfs: the VM stage runs there) is where programs live,
    and is spared; a chroot into a tmpfs is not (an unprivileged user namespace can make one):
    a program run from it, as from any tmpfs that is not the host's root, raises exec_fileless."""
    nomap = build_prog("nomap.c", "nomap", extra=("-static", "-nostdlib"))
    root = tmpdir()
    out = os.path.join(root, "..", os.path.basename(root) + "-root.json")
    for how, run in (("chroot", f"chroot {root} /nomap"), ("path", f"{root}/nomap")):
        script = f"mount -t tmpfs none {root} && cp {nomap} {root}/nomap && {run}"
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", "unshare", "-m", "sh", "-c", script])
        if p.returncode != 0 and "unshare" in p.stderr:
            return f"skip: cannot make a mount namespace here ({p.stderr.strip()[:200]})"
        eq(p.returncode, 0, f"{how}: exit status ({p.stderr.strip()[-300:]})")
        kinds = [e["alert"]["kind"] for e in read_json_lines(out) if e.get("eventName") == "alert"]
        eq(kinds, ["exec_fileless"], f"{how}: alerts of a program run from a tmpfs")


def t_exec_fileless_table():
    """The table line says it was judged at exec, the kind of file and its path."""
    execfile = build_prog("execfile.c", "execfile")
    nomap = build_prog("nomap.c", "nomap", extra=("-static", "-nostdlib"))
    p = mapwatch(["--alerts-only", "--", execfile, "memfd", nomap])
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    lines = [l for l in p.stdout.split("\n") if "exec_fileless" in l]
    eq(len(lines), 1, f"one alert line: {p.stdout!r}")
    check("[at exec: memfd program /memfd:mw-routes" in lines[0], f"table line: {lines[0]!r}")


def dropped_alerts(prog, mode, path, extra=()):
    """mapwatch --alerts-only --json [extra] -- PROG MODE PATH: (exit status, dropped_code alerts, all alerts)."""
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", *extra, "--output", out, "--", prog, mode, path])
    alerts = [e for e in read_json_lines(out) if e.get("eventName") == "alert"]
    return p.returncode, [e for e in alerts if e["alert"]["kind"] == "dropped_code"], alerts


def dropcode_progs():
    """dropcode built 64-bit, and i386 where this machine builds and runs it."""
    progs = [("64", build_prog("dropcode.c", "dropcode"))]
    try:
        p32 = build_prog("dropcode.c", "dropcode32", extra=("-m32", "-static"))
        if subprocess.run([p32, "nope", "/nonexistent"], capture_output=True).returncode == 2:
            progs.append(("32", p32))
    except subprocess.CalledProcessError:
        pass
    return progs


def t_dropped_code():
    """Code written to a regular file and then mapped executable raises dropped_code, each program
    really running its payload (exit 42): written by the process itself and mapped RX (high), mapped
    R then mprotect RX (high), munmap + pwrite + mmap again at the same address (high), its mtime
    set back to 2001 (changedAfterStart: the ctime cannot be set back; medium), and a dropper that
    starts a new process to load the file it wrote (recent, medium). 64-bit and i386."""
    for abi, prog in dropcode_progs():
        d = tmpdir()
        want = {"self": ("writtenAfterStart", "high", "mmap"), "mprotect": ("writtenAfterStart", "high", "mprotect"),
                "backdate": ("changedAfterStart", "medium", "mmap"), "child": ("recent", "medium", "mmap")}
        for mode, (cause, sev, call) in want.items():
            rc, dropped, _ = dropped_alerts(prog, mode, os.path.join(d, f"code-{mode}"))
            eq(rc, 42, f"{abi} {mode}: exit status (the payload's)")
            call = call + "2" if abi == "32" and call == "mmap" else call  # i386 libc maps with mmap2
            eq([(a["alert"]["dropped"]["cause"], a["alert"]["severity"], a["syscall"]) for a in dropped],
               [(cause, sev, call)], f"{abi} {mode}: dropped_code alerts")
            check(dropped[0]["alert"]["dropped"]["ageSeconds"] < 60 or cause == "changedAfterStart",
                  f"{abi} {mode}: age {dropped[0]['alert']['dropped']}")
            eq(dropped[0]["trigger"]["contextFlags"]["isCompat"], abi == "32", f"{abi} {mode}: isCompat")
        # a file the test wrote long ago (mtime 2020, ctime before the program began): the
        # program maps it (no alert), then pwrites new code and maps it again (alert)
        old = os.path.join(d, "old")
        with open(old, "wb") as f:
            f.write(bytes([0xb8, 0x2a, 0, 0, 0, 0xc3]).ljust(4096, b"\0"))
        os.utime(old, (1577836800, 1577836800))
        time.sleep(1.1)  # the program begins a second after the file's ctime (clocks tick in ns; leave margin)
        rc, dropped, _ = dropped_alerts(prog, "remap", old)
        eq(rc, 42, f"{abi} remap: exit status")
        eq([(a["alert"]["dropped"]["cause"], a["syscall"]) for a in dropped],
           [("writtenAfterStart", "mmap2" if abi == "32" else "mmap")],
           f"{abi} remap: only the second mapping (after the pwrite) is dropped code")


def t_dropped_code_quiet():
    """Near misses: programs that map files installed before they began (the dynamic loader's
    libraries, python3, /bin/true mapped RX by the loader program) raise no dropped_code, and
    plain tracing (no --alerts) reports no file ages."""
    prog = build_prog("dropcode.c", "dropcode")
    d = tmpdir()
    old = os.path.join(d, "old")
    with open(old, "wb") as f:
        f.write(bytes([0xb8, 0x2a, 0, 0, 0, 0xc3]).ljust(4096, b"\0"))
    os.utime(old, (1577836800, 1577836800))
    time.sleep(1.1)
    rc, dropped, _ = dropped_alerts(prog, "load", old)
    eq((rc, dropped), (42, []), "a file written before the process began, mapped RX")
    out = os.path.join(tmpdir(), "py.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, "--", "python3", "-c", "import json, ssl, sqlite3"])
    eq(p.returncode, 0, f"python3 exit status ({p.stderr.strip()})")
    eq([e for e in read_json_lines(out) if e.get("alert", {}).get("kind") == "dropped_code"], [],
       "python3 importing compiled modules")
    out = os.path.join(tmpdir(), "plain.txt")
    p = mapwatch(["--output", out, "--", prog, "self", os.path.join(d, "plain")])
    eq(p.returncode, 42, "plain tracing exit status")
    with open(out) as f:
        check("ALERT" not in f.read(), "plain tracing wrote an alert")


PAYLOAD_RAN = 42  # aliasexec's exit status when its payload (mov eax,42; ret) ran


def alias_run(mode, extra=()):
    """mapwatch --alerts-only --json [extra] -- aliasexec MODE DIR: (exit status, wx_alias alerts, all alerts)."""
    prog = build_prog("aliasexec.c", "aliasexec")
    d = tmpdir()
    out = os.path.join(d, "out.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, *extra, "--", prog, mode, d])
    alerts = [e for e in read_json_lines(out) if e.get("eventName") == "alert"]
    return p, [e for e in alerts if e["alert"]["kind"] == "wx_alias"], alerts


# mode: (via, the other view is in: "self" | "other", the call that raises it)
ALIAS_CASES = {
    "file": ("writableView", "self", "mmap"),         # a file mapped MAP_SHARED RW and RX
    "reverse": ("executableView", "other", "mmap"),   # RX first; a forked child maps it RW later
    "pwrite": ("openFd", None, "mmap"),               # RX only (private), code put in with pwrite()
    "shanon": ("writableView", "other", "mprotect"),  # shared anonymous: child RW, parent RX
    "mremap": ("writableView", "self", "mprotect"),   # mremap(old, 0, ...) second view made RX
    "memfd": ("writableView", "self", "mmap"),        # a memfd mapped RW and RX
}


def t_alias_views():
    """Each alias route runs its payload through the executable view (exit 42) and raises one wx_alias
    (high, T1055; medium for a file open for writing alone) on the call that completed the pair, naming the other view's process and address."""
    for mode, (via, where, call) in ALIAS_CASES.items():
        p, al, _ = alias_run(mode)
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status (the payload's; stderr: {p.stderr.strip()[-300:]})")
        eq(len(al), 1, f"{mode}: wx_alias alerts ({[e['alert'] for e in al]})")
        e, a = al[0], al[0]["alert"]
        eq((a["severity"], a["mitre"], a["alias"]["via"], e["syscall"], a["action"]),
           ("medium" if via == "openFd" else "high", "T1055", via, call, "reported"),
           f"{mode}: severity, mitre, via, call, action")
        check(int(a["regionStart"], 16) < int(a["regionEnd"], 16), f"{mode}: region {a}")
        if where is None:
            check("pid" not in a["alias"] and a["alias"]["openForWrite"], f"{mode}: {a['alias']}")
            continue
        other = a["alias"]["pid"]
        if where == "self":
            eq(other, e["hostProcessId"], f"{mode}: the writable view is the caller's own")
            check(a["alias"]["address"] != a["regionStart"], f"{mode}: a second view, not the same one: {a}")
        elif mode == "reverse":
            eq(other, e["hostParentProcessId"], f"{mode}: the executable view is the parent's")
        else:
            check(other not in (0, e["hostProcessId"]), f"{mode}: the writable view is the child's: {a['alias']}")


def t_alias_near_misses():
    """No alias: the executable page of a split shared anonymous mapping (the writable part left covers
    other pages; x_after_w is raised, as for any W->X flip), and a file opened read-only with no writer
    (aliasexec wrote that file itself, then mapped it: dropped_code, the route of dropped code, not an alias)."""
    for mode, kinds in (("split", ["x_after_w"]), ("readonly", ["dropped_code"])):
        p, al, alerts = alias_run(mode)
        eq(p.returncode, 0, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        eq([e["alert"]["kind"] for e in alerts], kinds, f"{mode}: alerts")


def t_alias_kill():
    """--kill-wx treats an executable view of memory writable elsewhere as W+X: the caller that completes
    the pair is killed before the payload runs (the writer in the reverse order), and the alert says so."""
    for mode in ("file", "reverse", "pwrite", "shanon", "memfd"):
        p, al, _ = alias_run(mode, ("--kill-wx",))
        check(p.returncode != PAYLOAD_RAN, f"{mode}: the payload must not run (exit {p.returncode})")
        check(p.returncode == 137 or mode == "reverse", f"{mode}: killed (exit {p.returncode}; {p.stderr.strip()[-200:]})")
        check(any(e["alert"]["action"] == "killed" for e in al), f"{mode}: a killed wx_alias: {[e['alert'] for e in al]}")


def t_alias_table():
    """The table line names the other view: [alias: writable view in pid N at 0x...]."""
    prog = build_prog("aliasexec.c", "aliasexec")
    p = mapwatch(["--alerts-only", "--", prog, "file", tmpdir()])
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()})")
    lines = [l for l in p.stdout.split("\n") if "wx_alias" in l]
    eq(len(lines), 1, f"one alert line: {p.stdout!r}")
    check("ALERT high wx_alias T1055: mmap(" in lines[0] and "[alias: writable view in pid " in lines[0],
          f"table line: {lines[0]!r}")


def t_shared_memory_processes():
    """A clone(CLONE_VM) or vfork child (another process, the same memory) maps a page RW and writes the
    code; the parent makes it RX and runs it: x_after_w on the parent's mprotect, the page's history known
    (one region map for the memory, not a copy per process)."""
    for mode in ("clonevm", "vfork"):
        p, _, alerts = alias_run(mode)
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status (the payload's; stderr: {p.stderr.strip()[-300:]})")
        xw = [e for e in alerts if e["alert"]["kind"] == "x_after_w"]
        eq(len(xw), 1, f"{mode}: x_after_w alerts ({[e['alert'] for e in alerts]})")
        a = xw[0]["alert"]
        eq((xw[0]["syscall"], a["previousProt"], a["wasWritable"]), ("mprotect", "PROT_READ|PROT_WRITE", True),
           f"{mode}: the parent's mprotect, the child's RW page")


def t_kernel_mapped_memory():
    """Code copied into memory the kernel mapped at exec (.bss, .data, the stack: no mapping call of the
    program made it, so the region map may not know it) then made RX and run: x_after_w, judged on the
    kernel's word that the pages were written where the map has no history ("writtenPages") or from
    the map where it has. A page of .rodata (never written) made RX: no alert."""
    prog = build_prog("kernelmapped.c", "kernelmapped")
    for mode, want_rc, kinds in (("bss", PAYLOAD_RAN, ["x_after_w"]), ("data", PAYLOAD_RAN, ["x_after_w"]),
                                 ("stack", PAYLOAD_RAN, ["x_after_w"]), ("rodata", 0, [])):
        out = os.path.join(tmpdir(), "out.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", prog, mode])
        eq(p.returncode, want_rc, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        alerts = [e for e in read_json_lines(out) if e.get("eventName") == "alert"]
        eq([e["alert"]["kind"] for e in alerts], kinds, f"{mode}: alerts ({[e['alert'] for e in alerts]})")
        for e in alerts:
            a = e["alert"]
            eq(e["syscall"], "mprotect", f"{mode}: the trigger")
            check(a.get("writtenPages") or a.get("wasWritable"), f"{mode}: why it was judged written: {a}")


def main():
    if skipped_without_root():
        return 0
    tests = [("routes/kill_wx_comm_refused", t_kill_wx_comm_refused), ("routes/exec_fileless", t_exec_fileless),
             ("routes/exec_from_disk_quiet", t_exec_from_disk_quiet),
             ("routes/exec_fileless_table", t_exec_fileless_table), ("routes/tmpfs_chroot_alerts", t_tmpfs_chroot_alerts),
             ("routes/dropped_code", t_dropped_code), ("routes/dropped_code_quiet", t_dropped_code_quiet),
             ("routes/alias_views", t_alias_views), ("routes/alias_near_misses", t_alias_near_misses),
             ("routes/alias_kill", t_alias_kill), ("routes/alias_table", t_alias_table),
             ("routes/shared_memory_processes", t_shared_memory_processes),
             ("routes/kernel_mapped_memory", t_kernel_mapped_memory)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

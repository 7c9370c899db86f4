"""test_dropexec.py - integration tests (root) of dropped code judged at exec (issue #22): a program
written to a regular file and executed at once, making no mapping call of its own, raises
dropped_code at its exec; programs written long ago, and the program mapwatch was told to run, do not."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (build_prog, check, eq, mapwatch, read_json_lines, run_selected, skipped_without_root,
                 tmpdir)

PAYLOAD_RAN = 42  # the dropped program's exit status: its payload (mov eax,42; ret) ran


def progs():
    """(dropexec, the payload without a C library, the payload as a dynamic program)."""
    return (build_prog("dropexec.c", "dropexec"),
            build_prog("ret42.c", "ret42-nolibc", extra=("-static", "-nostdlib", "-DMW_NOLIBC")),
            build_prog("ret42.c", "ret42-dynamic"))


def fs_type(d):
    return subprocess.run(["stat", "-f", "-c", "%T", d], capture_output=True, text=True, check=True).stdout.strip()


def drop_dirs():
    """Directories to drop into: one under /tmp and one under /var/tmp (each a disk file system or tmpfs here)."""
    dirs = [tmpdir()]
    if os.path.isdir("/var/tmp"):
        d = os.path.join("/var/tmp", f"mw-dropexec-{os.getpid()}")
        os.makedirs(d, exist_ok=True)
        dirs.append(d)
    return dirs


def run(args, extra=()):
    """mapwatch --alerts-only --json [extra] -- ARGS: (exit status, alerts, stderr)."""
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", *extra, "--output", out, "--", *args])
    return p.returncode, [e for e in read_json_lines(out) if e.get("eventName") == "alert"], p.stderr


# mode: (cause, severity)
CASES = {
    "self": ("writtenAfterStart", "high"),       # written by the process that execs it
    "child": ("recent", "medium"),               # a child begun after the write execs it
    "backdate": ("changedAfterStart", "medium"), # its mtime set back to 2001 before the exec
    "rename": ("writtenAfterStart", "high"),     # written under another name, renamed, then run
    "fd": ("writtenAfterStart", "high"),         # run through a read-only descriptor (execveat)
}


def t_dropped_exec():
    """Each route writes the no-libc payload program, runs it (exit 42) and raises one dropped_code
    judged at its exec (trigger "exec", "judgedAt":"exec", T1129, the cause and severity, no region),
    on a disk file system; where the directory is tmpfs the same exec is exec_fileless's instead."""
    dropexec, nolibc, _ = progs()
    dirs = drop_dirs()
    try:
        for d in dirs:
            tmpfs = fs_type(d) == "tmpfs"
            for mode, (cause, sev) in CASES.items():
                f = os.path.join(d, f"drop-{mode}")
                rc, alerts, err = run([dropexec, mode, nolibc, f])
                eq(rc, PAYLOAD_RAN, f"{d} {mode}: exit status (the payload's; {err.strip()[-300:]})")
                kinds = [e["alert"]["kind"] for e in alerts]
                if tmpfs:
                    eq(kinds, ["exec_fileless"], f"{d} (tmpfs) {mode}: alerts")
                    continue
                eq(kinds, ["dropped_code"], f"{d} {mode}: alerts ({[e['alert'] for e in alerts]})")
                e, a = alerts[0], alerts[0]["alert"]
                eq((e["syscall"], a.get("judgedAt"), a["mitre"], a["severity"], a["dropped"]["cause"]),
                   ("exec", "exec", "T1129", sev, cause), f"{d} {mode}: trigger, judgedAt, mitre, severity, cause")
                check("regionStart" not in a, f"{d} {mode}: an exec names no region: {a}")
                check(cause == "changedAfterStart" or a["dropped"]["ageSeconds"] < 60, f"{d} {mode}: age {a['dropped']}")
                eq(e["trigger"]["file"]["path"], f, f"{d} {mode}: the trigger names the program's file")
    finally:
        for d in dirs[1:]:
            shutil.rmtree(d, ignore_errors=True)


def t_dropped_exec_dynamic():
    """A dropped dynamic program (the loader maps its libraries, none fresh): one dropped_code, at
    exec, and none at the loader's mappings of the program's own file."""
    dropexec, _, dynamic = progs()
    d = tmpdir()
    if fs_type(d) == "tmpfs":
        return "skip: /tmp is tmpfs here (exec_fileless's)"
    rc, alerts, err = run([dropexec, "self", dynamic, os.path.join(d, "drop-dyn")])
    eq(rc, PAYLOAD_RAN, f"exit status ({err.strip()[-300:]})")
    eq([(e["alert"]["kind"], e["syscall"]) for e in alerts], [("dropped_code", "exec")], "alerts")


def old_copy(src, d):
    """A copy of src in d written long ago (mtime 2020; its ctime before any process started after this)."""
    f = os.path.join(d, "old-prog")
    shutil.copy(src, f)
    os.chmod(f, 0o755)
    os.utime(f, (1577836800, 1577836800))
    os.stat(f)  # as `ls -l` or a scanner would: on 6.13+ a flag in the ctime's nanoseconds, not time
    time.sleep(1.1)  # processes begin a second after the file's ctime (clocks tick in ns; leave margin)
    return f


def t_dropped_exec_quiet():
    """Near misses: a program written long before (mtime 2020) run by a new process, /bin/true,
    and the freshly written program mapwatch itself was told to run (the operator's choice: its
    first exec) raise nothing; what that command runs in turn is judged (a shell running a
    fresh program: recent)."""
    dropexec, nolibc, _ = progs()
    d = tmpdir()
    if fs_type(d) == "tmpfs":
        return "skip: /tmp is tmpfs here (exec_fileless's)"
    old = old_copy(nolibc, d)
    rc, alerts, err = run([dropexec, "run", nolibc, old])
    eq((rc, alerts), (PAYLOAD_RAN, []), f"an old program ({err.strip()[-200:]})")
    rc, alerts, err = run(["sh", "-c", "/bin/true"])
    eq((rc, alerts), (0, []), f"/bin/true ({err.strip()[-200:]})")
    fresh = os.path.join(d, "fresh-cmd")
    shutil.copy(nolibc, fresh)
    rc, alerts, err = run([fresh])
    eq((rc, alerts), (PAYLOAD_RAN, []), f"the command itself, freshly written ({err.strip()[-200:]})")
    fresh2 = os.path.join(d, "fresh-by-sh")
    shutil.copy(nolibc, fresh2)
    rc, alerts, err = run(["sh", "-c", f"{fresh2}; exit $?"])
    eq(rc, PAYLOAD_RAN, f"sh running a fresh program: exit status ({err.strip()[-200:]})")
    eq([(e["alert"]["kind"], e["alert"]["dropped"]["cause"]) for e in alerts], [("dropped_code", "recent")],
       "sh running a fresh program")


def t_dropped_exec_policy():
    """A build host's rule: dropped_code at exec ignored under a build directory (event exec,
    path_prefix), raised elsewhere; and --allow of the directory silences it in the kernel (counted)."""
    dropexec, nolibc, _ = progs()
    d = tmpdir()
    if fs_type(d) == "tmpfs":
        return "skip: /tmp is tmpfs here (exec_fileless's)"
    build, other = os.path.join(d, "build"), os.path.join(d, "other")
    os.makedirs(build)
    os.makedirs(other)
    rules = os.path.join(d, "rules.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n"
                "  - name: build-outputs\n"
                "    match: {kind: dropped_code, event: exec, path_prefix: [" + build + "/]}\n"
                "    action: ignore\n"
                "  - name: everything\n"
                "    action: alert\n")
    rc, alerts, err = run([dropexec, "self", nolibc, os.path.join(build, "t")], ("--rules", rules))
    eq((rc, alerts), (PAYLOAD_RAN, []), f"under the build directory ({err.strip()[-200:]})")
    rc, alerts, err = run([dropexec, "self", nolibc, os.path.join(other, "t")], ("--rules", rules))
    eq(rc, PAYLOAD_RAN, f"elsewhere: exit status ({err.strip()[-200:]})")
    eq([(e["alert"]["kind"], e["alert"]["rule"]) for e in alerts], [("dropped_code", "everything")], "elsewhere")
    # --allow DIR: the kernel's verdict on the new program's identity (a directory above it), counted
    rc, alerts, err = run([dropexec, "self", nolibc, os.path.join(build, "t2")], ("--allow", build, "--stats"))
    eq((rc, alerts), (PAYLOAD_RAN, []), f"--allow of the build directory ({err.strip()[-200:]})")
    check('"silencedByAllow":1' in err, f"--stats counts the silenced alert: {err.strip()[-400:]}")


def t_dropped_exec_table():
    """The table line says it was judged at exec, the program's path and why."""
    dropexec, nolibc, _ = progs()
    d = tmpdir()
    if fs_type(d) == "tmpfs":
        return "skip: /tmp is tmpfs here (exec_fileless's)"
    f = os.path.join(d, "drop-table")
    p = mapwatch(["--alerts-only", "--", dropexec, "self", nolibc, f])
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()[-200:]})")
    lines = [l for l in p.stdout.split("\n") if "dropped_code" in l]
    eq(len(lines), 1, f"one alert line: {p.stdout!r}")
    check(f"ALERT high dropped_code T1129: exec() = 0 [at exec: program {f}] [file written after the process began"
          in lines[0], f"table line: {lines[0]!r}")


def main():
    if skipped_without_root():
        return 0
    tests = [("dropexec/dropped_exec", t_dropped_exec), ("dropexec/dynamic", t_dropped_exec_dynamic),
             ("dropexec/quiet", t_dropped_exec_quiet), ("dropexec/policy", t_dropped_exec_policy),
             ("dropexec/table", t_dropped_exec_table)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

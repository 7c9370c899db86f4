"""test_family.py - the memory family (issue #14): every new call's JSON fields, strace's decoding of the same run, 32-bit and ipc(), syscall numbers, %classes, shm/memfd alerts."""
import errno
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_calls, split_args
from lib import (Fail, arg_values, build_prog, check, eq, mapwatch, read_json_lines, run_selected,
                 tmpdir, skipped_without_root, unistd_numbers)

# stable event ids (eventId): released, never renumbered
IDS = {"brk": 8, "madvise": 9, "process_madvise": 10, "mlock": 11, "mlock2": 12, "munlock": 13,
       "mlockall": 14, "munlockall": 15, "mincore": 16, "remap_file_pages": 17, "mbind": 18,
       "set_mempolicy": 19, "get_mempolicy": 20, "set_mempolicy_home_node": 21,
       "migrate_pages": 22, "move_pages": 23, "mseal": 24, "map_shadow_stack": 25, "shmat": 26,
       "shmdt": 27, "memfd_create": 28, "memfd_secret": 29}
FAMILY = set(IDS)
# strace 6.1 predates these (it prints syscall_0x1ce(...)): compared with the call log only
STRACE_UNKNOWN = {0x1ce: "mseal", 0x1c5: "map_shadow_stack"}


def list_numbers():
    p = mapwatch(["--list"])
    eq(p.returncode, 0, "--list")
    rows = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 5 and (f[1].isdigit() or f[1] == "-") and f[0] != "EVENT":
            rows[f[0]] = [None if x == "-" else int(x) for x in f[1:5]]
    return rows, p.stdout


def t_numbers():
    """--list's numbers per ABI agree with the kernel headers on this machine
    (x86_64, i386, arm EABI, asm-generic for arm64); calls newer than the
    headers (6.1) must be one of the known late ones."""
    rows, _ = list_numbers()
    for name in FAMILY:
        check(name in rows, f"--list lacks {name}")
    late = {"mseal", "map_shadow_stack", "memfd_secret", "set_mempolicy_home_node", "process_madvise",
            "pkey_mprotect", "mlock2"}
    tables = [("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", 0),
              ("i386", "/usr/include/x86_64-linux-gnu/asm/unistd_32.h", 1),
              ("arm64", "/usr/include/asm-generic/unistd.h", 2),
              ("arm", "/usr/arm-linux-gnueabihf/include/asm/unistd-eabi.h", 3)]
    compared = 0
    for abi, path, col in tables:
        nums = unistd_numbers(path)
        if nums is None:
            continue
        for name, v in rows.items():
            if name == "do_mmap":
                continue
            want = nums.get(name)
            if abi == "i386" and name == "mmap":
                want = nums.get("mmap")  # 90: old_mmap
            if want is None:
                if v[col] is not None:
                    check(name in late, f"{abi} {name}: --list says {v[col]}, headers have none")
                continue
            eq(v[col], want, f"{abi} number of {name}")
            compared += 1
    check(compared > 80, f"only {compared} numbers compared")


LINE_RE = re.compile(r"^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\w+)(?:\s+(E\w+))?")


def parse_strace(path):
    out = []
    with open(path) as f:
        for line in f:
            m = LINE_RE.match(line)
            if not m:
                continue
            pid, name, args, ret, en = m.groups()
            if name.startswith("syscall_0x"):
                name = STRACE_UNKNOWN.get(int(name[8:], 16), name)
                args = None
            r = -getattr(errno, en) if ret == "-1" and en else int(ret, 0)
            out.append((int(pid), name, None if args is None else split_args(args), r))
    return out


def shown(a):
    """An argument as the table and strace show it: decoded, else the number."""
    if "decoded" in a:
        return a["decoded"]
    v = a["value"]
    if a["type"] == "pointer":
        v = int(v, 16)
        return "NULL" if v == 0 else hex(v)
    return str(v)


def auto_mode():
    """The hook mode --hook auto takes here (--list's "Hooks here" line)."""
    p = mapwatch(["--list"])
    m = re.search(r"^Hooks here \(--hook auto\): (\w+)", p.stdout, re.M)
    check(m, f"--list names no hook mode: {p.stdout[-300:]!r}")
    return m.group(1)


def run_family(prog, comm, compat):
    """mapwatch --json --events all -- strace -f -o ST prog LOG: one run seen by both."""
    d = tmpdir()
    log, out, st = (os.path.join(d, x) for x in ("log.json", "events.json", "strace.out"))
    # 32-bit: the dispatcher from the start (auto mode attaches it when it meets a
    # 32-bit process, after that process's first calls), and ipc() is seen only there
    cmd = ["--json", "--events", "all", *(["--hook", "dispatcher"] if compat else []), "--output", out, "--"]
    if shutil.which("strace"):
        cmd += ["strace", "-f", "-qq", "-s", "300", "-o", st]
    p = mapwatch([*cmd, prog, log], timeout=120)
    eq(p.returncode, 0, f"mapwatch exit status (stderr: {p.stderr.strip()})")
    log_l, events = read_json_lines(log), read_json_lines(out)
    untraced = set()
    if not compat and auto_mode() == "tracepoint" and \
            not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_map_shadow_stack"):
        # the kernel has no tracepoint for it (no user shadow stacks): skipped, said with -v
        untraced.add("map_shadow_stack")
        log_l = [x for x in log_l if x.get("event") not in untraced]
    pairs = check_calls(log_l, events, compat=compat, comm=comm)
    tid = log_l[1]["tid"]
    # every field of the family's events
    seen = set()
    for c, e in pairs:
        name = c["event"]
        if name not in FAMILY:
            continue
        seen.add(name)
        w = f"{name}{c['args']}"
        eq(int(e["eventId"]), IDS[name], f"{w} eventId")
        eq(e["eventName"], name, f"{w} eventName")
        eq(e["abi"], "i386" if compat else "x86_64", f"{w} abi")
        check(e["durationNs"] >= 0, f"{w} durationNs")
        ipc = compat and e["syscallNr"] == 117
        eq(e.get("viaIpc", False), ipc, f"{w} viaIpc")
        if name == "brk":
            failed = c["args"][0] != 0 and c["ret"] != c["args"][0]
            eq(e["brkFailed"], failed, f"{w} brkFailed")
        if name == "memfd_create":
            a = e["args"][0]
            check("TOCTOU" in a["tags"], f"{w}: name lacks the TOCTOU tag")
            check(a["decoded"].startswith('"mw-'), f"{w}: name not read: {a}")
        for a in e["args"]:
            check(a["type"] in ("pointer", "int", "u64") and a["tags"], f"{w}: arg {a}")
    missing = FAMILY - seen - {"map_shadow_stack"}  # no tracepoint without user shadow stacks
    if not compat:
        check(not missing, f"calls never reported: {sorted(missing)}")
    if not shutil.which("strace"):
        return "strace not installed: decoding not compared"
    # strace's view of the same run: every family call, decoded identically
    st_l = [x for x in parse_strace(st) if x[0] == tid and x[1] in FAMILY | {"munmap"}]
    evs = [e for e in events if e["hostThreadId"] == tid and e["eventName"] in FAMILY | {"munmap"}]
    # both from the marker munmap(0x5a5a5000, 0) on
    si = next(i for i, x in enumerate(st_l) if x[1] == "munmap" and x[2] and x[2][0] == "0x5a5a5000")
    ei = next(i for i, e in enumerate(evs) if e["eventName"] == "munmap" and arg_values(e)[0] == 0x5a5a5000)
    st_l = [x for x in st_l[si:] if x[1] != "munmap" and x[1] not in untraced]
    evs = [e for e in evs[ei:] if e["eventName"] != "munmap"]
    eq(len(evs), len(st_l), f"family calls seen by mapwatch vs strace: {[e['eventName'] for e in evs]} vs {[x[1] for x in st_l]}")
    compared = 0
    for (pid, name, sargs, sret), e in zip(st_l, evs):
        eq(e["eventName"], name, "call order")
        eq(e["returnValue"], sret, f"{name} result")
        if sargs is None:
            continue  # strace 6.1 cannot decode it
        eq([shown(a) for a in e["args"]], sargs, f"{name} decoded arguments")
        compared += 1
    check(compared >= 45, f"only {compared} calls compared with strace")
    return None


def t_fields_64():
    prog = build_prog("memcalls.c", "memcalls64")
    r = run_family(prog, "memcalls64", False)
    if r:
        return f"skip: {r}"


def build32():
    try:
        return build_prog("memcalls.c", "memcalls32", ["-m32"])
    except subprocess.CalledProcessError:
        return None


def t_fields_32():
    """The same calls from a 32-bit program (i386 numbers, 4-byte words in
    node masks and arrays), plus shmat/shmdt through ipc()."""
    prog = build32()
    if not prog:
        return "skip: cannot build 32-bit programs (apt-get install gcc-multilib)"
    if subprocess.run([prog, "/dev/null"], capture_output=True).returncode != 0:
        return "skip: this kernel does not run 32-bit programs"
    r = run_family(prog, "memcalls32", True)
    if r:
        return f"skip: {r}"


def t_classes():
    """--events takes %shm, %memory, %mapping and all; a bad class is a usage error."""
    prog = build_prog("memcalls.c", "memcalls64")
    d = tmpdir()
    for cls, want, never in (("%shm", {"shmat", "shmdt", "memfd_create", "memfd_secret"}, {"mmap", "brk"}),
                             ("%memory", {"brk", "mlock", "mbind", "shmat", "mmap"},
                              {"memfd_create", "process_madvise"}),
                             ("%mapping", {"mmap", "munmap", "mprotect"}, {"brk", "shmat"})):
        out = os.path.join(d, cls[1:] + ".json")
        p = mapwatch(["--json", "--events", cls, "--output", out, "--", prog, os.path.join(d, "log")])
        eq(p.returncode, 0, f"--events {cls}: {p.stderr}")
        names = {e["eventName"] for e in read_json_lines(out)}
        check(want <= names, f"--events {cls}: missing {sorted(want - names)}")
        check(not (names & never), f"--events {cls}: has {sorted(names & never)}")
    p = mapwatch(["--events", "%bogus"])
    eq(p.returncode, 2, "--events %bogus exit status")
    check("%memory" in p.stderr and len(p.stderr.strip().splitlines()) == 1, f"one-line error: {p.stderr!r}")


def alerts_of(args, prog_args, timeout=60):
    d = tmpdir()
    out = os.path.join(d, "alerts.json")
    p = mapwatch(["--json", "--alerts-only", "--output", out, *args, "--", *prog_args], timeout=timeout)
    return p, [e for e in read_json_lines(out) if e.get("eventName") == "alert"], d


def kinds(alerts):
    return sorted((a["alert"]["kind"], a["syscall"]) for a in alerts)


def t_shm_exec_alerts():
    """shmat(SHM_EXEC) writable: wx_mapping and exec_fileless (sysv_shm), and
    nothing else; writable elsewhere: the same; read-only and nowhere
    writable: exec_fileless only."""
    prog = build_prog("shmexec.c", "shmexec")
    d = tmpdir()
    for mode, want in (("wx", [("exec_fileless", "shmat"), ("wx_mapping", "shmat")]),
                       ("elsewhere", [("exec_fileless", "shmat"), ("wx_mapping", "shmat")]),
                       ("ro", [("exec_fileless", "shmat")])):
        marker = os.path.join(d, mode)
        p, al, _ = alerts_of([], [prog, mode, marker])
        eq(p.returncode, 0, f"{mode}: exit status ({p.stderr.strip()})")
        check(os.path.exists(marker), f"{mode}: the payload did not run")
        eq(kinds(al), want, f"{mode}: alerts")
        for a in al:
            if a["alert"]["kind"] == "exec_fileless":
                eq(a["alert"].get("fileless"), "sysv_shm", f"{mode}: fileless cause")
            check("regionStart" in a["alert"], f"{mode}: alert without region: {a['alert']}")
            eq(a["trigger"]["eventName"], "shmat", f"{mode}: trigger")
            check("SHM_EXEC" in a["trigger"]["args"][2]["decoded"], f"{mode}: trigger flags")


def t_shm_kill_wx():
    """--kill-wx -- COMMAND stops the SHM_EXEC attach: status 137, payload not run."""
    prog = build_prog("shmexec.c", "shmexec")
    d = tmpdir()
    marker = os.path.join(d, "ran")
    p, al, _ = alerts_of(["--kill-wx"], [prog, "wx", marker])
    eq(p.returncode, 137, f"exit status under --kill-wx ({p.stderr.strip()})")
    check(not os.path.exists(marker), "the payload ran despite --kill-wx")
    check(any(a["alert"]["kind"] == "wx_mapping" and a["alert"]["action"] == "killed" for a in al),
          f"no killed wx_mapping alert: {kinds(al)}")


def noexec_sysctl():
    try:
        with open("/proc/sys/vm/memfd_noexec") as f:
            return int(f.read())
    except OSError:
        return 0


def t_memfd_chain():
    """memfd_create then an executable mmap of it: one exec_fileless alert naming
    both calls (chain); memfd_create then execveat of it: one alert naming
    memfd_create and execveat."""
    prog = build_prog("memfdexec.c", "memfdexec")
    if noexec_sysctl() != 0:
        return "skip: vm.memfd_noexec forbids executable memfds here"
    p, al, _ = alerts_of([], [prog, "mmap", "1"])
    eq(p.returncode, 0, f"mmap chain exit status ({p.stderr.strip()})")
    eq(kinds(al), [("exec_fileless", "mmap")], "mmap chain alerts")
    a = al[0]["alert"]
    eq(a.get("fileless"), "memfd", "fileless cause")
    eq(a["chain"]["calls"], ["memfd_create", "mmap"], "chain calls")
    eq(a["chain"]["memfd"]["name"], "mw-payload", "chain memfd name")
    eq(a["chain"]["memfd"]["flags"], "MFD_CLOEXEC", "chain memfd flags")
    # MFD_NOEXEC_SEAL (Linux 6.3+): the mmap is refused, no chain
    p, al, _ = alerts_of([], [prog, "mmap", "9"])
    if p.returncode == 3:
        eq(al, [], "a sealed memfd raises nothing")
    true = shutil.which("true")
    p, al, _ = alerts_of([], [prog, "exec", true])
    eq(p.returncode, 0, f"execveat chain exit status ({p.stderr.strip()})")
    chains = [x for x in al if x["alert"].get("chain")]
    eq(len(chains), 1, f"execveat chain alerts: {kinds(al)}")
    c = chains[0]["alert"]
    eq(c["kind"], "exec_fileless", "execveat chain kind")
    eq(c["chain"]["calls"], ["memfd_create", "execveat"], "execveat chain calls")
    eq(c["chain"]["memfd"]["name"], "mw-prog", "execveat chain memfd name")


if __name__ == "__main__":
    if skipped_without_root():
        sys.exit(0)
    sys.exit(run_selected([
        ("family/numbers", t_numbers),
        ("family/fields_64", t_fields_64),
        ("family/fields_32", t_fields_32),
        ("family/classes", t_classes),
        ("family/shm_exec_alerts", t_shm_exec_alerts),
        ("family/shm_kill_wx", t_shm_kill_wx),
        ("family/memfd_chain", t_memfd_chain),
    ]))

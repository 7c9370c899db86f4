"""test_codewrite.py - integration tests (root) of code_write (issue #22): code written into executable
memory from outside the mapping calls (/proc/PID/mem, ptrace POKETEXT, process_vm_writev, userfaultfd) by the
attacker programs of codewrite.c, each of which runs its payload; near misses stay quiet."""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, Fail, build_prog, check, eq, skipped_without_root, mapwatch, read_json_lines,
                 run_selected, tmpdir)

PAYLOAD_RAN = 42  # codewrite's exit status when the payload it wrote (mov eax,42; ret) ran

# mode: (via, MITRE id, the target is the writer itself, the target's file ends so (None: anonymous))
ATTACKS = {
    "self_mem": ("proc_mem", "T1055.009", True, None),
    "child_mem": ("proc_mem", "T1055.009", False, None),
    "child_libc": ("proc_mem", "T1055.009", False, "libc.so.6"),
    "poketext": ("ptrace", "T1055.008", False, None),
    "pvw": ("process_vm_writev", "T1055", False, None),
}
NEAR_MISSES = ("self_mem_read", "self_mem_data", "peektext", "pokedata_data", "attach", "pvw_data")


def prog():
    return build_prog("codewrite.c", "codewrite", extra=("-ldl",))


def run_json(mode, extra=()):
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, *extra, "--", prog(), mode])
    return p, [e for e in read_json_lines(out) if e.get("eventName") == "alert"]


def t_attacks():
    """Each attack runs its payload (exit 42) and raises exactly one code_write, high, naming the writer
    (pid, comm, executable) and the target (pid, address, length, the VMA's protection, its file)."""
    for mode, (via, mitre, self_target, fname) in ATTACKS.items():
        p, alerts = run_json(mode)
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status (the payload's; stderr: {p.stderr.strip()[-300:]})")
        cw = [e for e in alerts if e["alert"]["kind"] == "code_write"]
        eq(len(cw), 1, f"{mode}: code_write alerts ({[e['alert'] for e in alerts]})")
        e, a = cw[0], cw[0]["alert"]
        w = a["codeWrite"]
        eq((a["severity"], a["mitre"], w["via"]), ("high", mitre, via), f"{mode}: severity, MITRE id, route")
        eq(e["processName"], "codewrite", f"{mode}: the writer's name")
        check(e["executable"]["path"].endswith("/codewrite"), f"{mode}: the writer's executable: {e['executable']}")
        check("PROT_EXEC" in w["targetProt"] and "PROT_WRITE" not in w["targetProt"] or mode == "pvw",
              f"{mode}: target protection {w['targetProt']}")
        if mode == "pvw":
            eq(w["targetProt"], "PROT_READ|PROT_WRITE|PROT_EXEC", "pvw: the child's RWX page")
        eq(w["targetPid"] == e["hostProcessId"], self_target, f"{mode}: target {w['targetPid']} vs writer {e['hostProcessId']}")
        eq(w["length"], 8, f"{mode}: bytes written")
        eq((a["regionStart"], int(a["regionEnd"], 16) - int(a["regionStart"], 16)), (w["address"], 8),
           f"{mode}: region is the bytes written")
        if fname:
            check(w.get("targetFile", "").endswith(fname), f"{mode}: target file {w.get('targetFile')}")
        else:
            check("targetFile" not in w, f"{mode}: anonymous target, no file: {w}")
        eq(e["trigger"]["eventName"], "code_write", f"{mode}: the trigger")


def t_straddle():
    """A /proc/self/mem write that starts in an RW page and runs on into the RX page above it: judged
    by its last byte's VMA too (one code_write, the RX page's protection), the payload runs."""
    p, alerts = run_json("straddle")
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()[-300:]})")
    cw = [e["alert"] for e in alerts if e["alert"]["kind"] == "code_write"]
    eq(len(cw), 1, f"code_write alerts ({[e['alert'] for e in alerts]})")
    eq((cw[0]["codeWrite"]["length"], cw[0]["codeWrite"]["targetProt"]), (16, "PROT_READ|PROT_EXEC"),
       "the whole write, the RX page's protection")


def t_near_misses():
    """Reading /proc/self/mem, writing it into a data page, PEEKTEXT, POKEDATA into a data page, a
    debugger's attach without writes, process_vm_writev into an RW page: exit 0, no code_write."""
    for mode in NEAR_MISSES:
        p, alerts = run_json(mode)
        eq(p.returncode, 0, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        eq([e["alert"] for e in alerts if e["alert"]["kind"] == "code_write"], [], f"{mode}: code_write alerts")


def t_pid_namespace():
    """ptrace and process_vm_writev from inside a pid namespace name the target by that namespace's pid:
    judged there (the kernel's bpf_task_from_vpid, or the writer's /proc), the alert says whose view."""
    for mode in ("poketext", "pvw"):
        out = os.path.join(tmpdir(), "out.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", "unshare", "--pid", "--fork", "--mount-proc",
                      prog(), mode])
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        cw = [e for e in read_json_lines(out) if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"]
        eq(len(cw), 1, f"{mode}: code_write alerts")
        w = cw[0]["alert"]["codeWrite"]
        eq((w["via"], w.get("targetPidView"), cw[0]["processId"]), (ATTACKS[mode][0], "writer", 1),
           f"{mode}: route, pid view, the writer is the namespace's init")
        check(w["targetPid"] not in (0, cw[0]["hostProcessId"]) and w["targetPid"] < 100,
              f"{mode}: target pid in the namespace: {w}")
    for mode in ("pokedata_data", "pvw_data"):
        out = os.path.join(tmpdir(), "out.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", "unshare", "--pid", "--fork", "--mount-proc",
                      prog(), mode])
        eq(p.returncode, 0, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        eq([e for e in read_json_lines(out) if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"],
           [], f"{mode}: no code_write in the namespace either")


def uffd_alerts(recs):
    return [e for e in recs if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"]


def check_uffd(mode, e, writer_is_target, prot="PROT_READ|PROT_EXEC"):
    """One userfaultfd code_write: the page supplied (its start, 4096 bytes) in the executable region."""
    a, w = e["alert"], e["alert"]["codeWrite"]
    eq((a["severity"], a["mitre"], w["via"], w["length"], w["targetProt"]),
       ("high", "T1055", "userfaultfd", 4096, prot), f"{mode}: severity, MITRE id, route, length, prot")
    eq(int(w["address"], 16) % 4096, 0, f"{mode}: the page's start: {w['address']}")
    eq((a["regionStart"], int(a["regionEnd"], 16) - int(a["regionStart"], 16)), (w["address"], 4096),
       f"{mode}: region is the page supplied")
    eq(w["targetPid"] == e["hostProcessId"], writer_is_target, f"{mode}: target {w['targetPid']} vs writer {e['hostProcessId']}")
    check("targetFile" not in w and "judgedFrom" not in w, f"{mode}: anonymous, judged by the kernel: {w}")
    eq((e["trigger"]["eventName"], e["trigger"]["syscallNr"]), ("code_write", 16), f"{mode}: the trigger (ioctl)")


def t_userfaultfd():
    """UFFDIO_COPY supplying the missing page of an RX region (the handler a thread of the process, or
    another process handed the fd over a socket: the uffd's mm names the target): one code_write, via
    userfaultfd; the same copy into an RW region is quiet; UFFDIO_MOVE into RWX memory is judged too."""
    for mode, self_target in (("uffd", True), ("uffd_remote", False)):
        p, alerts = run_json(mode)
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status (the payload's; stderr: {p.stderr.strip()[-300:]})")
        cw = uffd_alerts(alerts)
        eq(len(cw), 1, f"{mode}: code_write alerts ({[e['alert'] for e in alerts]})")
        check_uffd(mode, cw[0], self_target)
    p, alerts = run_json("uffd_data")
    eq(p.returncode, 0, f"uffd_data: exit status ({p.stderr.strip()[-300:]})")
    eq(uffd_alerts(alerts), [], "uffd_data: code_write alerts")
    # UFFDIO_MOVE moves only between writable VMAs: into RWX memory (wx_mapping raised at its mmap too)
    p, alerts = run_json("uffd_move")
    if p.returncode == 77:
        print("  uffd_move not checked: no UFFDIO_MOVE in this kernel (6.8+)", flush=True)
        return None
    eq(p.returncode, PAYLOAD_RAN, f"uffd_move: exit status ({p.stderr.strip()[-300:]})")
    cw = uffd_alerts(alerts)
    eq(len(cw), 1, f"uffd_move: code_write alerts ({[e['alert'] for e in alerts]})")
    check_uffd("uffd_move", cw[0], True, "PROT_READ|PROT_WRITE|PROT_EXEC")


def t_userfaultfd_continue():
    """UFFDIO_CONTINUE (minor faults on shmem): a memfd page written through a writable MAP_SHARED
    view, then mapped into the RX view's faulting address by the handler: the payload runs (exit 42)
    and one code_write names the RX view's page, via userfaultfd, the memfd as the target's file.
    The same continue into a read-only view is quiet. Skipped where the kernel refuses minor faults
    on shmem (codewrite exits 77)."""
    p, alerts = run_json("uffd_continue")
    if p.returncode == 77:
        return "skip: the kernel refuses UFFDIO_REGISTER_MODE_MINOR on shmem (5.14+, UFFD_FEATURE_MINOR_SHMEM)"
    eq(p.returncode, PAYLOAD_RAN, f"uffd_continue: exit status (the payload's; stderr: {p.stderr.strip()[-300:]})")
    cw = uffd_alerts(alerts)
    eq(len(cw), 1, f"uffd_continue: code_write alerts ({[e['alert'] for e in alerts]})")
    e, a, w = cw[0], cw[0]["alert"], cw[0]["alert"]["codeWrite"]
    eq((a["severity"], a["mitre"], w["via"], w["length"], w["targetProt"]),
       ("high", "T1055", "userfaultfd", 4096, "PROT_READ|PROT_EXEC"), "uffd_continue: severity, MITRE id, route, length, prot")
    eq(w["targetPid"], e["hostProcessId"], "uffd_continue: the target is the writer's own memory")
    eq(w.get("targetFile"), "/memfd:mw-cw-continue", "uffd_continue: the RX view's file")
    eq((a["regionStart"], int(a["regionEnd"], 16) - int(a["regionStart"], 16)), (w["address"], 4096),
       "uffd_continue: region is the page mapped")
    eq((e["trigger"]["eventName"], e["trigger"]["syscallNr"]), ("code_write", 16), "uffd_continue: the trigger (ioctl)")
    # the RX view itself was judged at its mmap too: a writable view of the same memfd page exists
    check(any(x["alert"]["kind"] == "wx_alias" for x in alerts), f"uffd_continue: wx_alias at the RX mmap: "
          f"{[x['alert']['kind'] for x in alerts]}")
    p, alerts = run_json("uffd_continue_data")
    eq(p.returncode, 0, f"uffd_continue_data: exit status ({p.stderr.strip()[-300:]})")
    eq(uffd_alerts(alerts), [], "uffd_continue_data: code_write alerts")


def t_table():
    """The table line: ALERT high code_write T1055.008, the code_write call and the target."""
    p = mapwatch(["--alerts-only", "--", prog(), "poketext"])
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()[-300:]})")
    lines = [l for l in p.stdout.splitlines() if "code_write" in l]
    eq(len(lines), 1, f"code_write lines: {p.stdout[-800:]}")
    check("ALERT high code_write T1055.008: code_write(via=ptrace, pid=" in lines[0], f"line: {lines[0]}")
    check("[target pid " in lines[0] and "PROT_READ|PROT_EXEC]" in lines[0], f"target in the line: {lines[0]}")


def t_policy_ignore_writer():
    """A rule on the writer (as for a debugger: here its command name) silences its code_write; the
    other kinds stay."""
    rules = os.path.join(tmpdir(), "rules.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n  - name: our-debugger\n    match: {kind: code_write, comm: [codewrite]}\n"
                "    action: ignore\n  - name: rest\n    action: alert\n")
    p, alerts = run_json("pvw", ["--rules", rules])
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()[-300:]})")
    eq(sorted(e["alert"]["kind"] for e in alerts), ["wx_mapping"], "alerts under the rule")


def t_alert_rate():
    """--alert-rate folds repeats of code_write like any kind: five POKETEXTs of one word (a debugger
    re-inserting a breakpoint) are one alert and an alert_repeats line counting 4."""
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", "--alert-rate", "60", "--output", out, "--", prog(), "poke_repeat"])
    eq(p.returncode, PAYLOAD_RAN, f"exit status ({p.stderr.strip()[-300:]})")
    recs = read_json_lines(out)
    cw = [e for e in recs if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"]
    rep = [e for e in recs if e.get("eventName") == "alert_repeats"]
    eq(len(cw), 1, "code_write alerts written in full")
    eq(sum(e["count"] for e in rep), 4, f"repeats counted ({rep})")
    p, alerts = run_json("poke_repeat")
    eq(len([e for e in alerts if e["alert"]["kind"] == "code_write"]), 5, "without --alert-rate: one per write")


def t_gdb_breakpoint():
    """gdb -batch with a breakpoint hit 3 times: gdb writes the breakpoint into the program's text
    (through /proc/PID/mem, or PTRACE_POKETEXT): code_write by gdb, legitimately. A rule on gdb's
    executable before the built-in ones (the README's example) silences them all."""
    gdb = shutil.which("gdb")
    if not gdb:
        return "skip: gdb not installed (apt-get install gdb)"
    d = tmpdir()
    src, exe = os.path.join(d, "bp.c"), os.path.join(d, "bp")
    with open(src, "w") as f:
        f.write("int work(int x) { return x * 2; }\n"
                "int main(void) { int s = 0; for (int i = 0; i < 3; i++) s += work(i); return s == 6 ? 0 : 1; }\n")
    subprocess.run(["gcc", "-g", "-O0", "-o", exe, src], check=True)
    cmd = [gdb, "-batch", "-ex", "break work", "-ex", "run", "-ex", "continue", "-ex", "continue", "-ex", "continue", exe]
    rules = os.path.join(d, "dbg.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n  - name: debuggers\n    match: {kind: code_write, exe: [%s]}\n    action: ignore\n"
                % os.path.realpath(gdb))
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dist", "rules.d", "00-default.yaml")
    for extra, want_some in (([], True), (["--rules", rules, "--rules", default], False)):
        out = os.path.join(d, "gdb.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, *extra, "--", *cmd], timeout=180)
        eq(p.returncode, 0, f"gdb {extra}: exit status ({p.stderr.strip()[-300:]})")
        cw = [e for e in read_json_lines(out) if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"]
        check(all(e["processName"] == "gdb" for e in cw), f"only gdb writes code: {[e['processName'] for e in cw]}")
        if want_some:
            check(len(cw) >= 3, f"gdb's breakpoints are code_write alerts: {len(cw)}")
            check(all(e["alert"]["codeWrite"]["targetFile"] == os.path.realpath(exe) or
                      "ld-linux" in e["alert"]["codeWrite"].get("targetFile", "") for e in cw),
                  f"written into the program's (or the loader's) text: {[e['alert']['codeWrite'] for e in cw][:3]}")
        else:
            eq(len(cw), 0, "code_write alerts with the debuggers rule")


def t_tracepoint_mode():
    """--hook tracepoint (no dispatcher): the same routes through their own exit tracepoints."""
    for mode in ("child_libc", "poketext", "pvw"):
        p, alerts = run_json(mode, ["--hook", "tracepoint", "--compat", "off"])
        eq(p.returncode, PAYLOAD_RAN, f"{mode}: exit status ({p.stderr.strip()[-300:]})")
        eq([e["alert"]["codeWrite"]["via"] for e in alerts if e["alert"]["kind"] == "code_write"], [ATTACKS[mode][0]],
           f"{mode}: code_write in tracepoint mode")
    p, alerts = run_json("uffd", ["--hook", "tracepoint", "--compat", "off"])
    eq(p.returncode, PAYLOAD_RAN, f"uffd: exit status ({p.stderr.strip()[-300:]})")
    eq([e["alert"]["codeWrite"]["via"] for e in alerts if e["alert"]["kind"] == "code_write"], ["userfaultfd"],
       "uffd: code_write in tracepoint mode")
    p, alerts = run_json("self_mem_data", ["--hook", "tracepoint", "--compat", "off"])
    eq([e for e in alerts if e["alert"]["kind"] == "code_write"], [], "self_mem_data in tracepoint mode")


def t_hostwide():
    """Host-wide --alerts-only: the attacks are seen by a tracer that did not start them."""
    d = tmpdir()
    out, errf = os.path.join(d, "hw.json"), os.path.join(d, "hw.err")
    mw = subprocess.Popen([MAPWATCH, "-v", "--alerts-only", "--json", "--output", out], stdout=subprocess.DEVNULL,
                          stderr=open(errf, "w"))
    try:
        end = time.time() + 180
        while "mapwatch: attached" not in open(errf).read():
            if mw.poll() is not None or time.time() > end:
                raise Fail(f"host-wide mapwatch did not attach: {open(errf).read()[-500:]}")
            time.sleep(0.05)
        pids = {}
        # the near miss first: its records precede the attacks' in the ring buffer, so once all of
        # theirs are out any alert of its would be too
        quiet = subprocess.Popen([prog(), "uffd_data"])
        eq(quiet.wait(timeout=60), 0, "uffd_data: exit status")
        for mode in ("child_mem", "poketext", "self_mem", "uffd", "uffd_remote"):
            c = subprocess.Popen([prog(), mode])
            pids[c.pid] = ATTACKS[mode][0] if mode in ATTACKS else "userfaultfd"
            eq(c.wait(timeout=60), PAYLOAD_RAN, f"{mode}: exit status")
        end = time.time() + 120
        while True:
            got = {}
            if os.path.exists(out):
                for e in read_json_lines(out):
                    if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write" \
                            and e["hostProcessId"] in pids:
                        got[e["hostProcessId"]] = e["alert"]["codeWrite"]["via"]
            if got == pids or time.time() > end:
                break
            time.sleep(0.2)
        eq(got, pids, "code_write by writer pid")
        eq([e for e in read_json_lines(out) if e.get("eventName") == "alert" and e["hostProcessId"] == quiet.pid],
           [], "uffd_data host-wide: no alert")
    finally:
        if mw.poll() is None:
            mw.send_signal(signal.SIGINT)
        eq(mw.wait(timeout=60), 0, f"mapwatch exit status ({open(errf).read()[-300:]})")


def t_not_loaded_plain():
    """The routes are judged with alerts only: a plain tracing run loads no route program. With alerts, the
    dispatcher judges them itself (no tracepoint of their own: a syscalls:* tracepoint would put perf's
    syscall path on every syscall of the host), tracepoint mode loads their sys_exit tracepoints, and
    function mode its fexit slots."""
    p = mapwatch(["-vvv", "--", "/bin/true"])
    eq(p.returncode, 0, f"plain run ({p.stderr.strip()[-300:]})")
    check("verifier: exit_mmap" in p.stderr or "verifier: fn_exit" in p.stderr or "verifier: disp_exit" in p.stderr,
          "-vvv lists the loaded programs")
    check("verifier: cw_" not in p.stderr and "verifier: rt_exit_" not in p.stderr,
          "no code_write program loaded in a plain run")
    p = mapwatch(["-vvv", "--alerts-only", "--", "/bin/true"])
    eq(p.returncode, 0, f"alerts run ({p.stderr.strip()[-300:]})")
    if "verifier: fn_exit" in p.stderr:
        check("verifier: rt_exit_0:" in p.stderr, "function mode: the route fexit slots loaded with alerts")
    else:
        check("verifier: disp_exit:" in p.stderr, "the dispatcher runs with alerts on this kernel")
        check("verifier: cw_exit_" not in p.stderr and "verifier: rt_exit_" not in p.stderr,
              "dispatcher mode: no route program of their own (the dispatcher judges them)")
    p = mapwatch(["-vvv", "--alerts-only", "--hook", "tracepoint", "--compat", "off", "--", "/bin/true"])
    eq(p.returncode, 0, f"alerts run in tracepoint mode ({p.stderr.strip()[-300:]})")
    for name in ("cw_exit_ptrace", "cw_exit_process_vm_writev", "cw_exit_openat", "cw_exit_pwrite64", "cw_exit_ioctl"):
        check(f"verifier: {name}:" in p.stderr, f"{name} loaded with alerts in tracepoint mode")


def prog32():
    """codewrite.c built -m32, or None with why (no multilib, or a kernel that runs no 32-bit programs)."""
    try:
        exe = build_prog("codewrite.c", "codewrite32", extra=("-m32", "-D_FILE_OFFSET_BITS=64", "-ldl"))
        subprocess.run([exe], capture_output=True)
    except subprocess.CalledProcessError as e:
        return None, f"skip: cannot build 32-bit programs (gcc -m32: {e}; apt-get install gcc-multilib)"
    except OSError as e:
        return None, f"skip: this kernel does not run 32-bit programs ({e})"
    return exe, None


def t_compat_writers():
    """A 32-bit injector's calls arrive through the 32-bit syscall ABI, which no per-syscall tracepoint
    sees: each attack still runs its payload and raises code_write with its route (ptrace pokes 4 bytes at a
    time there: two alerts, one per word); the 32-bit near misses stay quiet."""
    exe, why = prog32()
    if not exe:
        return why
    for mode in ("self_mem", "child_mem", "child_libc", "poketext", "pvw", "uffd", "uffd_remote"):
        out = os.path.join(tmpdir(), "out.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", exe, mode])
        eq(p.returncode, PAYLOAD_RAN, f"32-bit {mode}: exit status (stderr: {p.stderr.strip()[-300:]})")
        cw = [e["alert"]["codeWrite"] for e in read_json_lines(out)
              if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"]
        via = ATTACKS[mode][0] if mode in ATTACKS else "userfaultfd"
        if mode == "poketext":
            eq([(w["via"], w["length"]) for w in cw], [("ptrace", 4), ("ptrace", 4)], "32-bit poketext: two words")
            eq(int(cw[1]["address"], 16) - int(cw[0]["address"], 16), 4, "32-bit poketext: consecutive words")
        else:
            eq([w["via"] for w in cw], [via], f"32-bit {mode}: code_write and its route ({cw})")
        check(all("PROT_EXEC" in w["targetProt"] for w in cw), f"32-bit {mode}: executable target ({cw})")
        check(all(int(w["address"], 16) < 2**32 for w in cw), f"32-bit {mode}: a 32-bit address ({cw})")
    for mode in ("self_mem_data", "pokedata_data", "pvw_data", "uffd_data", "self_mem_read"):
        out = os.path.join(tmpdir(), "out.json")
        p = mapwatch(["--alerts-only", "--json", "--output", out, "--", exe, mode])
        eq(p.returncode, 0, f"32-bit {mode}: exit status (stderr: {p.stderr.strip()[-300:]})")
        eq([e["alert"] for e in read_json_lines(out) if e.get("eventName") == "alert" and e["alert"]["kind"] == "code_write"],
           [], f"32-bit {mode}: no code_write")
    return None


def main():
    if skipped_without_root():
        return 0
    tests = [("codewrite/attacks", t_attacks), ("codewrite/near_misses", t_near_misses),
             ("codewrite/straddle", t_straddle), ("codewrite/userfaultfd", t_userfaultfd),
             ("codewrite/userfaultfd_continue", t_userfaultfd_continue),
             ("codewrite/pid_namespace", t_pid_namespace), ("codewrite/table", t_table), ("codewrite/policy_ignore_writer", t_policy_ignore_writer),
             ("codewrite/alert_rate", t_alert_rate),
             ("codewrite/gdb_breakpoint", t_gdb_breakpoint), ("codewrite/tracepoint_mode", t_tracepoint_mode), ("codewrite/hostwide", t_hostwide),
             ("codewrite/not_loaded_plain", t_not_loaded_plain), ("codewrite/compat_writers", t_compat_writers)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

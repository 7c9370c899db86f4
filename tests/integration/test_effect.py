"""test_effect.py - integration tests (root) of issue #11: alerts and --kill-wx judged on the protection the kernel gave (read from the VMA at exit), --allow by inode, seeding at start, memfd by its dentry."""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, Fail, build_prog, check, eq, skipped_without_root, mapwatch, read_json_lines, run_selected,
                 settle, tmpdir)

PROG = None      # 64-bit bypass program
PROG32 = None    # 32-bit one, or None
WHY32 = ""       # why there is none
LAST_LINES = []  # every line of the last traced() run, in order

PERMS_TO_PROT = {"r": "PROT_READ", "w": "PROT_WRITE", "x": "PROT_EXEC"}


def prot_of_perms(perms):
    names = [PERMS_TO_PROT[c] for c in perms[:3] if c != "-"]
    return "|".join(names) if names else "PROT_NONE"


def traced(prog_args, *opts):
    """mapwatch --json --alerts OPTS -- PROG ARGS; returns (exit status, events, alerts, stderr)."""
    d = tmpdir()
    out = os.path.join(d, "ev.json")
    p = mapwatch(["--json", "--alerts", "--output", out, *opts, "--", *prog_args], timeout=120)
    global LAST_LINES
    lines = read_json_lines(out) if os.path.exists(out) else []
    LAST_LINES = lines
    events = [e for e in lines if e.get("eventName") not in ("alert", "lost")]
    alerts = [e for e in lines if e.get("eventName") == "alert"]
    return p.returncode, events, alerts, p.stderr


def kinds(alerts):
    return sorted(a["alert"]["kind"] for a in alerts)


def must_be_killed(prog_args, marker, *opts):
    """Under --kill-wx (always with -- COMMAND): status 137, payload not run, the kill's alert printed."""
    rc, _, alerts, err = traced(prog_args, "--kill-wx", *opts)
    eq(rc, 137, f"--kill-wx {' '.join(prog_args[:2])}: exit status (stderr {err.strip()!r})")
    check(not os.path.exists(marker), f"{' '.join(prog_args[:2])}: the payload ran under --kill-wx")
    killed = [a for a in alerts if a["alert"]["action"] == "killed"]
    check(killed, f"{' '.join(prog_args[:2])}: no alert line for the kill: {kinds(alerts)}")
    return killed


def need32():
    return None if PROG32 else f"skip: {WHY32}"


def t_oldmmap_fault():
    """Bypass 1: old_mmap's struct in an untouched page; read again at exit, judged on the VMA."""
    if need32():
        return need32()
    d = tmpdir()
    marker = os.path.join(d, "ran")
    rc, events, alerts, err = traced([PROG32, "oldfault", marker, d])
    eq(rc, 0, f"exit status ({err.strip()})")
    check(os.path.exists(marker), "without --kill-wx the payload runs")
    ev = [e for e in events if e["eventName"] == "mmap" and e["syscallNr"] == 90]
    eq(len(ev), 1, "old_mmap events")
    check(ev[0].get("argsReadAtExit") is True, f"struct not read again at exit: {ev[0]}")
    eq(ev[0]["args"][2]["value"], 7, "prot read at exit")
    eq(ev[0].get("effectiveProt"), "PROT_READ|PROT_WRITE|PROT_EXEC", "effectiveProt")
    wx = [a for a in alerts if a["alert"]["kind"] == "wx_mapping" and a["trigger"]["syscallNr"] == 90]
    eq(len(wx), 1, f"wx_mapping alerts ({kinds(alerts)})")
    eq(wx[0]["alert"]["judgedOn"], "effectiveProt", "judged on")
    os.unlink(marker)
    must_be_killed([PROG32, "oldfault", marker, d], marker)


def t_oldmmap_race():
    """Bypass 2: 1,000 old_mmap calls racing a thread that flips prot: effectiveProt is /proc's, every RWX alerted."""
    if need32():
        return need32()
    # the flipping thread must get a CPU while the main thread is in the call: on a loaded
    # machine a run may not race at all, so a run that did not is made again (each run's
    # checks hold whether it raced or not; that it raced at least once is the last check)
    for attempt in range(6):
        d = tmpdir()
        log = os.path.join(d, "race.json")
        n = 1000
        rc, events, alerts, err = traced([PROG32, "race", log, str(n)])
        eq(rc, 0, f"exit status ({err.strip()})")
        calls = read_json_lines(log)
        eq(len(calls), n, "calls logged")
        pid = calls and events[0]["hostProcessId"]
        ev = [e for e in events if e["eventName"] == "mmap" and e["syscallNr"] == 90 and e["hostThreadId"] == pid]
        eq(len(ev), n, "old_mmap events of the main thread")
        differ = busy = 0
        # an alert line follows its event's line: which old_mmap events were alerted
        alerted, cur = set(), None
        for e in LAST_LINES:
            if e.get("eventName") == "alert":
                if cur is not None and e["alert"]["kind"] == "wx_mapping" and e["trigger"]["timestamp"] == cur:
                    alerted.add(cur)
            elif e.get("eventName") == "mmap" and e.get("syscallNr") == 90:
                cur = e["timestamp"]
            else:
                cur = None
        rwx = 0
        for c, e in zip(calls, ev):
            eq(e["returnValue"], c["ret"], f"call {c['i']}: returned address")
            if "effectiveProt" not in e or e["effectiveProt"] is None:
                busy += 1
                continue
            eq(e["effectiveProt"], prot_of_perms(c["perms"]), f"call {c['i']}: effectiveProt vs /proc/PID/maps")
            differ += e["args"][2]["value"] != {"rw": 3, "rwx": 7}.get(c["perms"][:3].replace("-", ""), -1)
            rwx += c["perms"].startswith("rwx")
        eq(busy, 0, "events without effectiveProt (lookup contended)")
        for c, e in zip(calls, ev):
            eq(e["timestamp"] in alerted, c["perms"].startswith("rwx"),
               f"call {c['i']} ({c['perms']}): alerted")
        print(f"INFO race (run {attempt + 1}): {n} calls, {rwx} RWX outcomes, all alerted; {differ} events whose struct read at entry "
              f"differs from what the kernel did", flush=True)
        if 0 < rwx < n:
            break
    check(0 < rwx < n, f"the race did not race in {attempt + 1} runs ({rwx} RWX of {n} in the last): the test proves nothing")
    for _ in range(3):
        marker = os.path.join(d, "ran")
        must_be_killed([PROG32, "racekill", marker, "20000"], marker)


def t_read_implies_exec():
    """Bypass 3: personality(READ_IMPLIES_EXEC) + mmap(RW) gives RWX: alerted with the personality, killed."""
    progs = [("64", PROG)] + ([("32", PROG32)] if PROG32 else [])
    for abi, prog in progs:
        d = tmpdir()
        marker = os.path.join(d, "ran")
        rc, events, alerts, err = traced([prog, "rie", marker])
        eq(rc, 0, f"{abi}-bit exit status ({err.strip()})")
        ev = [e for e in events if e["eventName"] in ("mmap", "mmap2") and e.get("readImpliesExec")
              and e["args"][2]["value"] == 3]
        check(ev, f"{abi}-bit: no RW mmap event carrying readImpliesExec")
        eq(ev[-1]["effectiveProt"], "PROT_READ|PROT_WRITE|PROT_EXEC", f"{abi}-bit effectiveProt")
        wx = [a for a in alerts if a["alert"]["kind"] == "wx_mapping" and a["alert"].get("readImpliesExec")]
        check(wx, f"{abi}-bit: no wx_mapping alert with readImpliesExec: {kinds(alerts)}")
        os.unlink(marker)
        must_be_killed([prog, "rie", marker], marker)
    if not PROG32:
        return f"skip: 32-bit half: {WHY32}"


def t_allow_chroot():
    """Bypass 5: another binary at the allowed path inside a chroot is not allowed (inode, not path)."""
    static = build_prog("bypass.c", "bypass-static", ["-static"])
    root = tmpdir()
    os.makedirs(os.path.join(root, "usr", "bin"))
    fake = os.path.join(root, "usr", "bin", "true")
    shutil.copy(static, fake)
    settle(fake)  # a fixture: not dropped code at its exec
    marker = os.path.join(root, "ran")
    rc, events, alerts, err = traced(["chroot", root, "/usr/bin/true", "wx", "/ran"], "--allow", "/usr/bin/true")
    eq(rc, 0, f"exit status ({err.strip()})")
    wx = [a for a in alerts if a["alert"]["kind"] == "wx_mapping"]
    check(wx, f"--allow /usr/bin/true silenced the chroot's /usr/bin/true: {kinds(alerts)}")
    eq(wx[0]["executable"]["path"], "/usr/bin/true", "the path the task sees")
    os.unlink(marker)
    must_be_killed(["chroot", root, "/usr/bin/true", "wx", "/ran"], marker, "--allow", "/usr/bin/true")
    # the copy itself (by its real path, or by the chroot directory) is allowed
    for allow in (fake, root):
        rc, events, alerts, err = traced(["chroot", root, "/usr/bin/true", "wx", "/ran"], "--kill-wx",
                                         "--allow", allow)
        eq(rc, 0, f"--allow {allow}: exit status ({err.strip()})")
        check(os.path.exists(marker), f"--allow {allow}: the allowed program was stopped")
        check(not alerts, f"--allow {allow}: alerts {kinds(alerts)}")
        os.unlink(marker)


def t_allow_exempts_kill():
    """Bypass 6: --kill-wx --allow EXE leaves EXE running; without --allow the kill prints its alert line."""
    d = tmpdir()
    marker = os.path.join(d, "ran")
    rc, events, alerts, err = traced([PROG, "wx", marker], "--kill-wx", "--allow", PROG)
    eq(rc, 0, f"--kill-wx --allow: exit status ({err.strip()})")
    check(os.path.exists(marker), "--allow did not exempt the program from --kill-wx")
    check(not alerts, f"alerts for an allowed program: {kinds(alerts)}")
    check(all(e.get("allowed") for e in events), "events of the allowed program are marked allowed")
    os.unlink(marker)
    killed = must_be_killed([PROG, "wx", marker], marker)
    eq([a["alert"]["kind"] for a in killed], ["wx_mapping"], "kinds killed")
    # table output, --alerts-only and plain --kill-wx: the kill's line is there too
    for opts in ([], ["--alerts-only"]):
        out = os.path.join(d, "table.txt")
        p = mapwatch(["--kill-wx", *opts, "--output", out, "--", PROG, "wx", marker])
        eq(p.returncode, 137, f"--kill-wx {opts}: exit status")
        lines = open(out, encoding="utf-8", errors="replace").read().splitlines()
        check(any(" ALERT high wx_mapping " in l and l.endswith("[killed]") for l in lines),
              f"--kill-wx {opts}: no ALERT ... [killed] line: {lines[-3:]}")
        check(not os.path.exists(marker), "payload ran")


def wait_for(path, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def t_seed_old_process():
    """Bypass 7: a process older than mapwatch flips RW->RX: seeded at start, x_after_w raised (host-wide run)."""
    d = tmpdir()
    marker, go, ready = (os.path.join(d, n) for n in ("ran", "go", "ready"))
    old = subprocess.Popen([PROG, "late", marker, go, ready])
    try:
        check(wait_for(ready, 20), "the old process did not get ready")
        out, errf = os.path.join(d, "al.json"), os.path.join(d, "err.txt")
        with open(errf, "w") as ef:
            mw = subprocess.Popen([MAPWATCH, "--json", "--alerts-only", "--output", out], stderr=ef)
        try:
            end = time.time() + 60
            while time.time() < end and "region maps seeded" not in open(errf).read():
                check(mw.poll() is None, f"mapwatch ended: {open(errf).read()!r}")
                time.sleep(0.05)
            err = open(errf).read()
            check("region maps seeded from /proc for" in err, f"no seeding report on stderr: {err!r}")
            n = int(err.split("region maps seeded from /proc for ")[1].split()[0])
            check(n >= 2, f"only {n} processes seeded")
            open(go, "w").close()
            eq(old.wait(timeout=30), 0, "the old process's exit status")
            time.sleep(0.5)
        finally:
            mw.send_signal(signal.SIGINT)
            mw.wait(timeout=30)
        alerts = [a for a in read_json_lines(out) if a.get("eventName") == "alert"
                  and a["hostProcessId"] == old.pid]
        eq(kinds(alerts), ["x_after_w"], "alerts of the process older than mapwatch")
        eq(alerts[0]["alert"].get("previousProt"), "PROT_READ|PROT_WRITE", "previous protection (from the seed)")
        print(f"INFO seeding: {err.strip().splitlines()[0]}", flush=True)
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()
    # --kill-wx judges W+X only: an RW->RX flip is reported, never killed (JITs do it)


def t_memfd_by_dentry():
    """Bypass 8: /dev/shm/memfd:notreally is kind shm (fileless tmpfs); a real memfd is kind memfd."""
    if not os.path.isdir("/dev/shm"):
        return "skip: no /dev/shm"
    d = tmpdir()
    marker = os.path.join(d, "ran")
    fake = f"/dev/shm/memfd:notreally-{os.getpid()}"
    try:
        for mode, extra, kind, cause in (("shmname", [fake], "shm", "tmpfs"), ("memfd", [], "memfd", "memfd")):
            rc, events, alerts, err = traced([PROG, mode, marker, *extra])
            eq(rc, 0, f"{mode}: exit status ({err.strip()})")
            ev = [e for e in events if e["eventName"] == "mmap" and e["args"][3]["value"] & 0xf == 1
                  and "file" in e]
            eq(len(ev), 1, f"{mode}: shared file mappings")
            eq(ev[0]["file"]["kind"], kind, f"{mode}: file kind ({ev[0]['file'].get('path')})")
            fl = [a["alert"].get("fileless") for a in alerts if a["alert"]["kind"] == "exec_fileless"]
            eq(fl, [cause], f"{mode}: exec_fileless cause")
            check("wx_mapping" in kinds(alerts), f"{mode}: wx_mapping alert: {kinds(alerts)}")
            os.unlink(marker)
            must_be_killed([PROG, mode, marker, *extra], marker)
    finally:
        if os.path.exists(fake):
            os.unlink(fake)


def t_near_misses():
    """Near misses raise nothing and are not killed: RW then RO, RX of a regular file, PROT_NONE reservations."""
    d = tmpdir()
    for opts in ([], ["--kill-wx"]):
        rc, events, alerts, err = traced([PROG, "nearmiss", d], *opts)
        eq(rc, 0, f"{opts}: exit status ({err.strip()})")
        check(not alerts, f"{opts}: near misses alerted: {kinds(alerts)}")
    effs = {(e["eventName"], e["args"][2]["value"], e.get("effectiveProt")) for e in events
            if e["eventName"] in ("mmap", "mprotect")}
    for want in (("mmap", 0, "PROT_NONE"), ("mprotect", 1, "PROT_READ"), ("mmap", 5, "PROT_READ|PROT_EXEC"),
                 ("mprotect", 3, "PROT_READ|PROT_WRITE")):
        check(want in effs, f"no event {want}: {sorted(effs, key=str)[:12]}")


def t_lookup_contended():
    """The mmap lock held by other threads: an event says EBUSY (never a guess), its alert is judged on the request and says so."""
    n = 1500
    # the hammering threads' own calls are events too (~14,000): a buffer that holds them all,
    # so that what is judged is the lookups, not whether the reader kept up on a busy machine
    rc, events, alerts, err = traced([PROG, "contend", str(n)], "--buffer-size", "64M")
    eq(rc, 0, f"exit status ({err.strip()})")
    pid = events[0]["hostProcessId"]
    mine = [e for e in events if e["eventName"] == "mmap" and e["hostThreadId"] == pid
            and e["args"][1]["value"] == 4096 and e["args"][2]["value"] in (3, 7)]
    eq(len(mine), 2 * n, "the main thread's mmap events")
    busy = [e for e in mine if "effectiveProt" in e and e["effectiveProt"] is None]
    for e in mine:
        if e in busy:
            eq(e.get("effectiveProtError"), "EBUSY", "why the effective prot is missing")
        else:
            want = "PROT_READ|PROT_WRITE" + ("|PROT_EXEC" if e["args"][2]["value"] == 7 else "")
            eq(e.get("effectiveProt"), want, "effectiveProt")
    wx = [a for a in alerts if a["alert"]["kind"] == "wx_mapping" and a["threadId"] == pid]
    eq(len(wx), n, "wx_mapping alerts (one per RWX mapping, looked up or not)")
    on_req = [a for a in wx if a["alert"]["judgedOn"] == "requestedProt"]
    busy_wx = [e for e in busy if e["args"][2]["value"] == 7]
    eq(len(on_req), len(busy_wx), "alerts judged on the request = RWX events whose lookup found the lock taken")
    check(all(a["alert"].get("effectiveProtError") == "EBUSY" for a in on_req), "the alert says why")
    print(f"INFO contended lookups: {len(busy)} of {len(mine)} events EBUSY after {256} tries each", flush=True)


def t_oldmmap_contended_kill():
    """--kill-wx, old_mmap (changeable struct) and its VMA lock taken: stopped, judged from /proc/PID/maps, continued or killed."""
    if need32():
        return need32()
    d = tmpdir()
    marker = os.path.join(d, "ran")
    must_be_killed([PROG32, "oldcontend", marker, "3000"], marker)
    ev = [e for e in LAST_LINES if e.get("eventName") == "mmap" and e.get("syscallNr") == 90]
    eq(len(ev), 3001, "old_mmap events (3000 RW, then the RWX one)")
    # the RW ones: each judged, from the VMA or from /proc (the last, RWX, one may be killed on its request)
    left = [e for e in ev[:-1] if e.get("effectiveProt") is None]
    eq(left, [], "RW old_mmap events left without a verdict under --kill-wx")
    from_proc = [e for e in ev[:-1] if e.get("effectiveFrom") == "/proc/PID/maps"]
    check(all(e["effectiveProt"] == "PROT_READ|PROT_WRITE" for e in from_proc), "RW outcomes verified RW")
    print(f"INFO contended old_mmap under --kill-wx: {len(from_proc)} of {len(ev)} stopped and judged from "
          f"/proc/PID/maps, the process continued each time", flush=True)


def main():
    global PROG, PROG32, WHY32
    if skipped_without_root():
        return 0
    PROG = build_prog("bypass.c", "bypass")
    try:
        PROG32 = build_prog("bypass.c", "bypass32", ["-m32"])
    except (subprocess.CalledProcessError, OSError) as e:
        WHY32 = f"cannot build 32-bit programs (gcc -m32: {e}; apt-get install gcc-multilib)"
    if PROG32 and subprocess.run([PROG32, "probe"], capture_output=True).returncode != 0:
        PROG32, WHY32 = None, "this kernel does not run 32-bit programs (ia32 emulation off)"
    tests = [("effect/oldmmap_fault", t_oldmmap_fault), ("effect/oldmmap_race", t_oldmmap_race),
             ("effect/read_implies_exec", t_read_implies_exec), ("effect/allow_chroot", t_allow_chroot),
             ("effect/allow_exempts_kill", t_allow_exempts_kill), ("effect/seed_old_process", t_seed_old_process),
             ("effect/memfd_by_dentry", t_memfd_by_dentry), ("effect/near_misses", t_near_misses),
             ("effect/lookup_contended", t_lookup_contended),
             ("effect/oldmmap_contended_kill", t_oldmmap_contended_kill)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

"""test_evidence.py - integration tests (root) of the evidence: the bytes a call made executable (payload,
sha256), --capture DIR (files, dedup, quota, full disk, bad directories), call_from_anon, 64- and 32-bit
shellcode loaders (evload.c), --kill-wx keeping the evidence."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, Fail, build_prog, check, eq, mapwatch, read_json_lines, run_selected,
                 skipped_without_root, tmpdir)

EVLOAD = {}
EVLOAD_STATIC = {}
MMAP32 = None


def sha(path_or_bytes):
    if isinstance(path_or_bytes, bytes):
        return hashlib.sha256(path_or_bytes).hexdigest()
    with open(path_or_bytes, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def alerts_of(lines, kind=None):
    return [e for e in lines if e.get("eventName") == "alert" and (kind is None or e["alert"]["kind"] == kind)]


def run(mode, *opts, bits=64, go=False, extra=()):
    """mapwatch --json --alerts-only OPTS -- evload MODE OUT [GO]; returns (process, JSON lines, bytes written).
    With go, the loader waits after its call until mapwatch's alert is out (the test then creates GO)."""
    d = tmpdir()
    out, page, gof = os.path.join(d, "out.json"), os.path.join(d, "page"), os.path.join(d, "go")
    cmd = [MAPWATCH, "--json", "--alerts-only", "--output", out, *opts, "--", EVLOAD[bits], mode, page,
           gof if go else "-", *extra]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if go:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(out) and any(e["alert"]["kind"] != "call_from_anon"
                                           for e in alerts_of(read_json_lines_partial(out))):
                break
            time.sleep(0.05)
        open(gof, "w").close()
    so, se = p.communicate(timeout=120)
    p.stdout_text, p.stderr_text = so, se
    with open(page, "rb") as f:
        written = f.read()
    return p, read_json_lines(out), written


def read_json_lines_partial(path):
    out = []
    with open(path, "rb") as f:
        for raw in f:
            if raw.endswith(b"\n"):
                out.append(json.loads(raw))
    return out


def check_payload(al, written, capdir=None):
    pl = al["alert"].get("payload")
    check(pl is not None, f"no payload in the {al['alert']['kind']} alert: {al['alert']}")
    eq(pl["sha256"], sha(written), "payload.sha256 = sha256 of the bytes the program wrote")
    eq(pl["bytes"], len(written), "payload.bytes")
    eq(pl["truncated"], False, "payload.truncated")
    if capdir:
        f = pl["file"]
        check(f and os.path.dirname(f) == capdir, f"saved file {f!r} is in {capdir}")
        with open(f, "rb") as fh:
            eq(fh.read() == written, True, "the saved file holds exactly the bytes written")
        eq(stat.S_IMODE(os.stat(f).st_mode), 0o600, "mode of the saved file")
        name = os.path.basename(f)
        check(name.endswith(f"-{pl['sha256']}.bin") and f"-pid{al['hostProcessId']}-" in name and
              f"-{al['alert']['kind']}-" in name, f"file name says time, pid, kind, sha256: {name}")
    return pl


def t_flip(bits=64):
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, written = run("flip", "--capture", capdir, bits=bits)
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "x_after_w")
    eq(len(al), 1, "x_after_w alerts")
    pl = check_payload(al[0], written, capdir)
    eq(pl["address"], al[0]["alert"]["regionStart"], "payload address = the region flipped")
    eq(alerts_of(lines, "call_from_anon"), [], "no call_from_anon for calls made from libc")
    eq(al[0]["alert"].get("executableSha256"), sha(EVLOAD[bits]), "executableSha256")


def t_capture_rule():
    """A policy rule with action capture turns the kernel's copying on without --capture: its alerts
    carry the payload (sha256 of the bytes written); alerts of an alert rule carry none."""
    d = tmpdir()
    rules = os.path.join(d, "r.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n  - name: grab\n    match: {kind: x_after_w}\n    action: capture\n"
                "  - name: rest\n    match: {kind: [call_from_anon, wx_mapping, wx_mprotect]}\n")
    p, lines, written = run("flip", "--rules", rules)
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "x_after_w")
    eq(len(al), 1, "x_after_w alerts")
    eq((al[0]["alert"]["rule"], al[0]["alert"].get("captureRequested")), ("grab", True), "the capture rule decided")
    check_payload(al[0], written)
    with open(rules, "w") as f:
        f.write("rules:\n  - name: plain\n    match: {kind: x_after_w}\n")
    p, lines, written = run("flip", "--rules", rules)
    al = alerts_of(lines, "x_after_w")
    eq([(a["alert"]["rule"], a["alert"].get("payload")) for a in al], [("plain", None)],
       "an alert rule's alert, no capture asked: no payload")


def t_memfd(bits=64):
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, written = run("memfd", "--capture", capdir, bits=bits, go=True)
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "exec_fileless")
    eq(len(al), 1, "exec_fileless alerts")
    pl = check_payload(al[0], written, capdir)
    # the page of a file mapping is not mapped in at the mmap's exit: read from /proc/PID/mem
    eq(pl.get("pagesFromProc"), 1, "pages read again from /proc/PID/mem")
    eq(al[0]["alert"].get("mappedFileSha256"), sha(written), "mappedFileSha256: the memfd's whole content")


def t_stub(bits=64, mode="stub", kind="x_after_w"):
    """A stub that itself calls mmap from the memory it was written to; stubmemfd: the attacker runs
    it from a memfd mapping instead of anonymous memory, to look file-backed."""
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    # a memfd's page is not mapped in at the mmap's exit: read from /proc/PID/mem while it lives
    p, lines, written = run(mode, "--capture", capdir, bits=bits, go=mode == "stubmemfd")
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    check_payload(alerts_of(lines, kind)[0], written, capdir)
    cfa = alerts_of(lines, "call_from_anon")
    mapped = int(p.stdout_text.split()[-1], 16)
    eq([(a["syscall"], a["returnValue"] & 0xffffffffffffffff) for a in cfa],
       [("mmap" if bits == 64 else "mmap2", mapped)], "call_from_anon alerts: only the stub's own mmap")
    eq(cfa[0]["alert"]["severity"], "high", "call_from_anon severity")
    eq(cfa[0]["alert"]["calledFrom"], "instructionPointer", "calledFrom")


def t_i386_static_plain():
    """Near miss: a static i386 program's own calls (int 0x80 from its text, glibc's through the
    vDSO's __kernel_vsyscall) come from a file: no call_from_anon, only the W+X its old_mmap asks."""
    d = tmpdir()
    os.mkdir(os.path.join(d, "files"))
    out = os.path.join(d, "al.json")
    p = mapwatch(["--json", "--alerts-only", "-o", out, "--", MMAP32, os.path.join(d, "log.json"),
                  os.path.join(d, "files")], timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    al = alerts_of(read_json_lines(out))
    eq([(a["alert"]["kind"], a["syscall"]) for a in al], [("wx_mapping", "mmap")],
       "alerts of the static i386 program")


def chroot_run(root, cmd):
    """Run cmd (a list) chrooted into root in a mount namespace of its own where /proc, /sys and /dev
    are the host's; returns the CompletedProcess."""
    script = ("set -e; mount --make-rprivate /; for m in proc sys dev; do mkdir -p \"$R/$m\"; "
              "mount --rbind /$m \"$R/$m\"; done; exec chroot \"$R\" \"$@\"")
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *cmd], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "R": root})


def copy_with_libs(exe, root, name):
    """Copy exe to root/name and the shared libraries it needs (ldd) to their paths under root."""
    shutil.copy(exe, os.path.join(root, name))
    ld = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
    for line in ld.splitlines():
        path = next((w for w in line.split() if w.startswith("/")), None)
        if path:
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            shutil.copy(path, root + path)


def t_tmpfs_root():
    """A tmpfs that is the host's "/" (an initramfs: the VM stages, a system booted from RAM) is where
    programs live: static programs run from there (64-bit and i386) make their calls from a file, and
    call_from_anon names only the stub's own mmap. The attacker's way around it, a drop directory on
    tmpfs made the program's own "/" by chroot, does not count: "/" is mapwatch's, and every call
    the static stub's libc makes from there is call_from_anon."""
    d = tmpdir()
    root = os.path.join(d, "root")
    os.mkdir(root)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", root], check=True)
    try:
        copy_with_libs(MAPWATCH, root, "mapwatch")
        for bits in (64, 32):
            shutil.copy(EVLOAD_STATIC[bits], os.path.join(root, f"ev{bits}"))
        for bits in (64, 32):
            p = chroot_run(root, ["/mapwatch", "--json", "--alerts-only", "-o", f"/al{bits}.json", "--",
                                  f"/ev{bits}", "stub", f"/page{bits}", "-"])
            eq(p.returncode, 0, f"{bits}-bit: exit status ({p.stderr.strip()})")
            mapped = int(p.stdout.split()[-1], 16)
            lines = read_json_lines(os.path.join(root, f"al{bits}.json"))
            eq([(a["syscall"], a["returnValue"] & 0xffffffffffffffff) for a in alerts_of(lines, "call_from_anon")],
               [("mmap" if bits == 64 else "mmap2", mapped)], f"{bits}-bit under a tmpfs \"/\": only the stub's mmap")
            eq(alerts_of(lines, "exec_fileless"), [], f"{bits}-bit: a program on the root tmpfs is not fileless")
        # the attacker: mapwatch on the host's "/", the program chrooted into its tmpfs
        out = os.path.join(d, "att.json")
        p = mapwatch(["--json", "--alerts-only", "-o", out, "--", "chroot", root, "/ev64", "stub", "/pageA", "-"],
                     timeout=120)
        eq(p.returncode, 0, f"attacker: exit status ({p.stderr.strip()})")
        mapped = int(p.stdout.split()[-1], 16)
        cfa = alerts_of(read_json_lines(out), "call_from_anon")
        check(any(a["returnValue"] != mapped for a in cfa) and any(a["returnValue"] == mapped for a in cfa),
              f"attacker's chroot: the libc calls from its tmpfs text and the stub's: {[a['syscall'] for a in cfa]}")
    finally:
        subprocess.run(["umount", "-l", root])


def t_gadget():
    """The attacker's way around the instruction-pointer check: the stub calls libc's syscall(),
    whose syscall instruction is a file's; the return address it left is the stub's."""
    p, lines, written = run("gadget")
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    cfa = alerts_of(lines, "call_from_anon")
    mapped = int(p.stdout_text.split()[-1], 16)
    eq([(a["syscall"], a["returnValue"], a["alert"]["calledFrom"]) for a in cfa],
       [("mmap", mapped, "returnAddress")], "call_from_anon alerts: only the stub's mmap, by its return address")


def t_kill_wx(bits=64):
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, written = run("wxkill", "--kill-wx", "--capture", capdir, bits=bits)
    eq(p.stdout_text, "", "the W+X process ran no further")
    eq(p.returncode, 137, "mapwatch's exit status: the command's, killed by SIGKILL")
    al = alerts_of(lines, "wx_mprotect")
    eq([a["alert"]["action"] for a in al], ["killed"], "wx_mprotect alert, killed")
    eq(al[0]["alert"].get("executableSha256"), sha(EVLOAD[bits]), "executableSha256 (the process is gone)")
    check_payload(al[0], written, capdir)


def t_pkey():
    """The flip through pkey_mprotect: the same capture."""
    p, lines, written = run("pkey", "--capture", os.path.join(tmpdir()))
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "x_after_w")
    eq([a["syscall"] for a in al], ["pkey_mprotect"], "x_after_w alerts")
    check_payload(al[0], written)


def t_wx_late(mode="wxlate", call="munmap"):
    """Mapped W+X, the code written afterwards: the copy at the mmap holds zeros; the one made at the
    entry of the munmap (or mprotect to RX) holds the code, in a second alert of the same kind."""
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, written = run(mode, "--capture", capdir)
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "wx_mapping")
    eq([a["syscall"] for a in al], ["mmap", call], "wx_mapping alerts")
    # the page is not present at the mmap's exit, so that copy is read again from /proc/PID/mem:
    # zeros, or the code when the program wrote it before that read (a race on a loaded machine)
    check(al[0]["alert"]["payload"]["sha256"] in (sha(bytes(4096)), sha(written)),
          "the copy at the mmap: zeros, or the code written right after it")
    eq(al[0]["alert"]["payload"]["capturedAt"], "syscall", "capturedAt of the first")
    pl = check_payload(al[1], written, capdir)
    eq(pl["capturedAt"], call, "capturedAt of the second")
    eq(al[1]["alert"]["regionStart"], al[0]["alert"]["regionStart"], "the same region")


def t_wx_exit(bits=64):
    """Mapped W+X, the code written afterwards and run, and the process just exits: the copy at the
    mmap holds zeros; the one made as the process exits holds the code ("capturedAt":"exit"), in a
    second alert of the same kind, for the same region, the mmap its trigger. Where the kernel's
    sched_process_exit comes after the memory is gone (before 6.16) this is not done (README)."""
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, written = run("wxexit", "--capture", capdir, bits=bits)
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    al = alerts_of(lines, "wx_mapping")
    eq([(a["syscall"], a["alert"]["payload"]["capturedAt"]) for a in al],
       [("mmap" if bits == 64 else "mmap2", "syscall"), ("mmap" if bits == 64 else "mmap2", "exit")],
       "wx_mapping alerts: at the mmap, at the exit")
    check_payload(al[1], written, capdir)
    eq(al[1]["alert"]["regionStart"], al[0]["alert"]["regionStart"], "the same region")
    eq(al[1]["alert"].get("executableSha256"), sha(EVLOAD[bits]), "executableSha256 (the process is gone)")


def t_wx_exit_killed():
    """The same process SIGKILLed after it ran its code (it waits for a file that never comes): the
    kernel's exit path still holds the memory at sched_process_exit (6.16+), the copy is made."""
    d = tmpdir()
    out, page = os.path.join(d, "out.json"), os.path.join(d, "page")
    p = subprocess.Popen([MAPWATCH, "--json", "--alerts-only", "--capture", d, "--output", out, "--",
                          EVLOAD[64], "wxexit", page, os.path.join(d, "never")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid, deadline = None, time.monotonic() + 60
    while pid is None and time.monotonic() < deadline:
        if os.path.exists(out) and os.path.exists(page + ".ran"):  # its code written and run
            pid = next((a["hostProcessId"] for a in alerts_of(read_json_lines_partial(out), "wx_mapping")), None)
        time.sleep(0.05)
    check(pid, "no wx_mapping alert at the mmap, or the program never ran its code")
    os.kill(pid, 9)
    so, se = p.communicate(timeout=120)
    eq(p.returncode, 137, f"mapwatch's exit status: the command's, killed ({se.strip()})")
    with open(page, "rb") as f:
        written = f.read()
    al = alerts_of(read_json_lines(out), "wx_mapping")
    eq([a["alert"]["payload"]["capturedAt"] for a in al], ["syscall", "exit"], "capturedAt of the wx_mapping alerts")
    check_payload(al[1], written, d)


def t_truncated():
    p, lines, written = run("big", "--capture", tmpdir(), "--capture-max", "8K")
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    pl = alerts_of(lines, "x_after_w")[0]["alert"]["payload"]
    eq((pl["bytes"], pl["regionBytes"], pl["truncated"]), (8192, 12288, True), "bytes, regionBytes, truncated")
    eq(pl["sha256"], sha(written[:8192]), "sha256 of the first 8 KiB")


def t_budget():
    """--capture-rate 4K: the kernel grants one page of a three-page flip in this second; counted."""
    p, lines, written = run("big", "--capture", tmpdir(), "--capture-rate", "4K", "--stats", "--json")
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    pl = alerts_of(lines, "x_after_w")[0]["alert"]["payload"]
    eq((pl["bytes"], pl["regionBytes"], pl["truncated"]), (4096, 12288, True), "bytes, regionBytes, truncated")
    eq(pl["sha256"], sha(written[:4096]), "sha256 of the first page")
    st = [json.loads(x) for x in p.stderr_text.splitlines() if x.startswith("{")][-1]
    eq((st["capture"]["budgetSpent"], st["capture"]["pagesCopied"]), (1, 1), "budgetSpent, pagesCopied")


def t_table():
    d = tmpdir()
    out = os.path.join(d, "out")
    p = mapwatch(["--alerts-only", "--output", out, "--capture", d, "--", EVLOAD[64], "flip",
                  os.path.join(d, "page"), "-"])
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    line = [x for x in open(out).read().split("\n") if "x_after_w" in x]
    h = sha(os.path.join(d, "page"))
    check(len(line) == 1 and f"[payload {h[:16]} 4096 bytes]" in line[0], f"table line: {line}")


def run_many(capdir, modes_fixed, *opts):
    """One mapwatch run over several loaders (sh -c); returns (process, JSON lines, stats)."""
    d = tmpdir()
    out = os.path.join(d, "out.json")
    script = "; ".join(f"{EVLOAD[64]} {m} {d}/p{i} - {'fixed' if fx else 'x'}" for i, (m, fx) in enumerate(modes_fixed))
    p = mapwatch(["--json", "--alerts-only", "--stats", "--output", out, "--capture", capdir, *opts, "--",
                  "sh", "-c", script], timeout=120)
    st = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    check(st, f"--stats JSON on stderr: {p.stderr}")
    return p, read_json_lines(out), st[-1]


def t_dedup():
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, st = run_many(capdir, [("flip", True), ("flip", True)])
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    files = [a["alert"]["payload"]["file"] for a in alerts_of(lines, "x_after_w")]
    eq(len(files), 2, "two alerts")
    eq(files[0], files[1], "the same sha256 names the same file")
    eq(len(os.listdir(capdir)), 1, "files in DIR")
    eq((st["evidence"]["saved"], st["evidence"]["deduplicated"]), (1, 1), "saved, deduplicated")
    eq((st["evidence"]["executablesHashed"], st["evidence"]["executableHashesCached"]), (1, 1),
       "the executable read once for two alerts")


def t_quota():
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    p, lines, st = run_many(capdir, [("flip", False)] * 4, "--capture-quota", "8K")
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    eq(len(alerts_of(lines, "x_after_w")), 4, "alerts")
    files = sorted(os.listdir(capdir))
    eq(len(files), 2, "files kept under an 8K quota")
    newest = sorted(os.path.basename(a["alert"]["payload"]["file"]) for a in alerts_of(lines, "x_after_w"))[-2:]
    eq(files, newest, "the newest are kept")
    eq(st["evidence"]["quotaRemoved"], 2, "quotaRemoved")


def t_disk_full():
    """DIR on an 8 KiB tmpfs: the third payload does not fit; counted, alerts keep flowing, no error exit."""
    capdir = os.path.join(tmpdir(), "small")
    os.mkdir(capdir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", capdir], check=True)
    try:
        p, lines, st = run_many(capdir, [("flip", False)] * 4)
    finally:
        subprocess.run(["umount", capdir], check=True)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    eq(len(alerts_of(lines, "x_after_w")), 4, "every alert written")
    check(all("sha256" in a["alert"]["payload"] for a in alerts_of(lines, "x_after_w")), "payload hashes")
    ev = st["evidence"]
    eq((ev["saved"], ev["writeFailed"]), (2, 2), "saved, writeFailed")
    check("No space" in ev["lastError"], f"lastError: {ev['lastError']}")


def t_dir_removed():
    """DIR removed between two payloads: the writes that fail are counted, every alert is written."""
    capdir = os.path.join(tmpdir(), "cap")
    os.mkdir(capdir)
    d = tmpdir()
    out = os.path.join(d, "out.json")
    script = f"{EVLOAD[64]} flip {d}/p1 -; rm -rf {capdir}; {EVLOAD[64]} flip {d}/p2 -"
    p = mapwatch(["--json", "--alerts-only", "--stats", "--output", out, "--capture", capdir, "--",
                  "sh", "-c", script], timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()})")
    eq(len(alerts_of(read_json_lines(out), "x_after_w")), 2, "alerts")
    ev = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")][-1]["evidence"]
    check(ev["writeFailed"] >= 1 and ev["saved"] + ev["writeFailed"] == 2, f"saved, writeFailed: {ev}")
    check("No such file" in ev["lastError"], f"lastError: {ev['lastError']}")


def t_bad_dir():
    d = tmpdir()
    ro = os.path.join(d, "ro")
    os.mkdir(ro)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=8k", "tmpfs", ro], check=True)
    try:
        cases = [(os.path.join(d, "missing"), "create the directory first"),
                 (os.path.join(d, "file"), "is not a directory"),
                 (ro, "is not writable")]
        open(os.path.join(d, "file"), "w").close()
        for capdir, want in cases:
            p = mapwatch(["--capture", capdir, "--", "true"])
            eq(p.returncode != 0, True, f"exit status for {capdir}")
            lines = p.stderr.strip().split("\n")
            check(len(lines) == 1 and want in lines[0] and lines[0].startswith("mapwatch: "),
                  f"one line saying {want!r}: {p.stderr!r}")
    finally:
        subprocess.run(["umount", ro], check=True)


def t_bad_options():
    for args, want in [(["--capture-max", "100", "--capture", "/tmp"], "--capture-max '100' must be"),
                       (["--capture-max", "8K"], "need --capture DIR"),
                       (["--capture-quota", "x", "--capture", "/tmp"], "--capture-quota 'x' must be")]:
        p = mapwatch([*args, "--", "true"])
        eq(p.returncode, 2, f"exit status of {args}")
        check(want in p.stderr and len(p.stderr.strip().split("\n")) == 1, f"{args}: {p.stderr!r}")


MARKER_RULES = """rule mw_marker_%(mode)s {
  strings:
    $m = "MWEVIDENCE_MARKER_%(mode)s"
  condition:
    $m
}
rule mw_never_matches {
  strings:
    $x = "NOT_IN_ANY_PAYLOAD_7f3a"
  condition:
    $x
}
"""


def yara_file(mode):
    path = os.path.join(tmpdir(), "rules.yar")
    with open(path, "w") as f:
        f.write(MARKER_RULES % {"mode": mode})
    return path


def t_yara(mode="flip", kind="x_after_w", *opts, bits=64):
    p, lines, written = run(mode, "--yara", yara_file(mode), *opts, bits=bits, go=mode == "memfd")
    al = alerts_of(lines, kind)
    eq(len(al), 1, f"{kind} alerts")
    check_payload(al[0], written)
    eq(al[0]["alert"].get("yara"), [f"mw_marker_{mode}"], "yara matches (the marker rule only)")
    eq(al[0]["alert"]["severity"], "high", "severity raised by a match")
    return p


def t_yara_no_match():
    """A rule on another marker: scanned, no match, severity as the kind has it."""
    p, lines, written = run("flip", "--yara", yara_file("memfd"))
    al = alerts_of(lines, "x_after_w")
    eq((al[0]["alert"].get("yara"), al[0]["alert"]["severity"]), ([], "medium"), "yara, severity")


def t_yara_kill_wx():
    p = t_yara("wxkill", "wx_mprotect", "--kill-wx")
    eq(p.returncode, 137, "killed")


def t_yara_bad_rule():
    d = tmpdir()
    bad = os.path.join(d, "bad.yar")
    with open(bad, "w") as f:
        f.write('rule ok { condition: true }\nrule broken {\n  strings: $a = "x"\n  condition: $a and\n}\n')
    for target in (bad, d):
        p = mapwatch(["--yara", target, "--", "true"])
        check(p.returncode != 0, f"exit status for {target}: {p.returncode}")
        lines = p.stderr.strip().split("\n")
        check(len(lines) == 1 and f"{bad}:" in lines[0] and "syntax error" in lines[0],
              f"one line naming {bad} and its line: {p.stderr!r}")
        line_no = int(lines[0].split(f"{bad}:")[1].split(":")[0])
        check(line_no in (4, 5), f"line number {line_no} is the broken rule's")
    p = mapwatch(["--yara", os.path.join(d, "missing.yar"), "--", "true"])
    check(p.returncode != 0 and len(p.stderr.strip().split("\n")) == 1, f"missing rules file: {p.stderr!r}")


def t_yara_1000_rules():
    """A directory of 1,000 rule files: compiled once at start; the time is measured (--stats)."""
    d = os.path.join(tmpdir(), "rules")
    os.mkdir(d)
    for i in range(1000):
        with open(os.path.join(d, f"r{i:04}.yar"), "w") as f:
            f.write(f'rule r{i:04} {{ strings: $a = "NEEDLE_{i:04}_{i * 7919:08x}" condition: $a }}\n')
    with open(os.path.join(d, "marker.yar"), "w") as f:
        f.write(MARKER_RULES % {"mode": "flip"})
    t0 = time.monotonic()
    p, lines, written = run("flip", "--yara", d, "--stats", "--json")
    wall = time.monotonic() - t0
    eq(p.returncode, 0, f"exit status ({p.stderr_text.strip()})")
    st = [json.loads(x) for x in p.stderr_text.splitlines() if x.startswith("{")]
    y = st[-1]["yara"] if st else None
    eq((y["rules"], y["files"], y["scanned"], y["matched"]), (1002, 1001, 1, 1), "rules, files, scanned, matched")
    al = alerts_of(lines, "x_after_w")
    eq(al[0]["alert"]["yara"], ["mw_marker_flip"], "the match among 1,002 rules")
    print(f"  1,002 rules in 1,001 files: compiled in {y['compileMs']} ms; whole run {wall:.2f} s", flush=True)


def main():
    if skipped_without_root():
        return 0
    EVLOAD[64] = build_prog("evload.c", "evload")
    EVLOAD[32] = build_prog("evload.c", "evload32", extra=("-m32",))
    EVLOAD_STATIC[64] = build_prog("evload.c", "evload-static", extra=("-static",))
    EVLOAD_STATIC[32] = build_prog("evload.c", "evload32-static", extra=("-m32", "-static"))
    global MMAP32
    MMAP32 = build_prog("../vm/mmap32.c", "mmap32-static", extra=("-m32", "-static"))
    tests = [("evidence/flip", t_flip), ("evidence/capture_rule", t_capture_rule), ("evidence/memfd", t_memfd), ("evidence/stub", t_stub),
             ("evidence/stub_memfd", lambda: t_stub(64, "stubmemfd", "exec_fileless")),
             ("evidence/gadget", t_gadget),
             ("evidence/i386_stub_memfd", lambda: t_stub(32, "stubmemfd", "exec_fileless")),
             ("evidence/kill_wx", t_kill_wx), ("evidence/pkey", t_pkey), ("evidence/truncated", t_truncated),
             ("evidence/budget", t_budget), ("evidence/wx_late_munmap", t_wx_late),
             ("evidence/wx_late_mprotect", lambda: t_wx_late("wxlaterx", "mprotect")),
             ("evidence/wx_exit", t_wx_exit), ("evidence/i386_wx_exit", lambda: t_wx_exit(32)),
             ("evidence/wx_exit_killed", t_wx_exit_killed),
             ("evidence/table", t_table),
             ("evidence/i386_flip", lambda: t_flip(32)), ("evidence/i386_memfd", lambda: t_memfd(32)),
             ("evidence/i386_stub", lambda: t_stub(32)), ("evidence/i386_static_plain", t_i386_static_plain),
             ("evidence/tmpfs_root", t_tmpfs_root), ("evidence/i386_kill_wx", lambda: t_kill_wx(32)),
             ("evidence/dedup", t_dedup), ("evidence/quota", t_quota), ("evidence/disk_full", t_disk_full),
             ("evidence/dir_removed", t_dir_removed),
             ("evidence/bad_dir", t_bad_dir), ("evidence/bad_options", t_bad_options),
             ("evidence/yara", t_yara), ("evidence/yara_memfd", lambda: t_yara("memfd", "exec_fileless")),
             ("evidence/yara_no_match", t_yara_no_match), ("evidence/yara_kill_wx", t_yara_kill_wx),
             ("evidence/i386_yara", lambda: t_yara(bits=32)),
             ("evidence/yara_bad_rule", t_yara_bad_rule), ("evidence/yara_1000_rules", t_yara_1000_rules)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

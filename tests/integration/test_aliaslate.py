"""test_aliaslate.py - integration tests (root) of the alias routes where the two views never exist at
once (issue #22): a file opened for writing only after it was mapped executable (code_write's
file_write route), and a writable view closed before the executable one was made (aliaslate.c). Each
attack runs its payload (exit 42). The ones another rule sees keep that alert; the others are the
README's blind spots, pinned here."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import build_prog, eq, mapwatch, read_json_lines, run_selected, skipped_without_root, tmpdir

PAYLOAD_RAN = 42


def old_file():
    """A page of zeros written before the program begins, its mtime set back to 2020 (no age alone says anything)."""
    f = os.path.join(tmpdir(), "late.bin")
    with open(f, "wb") as o:
        o.write(bytes(4096))
    os.utime(f, (1577836800, 1577836800))
    os.stat(f)  # as `ls -l` or a scanner would: on 6.13+ a flag in the ctime's nanoseconds, not time
    time.sleep(1.1)  # the program begins a second after the file's ctime
    return f


def run(mode, bits=64):
    """mapwatch --alerts-only --json -- aliaslate MODE FILE: (exit status, [(kind, cause or via)], stderr)."""
    prog = build_prog("aliaslate.c", "aliaslate") if bits == 64 else \
        build_prog("aliaslate.c", "aliaslate32", extra=("-m32", "-D_FILE_OFFSET_BITS=64"))
    out = os.path.join(tmpdir(), "out.json")
    p = mapwatch(["--alerts-only", "--json", "--output", out, "--", prog, mode, old_file()])
    alerts = [e["alert"] for e in read_json_lines(out) if e.get("eventName") == "alert"]
    return p.returncode, alerts, p.stderr


def t_closed_views_seen():
    """A writable view closed before the executable one is made, where another rule sees the object:
    a regular file stored into through a shared mapping has a new mtime (dropped_code, writtenAfterStart,
    high, at the RX mmap); a memfd is fileless (exec_fileless). No wx_alias: no writable view exists then."""
    for mode, want in (("closed_file", [("dropped_code", "high")]), ("closed_memfd", [("exec_fileless", "high")])):
        rc, alerts, err = run(mode)
        eq(rc, PAYLOAD_RAN, f"{mode}: exit status (the payload's; {err.strip()[-300:]})")
        eq([(a["kind"], a["severity"]) for a in alerts], want, f"{mode}: alerts ({alerts})")
        if mode == "closed_file":
            eq(alerts[0]["dropped"]["cause"], "writtenAfterStart", "closed_file: the write through the view set the mtime")


def t_late_writer():
    """A file opened for writing only after it was mapped executable (no mapping call follows the write):
    the open marks the writer, and its write into pages some process maps executable is a code_write
    "via":"file_write" naming that process, the view's address and the file; the payload runs. The same
    writer in a forked child names the parent. A write beside the executable page, or into a page mapped
    without PROT_EXEC, raises nothing."""
    for mode in ("lateopen", "lateopen_shared", "lateopen_child"):
        rc, alerts, err = run(mode)
        eq(rc, PAYLOAD_RAN, f"{mode}: exit status (the payload's; {err.strip()[-300:]})")
        cw = [a["codeWrite"] for a in alerts if a["kind"] == "code_write"]
        eq([(w["via"], w["length"], w["targetProt"]) for w in cw], [("file_write", 6, "PROT_READ|PROT_EXEC")],
           f"{mode}: code_write ({alerts})")
        eq(cw[0]["targetFile"].endswith("/late.bin"), True, f"{mode}: the target's file ({cw[0]})")
        eq([a["kind"] for a in alerts if a["kind"] != "code_write"], [], f"{mode}: other alerts")
    try:  # a 32-bit writer: its open and pwrite64 arrive through the 32-bit ABI
        rc, alerts, err = run("lateopen", 32)
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"  no 32-bit late writer here: {e}", flush=True)
    else:
        eq(rc, PAYLOAD_RAN, f"32-bit lateopen: exit status ({err.strip()[-300:]})")
        eq([(a["kind"], a["codeWrite"]["via"]) for a in alerts], [("code_write", "file_write")], "32-bit lateopen: alerts")
    for mode in ("lateopen_data", "lateopen_ro"):
        rc, alerts, err = run(mode)
        eq(rc, 0, f"{mode}: exit status ({err.strip()[-300:]})")
        eq([a["kind"] for a in alerts], [], f"{mode}: alerts")


# The README's blind spots (Limits: "Alias views ..."): each runs its payload with no alert today.
BLIND = {
    "closed_shanon": "shared anonymous memory, the forked child's writable view unmapped before the parent's RX",
    "closed_mremap": "shared anonymous memory, an mremap(old, 0) view made RX after the writable one was unmapped",
}


def t_blind_spots_pinned():
    """The routes the README lists as blind spots: the payload runs and no alert is raised. When one of
    them becomes seen, this test fails: move it to the seen ones and update the README's list."""
    for mode, why in BLIND.items():
        rc, alerts, err = run(mode)
        eq(rc, PAYLOAD_RAN, f"{mode}: exit status (the payload's; {err.strip()[-300:]})")
        eq([a["kind"] for a in alerts], [], f"{mode} ({why}): alerts")


def main():
    if skipped_without_root():
        return 0
    return run_selected([("aliaslate/closed_views_seen", t_closed_views_seen), ("aliaslate/late_writer", t_late_writer),
                         ("aliaslate/blind_spots_pinned", t_blind_spots_pinned)])


if __name__ == "__main__":
    sys.exit(main())

"""test_routes.py - integration tests (root) of the routes to executable memory (issue #22): programs
run from a memfd, tmpfs or unlinked file judged at exec, and scoping an attacker cannot rename out of."""
import os
import subprocess
import sys

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


def main():
    if skipped_without_root():
        return 0
    tests = [("routes/kill_wx_comm_refused", t_kill_wx_comm_refused)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

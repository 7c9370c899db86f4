"""test_parity.py - strace parity on strace's own edge cases (issue #27): paritycalls.c makes the
catalogue's calls with lengths near 2^63 and 2^64, garbage in the upper half of int arguments,
invalid modes with valid flags, node masks of 1..129 bits and arrays and strings that run into
an unmapped page; mapwatch and strace watch the same run and every call's table line is compared,
64-bit and i386. The only differences allowed are those of README's strace parity section."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import split_args
from lib import build_prog, check, eq, mapwatch, run_selected, skipped_without_root, tmpdir

MARKER = "0x5a5a5000"
# README, strace parity: a named huge page size with MAP_HUGETLB (strace: N<<MAP_HUGE_SHIFT)
HUGE = {"64KB": 16, "512KB": 19, "1MB": 20, "2MB": 21, "8MB": 23, "16MB": 24, "32MB": 25,
        "256MB": 28, "512MB": 29, "1GB": 30, "2GB": 31, "16GB": 34}


CALL_RE = re.compile(r"^(\w+)\((.*)\)\s+=\s+(.*?)\s*$")


def between_markers(calls):
    """The calls after the first munmap(0x5a5a5000, 0), before the second."""
    idx = [i for i, (n, a, _) in enumerate(calls) if n == "munmap" and a and a[0] == MARKER]
    check(len(idx) >= 2, f"markers not found ({len(idx)})")
    return calls[idx[0] + 1:idx[1]]


def parse_strace(text):
    """strace -f -o output (its text) -> [(call, [args], result)] between the markers."""
    out = []
    for line in text.split("\n"):
        m = CALL_RE.match(re.sub(r"^\d+\s+", "", line))  # -f: the pid first
        if m:
            out.append((m.group(1), split_args(m.group(2)), m.group(3)))
    return between_markers(out)


def parse_table(text, comm):
    """mapwatch's table (its text) -> comm's [(call, [args without names], result)] between the markers."""
    out = []
    for line in text.split("\n"):
        f5 = line.split(None, 4)
        if len(f5) < 5 or f5[3] != comm:
            continue
        m = CALL_RE.match(f5[4])
        if not m:
            continue
        ret = m.group(3)
        while re.search(r"\s*\[[^\]]*\]$", ret):  # notes: [32-bit], [effective ...]
            ret = re.sub(r"\s*\[[^\]]*\]$", "", ret)
        args = [re.sub(r"^\w+=", "", a, count=1) for a in split_args(m.group(2))]
        out.append((m.group(1), args, ret))
    return between_markers(out)


def deliberate(name, i, mine, theirs):
    """README's deliberate differences, applied to mapwatch's rendering (mine) and
    strace's (theirs); returns both as they should compare."""
    mine = re.sub(r"MAP_HUGE_(\d+[KMG]B)", lambda m: f"{HUGE[m.group(1)]}<<MAP_HUGE_SHIFT", mine)
    if name == "mbind" and i == 2:
        # mbind's mode: the kernel converts it to int; strace 6.1 prints the whole register
        m = re.match(r"^0x([0-9a-f]+) /\* MPOL_\?\?\? \*/$", theirs)
        if m and int(m.group(1), 16) > 0xffffffff:
            theirs = f"{int(m.group(1), 16) & 0xffffffff:#x} /* MPOL_??? */"
    return mine, theirs


def run_parity(prog, comm, compat):
    d = tmpdir()
    out, st = os.path.join(d, "table.txt"), os.path.join(d, "strace.out")
    p = mapwatch(["--events", "all", *(["--hook", "dispatcher"] if compat else []), "--output", out, "--",
                  "strace", "-f", "-qq", "-s", "300", "-o", st, prog], timeout=120)
    eq(p.returncode, 0, f"mapwatch exit status (stderr: {p.stderr.strip()})")
    with open(out) as f1, open(st) as f2:
        compare(f1.read(), f2.read(), comm)


def compare(table, strace_out, comm, absent=()):
    """Every call of comm between the markers in mapwatch's table and strace's output, compared
    argument by argument after README's deliberate differences (also the arm64 VM's check).
    absent: calls strace names by a number the ABI's table lacks (the kernel answers ENOSYS
    and mapwatch, following the table, reports no call): README lists them."""
    mine, theirs = parse_table(table, comm), parse_strace(strace_out)
    for name in absent:
        gone = [c for c in theirs if c[0] == name]
        check(gone and all(c[2].startswith("-1 ENOSYS") for c in gone), f"strace's {name}: {gone}")
        theirs = [c for c in theirs if c[0] != name]
    eq([c[0] for c in mine], [c[0] for c in theirs], "calls seen by mapwatch vs strace")
    bad = []
    for (name, margs, mret), (_, sargs, sret) in zip(mine, theirs):
        if len(margs) != len(sargs):
            bad.append(f"{name}: {margs} vs strace {sargs}")
            continue
        for i, (a, b) in enumerate(zip(margs, sargs)):
            a, b = deliberate(name, i, a, b)
            if a != b:
                bad.append(f"{name} arg {i}: {a!r} vs strace {b!r}")
        if mret != sret:
            bad.append(f"{name} result: {mret!r} vs strace {sret!r}")
    print(f"  {comm}: {len(mine)} calls compared, {len(mine) - len({b.split(':')[0] for b in bad})} identical",
          flush=True)
    check(not bad, "differences from strace:\n    " + "\n    ".join(bad))
    check(len(mine) >= 35, f"only {len(mine)} calls compared")


def t_parity_64():
    if not shutil.which("strace"):
        return "skip: strace not installed"
    run_parity(build_prog("paritycalls.c", "paritycalls64"), "paritycalls64", False)


def t_parity_32():
    if not shutil.which("strace"):
        return "skip: strace not installed"
    try:
        prog = build_prog("paritycalls.c", "paritycalls32", ["-m32", "-static"])
    except subprocess.CalledProcessError:
        return "skip: cannot build static i386 programs (apt-get install gcc-multilib)"
    if subprocess.run([prog], capture_output=True).returncode != 0:
        return "skip: this kernel does not run i386 programs"
    run_parity(prog, "paritycalls32", True)


if __name__ == "__main__":
    if skipped_without_root():
        sys.exit(0)
    sys.exit(run_selected([
        ("parity/strace_edge_cases_64", t_parity_64),
        ("parity/strace_edge_cases_32", t_parity_32),
    ]))

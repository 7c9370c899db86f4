#!/usr/bin/env python3
"""test_readme.py - regenerates the README's examples that run ./demo (examples/demo.c, built by make) and fails
when a shown line no longer matches what this build prints (times, pids, addresses and host-wide counts masked)."""
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import BUILD, MAPWATCH, ROOT, check, run_selected  # noqa: E402

MASKS = [
    (re.compile(r"^\d\d:\d\d:\d\d\.\d{6} +\d+ +\d+ "), "TIME PID TID "),
    (re.compile(r"0x[0-9a-f]{8,}"), "0xADDR"),
    (re.compile(r"(filtered in kernel|outside the traced tree) \d+"), r"\1 N"),
    (re.compile(r"fd=\d+<"), "fd=N<"),
]


# the size of a system file (the loader's cache, the C library) is the machine's, not this
# build's: installing one package changes /etc/ld.so.cache
SYSTEM_FILE = re.compile(r"fd=N</(etc/ld\.so\.cache|usr/lib/|lib/|lib64/)")


def mask(line):
    for rx, rep in MASKS:
        line = rx.sub(rep, line)
    if SYSTEM_FILE.search(line):
        line = re.sub(r"length=\d+", "length=N", line)
    return line.rstrip()


def examples():
    """(command, [shown lines]) for every README block command that runs ./demo without a pipe."""
    lines = open(os.path.join(ROOT, "README.md")).read().splitlines()
    out = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("    $ mapwatch ") and "./demo" in ln and "|" not in ln and "#" not in ln:
            shown = []
            i += 1
            while i < len(lines) and lines[i].startswith("    ") and not lines[i].startswith("    $ "):
                shown.append(lines[i][4:])
                i += 1
            out.append((ln[6:], shown))
            continue
        i += 1
    return out


def t_readme_examples():
    demo = os.path.join(BUILD, "demo")
    check(os.access(demo, os.X_OK), "build/demo is missing: make builds it from examples/demo.c")
    ex = examples()
    check(len(ex) >= 6, f"only {len(ex)} README examples run ./demo")
    bad = []
    for cmd, shown in ex:
        argv = shlex.split(cmd)
        argv = [os.path.abspath(MAPWATCH)] + argv[1:]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=BUILD)
        got = [mask(x) for x in (p.stdout + p.stderr).splitlines()]
        at = 0
        for want in shown:
            if want.strip() == "..." or want.startswith("(exit status"):
                continue
            w = mask(re.sub(r" +\(exit status \d+\)$", "", want))
            try:
                at = got.index(w, at) + 1
            except ValueError:
                bad.append(f"{cmd}:\n      shown: {w}\n      not printed (in order) by this build")
                break
    check(not bad, "README examples out of date:\n  " + "\n  ".join(bad[:5]))


def update():
    """Rewrite the README's ./demo examples with this build's output (long ones elided after 3 lines
    up to the demo's own calls, which start at /etc/hostname)."""
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    for cmd, shown in examples():
        argv = [os.path.abspath(MAPWATCH)] + shlex.split(cmd)[1:]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=BUILD)
        got = (p.stdout + p.stderr).splitlines()
        if len(got) > 12:
            k = next((i for i, x in enumerate(got) if "/etc/hostname" in x or "ALERT" in x), 3)
            got = got[:3] + ["..."] + got[k:] if k > 3 else got[:3] + ["..."] + got[-6:]
        if p.returncode:
            got[-1] += f"     (exit status {p.returncode})"
        old = "\n".join("    " + x for x in ["$ " + cmd] + shown)
        new = "\n".join("    " + x for x in ["$ " + cmd] + got)
        text = text.replace(old, new, 1)
    open(path, "w").write(text)


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
        sys.exit(0)
    sys.exit(run_selected([("readme/examples", t_readme_examples)]))

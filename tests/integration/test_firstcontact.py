#!/usr/bin/env python3
"""test_firstcontact.py - what a new user meets first: the output file, exit statuses, --stats, -v/-vv, --time, make run."""
import json
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import MAPWATCH, ROOT, build_prog, check, eq, mapwatch, run_selected, tmpdir  # noqa: E402


def t_output_file_kept_on_failure():
    """An --output file is not truncated when mapwatch fails before tracing; a new one is 0600."""
    d = tmpdir()
    out = os.path.join(d, "kept.txt")
    with open(out, "w") as f:
        f.write("precious\n")
    for args, rc in ((["--bogus"], 2), (["--", "/nonexistent/prog"], 127), (["--", "/etc"], 126),
                     (["--uid", "4294967296"], 2)):
        p = mapwatch(["-o", out, *args])
        eq(p.returncode, rc, f"{args} exit status ({p.stderr.strip()})")
        eq(open(out).read(), "precious\n", f"{args}: the output file was changed")
    # failing at the BPF stage (no privileges) must not touch it either
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                        MAPWATCH, "-o", out, "--", "true"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 1, f"unprivileged run should fail with 1: {p.returncode} {p.stderr.strip()}")
    eq(open(out).read(), "precious\n", "an unprivileged failed run changed the output file")
    new = os.path.join(d, "new.txt")
    os.umask(0o022)
    p = mapwatch(["-o", new, "-e", "munmap", "--", "true"])
    eq(p.returncode, 0, f"run ({p.stderr})")
    eq(stat.S_IMODE(os.stat(new).st_mode), 0o600, "mode of a new output file")
    n1 = len(open(new).read().splitlines())
    check(n1 > 0, "no events written")
    p = mapwatch(["--append", "-o", new, "-e", "munmap", "--", "true"])
    eq(p.returncode, 0, f"--append run ({p.stderr})")
    n2 = len(open(new).read().splitlines())
    check(n2 > n1, f"--append replaced the file ({n1} then {n2} lines)")
    p = mapwatch(["-o", new, "-e", "munmap", "--", "true"])
    check(len(open(new).read().splitlines()) < n2, "without --append the file is replaced")
    p = mapwatch(["--append"])
    eq(p.returncode, 2, "--append without --output")


def t_dash_is_stdout():
    d = tmpdir()
    p = subprocess.run([os.path.abspath(MAPWATCH), "-o", "-", "--json", "-e", "munmap", "--", "true"],
                       capture_output=True, text=True, timeout=60, cwd=d)
    eq(p.returncode, 0, f"-o - ({p.stderr})")
    check(not os.path.exists(os.path.join(d, "-")), "-o - created a file named '-'")
    ev = [json.loads(line) for line in p.stdout.splitlines()]
    check(ev and all(e["eventName"] == "munmap" for e in ev), "-o - wrote no events to stdout")


def t_exit_127_126():
    d = tmpdir()
    noexec = os.path.join(d, "noexec.sh")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(noexec, 0o644)
    for cmd, rc in ((["no-such-command-mw"], 127), (["/nonexistent/x"], 127), ([noexec], 126), ([d], 126)):
        p = mapwatch(["--", *cmd])
        eq(p.returncode, rc, f"{cmd} exit status ({p.stderr.strip()})")
        eq(len(p.stderr.strip().splitlines()), 1, f"{cmd}: one-line error {p.stderr!r}")
    h = mapwatch(["--help"]).stdout
    check("127" in h and "126" in h, "--help does not document 127/126")
    check("127" in open(os.path.join(ROOT, "README.md")).read(), "README does not document 127")


def t_stats_wording_and_json():
    prog = build_prog("mapone.c", "mapone")
    p = mapwatch(["--stats", "--json", "--", prog, "/etc/passwd"])
    eq(p.returncode, 0, f"run ({p.stderr})")
    lines = [line for line in p.stderr.splitlines() if line.startswith("{")]
    eq(len(lines), 1, f"--stats --json: one JSON object on stderr: {p.stderr!r}")
    st = json.loads(lines[0])
    events = [json.loads(line) for line in p.stdout.splitlines()]
    eq(st["eventsWritten"], len([e for e in events if e["eventName"] != "lost"]), "eventsWritten")
    for k in ("eventsSeen", "eventsLost", "filteredInKernel", "outsideTracedTree", "processRecords",
              "processRecordsLost", "lost", "outputs"):
        check(k in st, f"--stats --json lacks {k}: {st}")
    check(st["outsideTracedTree"] > 0 or st["filteredInKernel"] == 0,
          "host processes' calls are counted apart from what the filters rejected")
    eq(st["filteredInKernel"], 0, "no filter given, yet calls were 'filtered in kernel'")
    p = mapwatch(["--stats", "--alerts-only", "--", build_prog("wxprog.c", "wxprog"), "wx"])
    m = re.search(r"alerts raised (\d+), written (\d+)", p.stderr)
    check(m, f"alerts line missing: {p.stderr!r}")
    alines = [line for line in p.stdout.splitlines() if not line.startswith("survived")]
    check(int(m.group(2)) > 0 and int(m.group(2)) == len(alines),
          f"alerts written {m.group(2)} but {len(alines)} lines: {p.stderr}")
    check("--alerts-only" in p.stderr.splitlines()[0], "written 0 under --alerts-only is not explained")
    check(re.search(r"^mapwatch: process records \(executable paths\) read \d+, lost \d+$", p.stderr, re.M),
          "process records are on a line of their own, not counted as events")


def t_verbose_levels():
    p1 = mapwatch(["-v", "-e", "munmap", "--", "true"])
    p2 = mapwatch(["-vv", "-e", "munmap", "--", "true"])
    l1 = [line for line in p1.stderr.splitlines() if line]
    check(any("attached" in line for line in l1) and any("ring buffer" in line for line in l1),
          f"-v lacks the set-up lines: {l1}")
    check(all(line.startswith("mapwatch: ") for line in l1), f"-v printed libbpf lines: {l1[:3]}")
    check(len(l1) < 20, f"-v printed {len(l1)} lines")
    check(len(p2.stderr.splitlines()) > len(l1), "-vv adds nothing (libbpf's lines)")


def t_time_formats():
    pats = {"local": r"\d\d:\d\d:\d\d\.\d{6} ", "utc": r"\d\d:\d\d:\d\d\.\d{6}Z ",
            "iso": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d ",
            "epoch": r"\d{10}\.\d{6} ", "relative": r"\d{1,3}\.\d{6} "}
    for fmt, pat in pats.items():
        p = mapwatch(["--time", fmt, "-e", "munmap", "--", "true"])
        eq(p.returncode, 0, f"--time {fmt}")
        line = p.stdout.splitlines()[0]
        check(re.match(pat, line), f"--time {fmt}: {line!r}")
    eq(mapwatch(["--time", "gmt"]).returncode, 2, "--time gmt")


def t_make_run_stdout_clean():
    p = subprocess.run(["make", "run", "ARGS=--json -e munmap -- true"], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    eq(p.returncode, 0, f"make run ({p.stderr[-300:]})")
    for line in p.stdout.splitlines():
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError(f"make run put a non-JSON line on stdout: {line!r}")
    check(p.stdout.strip(), "make run printed no events")


def t_prot_none_filter():
    prog = build_prog("mmapcalls.c", "mmapcalls")
    d = tmpdir()
    p = mapwatch(["--json", "--prot-any", "none", "-o", os.path.join(d, "e.json"), "--", prog,
                  os.path.join(d, "log"), d], timeout=120)
    eq(p.returncode, 0, f"--prot-any none ({p.stderr.strip()})")
    ev = [json.loads(line) for line in open(os.path.join(d, "e.json"))]
    protn = [e for e in ev if e["eventName"] in ("mmap", "mprotect")]
    check(protn, "--prot-any none matched nothing (mmapcalls maps PROT_NONE)")
    for e in protn:
        prot = [a["value"] for a in e["args"] if a["name"] == "prot"][0]
        eq(prot & 7, 0, f"--prot-any none let through prot {prot}")


def table_as_strace(line):
    """A mapwatch table line in strace's form: columns, labels, fd paths and [notes] removed."""
    call = re.sub(r"^\S+\s+\d+\s+\d+ .{16} ", "", line)
    call = re.sub(r"\b[a-z_]+=(?=[^,)]*[,)])", "", call, count=0)
    call = re.sub(r"<[^>]*>", "", call)
    call = re.sub(r"( \[[^\]]*\])+$", "", call)
    # documented differences (README "strace parity")
    call = re.sub(r"MAP_HUGE_(\d+)([KMG])B", lambda m: "%d<<MAP_HUGE_SHIFT" % (
        int(m.group(1)).bit_length() - 1 + {"K": 10, "M": 20, "G": 30}[m.group(2)]), call)
    call = call.replace("MAP_DROPPABLE", "0x8 /* MAP_??? */")
    return call


def t_strace_parity():
    """One program under strace and under mapwatch (ASLR off, static): every decoded call the same."""
    exe = build_prog("straceprog.c", "straceprog", extra=("-static",))
    calls = "mmap,mprotect,pkey_mprotect,mremap,msync,munmap"
    st = subprocess.run(["setarch", "-R", "strace", "-qq", "-e", "trace=" + calls, exe], capture_output=True,
                        text=True, timeout=60)
    want = [re.sub(r"\)\s+= ", ") = ", ln) for ln in st.stderr.splitlines() if not ln.startswith("+++")]
    p = subprocess.run(["setarch", "-R", MAPWATCH, "-e", calls, "--", exe], capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 0, f"mapwatch ({p.stderr.strip()})")
    got = [table_as_strace(ln) for ln in p.stdout.splitlines()]
    check(len(want) >= 25, f"strace saw only {len(want)} calls: {st.stderr[-300:]}")
    eq(len(got), len(want), "number of calls")
    diff = [(g, w) for g, w in zip(got, want) if g != w]
    check(not diff, "calls decoded unlike strace (mapwatch, strace):\n  " +
          "\n  ".join(f"{g}\n  {w}" for g, w in diff[:6]))


def t_tracee_go_decode():
    """Every line of a run's JSON decodes into a Go struct with Tracee's field tags (trace.Event)."""
    d = tmpdir()
    dec = os.path.join(d, "decode")
    env = dict(os.environ, HOME=d, GOCACHE=os.path.join(d, "gocache"), GOFLAGS="-mod=mod", GO111MODULE="off")
    b = subprocess.run(["go", "build", "-o", dec, os.path.join(ROOT, "tests", "integration", "tracee", "decode.go")],
                       capture_output=True, text=True, timeout=300, env=env)
    eq(b.returncode, 0, f"go build ({b.stderr[-300:]})")
    out = os.path.join(d, "ev.json")
    mm = build_prog("mmapcalls.c", "mmapcalls")
    p = mapwatch(["--json", "--alerts", "-o", out, "--", mm, os.path.join(d, "log"), d], timeout=120)
    eq(p.returncode, 0, f"mapwatch ({p.stderr.strip()})")
    exe = build_prog("straceprog.c", "straceprog", extra=("-static",))
    p = mapwatch(["--json", "--append", "-o", out, "--", exe], timeout=60)
    eq(p.returncode, 0, f"mapwatch ({p.stderr.strip()})")
    r = subprocess.run([dec], stdin=open(out), capture_output=True, text=True, timeout=60)
    eq(r.returncode, 0, f"Tracee's types: {r.stdout.strip()[:600]}")
    check(re.match(r"decoded \d+ events", r.stdout), r.stdout)
    check(int(r.stdout.split()[1]) > 50, f"too few events: {r.stdout}")
    for line in open(out):
        e = json.loads(line)
        if e["eventName"] == "lost":
            continue
        check(isinstance(e["eventId"], str) and e["schemaVersion"] >= 2, f"eventId/schemaVersion: {line[:200]}")
        check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", e["time"]), f"time: {e['time']}")


def t_capabilities():
    """Without root: CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH trace (tracefs is 0700); without the
    last one mapwatch says which capability is missing."""
    d = tmpdir()
    os.chmod(d, 0o755)
    out = os.path.join(d, "ev.json")

    def run(caps, *args):
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               "--inh-caps=-all," + caps, "--ambient-caps=" + caps, "--bounding-set=-all," + caps,
                               os.path.abspath(MAPWATCH), *args], capture_output=True, text=True, timeout=60, cwd=d)
    full = "+bpf,+perfmon,+dac_read_search"
    p = run(full, "--json", "-e", "munmap", "--", "/bin/true")
    eq(p.returncode, 0, f"with {full}: {p.stderr.strip()[-300:]}")
    ev = [json.loads(line) for line in p.stdout.splitlines()]
    check(ev and all(e["eventName"] == "munmap" and e["userId"] == 65534 for e in ev), f"events: {p.stdout[:300]}")
    p = run(full, "--kill-wx", "--", build_prog("wxprog.c", "wxprog"), "wx")
    eq(p.returncode, 137, f"--kill-wx with {full} ({p.stderr.strip()[-200:]})")
    mode = stat.S_IMODE(os.stat("/sys/kernel/tracing").st_mode)
    p = run("+bpf,+perfmon", "-e", "munmap", "--", "/bin/true")
    if mode & 0o005:
        eq(p.returncode, 0, "tracefs readable by all: CAP_BPF+CAP_PERFMON suffice")
    else:
        eq(p.returncode, 1, "tracefs 0700 without CAP_DAC_READ_SEARCH")
        check("CAP_DAC_READ_SEARCH" in p.stderr and "not mounted" not in p.stderr,
              f"the error should name the missing capability: {p.stderr.strip()}")
    p = run("+bpf", "-e", "munmap", "--", "/bin/true")
    eq(p.returncode, 1, "CAP_BPF alone")
    check("CAP_PERFMON" in p.stderr, f"error: {p.stderr.strip()}")


TESTS = [("firstcontact/output_file_kept_on_failure", t_output_file_kept_on_failure),
         ("firstcontact/dash_is_stdout", t_dash_is_stdout),
         ("firstcontact/exit_127_126", t_exit_127_126),
         ("firstcontact/stats_wording_and_json", t_stats_wording_and_json),
         ("firstcontact/verbose_levels", t_verbose_levels),
         ("firstcontact/time_formats", t_time_formats),
         ("firstcontact/make_run_stdout_clean", t_make_run_stdout_clean),
         ("firstcontact/prot_none_filter", t_prot_none_filter),
         ("firstcontact/strace_parity", t_strace_parity),
         ("firstcontact/tracee_go_decode", t_tracee_go_decode),
         ("firstcontact/capabilities", t_capabilities)]

if __name__ == "__main__":
    sys.exit(run_selected(TESTS))

"""test_stack.py - --stack: a known call chain (frame pointers on) symbolized frame by frame, 64- and 32-bit, after the process exited; cut-short stacks, depth, alerts."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import MAPWATCH, build_prog, check, eq, is_root, mapwatch, run_selected, tmpdir

LEN = 77 * 4096  # stackprog's call


def prog(kind):
    if kind == "fp64":
        return build_prog("stackprog.c", "stackprog", ["-fno-omit-frame-pointer"])
    if kind == "fp32":
        return build_prog("stackprog.c", "stackprog32", ["-m32", "-fno-omit-frame-pointer"])
    return build_prog("stackprog.c", "stackprog-nofp", ["-O2", "-fomit-frame-pointer", "-DBIG_FRAME"])


def runs32():
    try:
        exe = prog("fp32")
    except subprocess.CalledProcessError:
        return None
    return exe if subprocess.run([exe], stdout=subprocess.DEVNULL).returncode == 0 else None


def mw_out(args):
    """Run mapwatch ARGS with its output in a file (the program writes to stdout too)."""
    out = os.path.join(tmpdir(), "out")
    r = mapwatch(["-o", out, *args])
    eq(r.returncode, 0, f"exit status of mapwatch {args} ({r.stderr[-300:]})")
    return open(out).read().splitlines()


def the_call(lines):
    evs = [json.loads(l) for l in lines if l.startswith("{")]
    evs = [e for e in evs if e.get("eventName") in ("mmap", "mmap2") and
           any(a["name"] == "length" and a["value"] == LEN for a in e["args"])]
    eq(len(evs), 1, "events of the traced call")
    return evs[0]


def check_chain(ev, exe, bits):
    st = ev["stack"]
    names = [f["symbol"] for f in st]
    check("c" in names, f"no frame c in {names}")
    i = names.index("c")
    eq(names[i:i + 4], ["c", "b", "a", "main"], "frames from c down to main")
    for f in st[i:i + 4]:
        eq(f["file"], exe, f"file of {f['symbol']}")
        check(0 < f["offset"] < 0x200, f"offset of {f['symbol']}: {f['offset']}")
        eq(f["unwind"] in ("scan", "fp"), True, "return address frames")
    # above c: libc's wrapper (and, 32-bit, the vDSO and libc's syscall helper); nothing of ours
    for f in st[:i]:
        check(f["file"] == "[vdso]" or "libc.so" in (f["file"] or ""), f"frame above c: {f}")
    eq(st[0]["unwind"], "ip", "first frame")
    check(st[0]["symbol"] in ("mmap", "__mmap", "mmap64", "__mmap64") or bits == 32, f"first frame {st[0]}")
    if bits == 32:
        check(any(f["symbol"] in ("mmap", "__mmap", "mmap64", "__mmap64") for f in st[:i]),
              f"libc's mmap above c: {st[:i]}")
    # below main only libc's start-up may follow
    for f in st[i + 4:]:
        check("libc.so" in (f["file"] or ""), f"frame below main: {f}")
    eq(ev["stackEnd"], "complete", "stack end")


def t_chain(kind, bits):
    def t():
        if not is_root():
            return "skip: needs root"
        exe = prog(kind) if bits == 64 else runs32()
        if not exe:
            return "skip: this kernel does not run 32-bit programs"
        check_chain(the_call(mw_out(["-k", "--json", "-e", "mmap,mmap2", "--", exe])), exe, bits)
    return t


def t_exited():
    """Host-wide, the records read seconds after the program exited: still symbolized (from the VMA's file and offset, kept from the events)."""
    if not is_root():
        return "skip: needs root"
    exe = prog("fp64")
    d = tmpdir()
    out, errf = os.path.join(d, "ev.json"), os.path.join(d, "err")
    p = subprocess.Popen([MAPWATCH, "-v", "-k", "--json", "--flush-ms", "3000", "--comm", "stackprog",
                          "-e", "mmap", "-o", out], stdout=subprocess.DEVNULL, stderr=open(errf, "w"))
    try:
        end = time.time() + 30
        while "mapwatch: attached" not in open(errf).read():
            check(p.poll() is None and time.time() < end, f"mapwatch did not attach: {open(errf).read()[-300:]}")
            time.sleep(0.05)
        time.sleep(3.2)  # the reader's first poll round has passed
        t0 = time.time()
        child = subprocess.run([exe], capture_output=True, text=True, check=True)
        gone = time.time() - t0
        pid = json.loads(child.stdout)["pid"]
        check(not os.path.exists(f"/proc/{pid}"), "the program has exited")
        time.sleep(3.5)  # mapwatch reads them now, at its next poll
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    check(gone < 2.5, f"the program ran {gone:.2f} s: too slow to be gone before the read")
    check_chain(the_call(open(out).read().splitlines()), exe, 64)


def t_cut_short():
    """Without frame pointers the stack ends with the marker, in JSON and in the table."""
    if not is_root():
        return "skip: needs root"
    exe = prog("nofp")
    ev = the_call(mw_out(["-k", "--json", "-e", "mmap", "--", exe]))
    eq(ev["stackEnd"], "cut_short", f"stack end of {[f['symbol'] for f in ev['stack']]}")
    check("main" not in [f["symbol"] for f in ev["stack"]], "main cannot be reached")
    lines = mw_out(["-k", "-e", "mmap", "--", exe])
    i = [n for n, l in enumerate(lines) if f"length={LEN}," in l]
    eq(len(i), 1, "table line of the call")
    rest = lines[i[0] + 1:]
    frames = []
    for l in rest:
        if not l.startswith("    > "):
            break
        frames.append(l)
    check(frames and frames[-1] == "    > [stack cut short: a caller without frame pointer]",
          f"marker line: {frames}")
    check(any(l.startswith("    > c+0x") and l.endswith(f"({exe})") for l in frames), f"c's frame: {frames}")


def t_depth_and_table():
    if not is_root():
        return "skip: needs root"
    exe = prog("fp64")
    ev = the_call(mw_out(["--stack-depth", "3", "--json", "-e", "mmap", "--", exe]))
    eq(len(ev["stack"]), 3, "frames with --stack-depth 3")
    eq(ev["stackEnd"], "depth", "stack end")
    lines = mw_out(["-k", "-e", "mmap", "--", exe])
    i = [n for n, l in enumerate(lines) if f"length={LEN}," in l][0]
    for n, name in enumerate(["b", "a", "main"]):
        check(lines[i + 3 + n].startswith(f"    > {name}+0x") and lines[i + 3 + n].endswith(f"({exe})"),
              f"table frame {name}: {lines[i:i + 8]}")
    check(lines[i + 2].startswith("    > c+0x"), f"table frame c: {lines[i:i + 8]}")


def t_alert_stack():
    """An alert carries the stack of the call that raised it."""
    if not is_root():
        return "skip: needs root"
    exe = build_prog("wxprog.c", "wxprog")
    alerts = [json.loads(l) for l in mw_out(["-k", "--json", "--alerts-only", "--", exe, "wx"]) if l.startswith("{")]
    alerts = [a for a in alerts if a.get("eventName") == "alert"]
    check(alerts, "no alert")
    for a in alerts:
        check(a.get("stack"), f"alert without stack: {a}")
        check(any(f["file"] == exe for f in a["stack"]), f"alert stack reaches the program: {a['stack']}")


def t_usage():
    for args, what in ((["--stack-depth", "0"], "from 1 to 127"), (["--stack-depth", "128"], "from 1 to 127"),
                       (["-c", "-k"], "cannot print stacks")):
        r = mapwatch(args)
        eq(r.returncode, 2, f"exit status of {args}")
        check(what in r.stderr and r.stderr.count("\n") == 1, f"{args}: {r.stderr!r}")


TESTS = [
    ("stack/chain_64", t_chain("fp64", 64)),
    ("stack/chain_32", t_chain("fp32", 32)),
    ("stack/exited_process_host_wide", t_exited),
    ("stack/cut_short_marker", t_cut_short),
    ("stack/depth_and_table", t_depth_and_table),
    ("stack/alert_carries_stack", t_alert_stack),
    ("stack/usage", t_usage),
]

if __name__ == "__main__":
    sys.exit(run_selected(TESTS))

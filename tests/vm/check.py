"""check.py - checks, on the host, what mapwatch reported inside the VM (second kernel, 32-bit ABI); prints PASS/FAIL lines and a summary."""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from checks import check_calls, check_native, match_calls  # noqa: E402
from lib import Fail, arg_values, check, eq, run_test, summary  # noqa: E402


def parse_console(path):
    """Files and exit statuses the guest printed between markers."""
    files, rcs, cur, buf = {}, {}, None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = re.match(r"^@@RC (\S+) (\d+)$", line)
            if m:
                rcs[m.group(1)] = int(m.group(2))
                continue
            if line.startswith("@@FILE "):
                cur, buf = line[7:], []
            elif line.startswith("@@END ") and cur:
                files[cur] = "\n".join(buf)
                cur = None
            elif cur:
                buf.append(line)
    return files, rcs


def jl(text):
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Fail(f"line {n} is not JSON ({e}): {line[:200]!r}")
    return out


def main():
    files, rcs = parse_console(sys.argv[1])
    G = {}

    def get(name):
        if name not in files:
            raise Fail(f"the guest did not print {name}")
        return files[name]

    def t_native():
        eq(rcs.get("ev64"), 0, "mapwatch exit status in the guest")
        check_native(jl(get("log64.json")), jl(get("ev64.json")), tmpfs_root=True)
        check("lost 0" in get("err64.txt"), f"losses: {get('err64.txt')}")

    def t_compat_fields():
        eq(rcs.get("ev32"), 0, "mapwatch exit status (32-bit program)")
        log, events = jl(get("log32.json")), jl(get("ev32.json"))
        G["log32"], G["ev32"] = log, events
        calls = [c for c in log if c.get("type") == "call" and c["event"] != "mmap_fault"]
        check(len(calls) >= 20, f"only {len(calls)} calls logged")
        pairs = check_calls([x for x in log if x.get("type") != "call"] + calls, events, compat=True,
                            comm="mmap32")
        nrs = {"mmap": 90, "mmap2": 192, "munmap": 91, "mprotect": 125, "pkey_mprotect": 380,
               "mremap": 163, "msync": 144}
        seen = set()
        for c, e in pairs:
            w = f"{c['event']}{c['args']}"
            eq(e["abi"], "i386", f"{w} abi")
            eq(e["syscallNr"], nrs[c["event"]], f"{w} syscallNr")
            seen.add(c["event"])
            if c["event"] == "mmap":
                eq(e.get("toctou"), True, f"{w}: old_mmap args must carry the TOCTOU tag")
                check(all("TOCTOU" in a["tags"] for a in e["args"]), f"{w}: TOCTOU tags")
            if c["event"] == "mmap2":
                eq(e["args"][5]["name"], "pgoffset", f"{w} last arg name")
                eq(e["args"][5]["bytes"], c["args"][5] * 4096, f"{w} pgoffset in bytes")
                if c["args"][5] == 2:
                    # the guest's files live on its tmpfs root
                    eq(e["file"]["kind"], "shm", f"{w} file kind")
                    G["pgoff_seen"] = True
        eq(seen, set(nrs), "32-bit events covered")
        check(G.get("pgoff_seen"), "no file mmap2 at pgoffset 2 matched")
        errs = {e.get("errno") for _, e in pairs}
        for name in ("EINVAL", "EBADF", "ENOMEM"):
            check(name in errs, f"no 32-bit {name} case matched")

    def t_compat_exact():
        """After the marker, the 32-bit program's events are exactly its logged calls."""
        log, events = G.get("log32"), G.get("ev32")
        if log is None:
            raise Fail("no 32-bit run to check")
        ctx = log[0]
        mine = [e for e in events if e["hostProcessId"] == ctx["pid"]]
        start = next(i for i, e in enumerate(mine) if e["eventName"] == "munmap"
                     and arg_values(e) == [0x5a5a5000, 0])
        calls = [c for c in log if c.get("type") == "call"]
        got = mine[start:]
        eq(len(got), len(calls), "events after the marker vs logged calls")
        for c, e in zip(calls, got):
            if c["event"] == "mmap_fault":
                eq(e["eventName"], "mmap", "old_mmap with an unreadable struct")
                eq(e.get("argsFault"), True, "argsFault on an unreadable struct")
                eq(e["returnValue"], c["ret"], "EFAULT return")
                eq(e.get("errno"), "EFAULT", "errno name")
                eq(arg_values(e)[0], 16, "the struct pointer is kept as the first value")
            else:
                eq((e["eventName"], arg_values(e), e["returnValue"]),
                   (c["event"], c["args"], c["ret"]), "event in order")

    def t_table():
        eq(rcs.get("table32"), 0, "exit status")
        t = get("table32.txt")
        for w in ("mmap2(addr=NULL, length=8192, prot=PROT_READ|PROT_WRITE, flags=MAP_PRIVATE|MAP_ANONYMOUS, fd=-1, pgoffset=0) = 0x",
                  "pgoffset=2 (off=0x2000)", "[32-bit]", "[args from user memory]", "= -1 EBADF",
                  "old_address=", "pkey_mprotect(", "msync("):
            check(w in t, f"table lacks {w!r}")

    def t_events_selection():
        eq(rcs.get("ev32sel"), 0, "exit status")
        log, events = jl(get("log32sel.json")), jl(get("ev32sel.json"))
        names = {e["eventName"] for e in events}
        eq(names, {"mmap2"}, "--events mmap2 selects 32-bit mmap2 only")
        want = [c for c in log if c.get("type") == "call" and c["event"] == "mmap2"]
        match_calls(want, events)

    def t_compat_off():
        """--compat off really drops the raw_syscalls hook: no 32-bit events at all."""
        eq(rcs.get("ev32off"), 0, "exit status")
        events = jl(get("ev32off.json"))
        eq([e for e in events if e["contextFlags"]["isCompat"]], [], "32-bit events with --compat off")

    def t_compat_alerts():
        """32-bit tasks raise alerts exactly as 64-bit ones: old_mmap asking for RWX."""
        eq(rcs.get("al32"), 0, "exit status")
        alerts = jl(get("al32.json"))
        eq([(a["eventName"], a["alert"]["kind"], a["syscall"], a["contextFlags"]["isCompat"])
            for a in alerts], [("alert", "wx_mapping", "mmap", True)], "alerts of the 32-bit program")

    def dm_common(name, binary, interp):
        eq(rcs.get(name), 0, f"{name} exit status")
        events = jl(get(f"{name}.json"))
        dm = [e for e in events if e["eventName"] == "do_mmap"]
        check(dm, "no do_mmap events")
        loader = [e for e in dm if not e["inMappingSyscall"]]
        eq({e["syscallNr"] for e in loader}, {59}, "the loader's mappings happen in execve (59)")
        text = [e for e in loader if e.get("file", {}).get("path") == binary
                and e["args"][2]["value"] & 4]
        check(text, f"no executable mapping of {binary} by the loader: "
              f"{[(e.get('file', {}).get('path'), e['args'][2]['decoded']) for e in loader]}")
        eq(text[0]["args"][2]["decoded"], "PROT_READ|PROT_EXEC", "text segment prot")
        interp_maps = [e for e in loader if e.get("file", {}).get("path") == interp]
        if interp:
            check(interp_maps, f"no mapping of the interpreter {interp} by the kernel")
        else:
            eq([e.get("file", {}).get("path") for e in loader if e.get("file", {}).get("path", "").startswith("/lib")],
               [], "a static program has no interpreter")
        own = [e for e in dm if e["args"][1]["value"] == 12345 * 4096]
        eq(len(own), 1, "the program's own mapping, seen by do_mmap")
        eq((own[0]["inMappingSyscall"], own[0]["syscallNr"]), (True, 9), "syscall marker")
        sys_own = [e for e in events if e["eventName"] == "mmap" and e["args"][1]["value"] == 12345 * 4096]
        eq(len(sys_own), 1, "the same call as a syscall event")
        eq(sys_own[0]["returnValue"], own[0]["returnValue"], "same address from both sources")
        check("available (kprobe/kretprobe)" in get("list.txt") or "available (fentry/fexit)" in get("list.txt"),
              f"--list: {get('list.txt')[-400:]}")

    def t_do_mmap_dynamic():
        dm_common("dm_dyn", "/mw/dmprog", "/lib64/ld-linux-x86-64.so.2")

    def t_do_mmap_static():
        dm_common("dm_static", "/mw/dmprog-static", None)

    def t_do_mmap_table():
        eq(rcs.get("dm_table"), 0, "exit status")
        t = get("dm_table.txt")
        check("[kernel, during syscall 59]" in t and "[in mapping syscall 9]" in t, f"table markers: {t[:600]}")

    def t_bypass32():
        """Issue #11 on 6.1: 32-bit W+X got past the request (old_mmap struct unreadable at entry,
        racing old_mmap, READ_IMPLIES_EXEC) is judged on the VMA and killed before its payload."""
        eq(rcs.get("bp_fault"), 0, "oldfault exit status")
        lines = jl(get("bp_fault.json"))
        ev = [e for e in lines if e["eventName"] == "mmap" and e["syscallNr"] == 90]
        eq(len(ev), 1, "old_mmap events")
        eq((ev[0].get("argsReadAtExit"), ev[0].get("effectiveProt")), (True, "PROT_READ|PROT_WRITE|PROT_EXEC"),
           "struct read again at exit, effective prot")
        eq([a["alert"]["kind"] for a in lines if a["eventName"] == "alert" and a["syscall"] == "mmap"],
           ["wx_mapping"], "alerts of the old_mmap")
        eq(rcs.get("bp_race"), 0, "race exit status")
        calls = jl(get("bp_racelog.json"))
        evs = [e for e in jl(get("bp_race.json")) if e["eventName"] == "mmap" and e["syscallNr"] == 90]
        evs = [e for e in evs if e["hostThreadId"] == evs[0]["hostProcessId"]]
        eq(len(evs), len(calls), "race: events vs calls")
        names = {"r": "PROT_READ", "w": "PROT_WRITE", "x": "PROT_EXEC"}
        for c, e in zip(calls, evs):
            want = "|".join(names[x] for x in c["perms"][:3] if x != "-") or "PROT_NONE"
            eq((e["returnValue"], e.get("effectiveProt")), (c["ret"], want), f"race call {c['i']}")
        for m in ("oldfault", "rie", "racekill"):
            eq(rcs.get(f"bpk_{m}"), 137, f"--kill-wx {m}: exit status")
        eq(sorted(get("bp_markers.txt").split()), ["oldfault.arg", "ran"], "markers left (k-*: payloads run under --kill-wx)")
        eq(len([l for l in get("bp_killed.txt").split("\n") if "ALERT high wx_mapping" in l]), 3, "alert lines of the kills")

    for name, fn in (("vm/bypass32_judged_on_vma", t_bypass32), ("vm/do_mmap_dynamic", t_do_mmap_dynamic), ("vm/do_mmap_static", t_do_mmap_static),
                     ("vm/do_mmap_table", t_do_mmap_table),
                     ("vm/native_64bit_on_6.1", t_native), ("vm/compat_alerts", t_compat_alerts), ("vm/compat_fields", t_compat_fields),
                     ("vm/compat_exact_sequence", t_compat_exact), ("vm/compat_table", t_table),
                     ("vm/events_mmap2_selection", t_events_selection),
                     ("vm/compat_off", t_compat_off)):
        run_test(name, fn)
    return summary()


if __name__ == "__main__":
    sys.exit(main())

"""checks.py - field-by-field comparison of a test program's call log with mapwatch's events."""
import errno
import time

from lib import Fail, arg_values, check, eq


def match_calls(calls, events):
    """Find each logged call in the event stream, in order per thread; returns
    the list of (call, event) pairs or raises Fail."""
    pos = {}
    pairs = []
    by_tid = {}
    for i, e in enumerate(events):
        by_tid.setdefault(e.get("hostThreadId"), []).append(e)
    # the main thread's own calls start at the marker munmap(0x5a5a5000, 0)
    main = calls[0]["tid"]
    if calls[0]["args"] == [0x5a5a5000, 0]:
        pos[main] = next((i for i, e in enumerate(by_tid.get(main, []))
                          if e["eventName"] == "munmap" and arg_values(e) == [0x5a5a5000, 0]), 1 << 30)
    for c in calls:
        evs = by_tid.get(c["tid"], [])
        i = pos.get(c["tid"], 0)
        while i < len(evs):
            e = evs[i]
            if e["eventName"] == c["event"] and arg_values(e) == c["args"]:
                break
            i += 1
        if i >= len(evs):
            raise Fail(f"call not reported (or out of order): {c}")
        pairs.append((c, evs[i]))
        pos[c["tid"]] = i + 1
    return pairs


def check_calls(log, events, compat=False, comm="mmapcalls"):
    """Check every logged call against its event, field by field; returns the
    (call, event) pairs. compat: the program ran the 32-bit ABI."""
    ctx = next(x for x in log if x["type"] == "context")
    calls = [x for x in log if x["type"] == "call"]
    pairs = match_calls(calls, events)
    for c, e in pairs:
        w = f"{c['event']}{c['args']}"
        eq(e["returnValue"], c["ret"], f"{w} returnValue")
        if c["ret"] < 0:
            eq(e.get("errno"), errno.errorcode[-c["ret"]], f"{w} errno")
        else:
            check("errno" not in e, f"{w}: errno on success")
        eq(e["hostProcessId"], c["pid"], f"{w} hostProcessId")
        eq(e["processId"], c["pid"], f"{w} processId (root pid namespace)")
        eq(e["threadId"], c["tid"], f"{w} threadId")
        eq(e["syscall"], c["event"], f"{w} syscall")
        eq(e["contextFlags"]["isCompat"], compat, f"{w} isCompat")
        eq(e["argsNum"], len(c["args"]), f"{w} argsNum")
        eq(e["userId"], ctx["uid"], f"{w} userId")
        eq(e["mountNamespace"], ctx["mntns"], f"{w} mountNamespace")
        eq(e["pidNamespace"], ctx["pidns"], f"{w} pidNamespace")
        eq(e["cgroupId"], ctx["cgroup_ino"], f"{w} cgroupId")
        eq(e["processName"], comm, f"{w} processName")
        eq(e["executable"]["path"], ctx["exe"], f"{w} executable")
        check(e["timestamp"] > 1.6e18 and e["timestamp"] < time.time() * 1e9, f"{w} timestamp")
        if c["pid"] == ctx["pid"]:
            eq(e["hostParentProcessId"], ctx["ppid"], f"{w} hostParentProcessId")
        else:
            eq(e["hostParentProcessId"], ctx["pid"], f"{w} child's parent")
        if c["event"] in ("mmap", "mmap2") and not (c["args"][3] & 0x20) and not e.get("argsFault"):
            f = e.get("file")
            check(f is not None, f"{w}: no file details")
            if "path" in c:
                eq(f["path"], c["path"], f"{w} file path")
                eq(f["inode"], c["ino"], f"{w} inode")
                eq(f["device"], c["dev"], f"{w} device")
        else:
            check("file" not in e, f"{w}: file details on a call without a file")
    return pairs


def check_native(log, events, comm="mmapcalls", tmpfs_root=False):
    """The 64-bit program's full check: every call, every kind of file, every errno.
    tmpfs_root: the scratch files live on tmpfs (a VM's initramfs), so they are
    reported as kind "shm" rather than "regular"."""
    calls = [x for x in log if x["type"] == "call"]
    check(len(calls) >= 30, f"only {len(calls)} calls logged")
    deleted_path = next(x for x in log if x["type"] == "note")["deleted_path"]
    pairs = check_calls(log, events, comm=comm)
    kinds = {e['file']['kind']: (c, e['file']) for c, e in pairs if 'file' in e}
    # the kinds of file behind the fds
    for k in (("shm",) if tmpfs_root else ("regular",)) + ("badfd", "deleted", "memfd", "shm", "chardev"):
        check(k in kinds, f"no mapping of kind {k} reported: {sorted(kinds)}")
    eq(kinds["deleted"][1]["path"], deleted_path, "deleted file's path")
    eq(kinds["deleted"][1]["deleted"], True, "deleted flag")
    eq(kinds["memfd"][1]["path"], "/memfd:mwtest", "memfd path")
    eq(kinds["chardev"][1]["rdev"], "1:5", "/dev/zero rdev")
    eq(kinds["shm"][1]["tmpfs"], True, "/dev/shm tmpfs flag")
    # errors the issue names
    got = {e.get("errno") for _, e in pairs}
    for name in ("EINVAL", "EBADF", "EACCES", "ENOMEM", "EEXIST"):
        check(name in got, f"no {name} case matched")
    # decoded flags
    for c, e in pairs:
        if c["event"] == "mmap" and c["args"][2] == 3 and c["args"][3] == 0x22:
            eq(e["args"][2]["decoded"], "PROT_READ|PROT_WRITE", "prot decoded")
            eq(e["args"][3]["decoded"], "MAP_PRIVATE|MAP_ANONYMOUS", "flags decoded")
            break
    else:
        raise Fail("no anonymous RW mapping found to check decoding")


def split_args(s):
    """An argument list (strace's, or mapwatch's table) split at top-level commas: quotes and brackets respected."""
    out, depth, cur, q = [], 0, "", False
    i = 0
    while i < len(s):
        c = s[i]
        if q:
            cur += c
            if c == "\\":
                cur += s[i + 1]
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur += c
        elif c in "[{(":
            depth += 1
            cur += c
        elif c in "]})":
            depth -= 1
            cur += c
        elif c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out

"""test_policy.py - integration tests (root) of the policy (--rules): exe identity against a loader that borrows a
trusted name, a kill rule, a rate limit, SIGHUP reload under load, bad files, node and Java under the default rules."""
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, ROOT, Fail, build_prog, check, eq, mapwatch, read_json_lines, run_selected,
                 settle, skipped_without_root, stats, tmpdir)

PROG = None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def alerts_of(path):
    return [e for e in read_json_lines(path) if e.get("eventName") == "alert"]


def rule_stats(err):
    st = stats(err)
    check(st and "policy" in st, f"--stats has no policy object: {err[-500:]}")
    return st["policy"], {r["name"]: r for r in st["policy"]["rules"]}


def copy_prog(d, name):
    """A copy of the loader: the same bytes under another inode."""
    p = os.path.join(d, name)
    shutil.copy(PROG, p)
    os.chmod(p, 0o755)
    settle(p)  # a fixture: not dropped code at its exec
    return p


def run_until_seen(args, out, want_calls, stop, timeout=120):
    """Run mapwatch ARGS (with --alerts: event lines too) until the output holds want_calls W+X mmap events, then
    create STOP (the programs wait for it before they exit: their identity is read from /proc while they run).
    Returns (stdout, stderr, exit status)."""
    err = out + ".err"
    with open(err, "w") as ef:
        mw = subprocess.Popen([MAPWATCH, *args], stdout=subprocess.PIPE, stderr=ef, text=True)
    try:
        def seen():
            try:
                return sum(1 for e in read_json_lines(out)
                           if e.get("eventName") == "mmap" and e["args"][2]["value"] == 7)
            except (Fail, FileNotFoundError):
                return 0  # a line being written
        wait_for(lambda: seen() >= want_calls, f"{want_calls} W+X mmap events", timeout)
        write(stop, "")
        so, _ = mw.communicate(timeout=timeout)
    finally:
        if mw.poll() is None:
            mw.kill()
            mw.wait()
    return so, open(err).read(), mw.returncode


def t_exe_identity():
    """An ignore rule by exe identity silences that program; a loader with its name, its bytes, or a link at its
    path still alerts (user-space rule with kinds, and the kernel-compiled exe-only form)."""
    d = tmpdir()
    trusted = copy_prog(d, "trusted-jit")
    loader = copy_prog(d, "loader")
    link = os.path.join(d, "looks-trusted")
    os.symlink(loader, link)
    variants = {
        "user space": f"rules:\n  - name: trusted\n    match:\n      kind: [wx_mapping, wx_mprotect]\n"
                      f"      exe: {trusted}\n    action: ignore\n",
        "kernel": f"rules:\n  - name: trusted\n    match: {{exe: {trusted}}}\n    action: ignore\n",
    }
    for n, (what, head) in enumerate(variants.items()):
        rules = write(os.path.join(d, "r.yaml"), head + "  - name: wx\n    match: {kind: wx_mapping}\n")
        out, stop = os.path.join(d, f"o{n}.json"), os.path.join(d, f"stop{n}")
        # the loader calls itself "trusted-jit" (comm), runs as a copy and through a link named like it
        script = (f"{trusted} - 3 0 {stop} & {loader} trusted-jit 3 0 {stop} & {link} trusted-jit 3 0 {stop} & "
                  f"wait")
        so, se, rc = run_until_seen(["--json", "--alerts", "--stats", "--rules", rules, "--output", out, "--",
                                     "sh", "-c", script], out, 9, stop)
        eq(rc, 0, f"{what}: exit status ({se.strip()[-300:]})")
        eq(so.split(), ["3", "3", "3"], f"{what}: the programs' own counts")
        al = alerts_of(out)
        by_exe = collections.Counter(e["executable"]["path"] for e in al)
        eq(by_exe, collections.Counter({loader: 6}), f"{what}: alerts by executable")
        check(all(e["alert"]["rule"] == "wx" for e in al), f"{what}: rule names {[e['alert'].get('rule') for e in al]}")
        pol, rules_st = rule_stats(se)
        eq(rules_st["wx"]["matched"], 6, f"{what}: wx rule matches")
        if what == "user space":
            eq(rules_st["trusted"]["matched"], 3, "trusted rule matches (decided in user space)")
        else:
            eq(stats(se)["alerts"]["silencedByAllow"], 3, "trusted program silenced in the kernel")


def t_chroot_jit_path():
    """A loader placed at a JIT's path inside a chroot (its own /usr/lib/jvm, /usr/bin/node) is not the host's JIT:
    the default rules' directory and file identities do not cover it, and it alerts."""
    if not os.path.isdir("/usr/lib/jvm") and not os.path.exists("/usr/bin/node"):
        return "skip: neither /usr/lib/jvm nor /usr/bin/node on this host (the default rules name nothing here)"
    static = build_prog("policyprog.c", "policyprog-static", extra=("-static",))
    d = tmpdir()
    root = os.path.join(d, "root")
    for rel in ("usr/lib/jvm/java-17/bin/java", "usr/bin/node"):
        dst = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(static, dst)
        os.chmod(dst, 0o755)
        settle(dst)
    out = os.path.join(d, "o.json")
    script = f"chroot {root} /usr/lib/jvm/java-17/bin/java java 2; chroot {root} /usr/bin/node node 2"
    p = mapwatch(["--json", "--alerts-only", "--stats", "--output", out, "--", "sh", "-c", script], timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()[-300:]})")
    eq(p.stdout.split(), ["2", "2"], "the loaders' own counts")
    got = collections.Counter((e["executable"]["path"], e["alert"]["rule"]) for e in alerts_of(out))
    eq(got, collections.Counter({("/usr/lib/jvm/java-17/bin/java", "wx-mapping"): 2,
                                 ("/usr/bin/node", "wx-mapping"): 2}), "alerts of the chrooted loaders")


def t_kill_rule():
    """A kill rule kills W+X requesters from the kernel; an exe-only ignore before it spares one program."""
    d = tmpdir()
    trusted = copy_prog(d, "trusted-jit")
    loader = copy_prog(d, "loader")
    rules = write(os.path.join(d, "r.yaml"),
                  f"rules:\n  - name: trusted\n    match: {{exe: {trusted}}}\n    action: ignore\n"
                  f"  - name: no-wx\n    match: {{kind: [wx_mapping, wx_mprotect]}}\n    action: kill\n"
                  f"  - name: rest\n")
    chk = subprocess.run([MAPWATCH, "--check-rules", rules], capture_output=True, text=True)
    eq(chk.returncode, 0, f"--check-rules of the kill rules ({chk.stderr.strip()})")
    # a task's name is no scope for a kill (any process renames itself), as for --kill-wx
    p = mapwatch(["--rules", rules, "--comm", "trusted-jit"])
    eq(p.returncode, 2, f"kill rule with --comm: {p.stderr.strip()}")
    check("--comm" in p.stderr, f"kill rule with --comm: {p.stderr.strip()}")
    out = os.path.join(d, "o.json")
    script = f"{loader} trusted-jit 1; echo loader=$?; {trusted} - 1; echo trusted=$?"
    p = mapwatch(["--json", "--alerts-only", "--stats", "--rules", rules, "--output", out, "--", "sh", "-c", script],
                 timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()[-300:]})")
    lines = p.stdout.split()
    check("loader=137" in lines, f"the loader was not killed: {lines}")
    check("trusted=0" in lines and "1" in lines, f"the trusted program did not survive: {lines}")
    al = alerts_of(out)
    eq([(e["executable"]["path"], e["alert"]["action"], e["alert"]["rule"]) for e in al],
       [(loader, "killed", "no-wx")], "alerts")
    # the table names a rule that is not built in
    p = mapwatch(["--alerts-only", "--rules", rules, "--", loader, "-", "1"], timeout=120)
    check(any(l.endswith("[killed] [rule no-wx]") for l in p.stdout.splitlines()),
          f"table line without [killed] [rule no-wx]: {p.stdout[-400:]}")


def t_rate_limit():
    """rate_limit {count: 3, per: 3600}: 20 W+X maps, 3 alerts; the other 17 counted as rate-limited. The rule's
    action capture, severity, mitre, tags and output show on its alerts."""
    d = tmpdir()
    rules = write(os.path.join(d, "r.yaml"),
                  # event mmap: a capture rule's W+X region is copied again at its munmap, a second
                  # alert ("capturedAt":"munmap") that this count leaves out
                  "rules:\n  - name: wx\n    match: {kind: wx_mapping, event: [mmap]}\n    rate_limit: {count: 3, per: 3600}\n"
                  "    action: capture\n    severity: medium\n    mitre: T1620\n    tags: [loader]\n"
                  "    output: \"{rule}: {kind} by {comm} pid {pid}\"\n")
    out = os.path.join(d, "o.json")
    p = mapwatch(["--json", "--alerts-only", "--stats", "--rules", rules, "--output", out, "--", PROG, "-", "20"],
                 timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()[-300:]})")
    eq(p.stdout.strip(), "20", "maps made")
    al = alerts_of(out)
    eq(len(al), 3, "alerts written")
    a, pid = al[0]["alert"], al[0]["processId"]
    eq((a["rule"], a["severity"], a["mitre"], a["tags"], a["output"], a.get("captureRequested")),
       ("wx", "medium", "T1620", ["loader"], f"wx: wx_mapping by policyprog pid {pid}", True),
       "what the capture rule puts on its alerts")
    pol, r = rule_stats(p.stderr)
    eq((r["wx"]["matched"], r["wx"]["written"], r["wx"]["rateLimited"]), (20, 3, 17), "wx rule counts")
    eq(pol["rateLimited"], 17, "policy rateLimited")


def wait_for(cond, what, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.1)
    raise Fail(f"timed out waiting for {what}")


def t_reload_under_load():
    """SIGHUP while a program maps W+X steadily: every event is written once and judged by exactly one rule set
    (old names, then new ones); a bad file keeps the rules in place and says why (stderr, syslog, --stats)."""
    d = tmpdir()
    rdir = os.path.join(d, "rules.d")
    os.mkdir(rdir)
    rfile = os.path.join(rdir, "10-wx.yaml")
    write(rfile, "rules:\n  - name: wx-a\n    match: {kind: wx_mapping}\n")
    out, err = os.path.join(d, "o.json"), os.path.join(d, "err")
    stop = os.path.join(d, "stop")
    # a syslog peer: the refused reload is said there too
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(0.2)
    notices, done = [], threading.Event()

    def listen():
        while not done.is_set():
            try:
                msg = u.recv(65536).decode("utf-8", "replace")
            except socket.timeout:
                continue
            if "rules_notice" in msg:
                notices.append(msg)
    th = threading.Thread(target=listen)
    th.start()
    with open(err, "w") as ef:
        mw = subprocess.Popen([MAPWATCH, "--json", "--alerts", "--stats", "--rules", rdir, "--output", out, "--flush-ms", "20",
                               "--syslog", f"udp://127.0.0.1:{u.getsockname()[1]}", "--syslog-events", "none",
                               "--", PROG, "-", "0", "2", stop], stdout=subprocess.PIPE, stderr=ef, text=True)
    try:
        def rules_seen():
            try:
                return {e["alert"]["rule"] for e in alerts_of(out)}
            except (Fail, FileNotFoundError):
                return set()  # a line being written
        wait_for(lambda: "wx-a" in rules_seen(), "alerts of wx-a")
        write(rfile, "rules:\n  - name: wx-b\n    match: {kind: wx_mapping}\n")
        mw.send_signal(signal.SIGHUP)
        wait_for(lambda: "wx-b" in rules_seen(), "alerts of wx-b after SIGHUP")
        write(rfile, "rules:\n  - name: wx-c\n    match: {kind: wx_mapping}\n    colour: red\n")
        mw.send_signal(signal.SIGHUP)
        wait_for(lambda: "colour" in open(err).read(), "the refused reload's reason on stderr")
        wait_for(lambda: any("colour" in m for m in notices), "the refused reload's reason at the syslog peer")
        n_b = sum(1 for e in alerts_of(out) if e["alert"]["rule"] == "wx-b")
        wait_for(lambda: sum(1 for e in alerts_of(out) if e["alert"]["rule"] == "wx-b") > n_b + 10,
                 "more wx-b alerts after the refused reload")
        write(stop, "")
        made, _ = mw.communicate(timeout=120)
    finally:
        if mw.poll() is None:
            mw.kill()
            mw.wait()
        done.set()
        th.join()
        u.close()
    eq(mw.returncode, 0, "mapwatch exit status")
    made = int(made.strip())
    lines = read_json_lines(out)
    wx_events = [e for e in lines if e.get("eventName") == "mmap" and e["processName"] == "policyprog"
                 and e["args"][2]["value"] == 7]  # PROT_READ|PROT_WRITE|PROT_EXEC: the loop's, not ld.so's
    al = [e for e in lines if e.get("eventName") == "alert"]
    eq(len(wx_events), made, "mmap events written vs made (none lost, none twice)")
    eq(len(al), made, "alerts: one per W+X mmap")
    names = [e["alert"]["rule"] for e in al]
    check(set(names) == {"wx-a", "wx-b"}, f"rules named: {collections.Counter(names)}")
    first_b = names.index("wx-b")
    check(all(n == "wx-b" for n in names[first_b:]), "an alert judged by the old rules after the swap")
    eq(len({e["trigger"]["timestamp"] for e in al}), made, "alerts of distinct calls")
    text = open(err).read()
    check(f"{rfile}:4:5: unknown key 'colour'" in text, f"the reason (file:line:column) on stderr: {text[-600:]}")
    pol, _ = rule_stats(text)
    eq((pol["reloads"], pol["reloadFailures"]), (1, 1), "reloads, refused reloads")
    st = stats(text)
    eq(st["eventsLost"], 0, "events lost")
    print(f"INFO reload under load: {made} W+X maps, {len(al)} alerts ({names.count('wx-a')} by wx-a, "
          f"{names.count('wx-b')} by wx-b), 1 reload, 1 refused", flush=True)


def t_defaults_and_shorthands():
    """Without --rules the built-in rules decide and name themselves (JSON only: the table is today's); --kill-wx
    and --allow are rules named kill-wx and allow."""
    d = tmpdir()
    loader = copy_prog(d, "loader")
    out = os.path.join(d, "o.json")
    p = mapwatch(["--json", "--alerts-only", "--stats", "--output", out, "--", loader, "-", "2"], timeout=120)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()[-300:]})")
    eq([(e["alert"]["kind"], e["alert"]["rule"]) for e in alerts_of(out)], [("wx_mapping", "wx-mapping")] * 2,
       "default rule names")
    _, r = rule_stats(p.stderr)
    eq(list(r)[:2], ["jit-runtimes", "wx-mapping"], "the default rules, in order")
    eq(r["wx-mapping"]["written"], 2, "wx-mapping written")
    p = mapwatch(["--alerts-only", "--", loader, "-", "1"], timeout=120)
    lines = [l for l in p.stdout.splitlines() if " ALERT " in l]
    eq(len(lines), 1, f"table alert lines: {p.stdout[-300:]}")
    check("[rule" not in lines[0], f"a built-in rule named in the table: {lines[0]}")
    p = mapwatch(["--json", "--kill-wx", "--alerts-only", "--output", out, "--", loader, "-", "1"], timeout=120)
    eq([(e["alert"]["action"], e["alert"]["rule"]) for e in alerts_of(out)], [("killed", "kill-wx")], "--kill-wx")
    p = mapwatch(["--json", "--alerts-only", "--stats", "--allow", loader, "--output", out, "--", loader, "-", "1"],
                 timeout=120)
    eq(alerts_of(out), [], "--allow")
    _, r = rule_stats(p.stderr)
    eq(list(r)[0], "allow", "--allow is the first rule")


BAD = {
    # name: (text, "line:col", what the message says)
    "syntax": ("rules:\n  - name: a\n    match: {kind: [wx_mapping}\n", "3:30", "not YAML"),
    "unknown_field": ("rules:\n  - name: a\n    priority: 3\n", "3:5", "unknown key 'priority'"),
    "unknown_match_key": ("rules:\n  - name: a\n    match: {process: x}\n", "3:13", "unknown key 'process'"),
    "bad_value": ("rules:\n  - name: a\n    match: {prot_any: [PROT_FLY]}\n", "3:24", "prot_any"),
    "bad_action": ("rules:\n  - name: a\n    action: quarantine\n", "3:13", "action 'quarantine'"),
    "kill_user_space": ("rules:\n  - name: a\n    match: {kind: wx_mapping, comm: java}\n    action: kill\n", "2:5",
                        "need user space"),
    "kill_after_user_rule": ("rules:\n  - name: a\n    match: {uid: 1000}\n    action: ignore\n"
                             "  - name: k\n    match: {kind: wx_mapping}\n    action: kill\n", "2:5",
                             "comes before kill rule 'k'"),
    "duplicate_name": ("rules:\n  - name: a\n  - name: a\n", "3:5", "used twice"),
    "ignore_with_output": ("rules:\n  - name: a\n    action: ignore\n    output: x\n", "2:5", "ignore rule writes nothing"),
}


def t_bad_files():
    """Each kind of bad file: --check-rules (as nobody: no root needed) and a run both refuse it with
    FILE:LINE:COLUMN: reason; a good file passes the check."""
    d = tmpdir()
    os.chmod(d, 0o755)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for name, (text, where, want) in BAD.items():
        path = write(os.path.join(d, name + ".yaml"), text)
        os.chmod(path, 0o644)
        p = subprocess.run(nobody + [MAPWATCH, "--check-rules", path], capture_output=True, text=True, timeout=30)
        eq(p.returncode, 1, f"{name}: --check-rules exit status ({p.stderr.strip()})")
        check(f"{path}:{where}: " in p.stderr and want in p.stderr, f"{name}: want {where} {want!r}: {p.stderr.strip()}")
        p = mapwatch(["--rules", path, "--", "/bin/true"], timeout=60)
        eq(p.returncode, 2, f"{name}: run exit status ({p.stderr.strip()})")
        check(f"{path}:{where}: " in p.stderr, f"{name}: run's error: {p.stderr.strip()}")
    for name, path, want in (("missing", os.path.join(d, "nope.yaml"), "cannot stat it"),
                             ("empty_dir", tmpdir(), "no *.yaml file")):
        p = mapwatch(["--check-rules", path])
        eq(p.returncode, 1, f"{name}: exit status")
        check(want in p.stderr and f"{path}:1:1:" in p.stderr, f"{name}: {p.stderr.strip()}")
    good = write(os.path.join(d, "good.yaml"), "rules:\n  - name: a\n    match: {kind: wx_mapping}\n")
    os.chmod(good, 0o644)
    p = subprocess.run(nobody + [MAPWATCH, "--check-rules", good], capture_output=True, text=True, timeout=30)
    eq(p.returncode, 0, f"good file: {p.stderr.strip()}")
    check("1 rules valid" in p.stdout, f"good file: {p.stdout.strip()}")
    # the README's examples are valid rules files (a team copies them)
    readme = open(os.path.join(ROOT, "README.md")).read()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    check(len(blocks) >= 2, "README: no yaml examples found")
    for i, text in enumerate(blocks):
        path = write(os.path.join(d, f"readme{i}.yaml"), text)
        p = mapwatch(["--check-rules", path])
        eq(p.returncode, 0, f"README example {i}: {p.stderr.strip()}")
    p = mapwatch(["--check-rules", os.path.join(ROOT, "dist", "rules.d")])
    eq(p.returncode, 0, f"dist/rules.d: {p.stderr.strip()}")


JAVA_SRC = """
import java.util.function.IntUnaryOperator;
public class Jit {
    public static void main(String[] a) {
        long end = System.currentTimeMillis() + Long.parseLong(a[0]) * 1000;
        long s = 0;
        while (System.currentTimeMillis() < end) {
            for (int i = 0; i < 100000; i++) { final int k = i; IntUnaryOperator f = x -> x * 31 + k; s += f.applyAsInt(i); }
        }
        System.out.println("java " + s);
    }
}
"""
NODE_SRC = ("const end = Date.now() + {secs} * 1000; let s = 0; "
            "while (Date.now() < end) {{ for (let k = 0; k < 1e5; k++) {{ s += (k * 31 + 7) % 1013; }} "
            "s += new Function('a', 'return a*' + (s % 97))(3); }} console.log('node', s);")


def t_jit_runtimes():
    """node and Java for a minute under the default rules raise nothing for them (their W+X is matched by the
    jit-runtimes rule), while a shellcode loader next to them still alerts."""
    node, java = shutil.which("node") or shutil.which("nodejs"), shutil.which("java")
    if not node or not java:
        return f"skip: needs node and java (which: node={node}, java={java})"
    d = tmpdir()
    src = write(os.path.join(d, "Jit.java"), JAVA_SRC)
    secs = 60
    loader = copy_prog(d, "loader")
    out = os.path.join(d, "o.json")
    script = (f"{node} -e \"{NODE_SRC.format(secs=secs)}\" & {java} {src} {secs} & "
              f"sleep 5; {loader} node 2; {loader} java 2; wait")
    p = mapwatch(["--json", "--alerts-only", "--stats", "--output", out, "--", "sh", "-c", script], timeout=600)
    eq(p.returncode, 0, f"exit status ({p.stderr.strip()[-400:]})")
    check("node " in p.stdout and "java " in p.stdout, f"the runtimes did not finish: {p.stdout!r}")
    al = alerts_of(out)
    by_exe = collections.Counter((e["executable"]["path"], e["alert"]["kind"]) for e in al)
    eq(sorted(by_exe.items()), [((loader, "wx_mapping"), 4)], "alerts by executable and kind")
    _, r = rule_stats(p.stderr)
    print(f"INFO jit-runtimes rule matched {r['jit-runtimes']['matched']} alerts of node and java", flush=True)
    check(r["jit-runtimes"]["matched"] > 0, "node and java made no W+X at all: the test proves nothing")


def main():
    global PROG
    if skipped_without_root():
        return 0
    PROG = build_prog("policyprog.c", "policyprog")
    tests = [("policy/defaults_and_shorthands", t_defaults_and_shorthands), ("policy/exe_identity", t_exe_identity),
             ("policy/chroot_jit_path", t_chroot_jit_path), ("policy/kill_rule", t_kill_rule),
             ("policy/rate_limit", t_rate_limit), ("policy/reload_under_load", t_reload_under_load),
             ("policy/bad_files", t_bad_files), ("policy/jit_runtimes", t_jit_runtimes)]
    return run_selected(tests)


if __name__ == "__main__":
    sys.exit(main())

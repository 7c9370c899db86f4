#!/usr/bin/env python3
"""test_containers.py - container and Kubernetes identity against real runtimes: runc with a
busybox rootfs (bundles carrying the CRI annotations a Kubernetes node writes), podman with its
own --root in a temporary directory and an image imported from a rootfs tarball. Every event and
alert names its container; summaries name containers that have exited; the filters by name,
image, pod and namespace; ids of any form; conmon's scope; state files that are bad; a loop of
short-lived containers leaves the cache and mapwatch's memory flat."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, ROOT, BUILD, Fail, check, eq, read_json_lines, run_selected,  # noqa: E402
                 skipped_without_root, stats, tmpdir)

RUNC = shutil.which("runc")
PODMAN = shutil.which("podman")
BUSYBOX = "/bin/busybox"
HEX_A = "a1" * 32
HEX_UP = "C0FFEE" + "AB" * 29
CRI = {  # what containerd's CRI plugin writes into a pod container's OCI config
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.container-name": "web",
    "io.kubernetes.cri.sandbox-name": "web-7f9c-x2",
    "io.kubernetes.cri.sandbox-namespace": "shop",
    "io.kubernetes.cri.sandbox-uid": "5e1a7c1e-1111-4000-8000-000000000001",
    "io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36",
}
CRIO = {  # what CRI-O writes
    "io.kubernetes.container.name": "db",
    "io.kubernetes.pod.name": "db-0",
    "io.kubernetes.pod.namespace": "data",
    "io.kubernetes.pod.uid": "5e1a7c1e-2222-4000-8000-000000000002",
    "io.kubernetes.cri-o.ImageName": "quay.io/example/db:2",
}


def ctrprog():
    """The static workload (the rootfs has no libc)."""
    os.makedirs(os.path.join(BUILD, "it"), exist_ok=True)
    exe = os.path.join(BUILD, "it", "ctrprog")
    src = os.path.join(ROOT, "tests", "integration", "ctrprog.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run(["gcc", "-static", "-O1", "-Wall", "-Werror", "-o", exe, src], check=True)
    return exe


class Runc:
    """A runc root and a rootfs (busybox + ctrprog) in a temporary directory."""

    def __init__(self):
        self.d = tmpdir()
        self.root = os.path.join(self.d, "runc-root")
        self.rootfs = os.path.join(self.d, "rootfs")
        os.makedirs(os.path.join(self.rootfs, "bin"))
        os.makedirs(os.path.join(self.rootfs, "go"))
        shutil.copy(BUSYBOX, os.path.join(self.rootfs, "bin", "busybox"))
        shutil.copy(ctrprog(), os.path.join(self.rootfs, "bin", "ctrprog"))
        self.spec = None
        self.procs = []

    def bundle(self, cid, annotations=None, wait=False, hold=False):
        """A bundle for container cid running ctrprog (waiting for /go/<cid> before its calls when
        wait, and for /go/<cid>.end before it exits when hold)."""
        b = os.path.join(self.d, "bundles", cid)
        os.makedirs(b)
        if self.spec is None:
            subprocess.run([RUNC, "spec", "--bundle", b], check=True)
            with open(os.path.join(b, "config.json")) as f:
                self.spec = json.load(f)
        c = json.loads(json.dumps(self.spec))
        c["root"] = {"path": self.rootfs, "readonly": True}
        c["process"]["terminal"] = False
        c["process"]["args"] = ["/bin/ctrprog"] + ([f"/go/{cid}"] if wait or hold else []) + \
            ([f"/go/{cid}.end"] if hold else [])
        c["annotations"] = annotations or {}
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(c, f)
        return b

    def start(self, cid, annotations=None, wait=False, hold=False):
        """runc run in the background; returns the Popen."""
        b = self.bundle(cid, annotations, wait, hold)
        log = open(os.path.join(self.d, f"runc-{cid}.log"), "w")
        p = subprocess.Popen([RUNC, "--root", self.root, "run", "-b", b, cid], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log)
        self.procs.append(p)
        return p

    def running(self, cid, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            r = subprocess.run([RUNC, "--root", self.root, "state", cid], capture_output=True, text=True)
            if r.returncode == 0 and json.loads(r.stdout)["status"] == "running":
                return
            time.sleep(0.05)
        raise Fail(f"runc container {cid} did not start")

    def go(self, cid, what=""):
        open(os.path.join(self.rootfs, "go", cid + what), "w").close()

    def run(self, cid, annotations=None):
        """runc run to the end (the container is deleted when it returns)."""
        b = self.bundle(cid, annotations)
        r = subprocess.run([RUNC, "--root", self.root, "run", "-b", b, cid], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, f"runc run {cid} ({r.stderr.strip()[-300:]})")

    def wait_all(self):
        for p in self.procs:
            eq(p.wait(timeout=120), 0, "runc run exit status")

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.path.isdir(self.root):
            for cid in os.listdir(self.root):
                subprocess.run([RUNC, "--root", self.root, "delete", "--force", cid], capture_output=True)


class Mw:
    """One mapwatch instance writing JSON (or the table) to a file."""

    def __init__(self, d, name, args, json_out=True, env=None):
        self.out = os.path.join(d, name + (".json" if json_out else ".txt"))
        self.errf = os.path.join(d, name + ".err")
        self.args = args
        self.p = subprocess.Popen([MAPWATCH, "-v", "--stats", "--output", self.out, *(["--json"] if json_out else []),
                                   *args], stdout=subprocess.DEVNULL, stderr=open(self.errf, "w"),
                                  env=dict(os.environ, **(env or {})))

    def err(self):
        return open(self.errf).read()

    def wait_attached(self, timeout=180):
        end = time.time() + timeout
        while "mapwatch: attached" not in self.err():
            if self.p.poll() is not None:
                raise Fail(f"mapwatch {self.args} exited: {self.err()[-500:]}")
            if time.time() > end:
                raise Fail(f"mapwatch {self.args} did not attach")
            time.sleep(0.05)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGCONT)
            self.p.send_signal(signal.SIGINT)
        eq(self.p.wait(timeout=60), 0, f"mapwatch {self.args} exit status ({self.err()[-300:]})")

    def events(self):
        return [e for e in read_json_lines(self.out) if e.get("eventName") not in ("summary", "lost", "notice")]

    def stats(self):
        return stats(self.err())


def start_all(insts):
    for m in insts:
        m.wait_attached()


def stop_all(insts):
    for m in insts:
        if m.p.poll() is None:
            m.p.send_signal(signal.SIGCONT)
            m.p.send_signal(signal.SIGINT)
    for m in insts:
        m.stop()


def of_prog(evs):
    return [e for e in evs if e.get("processName") == "ctrprog"]


def by_id(evs):
    out = {}
    for e in of_prog(evs):
        out.setdefault(e["containerId"], []).append(e)
    return out


def need_runc():
    if not RUNC:
        return "skip: runc is not installed (apt-get install runc)"
    return None


def t_runc_identity():
    """Containers started before and after mapwatch, one with containerd's CRI annotations, one with
    CRI-O's, one plain: every event and alert names its container, image and pod; the table's comm
    column names the container."""
    if need_runc():
        return need_runc()
    rc = Runc()
    d = rc.d
    ids = {"pre-" + HEX_A[:8]: CRI, "post-cri-o": CRIO, "plain-1": None}
    insts = []
    try:
        pre = rc.start("pre-" + HEX_A[:8], CRI, wait=True)
        rc.running("pre-" + HEX_A[:8])
        conf = os.path.join(d, "mapwatch.conf")  # the root as a config-file key
        with open(conf, "w") as f:
            f.write(f"alerts\nruntime-root = runc={rc.root}\n")
        insts = [Mw(d, "all", ["--alerts", "--runtime-root", f"runc={rc.root}"]),
                 Mw(d, "table", ["--config", conf], json_out=False)]
        start_all(insts)
        rc.start("post-cri-o", CRIO, wait=True)
        rc.running("post-cri-o")
        rc.start("plain-1", None, wait=True)
        rc.running("plain-1")
        for cid in ids:
            rc.go(cid)
        rc.wait_all()
        check(pre.returncode == 0, "the container started before mapwatch")
        time.sleep(0.5)
    finally:
        stop_all(insts)
        rc.cleanup()
    evs = insts[0].events()
    got = by_id(evs)
    eq(sorted(got), sorted(ids), "containers seen (by containerId)")
    want = {
        "pre-" + HEX_A[:8]: ({"name": "web", "image": "docker.io/library/busybox:1.36", "runtime": "runc"},
                             {"podName": "web-7f9c-x2", "podNamespace": "shop",
                              "podUID": "5e1a7c1e-1111-4000-8000-000000000001"}),
        "post-cri-o": ({"name": "db", "image": "quay.io/example/db:2", "runtime": "runc"},
                       {"podName": "db-0", "podNamespace": "data", "podUID": "5e1a7c1e-2222-4000-8000-000000000002"}),
        "plain-1": ({"name": "", "image": "", "runtime": "runc"}, {"podName": "", "podNamespace": "", "podUID": ""}),
    }
    for cid, es in got.items():
        wc, wk = want[cid]
        calls = [e for e in es if "alert" not in e]
        alerts = [e for e in es if "alert" in e]
        check(any(e["eventName"] == "mprotect" for e in calls), f"{cid}: its mprotect")
        check(any(a["alert"]["kind"] == "x_after_w" for a in alerts), f"{cid}: its W->X alert")
        for e in es:
            eq(e["container"]["id"], cid, f"{cid}: container.id")
            for k, v in wc.items():
                eq(e["container"][k], v, f"{cid}: container.{k} of {e['eventName']}")
            eq(e["kubernetes"], wk, f"{cid}: kubernetes of {e['eventName']}")
    host = [e for e in evs if e["containerId"] == "" and e["cgroupId"] > 1]
    check(all(e["container"]["name"] == "" for e in host), "host events name no container")
    if shutil.which("go"):  # the containers' lines decode with Tracee's Go types (container, kubernetes)
        dec = os.path.join(d, "decode")
        env = dict(os.environ, HOME=d, GOCACHE=os.path.join(d, "gocache"), GO111MODULE="off")
        b = subprocess.run(["go", "build", "-o", dec, os.path.join(ROOT, "tests", "integration", "tracee",
                                                                   "decode.go")],
                           capture_output=True, text=True, timeout=300, env=env)
        eq(b.returncode, 0, f"go build ({b.stderr[-300:]})")
        r = subprocess.run([dec], stdin=open(insts[0].out), capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, f"Tracee's types: {r.stdout.strip()[:600]}")
    table = open(insts[1].out, errors="replace").read()
    for name in ("ctrprog@web ", "ctrprog@db ", "ctrprog@plain-1"):
        check(name in table, f"the table's comm column shows {name!r}")
    st = insts[0].stats()
    check(st and st["containers"]["named"] >= 3, f"stats containers: {st and st['containers']}")


def t_policy_container_keys():
    """Policy rules matched by container identity (#25's container, namespace keys, fed by this
    enrichment): pod namespace "shop" (web) ignored, "db" matched by name, the unnamed "plain-1"
    by its id; the host's W->X alert falls to the last rule."""
    if need_runc():
        return need_runc()
    rc = Runc()
    d = rc.d
    rules = os.path.join(d, "rules.yaml")
    with open(rules, "w") as f:
        f.write("rules:\n"
                "  - name: shop-quiet\n    match: {kind: x_after_w, namespace: [shop]}\n    action: ignore\n"
                "  - name: db-by-name\n    match: {kind: x_after_w, container: [db]}\n"
                "  - name: plain-by-id\n    match: {kind: x_after_w, container: [plain-1]}\n"
                "  - name: rest\n    match: {kind: x_after_w}\n")
    ids = {"web-" + HEX_A[:8]: CRI, "db-crio": CRIO, "plain-1": None}
    insts = []
    try:
        insts = [Mw(d, "pol", ["--alerts-only", "--rules", rules, "--runtime-root", f"runc={rc.root}"])]
        start_all(insts)
        for cid, ann in ids.items():
            rc.start(cid, ann, wait=True)
            rc.running(cid)
        for cid in ids:
            rc.go(cid)
        rc.wait_all()
        host = subprocess.run([ctrprog()], capture_output=True, timeout=60)
        eq(host.returncode, 0, "ctrprog on the host")
        time.sleep(0.5)
    finally:
        stop_all(insts)
        rc.cleanup()
    got = sorted((a["containerId"], a["alert"]["rule"]) for a in insts[0].events()
                 if a.get("alert", {}).get("kind") == "x_after_w")
    eq(got, sorted([("", "rest"), ("db-crio", "db-by-name"), ("plain-1", "plain-by-id")]),
       "x_after_w alerts by container and the rule that decided each (web's ignored by namespace)")


def t_yara_alert_names_container():
    """An alert that waits for its --yara scan (written later, from the scanner's queue) names its
    container like any other line: container.name, image and kubernetes."""
    if need_runc():
        return need_runc()
    rc = Runc()
    d = rc.d
    rules = os.path.join(d, "any.yar")
    with open(rules, "w") as f:
        f.write("rule any_payload { condition: filesize >= 0 }\n")
    cid = "web-" + HEX_A[8:16]
    insts = []
    try:
        insts = [Mw(d, "yara", ["--alerts-only", "--yara", rules, "--runtime-root", f"runc={rc.root}"])]
        start_all(insts)
        rc.start(cid, CRI, wait=True)
        rc.running(cid)
        rc.go(cid)
        rc.wait_all()
        time.sleep(0.5)
    finally:
        stop_all(insts)
        rc.cleanup()
    al = [e for e in insts[0].events() if e.get("alert", {}).get("kind") == "x_after_w"]
    check(al, "no x_after_w alert from the container")
    for a in al:
        eq(a["alert"].get("yara"), ["any_payload"], "scanned: the rule matched")
        eq((a["containerId"], a["container"]["name"], a["kubernetes"]["podNamespace"]), (cid, "web", "shop"),
           "the scanned alert's container")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def named_count(port):
    """mapwatch_container_lookups_total{result="named"} from the --metrics endpoint (-1: not yet up)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith('mapwatch_container_lookups_total{result="named"}'):
                    return int(float(line.split()[-1]))
    except OSError:
        pass
    return -1


def run_named(rc, cid, ann, ports, n):
    """Run container cid to its end, but let it end only once every mapwatch (their --metrics
    ports) has named n containers: the naming must not depend on how fast mapwatch is."""
    rc.start(cid, ann, hold=True)
    rc.go(cid)
    end = time.time() + 180
    while not all(named_count(p) >= n for p in ports):
        check(time.time() < end, f"{cid}: mapwatch did not name it ({[named_count(p) for p in ports]})")
        time.sleep(0.1)
    rc.go(cid, ".end")
    eq(rc.procs[-1].wait(timeout=120), 0, f"runc run {cid}")


def t_runc_summary_after_exit():
    """-c --summary-by container / pod: containers that ran and were deleted before the summary
    (a 64-hex id, an upper-case one, a name that is no hex at all) each get their own named group
    (before: all merged into 'container none (host)'). Each container ends once mapwatch's
    metrics show it named (the summary itself comes only at the end)."""
    if need_runc():
        return need_runc()
    rc = Runc()
    d = rc.d
    runs = {HEX_A: CRI, HEX_UP: CRIO, "job-42": None}
    ports = [free_port() for _ in range(3)]
    insts = []
    try:
        insts = [Mw(d, "ctr", ["-c", "--summary-by", "container", "--runtime-root", f"runc={rc.root}",
                               "--metrics", f"127.0.0.1:{ports[0]}"]),
                 Mw(d, "pod", ["-c", "--summary-by", "pod", "--runtime-root", f"runc={rc.root}",
                               "--metrics", f"127.0.0.1:{ports[1]}"]),
                 Mw(d, "ctrtab", ["-c", "--summary-by", "container", "--runtime-root", f"runc={rc.root}",
                                  "--metrics", f"127.0.0.1:{ports[2]}"], json_out=False)]
        start_all(insts)
        for n, (cid, ann) in enumerate(runs.items(), 1):
            run_named(rc, cid, ann, ports, n)
            check(not os.path.exists(os.path.join(rc.root, cid)), f"{cid} deleted")
        time.sleep(0.5)
    finally:
        stop_all(insts)
        rc.cleanup()
    rep = [x for x in read_json_lines(insts[0].out) if x["eventName"] == "summary"][-1]
    groups = {g["containerId"]: g for g in rep["groups"]}
    for cid, ann in runs.items():
        check(cid in groups, f"summary group of exited container {cid}: groups {sorted(map(str, groups))}")
        g = groups[cid]
        check(g["calls"] >= 3, f"{cid}: its calls ({g['calls']})")
        eq(g["container"]["runtime"], "runc", f"{cid}: runtime")
        eq(g["container"]["name"], {HEX_A: "web", HEX_UP: "db", "job-42": ""}[cid], f"{cid}: name")
    pods = {(g["kubernetes"] or {}).get("podName"): g for g in
            [x for x in read_json_lines(insts[1].out) if x["eventName"] == "summary"][-1]["groups"]}
    for pod, ns in (("web-7f9c-x2", "shop"), ("db-0", "data")):
        check(pod in pods, f"pod group {pod}: {sorted(map(str, pods))}")
        eq(pods[pod]["kubernetes"]["podNamespace"], ns, f"{pod}: namespace")
    table = open(insts[2].out).read()
    check(f"container web id {HEX_A} image docker.io/library/busybox:1.36 pod shop/web-7f9c-x2" in table,
          f"the table names the exited container: {table[:600]!r}")
    check("container job-42\n" in table, "the table names job-42")


def t_runc_filters():
    """--container by name, image, id prefix (upper-case ids too), ids that are not hex,
    'all' and 'none'; --pod; --k8s-namespace: each selects exactly its containers' calls, and
    the kernel drops the rest once the cgroup is judged."""
    if need_runc():
        return need_runc()
    rc = Runc()
    d = rc.d
    runs = {"web-" + HEX_A[:6]: CRI, HEX_UP: CRIO, "job-42": None}
    root = f"runc={rc.root}"
    cases = [
        (["--container", "all"], set(runs)),
        (["--container", "none"], set()),
        (["--container", "web"], {"web-" + HEX_A[:6]}),
        (["--container", "busybox"], {"web-" + HEX_A[:6]}),          # the image, without registry and tag
        (["--container", "c0ffee"], {HEX_UP}),                        # an id prefix, either case
        (["--container", "job-42"], {"job-42"}),                      # an id that is no hex
        (["--container", "!db,job-42"], {"web-" + HEX_A[:6]}),
        (["--pod", "db-0"], {HEX_UP}),
        (["--k8s-namespace", "shop"], {"web-" + HEX_A[:6]}),
        (["--k8s-namespace", "shop", "--container", "db"], set()),
    ]
    ports = [free_port() for _ in cases]
    insts = []
    try:
        insts = [Mw(d, f"f{n}", ["--runtime-root", root, "--metrics", f"127.0.0.1:{ports[n]}", *args])
                 for n, (args, _) in enumerate(cases)]
        start_all(insts)
        for n, (cid, ann) in enumerate(runs.items(), 1):
            run_named(rc, cid, ann, ports, n)
        time.sleep(0.5)
    finally:
        stop_all(insts)
        rc.cleanup()
    failures = []
    for m, (args, want) in zip(insts, cases):
        evs = m.events()
        got = set(by_id(evs))
        if got != want:
            failures.append(f"{args}: containers {sorted(got)}, want {sorted(want)}")
        negated = args[1] == "none" or args[1].startswith("!")  # the host is not a container named there
        if not negated and any(e["containerId"] == "" for e in evs):
            failures.append(f"{args}: host events passed")
        st = m.stats()
        if not st or st["filteredInKernel"] == 0:
            failures.append(f"{args}: nothing filtered in the kernel ({st})")
    check(not failures, "; ".join(failures))


def t_runc_gone_before_lookup():
    """A container that ran and was deleted while mapwatch was not reading (stopped): its events,
    admitted by --container all, still carry its id (the kernel kept it), counted as gone
    (before: containerId "")."""
    if need_runc():
        return need_runc()
    rc = Runc()
    m = None
    try:
        m = Mw(rc.d, "all", ["--container", "all", "--runtime-root", f"runc={rc.root}"])
        m.wait_attached()
        m.p.send_signal(signal.SIGSTOP)
        rc.run(HEX_A, CRI)
        m.p.send_signal(signal.SIGCONT)
        time.sleep(1)
    finally:
        if m:
            m.stop()
        rc.cleanup()
    got = by_id(m.events())
    eq(sorted(got), [HEX_A], "containers seen")
    st = m.stats()
    check(st["containers"]["gone"] >= 1, f"the gone cgroup counted: {st['containers']}")


def t_conmon_scope():
    """A process in podman's libpod-conmon-<id>.scope is the monitor on the host, not the
    container: no containerId, and --container all leaves it out; one in libpod-<id>.scope is."""
    root = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if " - cgroup2 " in line:
                root = line.split()[4]
    if not root:
        return "skip: no cgroup v2 hierarchy mounted"
    d = tmpdir()
    parent = os.path.join(root, f"mapwatch-ctr-{os.getpid()}")
    cgs = {"conmon": os.path.join(parent, f"libpod-conmon-{HEX_A}.scope"),
           "ctr": os.path.join(parent, f"libpod-{HEX_A}.scope")}
    for c in cgs.values():
        os.makedirs(c, exist_ok=True)
    prog = ctrprog()
    insts = []
    try:
        insts = [Mw(d, "plain", []), Mw(d, "all", ["--container", "all"])]
        start_all(insts)
        pids = {}
        for k, c in cgs.items():
            p = subprocess.Popen(["sh", "-c", f'echo $$ > {c}/cgroup.procs && exec "$0"', prog])
            eq(p.wait(timeout=60), 0, f"{k} workload")
            pids[k] = p.pid
        time.sleep(0.5)
    finally:
        stop_all(insts)
        for c in cgs.values():
            os.rmdir(c)
        os.rmdir(parent)
    plain = of_prog(insts[0].events())
    conmon = [e for e in plain if e["hostProcessId"] == pids["conmon"]]
    ctr = [e for e in plain if e["hostProcessId"] == pids["ctr"]]
    check(conmon and ctr, "both workloads seen")
    check(all(e["containerId"] == "" for e in conmon), "conmon's scope names no container")
    check(all(e["containerId"] == HEX_A for e in ctr), "the container's scope names it")
    alls = of_prog(insts[1].events())
    eq(sorted({e["hostProcessId"] for e in alls}), [pids["ctr"]], "--container all: the container only")


def t_bad_state_files():
    """State files malformed, truncated, huge, or removed while containers run: events keep flowing
    with the id the cgroup holds, each failure counted."""
    if need_runc():
        return need_runc()
    rc = Runc()
    ids = ["b1" * 32, "b2" * 32, "b3" * 32]
    saved = {}
    m = None
    try:
        for cid in ids:
            rc.start(cid, CRI, hold=True)
            rc.running(cid)
            st = os.path.join(rc.root, cid, "state.json")
            saved[cid] = open(st, "rb").read()
        with open(os.path.join(rc.root, ids[0], "state.json"), "wb") as f:
            f.write(saved[ids[0]][:len(saved[ids[0]]) // 2])           # truncated
        with open(os.path.join(rc.root, ids[1], "state.json"), "wb") as f:
            f.write(saved[ids[1]] + b" " * (17 << 20))                  # huge (over 16 MiB)
        os.rename(os.path.join(rc.root, ids[2], "state.json"), os.path.join(rc.d, "moved.json"))  # removed
        m = Mw(rc.d, "all", ["--runtime-root", f"runc={rc.root}"])
        m.wait_attached()
        for cid in ids:
            rc.go(cid)
        # mapwatch looks each container up at its first event: wait for them all
        end = time.time() + 120
        while not all(cid in open(m.out).read() for cid in ids):
            check(time.time() < end, "the containers' events did not come")
            time.sleep(0.1)
        # runc needs its state back to end the containers
        for cid in ids[:2]:
            with open(os.path.join(rc.root, cid, "state.json"), "wb") as f:
                f.write(saved[cid])
        os.rename(os.path.join(rc.d, "moved.json"), os.path.join(rc.root, ids[2], "state.json"))
        for cid in ids:
            rc.go(cid, ".end")
        rc.wait_all()
        time.sleep(0.5)
    finally:
        if m:
            m.stop()
        rc.cleanup()
    got = by_id(m.events())
    for cid in ids:
        check(cid in got, f"{cid}: events still written ({sorted(got)})")
        check(all(e["container"]["name"] == "" for e in got[cid]), f"{cid}: no name from a bad state")
    st = m.stats()["containers"]
    check(st["stateErrors"] >= 2, f"bad state files counted: {st}")
    check(st["unresolved"] >= 3, f"containers left unnamed counted: {st}")


def t_cache_and_rss_flat():
    """200 short-lived runc containers with --container-cache 50: the cache stays at 50 entries
    (the rest evicted) and mapwatch's memory stays flat."""
    if need_runc():
        return need_runc()
    rc = Runc()
    m = None
    n = int(os.environ.get("MW_CTR_LOOP", "200"))

    def rss():
        with open(f"/proc/{m.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0
    try:
        # under ASan, freed memory waits in a quarantine (RSS grows by design): none here
        m = Mw(rc.d, "loop", ["--container", "all", "--container-cache", "50", "--runtime-root", f"runc={rc.root}"],
               env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"})
        m.wait_attached()
        for i in range(n):
            rc.run("%064x" % (0xabc000 + i), CRI if i % 2 else None)
            if i == n // 4:
                time.sleep(0.5)
                rss_early = rss()
        time.sleep(0.5)
        rss_end = rss()
    finally:
        if m:
            m.stop()
        rc.cleanup()
    st = m.stats()["containers"]
    got = by_id(m.events())
    check(len(got) >= n * 9 // 10, f"containers seen: {len(got)} of {n}")
    check(st["cacheEntries"] <= 50, f"cache entries: {st}")
    check(st["evictions"] >= n - 50, f"evictions: {st}")
    grow = rss_end - rss_early
    print(f"  {n} containers: RSS {rss_early} KiB after {n // 4 + 1}, {rss_end} KiB at the end; "
          f"lookups {st['lookups']}, mean {st['lookupUsMean']} us, longest {st['lookupUsMax']} us", flush=True)
    check(grow < 4096, f"RSS grew {grow} KiB over {n - n // 4} containers")


class Podman:
    def __init__(self):
        self.d = tmpdir()
        self.root = os.path.join(self.d, "storage")
        self.runroot = os.path.join(self.d, "run")
        self.base = [PODMAN, "--root", self.root, "--runroot", self.runroot, "--storage-driver", "vfs",
                     "--cgroup-manager", "cgroupfs"]
        rootfs = os.path.join(self.d, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        os.makedirs(os.path.join(rootfs, "go"))
        shutil.copy(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        shutil.copy(ctrprog(), os.path.join(rootfs, "bin", "ctrprog"))
        tar = os.path.join(self.d, "rootfs.tar")
        subprocess.run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
        r = subprocess.run(self.base + ["import", tar, "localhost/mwtest:1"], capture_output=True, text=True,
                           timeout=300)
        eq(r.returncode, 0, f"podman import ({r.stderr.strip()[-300:]})")
        self.procs = []

    def run(self, name, args, wait=True):
        # the limits runc would otherwise raise need CAP_SYS_RESOURCE
        cmd = self.base + ["run", "--rm", "--name", name, "--network", "none", "--ulimit", "nofile=1024:1024",
                           "--ulimit", "nproc=1024:1024", "-v", f"{self.d}/go:/go", "localhost/mwtest:1", *args]
        log = open(os.path.join(self.d, f"podman-{name}.log"), "w")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.procs.append(p)
        if wait:
            eq(p.wait(timeout=300), 0, f"podman run {name} ({open(log.name).read()[-300:]})")
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run(self.base + ["rm", "--all", "--force"], capture_output=True, timeout=300)
        subprocess.run(self.base + ["system", "reset", "--force"], capture_output=True, timeout=300)


def t_podman():
    """podman run --rm, one container started before mapwatch and one after: each event names the
    container, its image and digest; the summary after they were removed names both."""
    if not PODMAN:
        return "skip: podman is not installed (apt-get install podman)"
    pm = Podman()
    os.makedirs(os.path.join(pm.d, "go"), exist_ok=True)
    insts = []
    try:
        pre = pm.run("mw-before", ["/bin/ctrprog", "/go/before"], wait=False)
        end = time.time() + 300
        while "mw-before" not in subprocess.run(pm.base + ["ps", "--format", "{{.Names}}"], capture_output=True,
                                                text=True).stdout:
            check(pre.poll() is None and time.time() < end, "podman container mw-before did not start")
            time.sleep(0.2)
        root = f"podman={pm.root}"
        insts = [Mw(pm.d, "ev", ["--alerts", "--runtime-root", root]),
                 Mw(pm.d, "sum", ["-c", "--summary-by", "container", "--runtime-root", root])]
        start_all(insts)
        open(os.path.join(pm.d, "go", "before"), "w").close()
        eq(pre.wait(timeout=300), 0, "podman run mw-before")
        pm.run("mw-after", ["/bin/ctrprog"])
        time.sleep(0.5)
    finally:
        stop_all(insts)
        pm.cleanup()
    evs = of_prog(insts[0].events())
    names = {e["container"]["name"] for e in evs}
    eq(names, {"mw-before", "mw-after"}, "container names on the events")
    for e in evs:
        eq(e["container"]["image"], "localhost/mwtest:1", "image")
        eq(e["container"]["runtime"], "podman", "runtime")
        check(e["container"]["imageDigest"].startswith("sha256:"), f"imageDigest {e['container']['imageDigest']!r}")
        eq(len(e["containerId"]), 64, "containerId")
    check(any("alert" in e for e in evs), "the W->X alerts carry the container too")
    rep = [x for x in read_json_lines(insts[1].out) if x["eventName"] == "summary"][-1]
    gnames = {(g["container"] or {}).get("name") for g in rep["groups"]}
    check({"mw-before", "mw-after"} <= gnames, f"summary groups after --rm: {gnames}")


def t_bad_options():
    for args, word in ((["--runtime-root", "rkt=/x"], "rkt=/x"), (["--runtime-root", "runc=rel"], "runc=rel"),
                       (["--container-cache", "0"], "'0'"), (["--summary-by", "pods", "-c"], "pods"),
                       (["--container", "all,web"], "web"), (["--pod", "a", "--pod", "!b"], "negated"),
                       (["--k8s-namespace", "x" * 300], "too long")):
        p = subprocess.run([MAPWATCH, *args], capture_output=True, text=True, timeout=20)
        eq(p.returncode, 2, f"{args} exit status")
        eq(len(p.stderr.strip().split("\n")), 1, f"{args}: one line: {p.stderr!r}")
        check(word in p.stderr, f"{args}: the error should point at {word}: {p.stderr!r}")


def main():
    if skipped_without_root():
        return 0
    return run_selected([
        ("containers/bad_options", t_bad_options),
        ("containers/runc_identity", t_runc_identity),
        ("containers/runc_summary_after_exit", t_runc_summary_after_exit),
        ("containers/runc_filters", t_runc_filters),
        ("containers/runc_gone_before_lookup", t_runc_gone_before_lookup),
        ("containers/conmon_scope", t_conmon_scope),
        ("containers/bad_state_files", t_bad_state_files),
        ("containers/podman", t_podman),
        ("containers/cache_and_rss_flat", t_cache_and_rss_flat),
        ("containers/policy_container_keys", t_policy_container_keys),
        ("containers/yara_alert_names_container", t_yara_alert_names_container),
    ])


if __name__ == "__main__":
    sys.exit(main())

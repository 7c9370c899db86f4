"""test_fleet.py - mapwatch as a fleet service: syslog through real rsyslogd relays, Prometheus scraping --metrics, the endpoint under abuse, file rotation, --config, the unit, the man page, the Debian package.

Every server is started here, on loopback, in a temporary directory with its own configuration,
and stopped at the end; no system instance is touched."""
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (MAPWATCH, ROOT, BUILD, Fail, build_prog, check, eq, skipped_without_root, read_json_lines,  # noqa: E402
                 run_selected, stats, tmpdir)

STARTED = []  # (Popen, name): stopped at exit whatever happens


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(p, sig=signal.SIGTERM, timeout=20):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for i, (q, _) in enumerate(STARTED):
        if q is p:
            del STARTED[i]
            break


def stop_all():
    for p, _ in list(STARTED):
        stop(p)


def start(argv, name, **kw):
    p = subprocess.Popen(argv, **kw)
    STARTED.append((p, name))
    return p


# ---- rsyslogd ----

FIELDS = "%syslogseverity%\\t%msgid%\\t%app-name%\\t%hostname%\\t%procid%\\t%structured-data%\\t%msg%\\n"


class Rsyslog:
    """One rsyslogd with its own config, work directory and pid file."""

    def __init__(self, d, name, port, body):
        self.dir = os.path.join(d, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write(f'global(workDirectory="{self.dir}" maxMessageSize="64k")\n'
                    'module(load="imtcp")\n'
                    f'input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="main")\n' + body)
        self.p = None

    def start(self):
        pidf = os.path.join(self.dir, "pid")
        if os.path.exists(pidf):
            os.unlink(pidf)
        self.log = open(os.path.join(self.dir, "stderr"), "a")
        self.p = start(["rsyslogd", "-n", "-f", self.conf, "-i", pidf], "rsyslogd",
                       stdout=self.log, stderr=subprocess.STDOUT)
        check(wait_port(self.port), f"rsyslogd on port {self.port} did not start: {self.stderr()}")

    def stop(self):
        if self.p:
            stop(self.p)
            self.p = None
            self.log.close()

    def stderr(self):
        try:
            with open(os.path.join(self.dir, "stderr")) as f:
                return f.read()[-500:]
        except OSError:
            return ""


def central_and_relay(d):
    cport, rport = free_port(), free_port()
    out = os.path.join(d, "central", "messages")
    central = Rsyslog(d, "central", cport,
                      f'template(name="fields" type="string" string="{FIELDS}")\n'
                      f'ruleset(name="main") {{ action(type="omfile" file="{out}" template="fields") }}\n')
    # the relay forwards as RFC 5424 with octet counting, queueing while central is away
    relay = Rsyslog(d, "relay", rport,
                    'ruleset(name="main") {\n'
                    f'  action(type="omfwd" target="127.0.0.1" port="{cport}" protocol="tcp"\n'
                    '         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"\n'
                    '         queue.type="LinkedList" queue.size="100000" action.resumeRetryCount="-1"\n'
                    '         action.resumeInterval="1")\n'
                    '}\n')
    return central, relay, out


SD_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_central(path):
    """Messages written by the central rsyslogd: dicts of severity, msgid, app, host, procid, sd, msg."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 6)
            if len(parts) != 7:
                continue
            sev, msgid, app, host, procid, sd, msg = parts
            params = {k: re.sub(r'\\(.)', r'\1', v) for k, v in SD_RE.findall(sd)}
            try:
                j = json.loads(msg)
            except json.JSONDecodeError:
                j = None
            out.append({"severity": int(sev), "msgid": msgid, "app": app, "host": host, "procid": procid,
                        "sd": sd, "params": params, "json": j})
    return out


def wait_for(fn, timeout, step=0.2):
    end = time.time() + timeout
    while True:
        r = fn()
        if r or time.time() > end:
            return r
        time.sleep(step)


def stats_of(err):
    """--stats of mapwatch's stderr (the JSON object with --json, the text lines otherwise) as a dict:
    seen, written, lost, rb_full, no_entry, pending_full, filtered, [alerts, suppressed,
    alerts_written, collapsed], outputs{name: {written, dropped, reconnects, rotations, reopens}}."""
    j = stats(err)
    check(j, f"--stats missing: {err[-800:]!r}")
    st = {"seen": j["eventsSeen"], "written": j["eventsWritten"], "lost": j["eventsLost"],
          "rb_full": j["lost"]["ringBufferFull"], "no_entry": j["lost"]["unmatchedExit"],
          "pending_full": j["lost"]["pendingMapFull"], "filtered": j["filteredInKernel"],
          "skipped": j.get("hooks", {}).get("skippedRuns", 0), "outputs": {}}
    if "outputs" in j:  # the JSON object
        if "alerts" in j:
            st.update(alerts=j["alerts"]["raised"], suppressed=j["alerts"]["silencedByAllow"],
                      alerts_written=j["alerts"]["written"], collapsed=j["alerts"]["collapsed"])
        for o in j["outputs"]:
            st["outputs"][o["name"]] = {k: o[k] for k in ("written", "dropped", "reconnects", "rotations", "reopens")}
        return st
    a = re.search(r"alerts raised (\d+)(?:, written (\d+))?, silenced by --allow (\d+)", err)
    if a:
        st["alerts"] = int(a.group(1))
        st["suppressed"] = int(a.group(3))
        if a.group(2) is not None:
            st["alerts_written"] = int(a.group(2))
    c = re.search(r"alerts written in full (\d+), repeats counted in summaries (\d+)", err)
    if c:
        st["collapsed"] = int(c.group(2))
    for o in re.finditer(r"output (\S+): written (\d+), dropped (\d+), reconnects (\d+), rotations (\d+), "
                         r"reopens (\d+)", err):
        st["outputs"][o.group(1)] = dict(zip(["written", "dropped", "reconnects", "rotations", "reopens"],
                                             map(int, o.groups()[1:])))
    return st


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            return f"skip: {t} is not installed (scripts/deps.sh test installs it)"
    return None


def mapwatch_bg(args, d, name="mw"):
    err = open(os.path.join(d, name + ".err"), "w+")
    p = start([MAPWATCH, *args], "mapwatch", stdout=subprocess.DEVNULL, stderr=err, text=True)
    return p, err


def finish_mapwatch(p, err):
    stop(p, signal.SIGINT, timeout=60)
    err.seek(0)
    text = err.read()
    err.close()
    return p.returncode, text


def wait_attached(p, err, timeout=30):
    """mapwatch -v prints 'tracing all processes' once its programs are attached."""
    def ready():
        err.seek(0)
        return "tracing all processes" in err.read() or p.poll() is not None
    wait_for(ready, timeout, 0.1)
    check(p.poll() is None, "mapwatch exited early: " + open(err.name).read()[-500:])


# ---- syslog through two rsyslogd ----

def relay_setup():
    """A scratch folder, the W+X program, a central rsyslogd and a relay in front of it, both
    started; returns (dir, wxloop, central, relay, central's messages, the relay's URL, the
    alerts file)."""
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    central, relay, messages = central_and_relay(d)
    central.start()
    relay.start()
    return d, wx, central, relay, messages, f"tcp://127.0.0.1:{relay.port}", os.path.join(d, "alerts.json")


def t_syslog_relay_central():
    """A W+X program under a host-wide mapwatch: its alert reaches the central rsyslogd through a
    relay, parsed back into the same fields; the relay stops for 5 s while alerts keep coming:
    every alert arrives, or the missing ones are exactly the drops mapwatch reports."""
    s = need("rsyslogd")
    if s:
        return s
    d, wx, central, relay, messages, url, out = relay_setup()
    try:
        # host-wide (no -- COMMAND), scoped to our program by inode (--exe), so that no other
        # program (not even a wxloop of another worktree) can alert
        mw, err = mapwatch_bg(["-v", "--alerts-only", "--json", "--stats", "-o", out, "--exe", wx,
                               "--syslog", url, "--syslog-queue", "64K"], d)
        wait_attached(mw, err)
        # 1. one alert, its fields parsed back at the central server
        one = subprocess.run([wx, "1"], capture_output=True, text=True, check=True)
        got = wait_for(lambda: [m for m in parse_central(messages) if m["msgid"] == "alert"], 15)
        check(got, f"no alert reached the central rsyslogd: relay {relay.stderr()} central {central.stderr()}")
        m = got[0]
        eq(m["app"], "mapwatch", "APP-NAME")
        eq(m["severity"], 2, "severity (crit for a high alert)")
        eq(m["params"].get("kind"), "wx_mapping", "SD kind")
        eq(m["params"].get("severity"), "high", "SD severity")
        eq(m["params"].get("mitre"), "T1055", "SD mitre")
        eq(m["params"].get("comm"), "wxloop", "SD comm")
        eq(m["params"].get("exe"), wx, "SD exe")
        eq(m["procid"], str(mw.pid), "PROCID")
        check(m["json"], f"MSG is not JSON: {m}")
        eq(m["json"]["alert"]["kind"], "wx_mapping", "MSG alert kind")
        eq(str(m["json"]["processId"]), m["params"]["pid"], "SD pid = MSG processId")
        local = wait_for(lambda: os.path.exists(out) and [a for a in read_json_lines(out)
                                                          if a.get("eventName") == "alert"], 5)
        check(local, "the alert is not in the --output stream")
        eq(m["json"], local[0], "the alert at the central server, parsed back, vs the stream's line")
        check(one.stdout.strip() == "1", f"wxloop: {one.stdout!r}")

        # 2. the relay goes away for 5 s while alerts keep coming (1 every 20 ms for ~10 s)
        load = subprocess.Popen([wx, "500", "20"], stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        relay.stop()
        time.sleep(5)
        relay.start()
        made = int(load.communicate(timeout=60)[0])
        eq(made, 500, "W+X mappings made")
        time.sleep(1.5)
    finally:
        rc, text = finish_mapwatch(mw, err) if "mw" in dir() else (None, "")
        relay.stop() if relay.p else None
    try:
        eq(rc, 0, f"mapwatch exit status ({text[-400:]})")
        st = stats_of(text)
        sent = [a for a in read_json_lines(out) if a.get("eventName") == "alert"]
        eq(len(sent), 501, "alerts in the stream")
        eq(st.get("alerts"), 501, "alerts raised (--stats)")
        sink = st["outputs"].get(url)
        check(sink, f"no --stats line for {url}: {text[-600:]}")
        check(sink["reconnects"] >= 1, f"the relay came back but mapwatch reports no reconnect: {sink}")
        want = {a["timestamp"] for a in sent}

        def arrived():
            return {m["json"]["timestamp"] for m in parse_central(messages)
                    if m["msgid"] == "alert" and m["json"]}
        # the relay's queue may still be draining
        wait_for(lambda: len(want - arrived()) <= sink["dropped"], 20)
        missing = want - arrived()
        eq(len(missing), sink["dropped"], f"alerts missing at the central server vs drops mapwatch counted "
                                          f"({sink})")
        if sink["dropped"]:
            notes = [m for m in parse_central(messages) if m["msgid"] == "dropped"]
            check(notes, "records were dropped but no 'dropped' notice reached the central server")
            check(sum(n["json"]["count"] for n in notes) == sink["dropped"],
                  f"dropped notices {[n['json'] for n in notes]} vs {sink['dropped']}")
        print(f"  relay stop: {len(want)} alerts, {sink['dropped']} dropped, {sink['reconnects']} reconnects",
              flush=True)
    finally:
        central.stop()
        shutil.rmtree(d, ignore_errors=True)


def t_syslog_relay_no_loss():
    """With the default queue (8M) the same 5 s relay outage loses nothing: what was queued, and
    what the relay had not acknowledged when it went away, is sent again: every alert arrives."""
    s = need("rsyslogd")
    if s:
        return s
    d, wx, central, relay, messages, url, out = relay_setup()
    try:
        mw, err = mapwatch_bg(["-v", "--alerts-only", "--json", "--stats", "-o", out, "--exe", wx,
                               "--syslog", url], d)
        wait_attached(mw, err)
        load = subprocess.Popen([wx, "300", "20"], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        relay.stop()
        time.sleep(5)
        relay.start()
        eq(int(load.communicate(timeout=60)[0]), 300, "W+X mappings made")
        time.sleep(1.5)
        rc, text = finish_mapwatch(mw, err)
        eq(rc, 0, f"mapwatch exit status ({text[-400:]})")
        st = stats_of(text)
        sink = st["outputs"][url]
        eq(sink["dropped"], 0, "records dropped with room in the queue")
        check(sink["reconnects"] >= 1, f"no reconnect: {sink}")
        want = {a["timestamp"] for a in read_json_lines(out) if a.get("eventName") == "alert"}
        eq(len(want), 300, "alerts in the stream")

        def missing():
            got = {m["json"]["timestamp"] for m in parse_central(messages) if m["msgid"] == "alert" and m["json"]}
            return want - got
        wait_for(lambda: not missing(), 20)
        eq(len(missing()), 0, "alerts that never reached the central rsyslogd")
    finally:
        stop_all()
        relay.stop()
        central.stop()
        shutil.rmtree(d, ignore_errors=True)


def t_syslog_udp_unix_and_queue():
    """udp:// and unix: carry one RFC 5424 datagram per record; with no peer at all, the bounded
    queue overflows into the drop count, and mapwatch still exits on time."""
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    # the readers give up after a minute without a datagram: long enough for an ASan build's
    # start on a loaded machine (5 s was not), and they stop at the 20th anyway
    u.settimeout(60)
    upath = os.path.join(d, "log.sock")
    x = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    x.bind(upath)
    x.settimeout(60)
    dead = f"tcp://127.0.0.1:{free_port()}"
    try:
        msgs = [[], []]

        def reader(s, got):
            try:
                while len(got) < 20:
                    got.append(s.recv(70000).decode())
            except OSError:
                pass
        readers = [threading.Thread(target=reader, args=(s, g)) for s, g in zip((u, x), msgs)]
        for th in readers:
            th.start()
        r = subprocess.run([MAPWATCH, "--alerts-only", "--stats", "-o", "/dev/null",
                            "--syslog", f"udp://127.0.0.1:{u.getsockname()[1]}",
                            "--syslog", f"unix:{upath}", "--", wx, "20"], capture_output=True, text=True, timeout=60)
        for th in readers:
            th.join()
        eq(r.returncode, 0, f"exit status ({r.stderr[-300:]})")
        for got, what in zip(msgs, ("udp", "unix")):
            eq(len(got), 20, f"{what} datagrams")
            check(all(re.match(r"<26>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ mapwatch \d+ alert \[mapwatch@32473 ", g)
                      for g in got), f"{what}: not RFC 5424: {got[0][:200]!r}")
            check(all(json.loads(g.split("] ", 1)[1])["alert"]["kind"] == "wx_mapping" for g in got),
                  f"{what}: MSG is not the alert's JSON")
        t0 = time.time()
        r = subprocess.run([MAPWATCH, "--alerts-only", "--stats", "-o", "/dev/null", "--syslog", dead,
                            "--syslog-queue", "4K", "--", wx, "20"], capture_output=True, text=True, timeout=60)
        eq(r.returncode, 0, f"exit status with a dead peer ({r.stderr[-300:]})")
        check(time.time() - t0 < 15, "a dead syslog peer held mapwatch up at exit")
        st = stats_of(r.stderr)
        q = st["outputs"][dead]
        eq(q["dropped"] + q["written"], 20, "every record to the dead peer is counted")
        eq(q["written"], 0, "records written to a peer that never listened")
        # a peer that accepts and never reads: its queue fills and overflows, the stream loses nothing
        stuck = socket.socket()
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(1)
        url = f"tcp://127.0.0.1:{stuck.getsockname()[1]}"
        out = os.path.join(d, "ev.json")
        t0 = time.time()
        r = subprocess.run([MAPWATCH, "--json", "--stats", "-o", out, "--syslog", url, "--syslog-events", "info",
                            "--syslog-queue", "64K", "--", wx, "3000"], capture_output=True, text=True, timeout=120)
        stuck.close()
        eq(r.returncode, 0, f"exit status with a peer that never reads ({r.stderr[-300:]})")
        check(time.time() - t0 < 30, "a peer that never reads held mapwatch up")
        st = stats_of(r.stderr)
        eq(st["lost"], 0, "events lost in the kernel while the syslog peer was stuck")
        eq(len(read_json_lines(out)), st["written"] + st["alerts"] if "alerts" in st else st["written"],
           "the stream has every event")
        q = st["outputs"][url]
        check(q["dropped"] > 0, f"a stuck peer with a 64K queue dropped nothing: {q}")
        eq(q["written"] + q["dropped"], st["written"], "every event offered to syslog is written or counted as dropped")
    finally:
        u.close()
        x.close()
        shutil.rmtree(d, ignore_errors=True)


# ---- Prometheus ----

def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=5) as r:
        j = json.load(r)
    return {tuple(sorted((k, v) for k, v in s["metric"].items() if k not in ("instance", "job"))): float(s["value"][1])
            for s in j["data"]["result"]}


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.status, r.read().decode()


def t_prometheus_scrape():
    """A real Prometheus scrapes --metrics during a workload; what it stored at the end equals
    --stats, and promtool accepts the exposition."""
    s = need("prometheus", "promtool")
    if s:
        return s
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    mport, pport = free_port(), free_port()
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                f"scrape_configs:\n  - job_name: mapwatch\n    static_configs:\n      - targets: ['127.0.0.1:{mport}']\n")
    plog = open(os.path.join(d, "prometheus.log"), "w")
    prom = start(["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/data",
                  f"--web.listen-address=127.0.0.1:{pport}", "--log.level=warn"], "prometheus",
                 stdout=plog, stderr=subprocess.STDOUT)
    try:
        check(wait_port(pport, 30), "prometheus did not start: " + open(plog.name).read()[-500:])
        mw, err = mapwatch_bg(["-v", "--alerts", "--stats", "-o", os.path.join(d, "ev.txt"), "--exe", wx,
                               "--metrics", f"127.0.0.1:{mport}"], d)
        wait_attached(mw, err)
        status, text = scrape(mport)
        eq(status, 200, "GET /metrics")
        pc = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        eq(pc.returncode, 0, f"promtool check metrics: {pc.stdout}{pc.stderr}")
        subprocess.run([wx, "300", "5"], check=True, capture_output=True)
        # counters are still now: let Prometheus take two more scrapes
        def scraped():
            try:
                v = prom_query(pport, "mapwatch_events_written_total")
            except OSError:
                return False
            return v and list(v.values())[0] > 0
        check(wait_for(scraped, 20), "Prometheus stored no mapwatch_events_written_total")
        time.sleep(3)
        q = {name: prom_query(pport, name) for name in
             ("mapwatch_events_seen_total", "mapwatch_events_written_total", "mapwatch_events_total",
              "mapwatch_events_lost_total", "mapwatch_alerts_total", "mapwatch_events_filtered_total",
              "mapwatch_sink_records_total", "mapwatch_bpf_runs_skipped_total")}
        rc, text = finish_mapwatch(mw, err)
        eq(rc, 0, "mapwatch exit status")
        st = stats_of(text)
        one = lambda name: list(q[name].values())[0]  # noqa: E731
        eq(int(one("mapwatch_events_seen_total")), st["seen"], "seen: Prometheus vs --stats")
        eq(int(one("mapwatch_events_written_total")), st["written"], "written: Prometheus vs --stats")
        eq(int(sum(q["mapwatch_events_total"].values())), st["written"], "events by name: sum vs written")
        check(q["mapwatch_events_total"][(("__name__", "mapwatch_events_total"), ("event", "mmap"))] >= 300,
              f"mmap events: {q['mapwatch_events_total']}")
        lost = {dict(k)["reason"]: int(v) for k, v in q["mapwatch_events_lost_total"].items()}
        eq(lost.get("ring_buffer_full"), st["rb_full"], "lost (ring buffer full)")
        eq(lost.get("unmatched_exit"), st["no_entry"], "lost (unmatched exit)")
        eq(lost.get("pending_map_full"), st["pending_full"], "lost (pending map full)")
        eq(int(one("mapwatch_bpf_runs_skipped_total")), st["skipped"], "program runs skipped: Prometheus vs --stats")
        eq(int(sum(q["mapwatch_alerts_total"].values())), st["alerts"], "alerts: Prometheus vs --stats")
        wxa = q["mapwatch_alerts_total"][(("__name__", "mapwatch_alerts_total"), ("kind", "wx_mapping"),
                                           ("severity", "high"))]
        eq(int(wxa), 300, "wx_mapping high alerts")
        # filtered keeps counting other processes between the last scrape and the exit
        check(int(one("mapwatch_events_filtered_total")) <= st["filtered"], "filtered: scraped more than --stats")
        rec = list(q["mapwatch_sink_records_total"].values())[0]
        eq(int(rec), st["outputs"][os.path.join(d, "ev.txt")]["written"], "records written to the stream")
    finally:
        stop(prom)
        plog.close()
        stop_all()
        shutil.rmtree(d, ignore_errors=True)


def t_bpf_run_time():
    """With kernel.bpf_stats_enabled on, --metrics reports each BPF program's run count and time
    (the setting is restored at once)."""
    knob = "/proc/sys/kernel/bpf_stats_enabled"
    if not os.path.exists(knob):
        return "skip: this kernel has no kernel.bpf_stats_enabled"
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    port = free_port()
    mw, err = mapwatch_bg(["-v", "--alerts", "-o", "/dev/null", "--exe", wx, "--metrics", str(port)], d)
    with open(knob) as f:
        before = f.read().strip()
    try:
        wait_attached(mw, err)
        _, off = scrape(port)
        if before == "0":
            check("mapwatch_bpf_stats_enabled 0" in off and "mapwatch_bpf_program_runs_total" not in off,
                  "run time reported while kernel.bpf_stats_enabled is 0")
        with open(knob, "w") as f:
            f.write("1")
        subprocess.run([wx, "50"], check=True, capture_output=True)
        _, text = scrape(port)
    finally:
        with open(knob, "w") as f:
            f.write(before)
        finish_mapwatch(mw, err)
        shutil.rmtree(d, ignore_errors=True)
    check("mapwatch_bpf_stats_enabled 1" in text, "mapwatch_bpf_stats_enabled")
    runs = {m.group(1): int(m.group(2)) for m in
            re.finditer(r'mapwatch_bpf_program_runs_total\{program="([^"]+)"\} (\d+)', text)}
    secs = {m.group(1): float(m.group(2)) for m in
            re.finditer(r'mapwatch_bpf_program_run_seconds_total\{program="([^"]+)"\} ([0-9.e+-]+)', text)}
    check(runs and set(runs) == set(secs), f"program metrics: {sorted(runs)} vs {sorted(secs)}")
    busy = [p for p, n in runs.items() if n >= 50 and secs[p] > 0]
    check(busy, f"no program ran 50 times with run time > 0: {runs}")
    pc = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True) \
        if shutil.which("promtool") else None
    check(pc is None or pc.returncode == 0, f"promtool: {pc and pc.stdout + pc.stderr}")


# ---- the endpoint under abuse ----

def raw(port, data, read=True, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if data:
            s.sendall(data)
        if not read:
            return s
        buf = b""
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            buf += c
        return buf
    finally:
        if read:
            s.close()


def t_metrics_abuse():
    """Malformed, oversized, wrong-path requests, slowloris, 1,000 connections at once: each gets a
    one-line refusal or is closed; mapwatch keeps tracing, loses no event, and answers the next scrape."""
    d = tmpdir()
    mp = build_prog("mmapcalls.c", "mmapcalls")
    wx = build_prog("wxloop.c", "wxloop")
    port = free_port()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    out = os.path.join(d, "ev.json")
    mw, err = mapwatch_bg(["-v", "--json", "--stats", "-o", out, "--exe", wx, "--metrics", str(port)], d)
    held = []
    try:
        wait_attached(mw, err)
        load = subprocess.Popen([wx, "4000", "1"], stdout=subprocess.PIPE, text=True)
        cases = [
            (b"BLAH\r\n\r\n", b"HTTP/1.1 400 "),
            (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 404 "),
            (b"GET /metrics/../etc/passwd HTTP/1.1\r\n\r\n", b"HTTP/1.1 404 "),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"HTTP/1.1 405 "),
            (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n", b"HTTP/1.1 431 "),
            (b"\x00\xff\r\n\r\n", b"HTTP/1.1 400 "),
        ]
        for req, want in cases:
            got = raw(port, req)
            check(got.startswith(want), f"{req[:40]!r}: got {got[:80]!r}, want {want!r}")
            body = got.split(b"\r\n\r\n", 1)[1]
            eq(body.count(b"\n"), 1, f"refusal of {req[:30]!r} is one line: {body!r}")
        # slowloris: one byte a second never completes a request within 2 s
        sl = raw(port, b"G", read=False)
        t0 = time.time()
        reply = b""
        try:
            for ch in b"ET /metrics HTTP/1.1\r\n":
                sl.send(bytes([ch]))
                time.sleep(0.3)
                r = sl.recv(4096, socket.MSG_DONTWAIT) if False else b""
        except OSError:
            pass
        try:
            sl.settimeout(5)
            reply = sl.recv(4096)
        except OSError:
            pass
        sl.close()
        check(time.time() - t0 < 10, "slowloris held the connection too long")
        check(reply == b"" or reply.startswith(b"HTTP/1.1 408 "), f"slowloris got {reply[:60]!r}")
        # 1,000 connections at once, held open and silent
        for _ in range(1000):
            try:
                held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError as e:
                raise Fail(f"connection {len(held)} refused: {e}")
        time.sleep(3)  # they time out (2 s) or were refused at once
        for s in held:
            s.close()
        held = []
        status, text = scrape(port)
        eq(status, 200, "the next good scrape")
        check("mapwatch_events_total" in text, "scrape body")
        made = int(load.communicate(timeout=120)[0])
        time.sleep(0.5)
        status, text = scrape(port)
        m = re.search(r'mapwatch_metrics_requests_total\{answer="refused"\} (\d+)', text)
        check(m and int(m.group(1)) >= len(cases) + 1, f"refusals counted: {m and m.group(0)}")
    finally:
        for s in held:
            s.close()
        rc, text = finish_mapwatch(mw, err)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    eq(rc, 0, f"mapwatch exit status ({text[-300:]})")
    st = stats_of(text)
    eq(st["lost"], 0, "events lost during the abuse")
    evs = read_json_lines(out)
    mine = [e for e in evs if e.get("eventName") == "mmap" and e.get("processName") == "wxloop"
            and e["args"][2]["value"] in ("PROT_READ|PROT_WRITE|PROT_EXEC", 7)]
    eq(len(mine), made, "W+X mmaps of the load in the stream (tracing went on)")
    shutil.rmtree(d, ignore_errors=True)


# ---- alert collapsing ----

def t_alert_rate():
    """--alert-rate: the first alert of a process and region in full, the repeats as one count per
    interval; full + counted = raised, in the stream and through syslog; another region or process
    is reported in full."""
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    out = os.path.join(d, "a.json")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(3)
    got = []

    def reader():
        try:
            while True:
                got.append(u.recv(70000).decode())
        except OSError:
            pass
    th = threading.Thread(target=reader)
    th.start()
    try:
        # 300 W+X mappings over ~3 s, each unmapped before the next: the same address every time
        r = subprocess.run([MAPWATCH, "--alerts-only", "--json", "--stats", "--alert-rate", "1", "-o", out,
                            "--syslog", f"udp://127.0.0.1:{u.getsockname()[1]}", "--",
                            "sh", "-c", '"$1" 300 10; "$1" 1', "sh", wx], capture_output=True, text=True, timeout=120)
        th.join()
    finally:
        u.close()
    eq(r.returncode, 0, f"exit status ({r.stderr[-300:]})")
    lines = read_json_lines(out)
    full = [a for a in lines if a.get("eventName") == "alert"]
    reps = [a for a in lines if a.get("eventName") == "alert_repeats"]
    st = stats_of(r.stderr)
    eq(st["alerts"], 301, "alerts raised")
    by_pid = {}
    for a in full:
        by_pid.setdefault(a["processId"], []).append(a)
    eq(len(by_pid), 2, "two processes alerted")
    check(all(p["alert"]["kind"] == "wx_mapping" and p["count"] >= 1 for p in reps), f"summaries: {reps[:2]}")
    check(len(reps) >= 2, f"a 3 s run with a 1 s rate gave {len(reps)} summaries")
    eq(len(full) + sum(p["count"] for p in reps), 301, "alerts in full + repeats counted")
    check(len(full) < 50, f"{len(full)} alerts in full: repeats were not collapsed")
    eq(st.get("alerts_written"), len(full), "--stats: alerts written")
    eq(st.get("collapsed"), sum(p["count"] for p in reps), "--stats: repeats collapsed")
    sl_full = [g for g in got if " alert [" in g]
    sl_reps = [json.loads(g.split(" - ", 1)[1]) for g in got if " notice - " in g]
    eq(len(sl_full), len(full), "alerts in full through syslog")
    eq(sum(p["count"] for p in sl_reps), sum(p["count"] for p in reps), "repeats counted through syslog")
    shutil.rmtree(d, ignore_errors=True)


# ---- rotation ----

def t_rotation():
    """--rotate-size/--rotate-keep: files never pass the size, at most KEEP old ones, no line lost or cut."""
    d = tmpdir()
    wx = build_prog("wxloop.c", "wxloop")
    out = os.path.join(d, "ev.txt")
    r = subprocess.run([MAPWATCH, "--stats", "-o", out, "--rotate-size", "16K", "--rotate-keep", "3", "--",
                        wx, "2000"], capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, f"exit status ({r.stderr[-300:]})")
    files = sorted(os.listdir(d))
    eq(files, ["ev.txt", "ev.txt.1", "ev.txt.2", "ev.txt.3"], "files after rotation")
    for f in files:
        sz = os.path.getsize(os.path.join(d, f))
        check(sz <= 16384, f"{f} is {sz} bytes, over --rotate-size 16K")
        with open(os.path.join(d, f)) as fh:
            lines = fh.read().split("\n")
        eq(lines[-1], "", f"{f} ends with a whole line")
        check(all(re.match(r"\d\d:\d\d:\d\d\.\d{6} ", ln) for ln in lines[:-1]), f"{f}: a cut line")
    st = stats_of(r.stderr)
    check(st["outputs"][out]["rotations"] >= 3, f"rotations: {st['outputs'][out]}")
    shutil.rmtree(d, ignore_errors=True)


# ---- --config ----

# (config lines, the same options on the command line): each pair must behave the same
CONFIG_SAME = [
    (["json"], ["--json"]),
    (["events = mprotect,msync"], ["--events", "mprotect,msync"]),
    (["events = mmap", "events = munmap"], ["--events", "mmap", "--events", "munmap"]),
    (["--alerts"], ["--alerts"]),
    (["alerts-only", "json"], ["--alerts-only", "--json"]),
    (["prot-any = W"], ["--prot-any", "W"]),
    (["fd-kind = anon"], ["--fd-kind", "anon"]),
    (["failed"], ["--failed"]),
    (["min-length = 64K"], ["--min-length", "64K"]),
    (["  flags-any   =   MAP_ANONYMOUS  "], ["--flags-any", "MAP_ANONYMOUS"]),
    (['comm = "mmapcalls"'], ["--comm", "mmapcalls"]),
    (["errno = EINVAL,EBADF"], ["--errno", "EINVAL,EBADF"]),
    (["buffer-size = 64K", "flush-ms = 10", "hook = raw", "compat = auto"],
     ["--buffer-size", "64K", "--flush-ms", "10", "--hook", "raw", "--compat", "auto"]),
]

# (config lines, the command line equivalent that fails the same way; None: a config-only error)
CONFIG_BAD = [
    (["nosuch = 1"], ["--nosuch", "1"]),
    (["buffer-size = 3"], ["--buffer-size", "3"]),
    (["events = mmap,bogus"], ["--events", "mmap,bogus"]),
    (["hook = sideways"], ["--hook", "sideways"]),
    (["json = yes"], ["--json=yes"]),
    (["output"], ["--output"]),
    (["syslog = ftp://x"], ["--syslog", "ftp://x"]),
    (["metrics = 127.0.0.1:notaport"], ["--metrics", "127.0.0.1:notaport"]),
    (["= 3"], None),
    (["config = /etc/other"], None),
    (['comm = "unterminated'], None),
    (["help"], None),
]


def mw_json_events(args):
    mp = build_prog("mmapcalls.c", "mmapcalls")
    d = tmpdir()
    out = os.path.join(d, "o.json")
    wx = build_prog("wxloop.c", "wxloop")
    r = subprocess.run([MAPWATCH, "--json", "-o", out, *args, "--", "sh", "-c", '"$1" "$2" "$3" && "$4" 2',
                        "sh", mp, os.path.join(d, "log"), d, wx], capture_output=True, text=True, timeout=60)
    evs = read_json_lines(out) if os.path.exists(out) else []
    shutil.rmtree(d, ignore_errors=True)
    # what must match: the calls and their results, not the times or addresses of a run
    shape = sorted((e.get("eventName"), e.get("syscall"), e.get("alert", {}).get("kind"),
                    tuple(a["name"] for a in e.get("args", [])), e.get("returnValue", 0) < 0) for e in evs)
    return r.returncode, shape


def t_config_table():
    """Every option line through --config behaves as the same option on the command line; the
    command line overrides the file; bad lines fail with FILE:LINE and the same reason."""
    d = tmpdir()
    conf = os.path.join(d, "mapwatch.conf")
    for lines, cli in CONFIG_SAME:
        with open(conf, "w") as f:
            f.write("# a comment\n\n" + "\n".join(lines) + "\n")
        a = mw_json_events(["--config", conf])
        b = mw_json_events(cli)
        eq(a[0], b[0], f"{lines}: exit status through --config vs {cli}")
        check(a[1] == b[1] and a[1], f"{lines}: events through --config differ from {cli} "
                                     f"({len(a[1])} vs {len(b[1])})")
    for lines, cli in CONFIG_BAD:
        with open(conf, "w") as f:
            f.write("# header\njson\n" + "\n".join(lines) + "\n")
        r = subprocess.run([MAPWATCH, "--config", conf, "--", "true"], capture_output=True, text=True)
        eq(r.returncode, 2, f"{lines}: exit status")
        errl = r.stderr.strip().split("\n")
        eq(len(errl), 1, f"{lines}: one line of error: {r.stderr!r}")
        check(errl[0].startswith(f"mapwatch: {conf}:3: "), f"{lines}: error does not name the file and line: "
                                                           f"{errl[0]!r}")
        if cli:
            c = subprocess.run([MAPWATCH, *cli], capture_output=True, text=True)
            eq(c.returncode, 2, f"{cli}: exit status")
            norm = lambda t: t.strip().replace("mapwatch: ", "").replace(" (try 'mapwatch --help')", "") \
                .replace("--", "")  # noqa: E731
            eq(norm(errl[0].split(":3: ", 1)[1]), norm(c.stderr), f"{lines}: the reason through --config vs {cli}")
    # a missing file
    r = subprocess.run([MAPWATCH, "--config", os.path.join(d, "none.conf"), "--", "true"], capture_output=True,
                       text=True)
    eq(r.returncode, 2, "missing config file: exit status")
    check("none.conf" in r.stderr and len(r.stderr.strip().split("\n")) == 1, f"missing file: {r.stderr!r}")
    # the command line overrides the file
    with open(conf, "w") as f:
        f.write("events = munmap\noutput = /nonexistent/dir/x\n")
    rc, shape = mw_json_events(["--config", conf, "--events", "mprotect"])
    eq(rc, 0, "exit status with -o and --events overriding the file")
    check(shape and {s[0] for s in shape} == {"mprotect"}, f"--events on the command line did not win: "
                                                          f"{ {s[0] for s in shape} }")
    shutil.rmtree(d, ignore_errors=True)


# ---- install, unit, man page, package ----

def make(*args, **kw):
    return subprocess.run(["make", "-s", "-C", ROOT, *args], capture_output=True, text=True, timeout=600, **kw)


def t_install_and_unit():
    """make install honours PREFIX and DESTDIR; systemd-analyze verify accepts the unit."""
    d = tmpdir()
    r = make("install", f"DESTDIR={d}/root", "PREFIX=/usr")
    eq(r.returncode, 0, f"make install DESTDIR: {r.stderr[-500:]}")
    for p in ("usr/sbin/mapwatch", "usr/share/man/man8/mapwatch.8.gz", "etc/mapwatch/mapwatch.conf",
              "lib/systemd/system/mapwatch.service", "usr/share/bash-completion/completions/mapwatch"):
        check(os.path.exists(os.path.join(d, "root", p)), f"make install: {p} missing")
    with open(os.path.join(d, "root/lib/systemd/system/mapwatch.service")) as f:
        unit = f.read()
    check("ExecStart=/usr/sbin/mapwatch --config /etc/mapwatch/mapwatch.conf" in unit, "unit ExecStart")
    s = need("systemd-analyze")
    if s:
        return s
    # installed under a prefix that exists here, so that verify finds the binary
    pre = os.path.join(d, "pre")
    r = make("install", f"PREFIX={pre}", f"SYSCONFDIR={pre}/etc", f"UNITDIR={pre}/lib/systemd/system")
    eq(r.returncode, 0, f"make install PREFIX: {r.stderr[-500:]}")
    check(os.access(os.path.join(pre, "sbin/mapwatch"), os.X_OK), "PREFIX/sbin/mapwatch")
    # Documentation=man:mapwatch(8) is checked too: the page installed under PREFIX
    v = subprocess.run(["systemd-analyze", "verify", os.path.join(pre, "lib/systemd/system/mapwatch.service")],
                       capture_output=True, text=True, env={**os.environ, "MANPATH": os.path.join(pre, "share/man")})
    noise = [ln for ln in (v.stdout + v.stderr).splitlines() if "mapwatch.service" in ln]
    eq(v.returncode, 0, f"systemd-analyze verify: {v.stdout}{v.stderr}")
    eq(noise, [], "systemd-analyze verify has something to say about the unit")
    sec = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                          os.path.join(pre, "lib/systemd/system/mapwatch.service")], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for mapwatch.service: ([0-9.]+)", sec.stdout + sec.stderr)
    if m:  # systemd 252+: the hardening keeps the exposure "OK" or better
        check(float(m.group(1)) <= 4.0, f"systemd-analyze security exposure {m.group(1)}")
    # the capability set the unit allows is enough to trace: run with exactly that bounding set
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split()
    if shutil.which("setpriv"):
        bset = ",".join(["-all"] + ["+" + c[4:].lower() for c in caps])
        r = subprocess.run(["setpriv", f"--bounding-set={bset}", "--inh-caps=-all", os.path.join(pre, "sbin/mapwatch"),
                            "--stats", "--alerts", "-o", "/dev/null", "--", build_prog("wxloop.c", "wxloop"), "3"],
                           capture_output=True, text=True, timeout=60)
        eq(r.returncode, 0, f"mapwatch under the unit's capability bounding set {bset}: {r.stderr[-400:]}")
        eq(stats_of(r.stderr).get("alerts"), 3, "alerts under the unit's capabilities")
    r = make("uninstall", f"PREFIX={pre}", f"SYSCONFDIR={pre}/etc", f"UNITDIR={pre}/lib/systemd/system")
    eq(r.returncode, 0, "make uninstall")
    check(not os.path.exists(os.path.join(pre, "sbin/mapwatch")), "make uninstall left the binary")
    shutil.rmtree(d, ignore_errors=True)


def t_man_page():
    """mapwatch(8) renders with man -l, mandoc -Tlint has nothing to say, and it covers every option
    of --help, the exit status and the files."""
    page = os.path.join(ROOT, "doc", "mapwatch.8")
    r = subprocess.run(["man", "-l", "-P", "cat", page], capture_output=True, text=True,
                       env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    eq(r.returncode, 0, f"man -l: {r.stderr}")
    check("EXIT STATUS" in r.stdout and "FILES" in r.stdout, "man page sections")
    check(not r.stderr.strip(), f"man -l warnings: {r.stderr}")
    s = need("mandoc")
    if s:
        return s
    lint = subprocess.run(["mandoc", "-Tlint", "-W", "all", page], capture_output=True, text=True)
    eq((lint.stdout + lint.stderr).strip(), "", "mandoc -Tlint")
    help_text = subprocess.run([MAPWATCH, "--help"], capture_output=True, text=True).stdout
    opts = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", help_text))
    text = r.stdout.replace("\u2010", "-").replace("\u2212", "-")
    missing = sorted(o for o in opts if o not in text)
    eq(missing, [], "options in --help but not in the man page")


def t_deb_package():
    """make deb builds a package with dpkg-deb; lintian finds no error; it installs, mapwatch
    --version runs from /usr/sbin, and it purges cleanly."""
    s = need("dpkg-deb", "lintian")
    if s:
        return s
    r = make("deb")
    eq(r.returncode, 0, f"make deb: {r.stderr[-800:]}")
    debs = [f for f in os.listdir(BUILD) if f.startswith("mapwatch_") and f.endswith(".deb")]
    eq(len(debs), 1, f"one .deb in build/: {debs}")
    deb = os.path.join(BUILD, debs[0])
    li = subprocess.run(["lintian", "--no-tag-display-limit", deb], capture_output=True, text=True, timeout=300)
    errors = [ln for ln in li.stdout.splitlines() if ln.startswith("E:")]
    eq(errors, [], "lintian errors")
    # one package test at a time on this machine (other checkouts run this suite too)
    lock = open("/run/lock/mapwatch-deb-test.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        return install_and_purge(deb)
    finally:
        lock.close()


def install_and_purge(deb):
    if subprocess.run(["dpkg-query", "-W", "-f=${Status}", "mapwatch"], capture_output=True,
                      text=True).stdout.startswith("install ok installed"):
        return "skip: a mapwatch package is installed on this machine already; not touching it"
    for _ in range(60):  # another apt/dpkg may hold the lock for a while
        i = subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True)
        if i.returncode == 0 or "lock" not in i.stderr:
            break
        time.sleep(2)
    try:
        eq(i.returncode, 0, f"dpkg -i: {i.stderr[-500:]}")
        v = subprocess.run(["/usr/sbin/mapwatch", "--version"], capture_output=True, text=True)
        eq(v.returncode, 0, "installed mapwatch --version")
        check(v.stdout.startswith("mapwatch "), f"--version: {v.stdout!r}")
        for p in ("/usr/share/man/man8/mapwatch.8.gz", "/etc/mapwatch/mapwatch.conf",
                  "/lib/systemd/system/mapwatch.service", "/usr/share/doc/mapwatch/copyright"):
            check(os.path.exists(p), f"package did not install {p}")
    finally:
        p = subprocess.run(["dpkg", "--purge", "mapwatch"], capture_output=True, text=True)
    eq(p.returncode, 0, f"dpkg --purge: {p.stderr[-300:]}")
    check(not os.path.exists("/usr/sbin/mapwatch") and not os.path.exists("/etc/mapwatch"), "purge left files")


def t_service_ready():
    """systemd's Type=notify: READY=1 comes when the programs record, so a
    program started the moment it arrives has every call reported (its loader
    included); STOPPING=1 on SIGTERM; the traced command does not inherit
    NOTIFY_SOCKET; an abstract socket works; a bad value is one line, not a
    failure."""
    load = build_prog("hookload.c", "hookload")
    d = tmpdir()
    for abstract in (False, True):
        name = f"mw-notify-{os.getpid()}" if abstract else os.path.join(d, "notify.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        srv.bind("\0" + name if abstract else name)
        srv.settimeout(60)
        out = os.path.join(d, f"ev{int(abstract)}.json")
        env = dict(os.environ, NOTIFY_SOCKET=("@" + name) if abstract else name)
        mw = subprocess.Popen([MAPWATCH, "--json", "-o", out, "--comm", "hookload"], env=env,
                              stderr=subprocess.PIPE, text=True)
        try:
            eq(srv.recv(64), b"READY=1", "first state sent")
            r = subprocess.run([load, "0.05"], capture_output=True, text=True, timeout=30)
            n = int(r.stdout.split()[1])
            time.sleep(0.2)
            mw.send_signal(signal.SIGTERM)
            eq(srv.recv(64), b"STOPPING=1", "state sent on SIGTERM")
            _, err = mw.communicate(timeout=30)
        finally:
            if mw.poll() is None:
                mw.kill()
            srv.close()
        eq(mw.returncode, 0, f"mapwatch exit status ({err.strip()[-300:]})")
        evs = [e for e in read_json_lines(out) if e.get("processName") == "hookload"]
        marked = [e for e in evs if e["eventName"] == "mmap" and e["args"][3]["value"] & 0x4000]
        eq(len(marked), n, f"the load's mmaps, started at READY=1 (abstract socket: {abstract})")
        check(len(evs) > 2 * n, f"the load's loader calls missing: {len(evs)} events for {n} pairs")
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(d, "notify.sock"))
    r = subprocess.run([MAPWATCH, "-o", "/dev/null", "--", "sh", "-c", "echo ${NOTIFY_SOCKET:-unset}"],
                       env=env, capture_output=True, text=True, timeout=60)
    eq(r.stdout.strip(), "unset", "NOTIFY_SOCKET in the traced command's environment")
    r = subprocess.run([MAPWATCH, "-o", "/dev/null", "--", "true"], env=dict(os.environ, NOTIFY_SOCKET="relative"),
                       capture_output=True, text=True, timeout=60)
    eq(r.returncode, 0, "exit status with a bad NOTIFY_SOCKET")
    eq(r.stderr.strip().count("\n"), 0, f"one line for a bad NOTIFY_SOCKET: {r.stderr!r}")
    check("NOTIFY_SOCKET=relative is not a socket path" in r.stderr, f"bad NOTIFY_SOCKET: {r.stderr!r}")


TESTS = [
    ("fleet/syslog_relay_central", t_syslog_relay_central),
    ("fleet/syslog_relay_no_loss", t_syslog_relay_no_loss),
    ("fleet/syslog_udp_unix_and_queue", t_syslog_udp_unix_and_queue),
    ("fleet/prometheus_scrape", t_prometheus_scrape),
    ("fleet/bpf_run_time", t_bpf_run_time),
    ("fleet/metrics_abuse", t_metrics_abuse),
    ("fleet/alert_rate", t_alert_rate),
    ("fleet/rotation", t_rotation),
    ("fleet/config_table", t_config_table),
    ("fleet/install_and_unit", t_install_and_unit),
    ("fleet/service_ready", t_service_ready),
    ("fleet/man_page", t_man_page),
    ("fleet/deb_package", t_deb_package),
]

if __name__ == "__main__":
    if skipped_without_root():
        sys.exit(0)
    try:
        rc = run_selected(TESTS)
    finally:
        stop_all()
    sys.exit(rc)

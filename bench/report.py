# report.py - turns bench/results/*.csv (written by bench/run.sh) into BENCHMARKS.md and an SVG plot; standard library only.
import csv
import math
import os
import statistics
import sys

LABELS = {
    "untraced": "untraced",
    "mapwatch": "mapwatch --json --output FILE",
    "mapwatch-filter": "mapwatch --comm (rejects every event)",
    "mapwatch-summary": "mapwatch -c --summary-by process (counted in the kernel)",
    "mapwatch-stack": "mapwatch --stack --json --output FILE",
    "bpftrace": "bpftrace (sys_enter_mmap/munmap, printf to file)",
    "perf-trace": "perf trace -a -e mmap,munmap -o FILE",
    "strace": "strace -f -e trace=mmap,munmap -o FILE",
    "auditd": "auditd, rule -S mmap -S munmap",
    "mapwatch-raw": "mapwatch --hook raw (raw_syscalls)",
}
SHORT = {
    "untraced": "untraced",
    "mapwatch": "mapwatch",
    "mapwatch-filter": "mapwatch, filter rejects all",
    "mapwatch-summary": "mapwatch -c",
    "mapwatch-stack": "mapwatch --stack",
    "bpftrace": "bpftrace",
    "perf-trace": "perf trace",
    "strace": "strace",
    "auditd": "auditd",
    "mapwatch-raw": "mapwatch --hook raw",
}


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio_fmt(v):
    if v is None:
        return "n/a"
    if v < 10:
        return f"{v:.2f}×"
    return f"{v:.1f}×" if v < 100 else f"{v:.0f}×"


def by_config(data, key, value):
    out = {}
    for r in data:
        v = num(r.get(value))
        if v is not None:
            out.setdefault(r[key], []).append((int(r["round"]), v))
    return out


def summarize(data, value):
    """Per configuration: median, min, max, ratio to the untraced median, per-round ratio range."""
    groups = by_config(data, "config", value)
    base = groups.get("untraced", [])
    base_med = med([v for _, v in base])
    base_by_round = dict(base)
    res = {}
    for cfg, vals in groups.items():
        vs = [v for _, v in vals]
        m = med(vs)
        s = {"n": len(vs), "median": m, "min": min(vs), "max": max(vs), "ratio": None, "rmin": None, "rmax": None}
        if base_med:
            s["ratio"] = m / base_med
            paired = [v / base_by_round[r] for r, v in vals if base_by_round.get(r)]
            if paired:
                s["rmin"], s["rmax"] = min(paired), max(paired)
        res[cfg] = s
    return res


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def svg_plot(path, bars, title):
    """bars: list of (label, ratio, rmin, rmax, group). Horizontal bars on a log scale."""
    bars = [b for b in bars if b[1] is not None]
    if not bars:
        return
    top = max(max(b[1], b[3] or b[1]) for b in bars)
    decades = max(1, math.ceil(math.log10(max(top, 1.0001)) + 0.05))
    width, left, right = 900, 300, 90
    bar_h, gap, head = 26, 10, 60
    height = head + len(bars) * (bar_h + gap) + 50
    plot_w = width - left - right

    def x(v):
        v = max(v, 1.0)
        return left + plot_w * math.log10(v) / decades

    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{esc(title)}</text>',
         f'<text x="{width / 2}" y="44" text-anchor="middle" fill="#555">time per call relative to untraced (median; whiskers: min–max of per-round ratios; log scale)</text>']
    y_axis = head + len(bars) * (bar_h + gap)
    for d in range(decades + 1):
        for m in (1, 2, 5):
            v = m * 10 ** d
            if math.log10(v) > decades + 1e-9:
                continue
            xx = x(v)
            o.append(f'<line x1="{xx:.1f}" y1="{head - 6}" x2="{xx:.1f}" y2="{y_axis}" stroke="#ddd"/>')
            o.append(f'<text x="{xx:.1f}" y="{y_axis + 16}" text-anchor="middle" fill="#555">{v:g}×</text>')
    colors = {"mmap": "#4c78a8", "getppid": "#f58518"}
    for i, (label, r, rmin, rmax, group) in enumerate(bars):
        y = head + i * (bar_h + gap)
        color = "#54a24b" if label.startswith("mapwatch") or "mapwatch" in label else colors.get(group, "#4c78a8")
        if label.startswith("untraced"):
            color = "#999"
        o.append(f'<text x="{left - 8}" y="{y + bar_h * 0.68:.1f}" text-anchor="end">{esc(label)}</text>')
        o.append(f'<rect x="{left}" y="{y}" width="{max(1.0, x(r) - left):.1f}" height="{bar_h}" fill="{color}"/>')
        if rmin is not None and rmax is not None:
            cy = y + bar_h / 2
            o.append(f'<line x1="{x(rmin):.1f}" y1="{cy}" x2="{x(rmax):.1f}" y2="{cy}" stroke="black" stroke-width="1.5"/>')
            for v in (rmin, rmax):
                o.append(f'<line x1="{x(v):.1f}" y1="{cy - 6}" x2="{x(v):.1f}" y2="{cy + 6}" stroke="black" stroke-width="1.5"/>')
        o.append(f'<text x="{max(x(r), x(rmax or r)) + 6:.1f}" y="{y + bar_h * 0.68:.1f}">{ratio_fmt(r)}</text>')
    o.append(f'<line x1="{left}" y1="{head - 6}" x2="{left}" y2="{y_axis}" stroke="black"/>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    out, report, plot = sys.argv[1], sys.argv[2], sys.argv[3]
    meta = read_meta(os.path.join(out, "meta.txt"))
    ov = rows(os.path.join(out, "overhead.csv"))
    gp = rows(os.path.join(out, "getppid.csv"))
    cap = rows(os.path.join(out, "capacity.csv"))
    peers = rows(os.path.join(out, "peers_capacity.csv"))
    lat = rows(os.path.join(out, "latency.csv"))
    progs = rows(os.path.join(out, "bpf_progs.csv"))
    bound = rows(os.path.join(out, "capacity_note.csv"))
    profile = ""
    if os.path.exists(os.path.join(out, "profile.txt")):
        profile = open(os.path.join(out, "profile.txt")).read().rstrip()
    rel = lambda p: os.path.relpath(p, os.path.dirname(os.path.abspath(report)))

    L = []
    w = L.append
    w("# mapwatch benchmarks")
    w("")
    w(f"Generated by `make bench` (bench/run.sh, bench/report.py) on {meta.get('date', '?')}"
      f"{' — QUICK MODE (BENCH_QUICK=1): few rounds, small N; rerun without it for real numbers' if meta.get('quick') == '1' else ''}.")
    w(f"Machine: {meta.get('nproc', '?')} CPUs ({meta.get('cpu', '?')}), {meta.get('uname', '?')}. "
      f"Run time {meta.get('duration_s', '?')} s. Raw numbers: `{rel(out)}/*.csv`.")
    w("")
    w(f"![overhead ratios]({rel(plot)})")
    w("")

    # ---- overhead ----
    s = summarize(ov, "ns_per_pair")
    if s:
        w("## Cost of tracing on an mmap+munmap loop")
        w("")
        w(f"One anonymous page mapped and unmapped with raw `syscall()`, workload pinned to CPU {meta.get('workload_cpu', '0')}, "
          f"tracer to CPU {meta.get('tracer_cpu', '1')}; {meta.get('reps', '?')} interleaved rounds. "
          "Ratio = median of the configuration / median untraced; range = min–max over rounds of (run / untraced run of the same round).")
        w("")
        w("| configuration | runs × pairs | ns per pair: median (min–max) | ratio vs untraced | ratio range | events kept / calls made | lost (tool's count) |")
        w("|---|---|---|---|---|---|---|")
        order = [c for c in LABELS if c in s] + [c for c in s if c not in LABELS]
        for cfg in order:
            st = s[cfg]
            rr = [r for r in ov if r["config"] == cfg]
            pairs = med([num(r["pairs"]) for r in rr])
            kept = sum(num(r["kept_events"]) or 0 for r in rr)
            exp = sum(num(r["expected_events"]) or 0 for r in rr)
            lost = sum(num(r["tool_lost"]) or 0 for r in rr)
            if cfg == "untraced":
                kept_s = "—"
            elif cfg == "mapwatch-filter":
                kept_s = f"{kept:,.0f} (filter: 0 expected)"
            else:
                kept_s = f"{kept:,.0f} / {exp:,.0f}" + (f" ({100 * kept / exp:.1f} %)" if exp else "")
            rng = f"{st['rmin']:.2f}–{st['rmax']:.2f}" if st["rmin"] is not None else "n/a"
            w(f"| {LABELS.get(cfg, cfg)} | {st['n']} × {fmt(pairs)} | {fmt(st['median'])} ({fmt(st['min'])}–{fmt(st['max'])}) | "
              f"{'1' if cfg == 'untraced' else ratio_fmt(st['ratio'])} | {'—' if cfg == 'untraced' else rng} | {kept_s} | "
              f"{'—' if cfg == 'untraced' else fmt(lost)} |")
        w("")
        w("Events kept counts the records of the workload's pid in the tool's output (the workload's own start-up "
          "mappings make it a few more than the calls of the loop). A tool that blocks the traced task (strace, auditd "
          "with its backlog wait) never loses events but slows the task instead.")
        busy_rounds = sorted({int(r["round"]) for r in ov if (num(r.get("foreign_bpf_progs")) or 0) > 0})
        if busy_rounds:
            w("")
            w("Other tracing BPF programs (another tracer on this machine) were loaded at the start of some runs, in rounds "
              + ", ".join(map(str, busy_rounds)) + ": those runs may be slower for reasons outside the tool measured.")
        if meta.get("skipped"):
            w("")
            w("Skipped: " + "; ".join(x for x in meta["skipped"].split(";") if x) + ".")
        w("")

    # ---- getppid ----
    g = summarize(gp, "ns_per_call")
    if g:
        w("## Cost on an unrelated syscall (getppid)")
        w("")
        w("| configuration | runs × calls | ns per call: median (min–max) | ratio vs untraced | ratio range |")
        w("|---|---|---|---|---|")
        for cfg in ["untraced", "mapwatch", "mapwatch-raw"] + [c for c in g if c not in ("untraced", "mapwatch", "mapwatch-raw")]:
            if cfg not in g:
                continue
            st = g[cfg]
            calls = med([num(r["calls"]) for r in gp if r["config"] == cfg])
            rng = f"{st['rmin']:.2f}–{st['rmax']:.2f}" if st["rmin"] is not None else "n/a"
            w(f"| {LABELS.get(cfg, cfg)} | {st['n']} × {fmt(calls)} | {fmt(st['median'], 1)} ({fmt(st['min'], 1)}–{fmt(st['max'], 1)}) | "
              f"{'1' if cfg == 'untraced' else ratio_fmt(st['ratio'])} | {'—' if cfg == 'untraced' else rng} |")
        w("")
        w("mapwatch's default hook (per-syscall tracepoints; raw_syscalls only where 32-bit tasks can run) leaves other "
          "syscalls alone; `--hook raw` runs a BPF program on every syscall of every task.")
        w("")

    # ---- capacity ----
    if cap:
        u = [r for r in cap if r["phase"] == "untraced"]
        w("## Capacity: highest event rate mapwatch sustains with zero loss")
        w("")
        w(f"mapwatch --json --output FILE on CPU {meta.get('tracer_cpu', '1')}, the workload on CPU {meta.get('workload_cpu', '0')}, "
          f"{meta.get('cap_seconds', '?')} s per run (long enough that the 8 MiB ring buffer, about 40,000 events of ~200 bytes, cannot hide a deficit). "
          "Every mmap or munmap call is one event. Kind `pair` maps and unmaps a page; kind `fail` makes cheap calls that "
          "fail with EINVAL (mmap of length 0, munmap of an unaligned address), still one event each, so that one core "
          "produces more events per second"
          + (f" (untraced: {fmt(num(u[0]['achieved_calls_per_s']))} calls/s)" if u else "") + ". "
          "`max`: the workload unpaced; `search`: bisection on the paced rate; `confirm`: two reruns at the capacity; "
          "`double`: twice that rate (one worker per CPU, unpaced, when one core cannot produce it).")
        w("")
        w("| phase | kind | workers | target calls/s | achieved calls/s | events seen | lost | unmatched exits | mapwatch CPU s (% of the run) | CPU s per M events | peak RSS (MiB) | exit status |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in cap:
            if r["phase"] == "untraced":
                continue
            seen, cpu = num(r["seen"]), num(r["cpu_s"])
            per = cpu / seen * 1e6 if seen and cpu is not None else None
            tgt = "unpaced" if r["target_calls_per_s"] == "0" else fmt(num(r["target_calls_per_s"]))
            w(f"| {r['phase']} | {r['kind']} | {r['workers']} | {tgt} | {fmt(num(r['achieved_calls_per_s']))} | {fmt(seen)} | {fmt(num(r['lost']))} | {fmt(num(r.get('unmatched_exit')))} | "
              f"{fmt(cpu, 2)} ({fmt(100 * cpu / num(r['seconds']) if cpu is not None and num(r['seconds']) else None)} %) | {fmt(per, 2)} | {fmt((num(r['hwm_kb']) or 0) / 1024, 1)} | {r['status']} |")
        w("")
        ok = [r for r in cap if r["phase"] in ("max", "search", "confirm") and num(r["lost"]) == 0]
        best = max((num(r["achieved_calls_per_s"]) for r in ok), default=None)
        conf = [r for r in cap if r["phase"] == "confirm"]
        conf_ok = sum(1 for r in conf if num(r["lost"]) == 0)
        workload_bound = bool(bound) and bound[0].get("capacity_bound") == "workload"
        busy = lambda r: (100 * num(r["cpu_s"]) / num(r["seconds"])
                          if num(r["cpu_s"]) is not None and num(r["seconds"]) else None)
        if best:
            top = [r for r in ok if num(r["achieved_calls_per_s"]) == best][0]
            rates = [num(r["achieved_calls_per_s"]) for r in ok]
            w(f"**Capacity: {fmt(best)} events/s with zero loss** (mapwatch busy {fmt(busy(top))} % of its CPU in that run)."
              + (f" Confirmation runs without loss: {conf_ok} of {len(conf)}." if conf else ""))
            if workload_bound:
                w(f"No unpaced single-core run lost an event; those runs reached {fmt(min(rates))}–{fmt(max(rates))} calls/s: "
                  "the producer, not the reader, set the pace"
                  + (", and in the fastest run the reader was near its limit too" if (busy(top) or 0) >= 85 else "")
                  + ". The producer is slowed by the BPF programs in its own syscalls, whose cost grows when the reader "
                  "lags (see *Where the time goes*).")
        else:
            w("**No run without loss.**")
        for r in [r for r in cap if r["phase"] == "double"]:
            seen, lost = num(r["seen"]), num(r["lost"])
            if seen:
                w(f"At twice that load ({r['workers']} worker(s), achieved {fmt(num(r['achieved_calls_per_s']))} calls/s): "
                  f"lost {fmt(lost)} of {fmt(seen)} events ({100 * (lost or 0) / seen:.1f} %), mapwatch exit status {r['status']}.")
            else:
                w("At twice the load: no statistics line (mapwatch failed?).")
        w("")
    if peers:
        w("### Peers at the same target rate")
        w("")
        w("| tool | kind | target calls/s | achieved calls/s | events kept / calls made | lost (tool's count) |")
        w("|---|---|---|---|---|---|")
        for r in peers:
            kept, exp = num(r["kept_events"]), num(r["expected_events"])
            ks = f"{fmt(kept)} / {fmt(exp)}" + (f" ({100 * kept / exp:.1f} %)" if kept is not None and exp else "")
            w(f"| {SHORT.get(r['tool'], r['tool'])} | {r['kind']} | {fmt(num(r['target_calls_per_s']))} | {fmt(num(r['achieved_calls_per_s']))} | {ks} | {fmt(num(r['tool_lost']))} |")
        w("")
        w("A tool whose achieved rate is far below the target slowed the workload down rather than dropping events; "
          "auditd's loss is what is missing from its log (its kernel queue waits up to backlog_wait_time, then drops silently).")
        w("")

    # ---- own cost ----
    w("## mapwatch's own cost")
    w("")
    mw_rows = [r for r in ov if r["config"] == "mapwatch"]
    per_m = med([num(r["tracer_cpu_s"]) / num(r["tracer_events"]) * 1e6 for r in mw_rows
                 if num(r["tracer_cpu_s"]) is not None and num(r["tracer_events"])])
    startup = med([num(r["tracer_startup_cpu_s"]) for r in mw_rows])
    hwm = [num(r["tracer_hwm_kb"]) for r in mw_rows if num(r["tracer_hwm_kb"])] + \
          [num(r["hwm_kb"]) for r in cap if num(r["hwm_kb"])]
    lat_ms = [num(r["latency_ms"]) for r in lat if num(r["latency_ms"]) is not None]
    poll_ms = [num(r["attach_poll_ms"]) for r in lat if num(r["attach_poll_ms"]) is not None]
    w("| metric | value |")
    w("|---|---|")
    w(f"| CPU seconds per million events (user+sys of mapwatch while the workload ran; median of the overhead runs) | {fmt(per_m, 2)} |")
    if cap:
        cm = med([num(r["cpu_s"]) / num(r["seen"]) * 1e6 for r in cap
                  if r["phase"] in ("max", "confirm") and r["kind"] == "fail" and num(r["seen"])])
        w(f"| CPU seconds per million events at the capacity rate (kind fail: max and confirm runs) | {fmt(cm, 2)} |")
    w(f"| CPU seconds to start (load, verify, attach) | {fmt(startup, 2)} |")
    if hwm:
        w(f"| peak RSS (VmHWM) just before stopping: median (max) | {fmt(med(hwm) / 1024, 1)} MiB ({fmt(max(hwm) / 1024, 1)} MiB) |")
    if lat_ms:
        w(f"| time from start to first event: median (min–max) of {len(lat_ms)} | {fmt(med(lat_ms), 1)} ms ({fmt(min(lat_ms), 1)}–{fmt(max(lat_ms), 1)}) |")
        w(f"| time until /proc/PID/fdinfo shows its BPF links (the harness's poll): median | {fmt(med(poll_ms), 1)} ms |")
    w("")
    if lat_ms:
        w("First event: a workload mapping a page every ~100 µs runs before mapwatch starts; the latency is the first of its "
          "events' timestamp (entry time, ns since the epoch) minus the wall-clock time just before mapwatch was started.")
        w("")

    if progs:
        w("### Where the time goes")
        w("")
        w("Kernel side: `kernel.bpf_stats_enabled=1`, then `bpftool prog show` run_time_ns / run_cnt of mapwatch's programs. "
          "This time is spent inside the traced task's syscalls, on the workload's CPU, not in mapwatch's process. "
          "Conditions: `paced-50k` 50,000 calls/s, the reader keeps up; `unpaced` mmap+munmap as fast as possible; "
          "`unpaced-fail` cheap failing calls as fast as possible; `reader-stopped` mapwatch stopped with SIGSTOP while "
          "the workload makes 20,000 calls (fewer than the ring buffer holds, so nothing is lost); `-bigbuf`: the same with "
          "`--buffer-size 256M`, which puts the ring buffer's forced-wakeup threshold (buffer size / 8 queued bytes: "
          "from there on every event asks for a wakeup) out of reach.")
        w("")
        conds = []
        for r in progs:
            if r["condition"] not in conds:
                conds.append(r["condition"])
        names = []
        for r in progs:
            if r["prog"] not in names and (num(r["run_cnt"]) or 0) >= 1000:
                names.append(r["prog"])
        w("| program: ns per run | " + " | ".join(conds) + " |")
        w("|---|" + "---|" * len(conds))
        cell = {(r["condition"], r["prog"]): num(r["ns_per_run"]) for r in progs}
        for n in names:
            w(f"| {n} | " + " | ".join(fmt(cell.get((c, n))) for c in conds) + " |")
        wl = {r["condition"]: num(r["workload_ns_per_pair"]) for r in progs}
        ls = {r["condition"]: num(r["mapwatch_lost"]) for r in progs}
        w("| *sum per mmap+munmap pair* | " + " | ".join(
            fmt(sum(cell.get((c, n)) or 0 for n in ("enter_mmap", "exit_mmap", "enter_munmap", "exit_munmap"))) for c in conds) + " |")
        w("| *workload ns per pair* | " + " | ".join(fmt(wl.get(c)) for c in conds) + " |")
        w("| *events lost* | " + " | ".join(fmt(ls.get(c)) for c in conds) + " |")
        w("")
    if profile:
        w("User space (`perf record` of the mapwatch process, self time):")
        w("")
        w("```")
        w(profile)
        w("```")
        w("")

    # ---- method ----
    w("## Method")
    w("")
    w(f"- Workloads (bench/mmap_loop.c, bench/getppid_loop.c, gcc -O2): a loop of raw `syscall()` calls timed with "
      f"CLOCK_MONOTONIC around the loop; mmap_loop can be paced to a rate (busy-wait) or limited in time.")
    w(f"- Settings: {meta.get('reps', '?')} rounds; {meta.get('n', '?')} pairs per run ({meta.get('n_slow', '?')} under perf trace "
      f"and auditd, {meta.get('n_strace', '?')} under strace, whose cost per call makes bigger runs too long; the metric is per pair); {meta.get('n_getppid', '?')} getppid calls per run.")
    w("- Every round runs every configuration once, in the same order (interleaved), so that drift on this noisy "
      "machine hits all of them; results are medians.")
    w("- Tracers are started, then the workload runs once they are attached: mapwatch when /proc/PID/fdinfo shows "
      "BPF links for its enter/exit mmap/munmap programs, bpftrace 0.5 s after it holds its programs, perf trace 1 s after its perf events are open, "
      "strace runs the workload itself, auditd's rule is added before. Each is stopped with SIGINT afterwards; their "
      "output goes to a tmpfs file that is counted and deleted.")
    w("- mapwatch runs system-wide with `--json --output FILE --stats`; the filter configuration adds "
      f"`--comm {meta.get('filter_comm', '?')}` (a name no process has). Losses come from its --stats line: "
      "ring buffer full + pending map full; its \"unmatched exit\" count (calls already in the kernel when it attached) is not a loss.")
    w("- auditd: our own instance (config copied from /etc/audit/auditd.conf, log in tmpfs, no rotation, RAW format), "
      "with Debian's default audit.rules settings (-b 8192, --backlog_wait_time 60000, -f 1) and "
      "`-a always,exit -F arch=b64 -S mmap -S munmap`; events kept = SYSCALL records of the workload's pid.")
    w("- CPU time from /proc/PID/stat (utime+stime, clock ticks) before and after the workload; RSS is VmHWM from "
      "/proc/PID/status just before SIGINT.")
    w("")
    w("Tool versions:")
    w("")
    for k in ("mapwatch", "mapwatch_commit", "bpftrace", "perf", "strace", "auditd", "bpftool", "gcc"):
        if meta.get(k):
            w(f"- {k}: {meta[k]}")
    w("")
    w(f"Rerun: `make bench` (this run: {meta.get('duration_s', '?')} s; `BENCH_QUICK=1 make bench` for a short check). Settings through "
      "BENCH_REPS, BENCH_N, BENCH_N_SLOW, BENCH_N_STRACE, BENCH_N_GETPPID, BENCH_CAP_SECONDS, BENCH_CAP_STEPS, BENCH_LAT_REPS, "
      "BENCH_TOOLS, BENCH_SECTIONS (see the top of bench/run.sh).")
    w("")
    # the hook-mode runs (bench/hooks.sh, vm.sh, workload.sh) keep their own section, written
    # by hand from their output: carried over from bench/results/hooks.md when it exists
    hooks_md = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "hooks.md")
    if os.path.exists(hooks_md):
        L.append(open(hooks_md).read())
    with open(report, "w") as f:
        f.write("\n".join(L))

    bars = []
    for cfg in [c for c in LABELS if c in s] + [c for c in s if c not in LABELS]:
        st = s[cfg]
        bars.append((f"mmap+munmap: {SHORT.get(cfg, cfg)}", 1.0 if cfg == "untraced" else st["ratio"],
                     None if cfg == "untraced" else st["rmin"], None if cfg == "untraced" else st["rmax"], "mmap"))
    for cfg in ("mapwatch", "mapwatch-raw"):
        if cfg in g:
            st = g[cfg]
            bars.append((f"getppid: {SHORT.get(cfg, cfg)}", st["ratio"], st["rmin"], st["rmax"], "getppid"))
    svg_plot(plot, bars, f"mapwatch vs other tracers ({meta.get('uname', '')}, {meta.get('nproc', '?')} CPUs)")


if __name__ == "__main__":
    main()

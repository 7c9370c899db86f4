# run.sh - mapwatch benchmark harness (make bench): overhead vs peer tracers, capacity, own cost; writes bench/results/ and BENCHMARKS.md.
#
# POSIX sh (run by `sh bench/run.sh` from the Makefile), needs root. Settings, all from the environment:
#   BENCH_QUICK=1          short run to check the harness (3 rounds, small N, short capacity search)
#   BENCH_REPS             rounds; every round runs each configuration once, in order (interleaved)
#   BENCH_N                mmap+munmap pairs per run for untraced, mapwatch and bpftrace
#   BENCH_N_SLOW           pairs per run for the slow tracers (perf trace, auditd)
#   BENCH_N_STRACE         pairs per run under strace (the slowest)
#   BENCH_N_GETPPID        getppid calls per run
#   BENCH_CAP_SECONDS      length of one capacity run (long enough that the ring buffer cannot hide a deficit)
#   BENCH_CAP_STEPS        bisection steps of the capacity search
#   BENCH_LAT_REPS         first-event latency repetitions
#   BENCH_TOOLS            configurations, default "untraced mapwatch mapwatch-filter mapwatch-summary mapwatch-stack
#                          bpftrace perf-trace strace auditd" (summary: -c --summary-by process; stack: --stack)
#   BENCH_SECTIONS         default "overhead getppid capacity latency profile"
#   BENCH_NO_INSTALL=1     do not apt-get install missing tools (they are skipped)
#   MAPWATCH               binary to test (default build/mapwatch); BENCH_MAPWATCH_COMMIT: what it was built from
#   BENCH_OUT              raw results folder (default bench/results); BENCH_REPORT (default BENCHMARKS.md)
#   BENCH_PLOT             plot file (default bench/results.svg)
# Tracer output goes to a tmpfs folder (/dev/shm) so that disk write-back does not add noise; it is
# deleted after each run. Everything started here is stopped on exit (also on Ctrl-C).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	d_reps=3 d_n=50000 d_nslow=5000 d_nstrace=1000 d_ngp=500000 d_cap_s=3 d_cap_steps=3 d_lat=2
else
	d_reps=10 d_n=200000 d_nslow=20000 d_nstrace=5000 d_ngp=2000000 d_cap_s=8 d_cap_steps=5 d_lat=5
fi
REPS=${BENCH_REPS:-$d_reps}
N=${BENCH_N:-$d_n}
N_SLOW=${BENCH_N_SLOW:-$d_nslow}
N_STRACE=${BENCH_N_STRACE:-$d_nstrace}
N_GP=${BENCH_N_GETPPID:-$d_ngp}
CAP_S=${BENCH_CAP_SECONDS:-$d_cap_s}
CAP_STEPS=${BENCH_CAP_STEPS:-$d_cap_steps}
LAT_REPS=${BENCH_LAT_REPS:-$d_lat}
TOOLS=${BENCH_TOOLS:-"untraced mapwatch mapwatch-filter mapwatch-summary mapwatch-stack bpftrace perf-trace strace auditd"}
SECTIONS=${BENCH_SECTIONS:-"overhead getppid capacity latency profile"}
MW=${MAPWATCH:-$ROOT/build/mapwatch}
OUT=${BENCH_OUT:-$ROOT/bench/results}
REPORT=${BENCH_REPORT:-$ROOT/BENCHMARKS.md}
PLOT=${BENCH_PLOT:-$ROOT/bench/results.svg}
BIN=$ROOT/build/bench
FILTER_COMM=mw-bench-none     # a command name that no process has: the filter rejects every event

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
has() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || die "needs root (BPF, perf, audit)"
[ -x "$MW" ] || die "$MW not found: run make first"
command -v bpftool >/dev/null 2>&1 || die "bpftool is needed (it also builds mapwatch)"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# ---- state that cleanup() undoes ----
TRACER_PID=""      # the tracer of the current run
WORK_PID=""        # a background workload
AUDITD_PID=""      # auditd, when this script started it
AUDIT_RULE=0       # 1 while our audit rule is loaded
AUDIT_ORIG=""      # "enabled backlog_limit backlog_wait_time" before we touched audit
BPFSTATS_ORIG=""   # kernel.bpf_stats_enabled before we set it
PERF_PID=""        # perf record
TMP=""

# Stop the auditd this script started (if any): TERM, up to 5 s to exit, then KILL.
stop_auditd() {
	[ -n "$AUDITD_PID" ] || return 0
	kill -TERM "$AUDITD_PID" 2>/dev/null
	i=0
	# a child that exited stays a zombie (state Z) until waited for
	while [ $i -lt 50 ] && [ -e "/proc/$AUDITD_PID" ] &&
		[ "$(awk '{print $3}' "/proc/$AUDITD_PID/stat" 2>/dev/null)" != Z ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$AUDITD_PID" 2>/dev/null
	wait "$AUDITD_PID" 2>/dev/null
	AUDITD_PID=""
	[ -n "$TMP" ] && rm -rf "$TMP/audit"
}

cleanup() {
	trap - EXIT INT TERM
	for p in $PERF_PID $TRACER_PID $WORK_PID; do
		kill -INT "$p" 2>/dev/null && sleep 0.5
		kill -KILL "$p" 2>/dev/null
	done
	if [ "$AUDIT_RULE" = 1 ]; then auditctl -D >/dev/null 2>&1; AUDIT_RULE=0; fi
	stop_auditd
	if [ -n "$AUDIT_ORIG" ]; then
		set -- $AUDIT_ORIG
		auditctl -e "$1" >/dev/null 2>&1
		auditctl -b "$2" >/dev/null 2>&1
		auditctl --backlog_wait_time "$3" >/dev/null 2>&1
		AUDIT_ORIG=""
	fi
	if [ -n "$BPFSTATS_ORIG" ]; then sysctl -qw kernel.bpf_stats_enabled="$BPFSTATS_ORIG" >/dev/null 2>&1; BPFSTATS_ORIG=""; fi
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if [ -d /dev/shm ]; then TMP=$(mktemp -d /dev/shm/mapwatch-bench.XXXXXX); else TMP=$(mktemp -d); fi
[ -n "$TMP" ] || die "cannot create a temporary folder"

# ---- tools ----
install_missing() {
	need=""
	command -v bpftrace >/dev/null 2>&1 || need="$need bpftrace"
	command -v perf >/dev/null 2>&1 || need="$need linux-perf"
	command -v strace >/dev/null 2>&1 || need="$need strace"
	command -v auditctl >/dev/null 2>&1 && command -v auditd >/dev/null 2>&1 || need="$need auditd"
	command -v gcc >/dev/null 2>&1 || need="$need gcc"
	command -v "$PY" >/dev/null 2>&1 || need="$need python3"
	[ -n "$need" ] || return 0
	if [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
		log "missing:$need (BENCH_NO_INSTALL=1: the tools are skipped)"
		return 0
	fi
	pid_before=$(pgrep -x auditd | tr '\n' ' ')
	log "installing:$need"
	apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >"$TMP/apt.log" 2>&1 ||
		log "apt-get install failed (see below); the missing tools are skipped: $(tail -3 "$TMP/apt.log")"
	# a package script may have started auditd: stop what the install started
	for p in $(pgrep -x auditd); do
		has "$p" "$pid_before" || { log "stopping auditd $p started by the package install"; kill -TERM "$p"; }
	done
}
install_missing
command -v gcc >/dev/null 2>&1 || die "gcc is needed"
command -v "$PY" >/dev/null 2>&1 || die "python3 is needed for the report"

tool_ok() {
	case $1 in
	untraced | mapwatch | mapwatch-summary) return 0 ;;
	mapwatch-stack) "$MW" --help 2>/dev/null | grep -q -- '--stack' ;;
	mapwatch-filter) "$MW" --help 2>/dev/null | grep -q -- '--comm' ;;
	bpftrace) command -v bpftrace >/dev/null 2>&1 ;;
	perf-trace) command -v perf >/dev/null 2>&1 && perf trace -h 2>&1 | grep -q 'perf trace' ;; # -h exits 129
	strace) command -v strace >/dev/null 2>&1 ;;
	auditd) command -v auditd >/dev/null 2>&1 && command -v auditctl >/dev/null 2>&1 && auditctl -s >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

mkdir -p "$BIN" "$OUT" || die "cannot create $BIN or $OUT"
gcc -O2 -Wall -Wextra -o "$BIN/mmap_loop" bench/mmap_loop.c || die "building bench/mmap_loop.c failed"
gcc -O2 -Wall -Wextra -o "$BIN/getppid_loop" bench/getppid_loop.c || die "building bench/getppid_loop.c failed"

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then WCPU=0 TCPU=1; else WCPU=0 TCPU=0; log "one CPU: workload and tracers share it"; fi
HZ=$(getconf CLK_TCK)

SKIPPED=""
ACTIVE=""
for t in $TOOLS; do
	if tool_ok "$t"; then ACTIVE="$ACTIVE $t"; else
		case $t in
		mapwatch-filter) why="mapwatch has no --comm option (yet)" ;;
		*) why="not installed or not working here" ;;
		esac
		SKIPPED="$SKIPPED$t: $why;"
		log "skipping $t: $why"
	fi
done
has untraced "$ACTIVE" || ACTIVE="untraced $ACTIVE"

# ---- results files (raw numbers) ----
START_S=$(date +%s)
rm -f "$OUT"/*.csv "$OUT"/meta.txt "$OUT"/profile.txt
echo "round,config,pairs,ns_per_pair,expected_events,kept_events,tool_lost,tracer_startup_cpu_s,tracer_cpu_s,tracer_events,tracer_hwm_kb,tracer_status,foreign_bpf_progs" >"$OUT/overhead.csv"
echo "round,config,calls,ns_per_call" >"$OUT/getppid.csv"
echo "phase,kind,workers,target_calls_per_s,achieved_calls_per_s,seconds,seen,written,lost,unmatched_exit,cpu_s,hwm_kb,status" >"$OUT/capacity.csv"
echo "tool,kind,target_calls_per_s,achieved_calls_per_s,expected_events,kept_events,tool_lost,note" >"$OUT/peers_capacity.csv"
echo "rep,mapwatch_start_ns,attached_ns,first_event_ns,latency_ms,attach_poll_ms" >"$OUT/latency.csv"
echo "condition,prog,run_cnt,run_time_ns,ns_per_run,workload_ns_per_pair,mapwatch_lost" >"$OUT/bpf_progs.csv"

# ---- helpers ----
kv() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | tail -n 1; }           # kv KEY FILE: value of KEY=VALUE
now_ns() { date +%s%N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
ticks_to_s() { awk -v t="$1" -v hz="$HZ" 'BEGIN{printf "%.3f", t / hz}'; }
# pid_prog_ids PID [links]: ids of the BPF programs that PID holds (with "links": only those that a BPF
# link it holds attaches), from /proc/PID/fdinfo, so that another tracer running meanwhile cannot confuse us
pid_prog_ids() {
	awk -v links="${2:-}" 'FNR == 1 { if (p != "" && (links == "" || l)) print p; p = ""; l = 0 }
		/^link_id:/ { l = 1 } /^prog_id:/ { p = $2 }
		END { if (p != "" && (links == "" || l)) print p }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un | tr '\n' ' '
}
# prog_names "IDS": the names of these programs
prog_names() {
	bpftool prog show 2>/dev/null | awk -v ids=" $1 " '/^[0-9]+:/ { id = $1; sub(":", "", id)
		if (index(ids, " " id " ")) for (i = 2; i < NF; i++) if ($i == "name") print $(i + 1) }' | tr '\n' ' '
}

# wait_bpf PID "PROGNAMES" TIMEOUT_S NEED_LINK: wait until PID holds every program named in PROGNAMES
# (with NEED_LINK=1: attached through a BPF link it holds). 0 when ready.
wait_bpf() {
	wb_end=$(($(date +%s) + $3))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$4" = 1 ]; then wb_ids=$(pid_prog_ids "$1" links); else wb_ids=$(pid_prog_ids "$1"); fi
		if [ -n "$wb_ids" ]; then
			wb_names=$(prog_names "$wb_ids")
			wb_ok=1
			for wb_n in $2; do has "$wb_n" "$wb_names" || wb_ok=0; done
			[ $wb_ok = 1 ] && return 0
		fi
		[ "$(date +%s)" -ge "$wb_end" ] && return 1
		sleep 0.05
	done
	return 1
}

# wait_perf PID TIMEOUT_S: wait until perf has perf_event file descriptors open
wait_perf() {
	wp_end=$(($(date +%s) + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c perf_event)" -gt 0 ] && return 0
		[ "$(date +%s)" -ge "$wp_end" ] && return 1
		sleep 0.05
	done
	return 1
}

# stop_pid PID TIMEOUT_S: SIGINT, then SIGKILL after the timeout; sets STOP_STATUS
stop_pid() {
	kill -INT "$1" 2>/dev/null
	sp_i=0
	while kill -0 "$1" 2>/dev/null && [ $sp_i -lt $(($2 * 10)) ]; do sleep 0.1; sp_i=$((sp_i + 1)); done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 did not stop after SIGINT; killing it"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
	STOP_STATUS=$?
}

# start_mapwatch OUTFILE ERRFILE CPU [EXTRA ARGS]: system-wide, JSON to OUTFILE; sets TRACER_PID, T_READY_NS
MW_PROGS="enter_mmap exit_mmap enter_munmap exit_munmap"
start_mapwatch() {
	sm_out=$1 sm_err=$2 sm_cpu=$3
	shift 3
	sm_progs=$MW_PROGS
	case " $* " in *" raw "* | *" dispatcher "*) sm_progs="disp_enter disp_exit" ;; esac
	if [ -n "$sm_cpu" ]; then
		taskset -c "$sm_cpu" "$MW" --json --output "$sm_out" --stats "$@" 2>"$sm_err" &
	else
		"$MW" --json --output "$sm_out" --stats "$@" 2>"$sm_err" &
	fi
	TRACER_PID=$!
	if ! wait_bpf "$TRACER_PID" "$sm_progs" 30 1; then
		log "mapwatch did not attach: $(tail -3 "$sm_err")"
		stop_pid "$TRACER_PID" 5
		TRACER_PID=""
		return 1
	fi
	T_READY_NS=$(now_ns)
	sleep 0.1
	return 0
}

# parse_mw_stats ERRFILE: from the --stats line, sets MW_SEEN MW_WRITTEN MW_LOST (mapwatch's total) and
# MW_DROPPED: ring buffer full + pending map full, i.e. without the "unmatched exit" calls that were
# already inside the kernel when mapwatch attached
parse_mw_stats() {
	pm_file=$1
	# under --json the statistics are one JSON line; the text form otherwise
	set -- $("$PY" -c 'import json, sys
st = None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("{") and "\"stats\":\"mapwatch\"" in line:
        st = json.loads(line)
if st:
    l = st["lost"]
    print(st["eventsSeen"], st["eventsWritten"], st["eventsLost"], l["ringBufferFull"], l["unmatchedExit"], l["pendingMapFull"])' "$pm_file" 2>/dev/null)
	if [ $# != 6 ]; then
		set -- $(sed -n 's/.*events seen \([0-9]*\), written \([0-9]*\), lost \([0-9]*\) (ring buffer full \([0-9]*\), unmatched exit \([0-9]*\), pending map full \([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' "$pm_file" | tail -n 1)
	fi
	MW_SEEN=${1:-NA} MW_WRITTEN=${2:-NA} MW_LOST=${3:-NA} MW_UNMATCHED=${5:-NA}
	if [ $# = 6 ]; then MW_DROPPED=$(($4 + $6)); else MW_DROPPED=$MW_LOST; fi
}

audit_status() { auditctl -s 2>/dev/null | awk -v k="$1" '$1 == k {print $2}'; }

# ensure_auditd: start our own auditd (log in TMP, never rotated), pinned to the tracer CPU
ensure_auditd() {
	[ -n "$AUDITD_PID" ] && kill -0 "$AUDITD_PID" 2>/dev/null && return 0
	ea_pid=$(audit_status pid)
	if [ -n "$ea_pid" ] && [ "$ea_pid" != 0 ]; then
		log "an auditd (pid $ea_pid) is already running: not touching it, auditd skipped"
		return 1
	fi
	[ -n "$AUDIT_ORIG" ] || AUDIT_ORIG="$(audit_status enabled) $(audit_status backlog_limit) $(audit_status backlog_wait_time)"
	mkdir -p "$TMP/audit"
	chmod 750 "$TMP/audit"
	sed -e "s#^log_file = .*#log_file = $TMP/audit/audit.log#" \
		-e 's/^max_log_file_action = .*/max_log_file_action = IGNORE/' \
		-e 's/^log_format = .*/log_format = RAW/' \
		-e 's/^space_left = .*/space_left = 2/' \
		-e 's/^admin_space_left = .*/admin_space_left = 1/' \
		-e 's/^log_group = .*/log_group = root/' \
		/etc/audit/auditd.conf >"$TMP/audit/auditd.conf" 2>/dev/null || return 1
	chmod 640 "$TMP/audit/auditd.conf"
	taskset -c "$TCPU" auditd -n -s enable -c "$TMP/audit" >"$TMP/audit/err" 2>&1 &
	AUDITD_PID=$!
	i=0
	while [ "$(audit_status pid)" != "$AUDITD_PID" ] && [ $i -lt 100 ]; do
		kill -0 "$AUDITD_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$(audit_status pid)" != "$AUDITD_PID" ]; then
		log "auditd did not start: $(tail -3 "$TMP/audit/err")"
		kill -TERM "$AUDITD_PID" 2>/dev/null
		AUDITD_PID=""
		return 1
	fi
	# Debian's default /etc/audit/audit.rules settings
	auditctl -b 8192 >/dev/null
	auditctl --backlog_wait_time 60000 >/dev/null
	auditctl -f 1 >/dev/null
	return 0
}

# audit_count PID: SYSCALL records of mmap/munmap by PID in our audit log, once auditd has caught up
audit_count() {
	ac_prev=-1
	ac_i=0
	while [ $ac_i -lt 100 ]; do
		ac_n=$(grep -c -E "^type=SYSCALL .* syscall=(9|11) .* pid=$1 " "$TMP/audit/audit.log" 2>/dev/null)
		[ "$ac_n" = "$ac_prev" ] && [ "$(audit_status backlog)" = 0 ] && break
		ac_prev=$ac_n
		sleep 0.3
		ac_i=$((ac_i + 1))
	done
	echo "${ac_n:-0}"
}

# ---- one traced run of the mmap workload ----
# run_mmap CONFIG PAIRS ROUND [RATE SECONDS KIND]: appends a row to overhead.csv (ROUND > 0) and sets
# R_NS R_ACH R_EXPECTED R_KEPT R_LOST R_NOTE. RATE/SECONDS make it a rate-limited, time-limited run.
run_mmap() {
	rm_cfg=$1 rm_pairs=$2 rm_round=$3 rm_rate=${4:-0} rm_secs=${5:-0} rm_kind=${6:-pair}
	rm_wl="$BIN/mmap_loop -n $rm_pairs -r $rm_rate -t $rm_secs -k $rm_kind"
	rm_res=$TMP/wl.out rm_ev=$TMP/events rm_err=$TMP/tracer.err
	rm -f "$rm_res" "$rm_ev" "$rm_err"
	R_LOST=0 R_NOTE="" R_KEPT=NA
	# tracing programs someone else has loaded right now (another tracer would slow every run it overlaps)
	rm_foreign=$(bpftool prog show 2>/dev/null | grep -cE '^[0-9]+: +(tracepoint|raw_tracepoint|tracing|kprobe|perf_event) ')
	rm_su=NA rm_cpu=NA rm_events=NA rm_hwm=NA rm_status=NA
	TRACER_PID=""
	case $rm_cfg in
	untraced)
		taskset -c "$WCPU" $rm_wl >"$rm_res"
		;;
	mapwatch | mapwatch-filter | mapwatch-summary | mapwatch-stack)
		case $rm_cfg in
		mapwatch) set -- ;;
		mapwatch-filter) set -- --comm "$FILTER_COMM" ;;
		mapwatch-summary) set -- --summary --summary-by process ;; # counted in the kernel, one report at the end
		mapwatch-stack) set -- --stack ;;
		esac
		start_mapwatch "$rm_ev" "$rm_err" "$TCPU" "$@" || { R_NOTE="did not attach"; return 1; }
		rm_t0=$(cpu_ticks "$TRACER_PID")
		taskset -c "$WCPU" $rm_wl >"$rm_res"
		rm_t1=$(cpu_ticks "$TRACER_PID")
		rm_hwm=$(hwm_kb "$TRACER_PID")
		stop_pid "$TRACER_PID" 30
		rm_status=$STOP_STATUS
		TRACER_PID=""
		parse_mw_stats "$rm_err"
		rm_su=$(ticks_to_s "$rm_t0") rm_cpu=$(ticks_to_s $((rm_t1 - rm_t0))) rm_events=$MW_SEEN R_LOST=$MW_DROPPED
		rm_pid=$(kv pid "$rm_res")
		if [ "$rm_cfg" = mapwatch-summary ]; then
			# the calls the summary counted for the workload's pid
			R_KEPT=$("$PY" -c 'import json,sys
print(sum(g["calls"] for l in open(sys.argv[1]) for g in json.loads(l)["groups"] if g["hostProcessId"] == int(sys.argv[2])))' "$rm_ev" "$rm_pid" 2>/dev/null || echo NA)
		else
			R_KEPT=$(grep -c "\"hostProcessId\":$rm_pid," "$rm_ev")
		fi
		;;
	bpftrace)
		# bpftrace truncates program names to 15 characters: sys_enter_munma
		taskset -c "$TCPU" bpftrace -o "$rm_ev" -e '
tracepoint:syscalls:sys_enter_mmap { printf("%d %s mmap %lx %lu %d %d %d %lu\n", pid, comm, args->addr, args->len, args->prot, args->flags, args->fd, args->off); }
tracepoint:syscalls:sys_enter_munmap { printf("%d %s munmap %lx %lu\n", pid, comm, args->addr, args->len); }' >/dev/null 2>"$rm_err" &
		TRACER_PID=$!
		if ! wait_bpf "$TRACER_PID" "sys_enter_mmap sys_enter_munma" 120 0; then
			log "bpftrace did not start: $(tail -3 "$rm_err")"
			stop_pid "$TRACER_PID" 5
			TRACER_PID=""
			R_NOTE="did not start"
			return 1
		fi
		sleep 0.5 # bpftrace attaches after loading, without BPF links to wait for
		taskset -c "$WCPU" $rm_wl >"$rm_res"
		stop_pid "$TRACER_PID" 30
		rm_status=$STOP_STATUS
		TRACER_PID=""
		rm_pid=$(kv pid "$rm_res")
		R_KEPT=$(grep -c -E "^$rm_pid mmap_loop (mmap|munmap) " "$rm_ev")
		R_LOST=$(cat "$rm_ev" "$rm_err" | sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' | awk '{s += $1} END {print s + 0}')
		;;
	perf-trace)
		taskset -c "$TCPU" perf trace -a -e mmap,munmap -o "$rm_ev" 2>"$rm_err" &
		TRACER_PID=$!
		if ! wait_perf "$TRACER_PID" 30; then
			log "perf trace did not start: $(tail -3 "$rm_err")"
			stop_pid "$TRACER_PID" 5
			TRACER_PID=""
			R_NOTE="did not start"
			return 1
		fi
		sleep 1 # perf enables its events after opening them and reading /proc
		taskset -c "$WCPU" $rm_wl >"$rm_res"
		stop_pid "$TRACER_PID" 60
		rm_status=$STOP_STATUS
		TRACER_PID=""
		rm_pid=$(kv pid "$rm_res")
		R_KEPT=$(grep -c -E "/$rm_pid (mmap|munmap)\(" "$rm_ev")
		R_LOST=$(cat "$rm_ev" "$rm_err" | sed -n 's/.*LOST \([0-9]*\) events.*/\1/p' | awk '{s += $1} END {print s + 0}')
		;;
	strace)
		taskset -c "$TCPU" strace -f -e trace=mmap,munmap -o "$rm_ev" taskset -c "$WCPU" $rm_wl >"$rm_res" 2>"$rm_err"
		rm_status=$?
		rm_pid=$(kv pid "$rm_res")
		R_KEPT=$(grep -c -E "^$rm_pid +(mmap|munmap)\(" "$rm_ev") # strace pads short pids
		;;
	auditd)
		ensure_auditd || { R_NOTE="auditd unavailable"; return 1; }
		rm_l0=$(audit_status lost)
		auditctl -a always,exit -F arch=b64 -S mmap -S munmap >/dev/null && AUDIT_RULE=1
		taskset -c "$WCPU" $rm_wl >"$rm_res"
		auditctl -D >/dev/null
		AUDIT_RULE=0
		rm_pid=$(kv pid "$rm_res")
		R_KEPT=$(audit_count "$rm_pid")
		rm_l1=$(audit_status lost)
		R_LOST=$((rm_l1 - rm_l0))
		rm_status=0
		;;
	esac
	R_NS=$(kv ns_per_pair "$rm_res")
	R_ACH=$(kv calls_per_s "$rm_res")
	rm_calls=$(kv calls "$rm_res")
	R_EXPECTED=${rm_calls:-NA}
	[ "$rm_cfg" = mapwatch-filter ] && R_EXPECTED=0
	[ "$rm_cfg" = untraced ] && R_EXPECTED=NA
	rm -f "$rm_ev"
	if [ -z "$R_NS" ]; then
		log "$rm_cfg: the workload printed nothing"
		return 1
	fi
	if [ "$rm_round" -gt 0 ]; then
		echo "$rm_round,$rm_cfg,$(kv pairs "$rm_res"),$R_NS,$R_EXPECTED,$R_KEPT,$R_LOST,$rm_su,$rm_cpu,$rm_events,$rm_hwm,$rm_status,$rm_foreign" >>"$OUT/overhead.csv"
	fi
	return 0
}

section() { has "$1" "$SECTIONS"; }

# ---- 1. overhead on mmap+munmap, interleaved ----
if section overhead; then
	log "overhead: $REPS rounds of:$ACTIVE (pairs per run: $N; $N_SLOW under perf trace and auditd, $N_STRACE under strace)"
	r=1
	while [ $r -le "$REPS" ]; do
		for cfg in $ACTIVE; do
			case $cfg in perf-trace | auditd) n=$N_SLOW ;; strace) n=$N_STRACE ;; *) n=$N ;; esac
			if run_mmap "$cfg" "$n" "$r"; then
				log "round $r/$REPS $cfg: $R_NS ns/pair, kept $R_KEPT/$R_EXPECTED, lost $R_LOST"
			else
				log "round $r/$REPS $cfg: failed ($R_NOTE)"
			fi
		done
		r=$((r + 1))
	done
	stop_auditd
fi

# ---- 2. getppid: cost on an unrelated syscall ----
if section getppid; then
	gp_cfgs="untraced mapwatch mapwatch-raw"
	log "getppid: $REPS rounds of: $gp_cfgs ($N_GP calls per run)"
	r=1
	while [ $r -le "$REPS" ]; do
		for cfg in $gp_cfgs; do
			rm -f "$TMP/gp.out"
			case $cfg in
			untraced) taskset -c "$WCPU" "$BIN/getppid_loop" "$N_GP" >"$TMP/gp.out" ;;
			mapwatch | mapwatch-raw)
				if [ $cfg = mapwatch ]; then set --; else set -- --hook raw; fi
				start_mapwatch "$TMP/events" "$TMP/tracer.err" "$TCPU" "$@" || continue
				taskset -c "$WCPU" "$BIN/getppid_loop" "$N_GP" >"$TMP/gp.out"
				stop_pid "$TRACER_PID" 30
				TRACER_PID=""
				rm -f "$TMP/events"
				;;
			esac
			v=$(kv ns_per_call "$TMP/gp.out")
			[ -n "$v" ] && echo "$r,$cfg,$N_GP,$v" >>"$OUT/getppid.csv"
			log "round $r/$REPS getppid $cfg: ${v:-?} ns/call"
		done
		r=$((r + 1))
	done
fi

# ---- 3. capacity: highest event rate with zero loss ----
# cap_run PHASE RATE WORKERS KIND: mapwatch on TCPU (one worker) or unpinned (two workers), the
# workload (KIND pair or fail) at RATE calls/s per worker (0: unpaced) for CAP_S seconds.
# Sets C_ACH C_LOST; appends a row to capacity.csv.
cap_run() {
	cr_phase=$1 cr_rate=$2 cr_workers=$3 cr_kind=$4
	if [ "$cr_workers" = 1 ]; then cr_cpu=$TCPU; else cr_cpu=""; fi
	start_mapwatch "$TMP/events" "$TMP/tracer.err" "$cr_cpu" || return 1
	cr_t0=$(cpu_ticks "$TRACER_PID")
	cr_w=1 cr_pids=""
	while [ $cr_w -le "$cr_workers" ]; do
		taskset -c $(((cr_w - 1) % NCPU)) "$BIN/mmap_loop" -n 1000000000 -r "$cr_rate" -t "$CAP_S" -k "$cr_kind" >"$TMP/cap.$cr_w" &
		cr_pids="$cr_pids $!"
		cr_w=$((cr_w + 1))
	done
	WORK_PID=$cr_pids
	for p in $cr_pids; do wait "$p"; done
	WORK_PID=""
	cr_t1=$(cpu_ticks "$TRACER_PID")
	cr_hwm=$(hwm_kb "$TRACER_PID")
	stop_pid "$TRACER_PID" 60
	cr_status=$STOP_STATUS
	TRACER_PID=""
	parse_mw_stats "$TMP/tracer.err"
	C_ACH=$(cat "$TMP"/cap.* | tr ' ' '\n' | sed -n 's/^calls_per_s=//p' | awk '{s += $1} END {printf "%.0f", s}')
	C_LOST=$MW_DROPPED
	rm -f "$TMP/events" "$TMP"/cap.*
	echo "$cr_phase,$cr_kind,$cr_workers,$cr_rate,$C_ACH,$CAP_S,$MW_SEEN,$MW_WRITTEN,$MW_DROPPED,$MW_UNMATCHED,$(ticks_to_s $((cr_t1 - cr_t0))),$cr_hwm,$cr_status" >>"$OUT/capacity.csv"
	log "capacity $cr_phase ($cr_kind): target $cr_rate x$cr_workers calls/s, achieved $C_ACH, seen $MW_SEEN, dropped $MW_DROPPED (+$MW_UNMATCHED unmatched exits), exit $cr_status"
	[ "$MW_LOST" != NA ]
}

CAP=""
CAP_KIND=fail
if section capacity; then
	log "capacity: runs of ${CAP_S}s, workload on CPU $WCPU, mapwatch on CPU $TCPU"
	# what one core produces untraced with the cheap failing calls, for reference
	taskset -c "$WCPU" "$BIN/mmap_loop" -n 1000000000 -t "$CAP_S" -k fail >"$TMP/untraced.out"
	U_FAIL=$(kv calls_per_s "$TMP/untraced.out")
	echo "untraced,fail,1,0,$U_FAIL,$CAP_S,NA,NA,NA,NA,NA,NA,NA" >>"$OUT/capacity.csv"
	log "capacity untraced (fail): $U_FAIL calls/s"
	cap_run max-real 0 1 pair
	cap_run max 0 1 "$CAP_KIND" || die "capacity run failed"
	A0=$C_ACH
	if [ "$C_LOST" = 0 ]; then
		# one core cannot outrun mapwatch: the workload is the limit
		CAP=$A0
		cap_run confirm 0 1 "$CAP_KIND" && [ "$C_LOST" = 0 ] && [ "$C_ACH" -gt "$CAP" ] && CAP=$C_ACH
		cap_run confirm 0 1 "$CAP_KIND" && [ "$C_LOST" = 0 ] && [ "$C_ACH" -gt "$CAP" ] && CAP=$C_ACH
		echo "capacity_bound" >"$OUT/capacity_note.csv"
		echo "workload" >>"$OUT/capacity_note.csv"
	else
		hi=$A0 lo=0 r=$((A0 / 2)) step=0
		while [ $step -lt "$CAP_STEPS" ]; do
			cap_run search "$r" 1 "$CAP_KIND" || break
			if [ "$C_LOST" = 0 ]; then lo=$r; else hi=$r; fi
			if [ $lo = 0 ]; then r=$((hi / 2)); else r=$(((lo + hi) / 2)); fi
			step=$((step + 1))
		done
		[ $lo = 0 ] && lo=$r
		CAP=$lo
		echo "capacity_bound" >"$OUT/capacity_note.csv"
		echo "mapwatch" >>"$OUT/capacity_note.csv"
		cap_run confirm "$CAP" 1 "$CAP_KIND"
		cap_run confirm "$CAP" 1 "$CAP_KIND"
	fi
	# twice the capacity: one paced worker when one core can produce it, else one unpaced worker per CPU
	if [ $((CAP * 2)) -le $((A0 * 9 / 10)) ]; then
		cap_run double $((CAP * 2)) 1 "$CAP_KIND"
	else
		cap_run double 0 2 "$CAP_KIND"
	fi

	# peers at the same load, rate-limited and time-limited
	for cfg in $ACTIVE; do
		case $cfg in untraced | mapwatch | mapwatch-filter | mapwatch-summary | mapwatch-stack) continue ;; esac
		if run_mmap "$cfg" 1000000000 0 "$CAP" "$CAP_S" "$CAP_KIND"; then
			echo "$cfg,$CAP_KIND,$CAP,$R_ACH,$R_EXPECTED,$R_KEPT,$R_LOST,$R_NOTE" >>"$OUT/peers_capacity.csv"
			log "peer at capacity: $cfg achieved $R_ACH calls/s (target $CAP), kept $R_KEPT/$R_EXPECTED, lost $R_LOST"
		fi
	done
	stop_auditd
fi

# ---- 4. time from start to first event ----
if section latency; then
	log "first-event latency: $LAT_REPS runs"
	i=1
	while [ $i -le "$LAT_REPS" ]; do
		taskset -c "$WCPU" "$BIN/mmap_loop" -n 1000000000 -p 100 -t 60 >"$TMP/lat.out" &
		WORK_PID=$!
		sleep 0.3
		lt_start=$(now_ns)
		taskset -c "$TCPU" "$MW" --json --output "$TMP/events" --stats 2>"$TMP/tracer.err" &
		TRACER_PID=$!
		wait_bpf "$TRACER_PID" "$MW_PROGS" 30 1
		lt_ready=$(now_ns)
		sleep 0.5
		stop_pid "$TRACER_PID" 30
		TRACER_PID=""
		kill -TERM "$WORK_PID" 2>/dev/null
		wait "$WORK_PID" 2>/dev/null
		lt_pid=$WORK_PID
		WORK_PID=""
		lt_first=$(grep -m 1 "\"hostProcessId\":$lt_pid," "$TMP/events" | sed -n 's/^{"timestamp":\([0-9]*\),.*/\1/p')
		if [ -n "$lt_first" ]; then
			lt_ms=$(awk -v a="$lt_first" -v b="$lt_start" 'BEGIN{printf "%.2f", (a - b) / 1e6}')
			lt_poll=$(awk -v a="$lt_ready" -v b="$lt_start" 'BEGIN{printf "%.2f", (a - b) / 1e6}')
			echo "$i,$lt_start,$lt_ready,$lt_first,$lt_ms,$lt_poll" >>"$OUT/latency.csv"
			log "first event after $lt_ms ms (attach seen by polling after $lt_poll ms)"
		else
			log "first-event run $i: no event of the workload found"
		fi
		rm -f "$TMP/events"
		i=$((i + 1))
	done
fi

# ---- 5. where the cost goes: BPF run time per program, user-space profile ----
# prof_run CONDITION "MAPWATCH-ARGS" WORKLOAD-ARGS...: mapwatch with kernel.bpf_stats_enabled=1; a
# CONDITION starting with "reader-stopped" stops mapwatch (SIGSTOP) while the workload runs, so that
# events pile up in the ring buffer.
prof_run() {
	pr_cond=$1 pr_mwargs=$2
	shift 2
	start_mapwatch "$TMP/events" "$TMP/tracer.err" "$TCPU" $pr_mwargs || return 1
	case $pr_cond in reader-stopped*) kill -STOP "$TRACER_PID" ;; esac
	taskset -c "$WCPU" "$BIN/mmap_loop" "$@" >"$TMP/wl.out"
	pr_ids=$(pid_prog_ids "$TRACER_PID")
	bpftool prog show 2>/dev/null >"$TMP/progs.txt"
	case $pr_cond in reader-stopped*) kill -CONT "$TRACER_PID" ;; esac
	stop_pid "$TRACER_PID" 30
	TRACER_PID=""
	parse_mw_stats "$TMP/tracer.err"
	pr_ns=$(kv ns_per_pair "$TMP/wl.out")
	awk -v ids=" $pr_ids " -v cond="$pr_cond" -v ns="$pr_ns" -v lost="$MW_DROPPED" '
		/^[0-9]+:/ { id = $1; sub(":", "", id); name = ""; rt = ""; rc = ""
			for (i = 1; i <= NF; i++) { if ($i == "name") name = $(i + 1); if ($i == "run_time_ns") rt = $(i + 1); if ($i == "run_cnt") rc = $(i + 1) }
			if (index(ids, " " id " ") && name != "" && rc > 0)
				printf "%s,%s,%s,%s,%.0f,%s,%s\n", cond, name, rc, rt, rt / rc, ns, lost }' "$TMP/progs.txt" >>"$OUT/bpf_progs.csv"
	log "profile $pr_cond: $pr_ns ns/pair, dropped $MW_DROPPED"
	rm -f "$TMP/events"
}

if section profile; then
	log "profile: BPF run time per program (kernel.bpf_stats_enabled=1), perf record of mapwatch"
	BPFSTATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
	sysctl -qw kernel.bpf_stats_enabled=1 >/dev/null 2>&1
	# the reader keeps up easily / the workload unpaced / the reader stopped (fewer events than the buffer
	# holds); "bigbuf": --buffer-size 256M, which moves mapwatch's forced-wakeup threshold (buffer/8) out of reach
	prof_run paced-50k "" -n 1000000000 -r 50000 -t 2
	# the same calls counted in the kernel (-c) and with user stacks (--stack)
	prof_run paced-50k-summary "--summary --summary-by process" -n 1000000000 -r 50000 -t 2
	prof_run paced-50k-stack "--stack" -n 1000000000 -r 50000 -t 2
	prof_run unpaced "" -n "$N"
	prof_run unpaced-fail "" -n "$N" -k fail
	prof_run unpaced-fail-bigbuf "--buffer-size 256M" -n "$N" -k fail
	prof_run reader-stopped "" -n 10000 -k fail
	prof_run reader-stopped-bigbuf "--buffer-size 256M" -n 10000 -k fail
	sysctl -qw kernel.bpf_stats_enabled="$BPFSTATS_ORIG" >/dev/null 2>&1
	BPFSTATS_ORIG=""
	if command -v perf >/dev/null 2>&1 && start_mapwatch "$TMP/events" "$TMP/tracer.err" "$TCPU"; then
		perf record -q -F 1999 -p "$TRACER_PID" -o "$TMP/perf.data" >/dev/null 2>&1 &
		PERF_PID=$!
		sleep 0.5
		taskset -c "$WCPU" "$BIN/mmap_loop" -n "$N" >/dev/null
		stop_pid "$PERF_PID" 30
		PERF_PID=""
		stop_pid "$TRACER_PID" 30
		TRACER_PID=""
		if [ -s "$TMP/perf.data" ]; then
			{
				echo "# perf record -F 1999 -p <mapwatch> during $N mmap+munmap pairs; self time by symbol"
				perf report -i "$TMP/perf.data" --stdio --no-children --sort dso,symbol --percent-limit 0.7 2>/dev/null |
					grep -v '^#' | grep -v '^$' | sed 's/[[:space:]]*$//' | head -n 30
			} >"$OUT/profile.txt"
		fi
		rm -f "$TMP/events" "$TMP/perf.data"
	fi
fi

# ---- meta data and report ----
END_S=$(date +%s)
{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "duration_s=$((END_S - START_S))"
	echo "quick=${BENCH_QUICK:-0}"
	echo "nproc=$NCPU"
	echo "uname=$(uname -srm)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "mapwatch=$("$MW" --version 2>/dev/null | head -n 1)"
	if [ -n "${BENCH_MAPWATCH_COMMIT:-}" ]; then
		echo "mapwatch_commit=$BENCH_MAPWATCH_COMMIT"
	elif [ -n "${MAPWATCH:-}" ]; then
		echo "mapwatch_commit=external binary $MAPWATCH"
	else
		echo "mapwatch_commit=$(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
	fi
	echo "bpftrace=$(bpftrace --version 2>/dev/null | head -n 1)"
	echo "perf=$(perf --version 2>/dev/null | head -n 1)"
	echo "strace=$(strace -V 2>/dev/null | head -n 1)"
	echo "auditd=$(auditctl -v 2>/dev/null | head -n 1)"
	echo "bpftool=$(bpftool version 2>/dev/null | head -n 1)"
	echo "gcc=$(gcc --version | head -n 1)"
	echo "reps=$REPS"
	echo "n=$N"
	echo "n_slow=$N_SLOW"
	echo "n_strace=$N_STRACE"
	echo "n_getppid=$N_GP"
	echo "cap_seconds=$CAP_S"
	echo "cap_steps=$CAP_STEPS"
	echo "lat_reps=$LAT_REPS"
	echo "workload_cpu=$WCPU"
	echo "tracer_cpu=$TCPU"
	echo "filter_comm=$FILTER_COMM"
	echo "skipped=$SKIPPED"
} >"$OUT/meta.txt"
log "raw results in $OUT; writing $REPORT and $PLOT"
"$PY" bench/report.py "$OUT" "$REPORT" "$PLOT" || die "report failed"
log "done in $((END_S - START_S)) s"

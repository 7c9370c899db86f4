# pipeline_ab.sh - before/after runs of bench/pipeline.sh (root), interleaved: every round runs
# each reader mode once with binary A, then once with binary B, so that other load on a shared
# machine falls on both alike. Modes: json (--json), table, alerts (--json --alerts), syslog
# (--json, and every event also to --syslog udp://127.0.0.1:PORT, where a relay pinned to CPU 0
# reads and drops the datagrams). Prints pipeline.sh's line per run (label MODE/A or MODE/B, the
# round), then the medians per mode and binary of CPU ns per event written (and per event seen),
# lost events and peak RSS.
# usage: sh bench/pipeline_ab.sh A B [ROUNDS] [SECONDS] [RATE] [MODES]
#   e.g. sh bench/pipeline_ab.sh /work/main/build/mapwatch build/mapwatch 5 4 300000 "json table"
set -u
A=$1 B=$2 ROUNDS=${3:-5} SECS=${4:-4} RATE=${5:-300000} MODES=${6:-"json table alerts syslog"}
DIR=$(dirname "$0")
PORT=51514
OUT=$(mktemp /tmp/pipeline_ab.XXXXXX)
relay=
stop_relay() { [ -n "$relay" ] && kill "$relay" 2>/dev/null; wait "$relay" 2>/dev/null; relay=; }
trap 'stop_relay; rm -f "$OUT"' EXIT
trap 'exit 130' INT TERM
for mode in $MODES; do
	case $mode in
	syslog)
		taskset -c 0 python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.bind(("127.0.0.1", '"$PORT"'))
while True:
    s.recv(70000)' &
		relay=$!
		;;
	esac
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		for side in A B; do
			[ $side = A ] && mw=$A || mw=$B
			case $mode in
			json) set -- --json ;;
			table) set -- ;;
			alerts) set -- --json --alerts ;;
			syslog) set -- --json --syslog "udp://127.0.0.1:$PORT" ;;
			*) echo "pipeline_ab.sh: unknown mode $mode: give json, table, alerts or syslog" >&2; exit 2 ;;
			esac
			line=$(sh "$DIR/pipeline.sh" "$mw" "$mode/$side" "$SECS" "$RATE" "$@")
			echo "$line round=$r"
			echo "$line" >>"$OUT"
		done
		r=$((r + 1))
	done
	stop_relay
done
python3 - "$OUT" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    runs.setdefault(f[0], []).append(kv)
for label in sorted(runs):
    rs = runs[label]
    for r in rs:
        # CPU per event written: the events the kernel dropped cost the reader nothing
        r["ns_per_written"] = float(r["cpu_s"]) * 1e9 / max(1, int(r["written"]))
    med = lambda k: statistics.median(float(r[k]) for r in rs)
    print("%-10s runs=%d ns_per_written_median=%.0f (min %.0f max %.0f) cpu_s_per_M_written=%.3f ns_per_seen_median=%.0f lost_median=%.0f runs_with_loss=%d hwm_kb_median=%.0f bytes_per_event=%.0f floor_ns_median=%.0f"
          % (label, len(rs), med("ns_per_written"), min(r["ns_per_written"] for r in rs),
             max(r["ns_per_written"] for r in rs), med("ns_per_written") / 1000, med("ns_per_event"), med("lost"),
             sum(1 for r in rs if int(r["lost"]) > 0), med("hwm_kb"), med("bytes_per_event"),
             med("sink_floor_ns_per_event")))
PY

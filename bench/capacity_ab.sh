# capacity_ab.sh - the zero-loss capacity of two binaries (root), searched side by side: the
# highest rate of `mmap_loop -k fail` (on CPU 0) at which mapwatch (on CPU 1, default buffer,
# FORMAT ARGS to a tmpfs file) loses nothing, by bisection as make bench's capacity section does
# it (bench/run.sh: an unpaced run first; no loss there means the workload is the bound), each
# step run with A then B (bench/pipeline.sh) so that other load on a shared machine falls on both.
# Prints pipeline.sh's line per run, then each binary's capacity (highest rate with lost=0).
# usage: sh bench/capacity_ab.sh A B [STEPS] [SECONDS] [MAPWATCH ARGS...]
#   e.g. sh bench/capacity_ab.sh /work/main/build/mapwatch build/mapwatch 6 4 --json
set -u
A=$1 B=$2 STEPS=${3:-6} SECS=${4:-4}
shift 2
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
DIR=$(dirname "$0")
field() { echo "$1" | tr ' ' '\n' | sed -n "s|^$2=||p"; }

for side in A B; do
	[ $side = A ] && mw=$A || mw=$B
	line=$(sh "$DIR/pipeline.sh" "$mw" "unpaced/$side" "$SECS" 0 "$@")
	echo "$line"
	eval "max_$side=$(field "$line" calls/s | cut -d. -f1) lost0_$side=$(field "$line" lost)"
	eval "lo_$side=0 hi_$side=\$max_$side"
done
step=0
while [ $step -lt "$STEPS" ]; do
	for side in A B; do
		[ $side = A ] && mw=$A || mw=$B
		eval "lost0=\$lost0_$side lo=\$lo_$side hi=\$hi_$side"
		[ "$lost0" = 0 ] && continue # the workload is the bound
		if [ "$lo" = 0 ]; then r=$((hi / 2)); else r=$(((lo + hi) / 2)); fi
		line=$(sh "$DIR/pipeline.sh" "$mw" "step$step/$side" "$SECS" "$r" "$@")
		echo "$line rate=$r"
		if [ "$(field "$line" lost)" = 0 ]; then lo=$r; else hi=$r; fi
		eval "lo_$side=$lo hi_$side=$hi"
	done
	step=$((step + 1))
done
for side in A B; do
	eval "lost0=\$lost0_$side lo=\$lo_$side hi=\$hi_$side max=\$max_$side"
	if [ "$lost0" = 0 ]; then
		echo "capacity $side: >= $max (unpaced, nothing lost: the workload is the bound)"
	else
		echo "capacity $side: $lo calls/s with zero loss (lost at $hi; unpaced $max)"
	fi
done

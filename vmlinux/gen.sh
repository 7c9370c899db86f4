#!/bin/sh
# gen.sh - regenerate vmlinux/<arch>/vmlinux.h: x86 from the running kernel's BTF, arm64 from the BTF inside Debian's arm64 6.1 cloud kernel image.
# Usage: sh vmlinux/gen.sh [x86|arm64]
#   x86    bpftool btf dump of /sys/kernel/btf/vmlinux (run it on an x86_64 host)
#   arm64  the kernel tests/vm/kernel.sh --arch arm64 fetches (an uncompressed
#          arm64 Image): its .BTF section is cut out by vmlinux/btfcut.py, then
#          dumped the same way (it is what that kernel shows in /sys/kernel/btf/vmlinux)
set -e
here=$(cd "$(dirname "$0")" && pwd)
a=${1:-x86}
case $a in
	x86) bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$here/x86/vmlinux.h" ;;
	arm64)
		image=$(sh "$here/../tests/vm/kernel.sh" --arch arm64)
		tmp=$(mktemp)
		trap 'rm -f "$tmp"' EXIT
		python3 "$here/btfcut.py" "$image" "$tmp"
		mkdir -p "$here/arm64"
		bpftool btf dump file "$tmp" format c >"$here/arm64/vmlinux.h"
		echo "gen.sh: vmlinux/arm64/vmlinux.h from $(basename "$image")" >&2 ;;
	*) echo "gen.sh: unknown architecture '$a' (x86 or arm64)" >&2; exit 2 ;;
esac

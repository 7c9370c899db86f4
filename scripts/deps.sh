#!/bin/sh
# deps.sh - installs the Debian packages mapwatch needs that are missing: "build" (default) or "test" (build + test tools).
# With --missing first, only prints the missing ones (for .ci/run's own apt-get).
set -eu
list_only=0
if [ "${1:-}" = --missing ]; then
	list_only=1
	shift
fi
want="clang llvm make gcc libc6-dev libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config"
if [ "${1:-build}" = test ]; then
	# valgrind/strace/python3: test oracles; util-linux: unshare/setpriv; the rest: the VM test
	want="$want valgrind strace python3 util-linux gcc-multilib qemu-system-x86 busybox-static cpio"
fi
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ $list_only = 1 ]; then
	echo $missing
	exit 0
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
	command -v sudo >/dev/null || { echo "deps.sh: missing packages:$missing; install them as root (apt-get install$missing)" >&2; exit 1; }
else
	SUDO=
fi
echo "deps.sh: installing$missing" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null

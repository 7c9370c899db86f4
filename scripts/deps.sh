#!/bin/sh
# deps.sh - installs the Debian packages mapwatch needs that are missing: "build" (default) or "test" (build + test tools).
# With --missing first, only prints the missing ones (for .ci/run's own apt-get).
# With --simulate first, asks apt-get -s whether the whole list installs together
# on a machine with nothing installed (an empty dpkg status): exit 1 when a
# package cannot be had or one would remove another (gcc-multilib and the gcc
# cross compilers conflict: that is why the ARM programs are built with clang).
set -eu
list_only=0
simulate=0
if [ "${1:-}" = --missing ]; then
	list_only=1
	shift
elif [ "${1:-}" = --simulate ]; then
	simulate=1
	shift
fi
want="clang llvm make gcc libc6-dev libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev pkg-config libssl-dev libyara-dev liblzma-dev libbz2-dev libjson-c-dev"
if [ "${1:-build}" = test ]; then
	# valgrind/strace/python3: test oracles; util-linux: unshare/setpriv; golang-go: decoding the JSON
	# with Tracee's Go types; libclang-rt-14-dev: libFuzzer (make fuzz); the rest: the VM test
	want="$want valgrind strace python3 util-linux golang-go libclang-rt-14-dev gcc-multilib qemu-system-x86 busybox-static cpio"
	# the fleet tests: their own rsyslogd and Prometheus on loopback (none started by the
	# packages: .ci/run installs with a policy-rc.d that refuses), man page, unit and package checks
	want="$want rsyslog prometheus mandoc man-db lintian dpkg-dev systemd"
	# the arm64 VM stage: qemu-system-aarch64, and clang --target with lld and
	# the cross sysroots (libc and libgcc for arm64 and armhf, no gcc cross compiler)
	# the container tests: real runtimes (runc; podman with its conmon)
	want="$want runc podman"
	# code_write's legitimate writer: a debugger's breakpoints (tests/integration/test_codewrite.py)
	want="$want gdb"
	want="$want qemu-system-arm lld libc6-dev-arm64-cross libc6-dev-armhf-cross libgcc-12-dev-arm64-cross libgcc-12-dev-armhf-cross"
fi
if [ $simulate = 1 ]; then
	st=$(mktemp) && out=$(mktemp)
	trap 'rm -f "$st" "$out"' EXIT
	if ! apt-get -s -o Dir::State::status="$st" install --no-install-recommends $want >"$out" 2>&1; then
		echo "deps.sh: the ${1:-build} packages do not install together on a fresh machine:" >&2
		grep -E '^(E:| )' "$out" | head -n 10 >&2
		exit 1
	fi
	if grep -q '^Remv' "$out"; then
		echo "deps.sh: installing the ${1:-build} packages would remove:" $(sed -n 's/^Remv \([^ ]*\).*/\1/p' "$out") >&2
		exit 1
	fi
	echo "deps.sh: the ${1:-build} packages install together on a fresh machine ($(grep -c '^Inst' "$out") packages, none removed)"
	exit 0
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
# no package may start a daemon here (rsyslog, prometheus): the tests start their own
policy_added=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 0755 /usr/sbin/policy-rc.d
	policy_added=1
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ $policy_added = 0 ] || $SUDO rm -f /usr/sbin/policy-rc.d

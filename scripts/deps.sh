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
	# the fleet tests: their own rsyslogd and Prometheus on loopback (none started by the
	# packages: .ci/run installs with a policy-rc.d that refuses), man page, unit and package checks
	want="$want rsyslog prometheus mandoc man-db lintian dpkg-dev systemd"
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

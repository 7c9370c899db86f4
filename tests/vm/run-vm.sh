#!/bin/bash
# run-vm.sh - boot GUEST_DIR's guest.sh in a throw-away qemu VM (Debian 6.1 kernel + busybox initramfs, x86_64 or arm64); exit with its status.
#
# Usage: tests/vm/run-vm.sh [--arch ARCH] GUEST_DIR [TIMEOUT_S]
#   ARCH       the guest's architecture: x86_64 (default, or $MW_VM_ARCH) boots
#              qemu-system-x86_64 -machine pc (console ttyS0); arm64 boots
#              qemu-system-aarch64 -M virt -cpu cortex-a72 (console ttyAMA0) with
#              Debian's arm64 kernel and busybox-static:arm64 (fetched and cached
#              by kernel.sh and scripts/debget.sh).
#   GUEST_DIR  directory holding guest.sh and whatever it needs; copied (symlinks
#              followed) to /mw in the guest, where `cd /mw && sh /mw/guest.sh` runs as root.
#   TIMEOUT_S  overall limit for boot + run (default 120).
# Exit status: guest.sh's status; 1 on timeout or when the guest printed no exit marker
# (the last 50 console lines are shown then); 77 when the kernel or qemu cannot be had
# ("skipped: reason"); 2 on usage errors.
# The console log is written to build/vm/<basename of GUEST_DIR>.run/console.log (path printed).
# Environment:
#   MW_VM_ARCH     default for --arch
#   MW_VM_KERNEL   vmlinuz to boot (default: what tests/vm/kernel.sh --arch ARCH prints)
#   MW_VM_CACHE    kernel cache dir, see kernel.sh (default /var/cache/mapwatch-vm)
#   MW_VM_BUILD    work dir (default <repo>/build/vm)
#   MW_VM_MEM      guest memory in MiB (default 1024)
#   MW_VM_SMP      guest CPUs (default 1)
#   MW_VM_ACCEL    qemu accelerator: tcg (default) or kvm
#   MW_VM_CPU      qemu -cpu model (default: max on x86_64, host with kvm; cortex-a72 on arm64)
#   MW_VM_MACHINE  qemu -machine (default: pc on x86_64, virt on arm64; -cpu a64fx needs virt,gic-version=3)
#   MW_VM_CMDLINE  extra kernel command-line words, appended
#   MW_VM_VERBOSE  1: also stream the console to stdout while it runs
set -u

usage() { echo "usage: $0 [--arch x86_64|arm64] GUEST_DIR [TIMEOUT_S]" >&2; exit 2; }
die() { echo "run-vm.sh: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }

case ${1:-} in -h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
arch=${MW_VM_ARCH:-x86_64}
if [ "${1:-}" = --arch ]; then
	[ $# -ge 2 ] || usage
	arch=$2; shift 2
fi
case $arch in
	x86_64) ;;
	arm64|aarch64) arch=arm64 ;;
	*) echo "run-vm.sh: --arch '$arch' must be x86_64 or arm64" >&2; exit 2 ;;
esac
[ $# -ge 1 ] && [ $# -le 2 ] || usage
guest=$1
timeout_s=${2:-120}
case $timeout_s in ''|*[!0-9]*) echo "run-vm.sh: TIMEOUT_S must be a whole number of seconds, not '$timeout_s'" >&2; exit 2 ;; esac
[ -d "$guest" ] || { echo "run-vm.sh: GUEST_DIR '$guest' is not a directory" >&2; exit 2; }
[ -f "$guest/guest.sh" ] || { echo "run-vm.sh: $guest/guest.sh not found" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${MW_VM_BUILD:-$repo/build/vm}
name=$(basename "$(cd "$guest" && pwd)")
work="$build/$name.run"
case "$(cd "$guest" && pwd)/" in "$work"/*) echo "run-vm.sh: GUEST_DIR must not lie inside $work" >&2; exit 2 ;; esac
log="$work/console.log"
marker='@@MAPWATCH-GUEST-EXIT@@'

# 1. Tools and kernel.
if [ $arch = arm64 ]; then
	qemu=$(command -v qemu-system-aarch64) || skip "qemu-system-aarch64 not found (apt-get install qemu-system-arm)"
else
	qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
fi
command -v cpio >/dev/null 2>&1 || skip "cpio not found (apt-get install cpio)"
is_static() { # no program interpreter = statically linked
	if command -v readelf >/dev/null 2>&1; then
		! readelf -lW "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
	elif command -v file >/dev/null 2>&1; then
		file -L "$1" | grep -q 'statically linked'
	else
		true
	fi
}
busybox=
mkdir -p "$build" || die "cannot create $build"
if [ $arch = arm64 ]; then
	# the guest's busybox: busybox-static:arm64, unpacked (not installed); its
	# applet list is taken from the host's busybox, which cannot run it
	bbdir=$(sh "$repo/scripts/debget.sh" arm64 busybox-static 2>"$build/busybox.err") ||
		skip "no arm64 busybox: $(tail -n 1 "$build/busybox.err" | sed 's/^debget.sh: //')"
	rm -f "$build/busybox.err"
	busybox=$bbdir/bin/busybox
	[ -f "$busybox" ] || skip "busybox-static:arm64 has no bin/busybox"
	listbb=
	for b in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
		[ -n "$b" ] && [ -x "$b" ] && { listbb=$b; break; }
	done
	[ -n "$listbb" ] || skip "no host busybox to list the applets (apt-get install busybox-static)"
else
	for b in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
		[ -n "$b" ] && [ -x "$b" ] && is_static "$b" && { busybox=$b; break; }
	done
	[ -n "$busybox" ] || skip "no statically linked busybox found (apt-get install busybox-static)"
	listbb=$busybox
fi
if [ -n "${MW_VM_KERNEL:-}" ]; then
	kernel=$MW_VM_KERNEL
	[ -f "$kernel" ] || skip "MW_VM_KERNEL=$kernel does not exist"
else
	kernel=$(sh "$here/kernel.sh" --arch $arch 2>"$build/kernel.err")
	krc=$?
	if [ $krc -ne 0 ]; then
		reason=$(tail -n 1 "$build/kernel.err" | sed 's/^kernel.sh: //')
		skip "no guest kernel: ${reason:-kernel.sh failed with status $krc}"
	fi
	cat "$build/kernel.err" >&2; rm -f "$build/kernel.err"
fi

# 2. Initramfs: busybox, /init, and GUEST_DIR under /mw.
rm -rf "$work" && mkdir -p "$work/root" || die "cannot create $work"
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,mw} || die "cannot populate $root"
cp "$busybox" "$root/bin/busybox" || die "cannot copy $busybox"
for applet in $("$listbb" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../proc/mounts "$root/etc/mtab"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
cp -RL "$guest/." "$root/mw/" || die "cannot copy $guest into the initramfs"
# The kernel opens /dev/console before /init; a node in the archive keeps early output.
mknod "$root/dev/console" c 5 1 2>/dev/null
cat >"$root/init" <<EOF
#!/bin/sh
# /init of the mapwatch test VM: mount the usual file systems, run /mw/guest.sh, report, power off.
export PATH=/bin:/sbin HOME=/root TERM=dumb
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up 2>/dev/null
hostname mw-vm
echo "mw-vm: kernel \$(uname -r), starting /mw/guest.sh"
cd /mw && sh /mw/guest.sh
rc=\$?
echo "$marker \$rc"
sync
poweroff -f
sleep 5
EOF
chmod 755 "$root/init"
(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/initramfs.cpio" ||
	die "cpio failed building $work/initramfs.cpio"

# 3. Boot.
accel=${MW_VM_ACCEL:-tcg}
if [ $arch = arm64 ]; then
	machine=virt cpu=cortex-a72 console=ttyAMA0
else
	machine=pc cpu=max console=ttyS0
fi
[ "$accel" = kvm ] && cpu=host
cpu=${MW_VM_CPU:-$cpu}
machine=${MW_VM_MACHINE:-$machine}
smp=${MW_VM_SMP:-1}
args=(-nographic -nodefaults -no-user-config -no-reboot
	-machine "$machine" -accel "$accel" -cpu "$cpu" -smp "$smp" -m "${MW_VM_MEM:-1024}"
	-serial stdio -monitor none -nic none
	-kernel "$kernel" -initrd "$work/initramfs.cpio"
	-append "console=$console panic=-1 quiet ${MW_VM_CMDLINE:-}")
echo "run-vm.sh: booting $(basename "$kernel") ($arch, -cpu $cpu) with $name (timeout ${timeout_s}s, console log: $log)"
start=$(date +%s.%N)
if [ "${MW_VM_VERBOSE:-0}" = 1 ]; then
	timeout -k 5 "$timeout_s" "$qemu" "${args[@]}" </dev/null 2>&1 | tee "$log"
	qrc=${PIPESTATUS[0]}
else
	timeout -k 5 "$timeout_s" "$qemu" "${args[@]}" </dev/null >"$log" 2>&1
	qrc=$?
fi
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

# 4. Result: the last marker line carries guest.sh's exit status.
# Make the log plain text: no carriage returns, no terminal escapes from the firmware.
if [ -f "$log" ]; then
	sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' "$log" >"$log.tmp" && mv "$log.tmp" "$log"
fi
status=$(sed -n "s/.*$marker \([0-9][0-9]*\)\$/\1/p" "$log" | tail -n 1)
if [ -z "$status" ]; then
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		why="timed out after ${timeout_s}s"
	else
		why="guest printed no exit marker (qemu exit status $qrc)"
	fi
	echo "run-vm.sh: $why; last 50 lines of $log:" >&2
	tail -n 50 "$log" >&2
	exit 1
fi
echo "run-vm.sh: guest.sh exited with status $status after ${secs}s (console log: $log)"
exit "$status"

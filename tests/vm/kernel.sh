#!/bin/sh
# kernel.sh - fetch (once, cached) a Debian 6.1 cloud kernel for the VM tests (x86_64 or arm64) and print its vmlinuz path.
#
# Usage: tests/vm/kernel.sh [--arch ARCH] [--config | --facts]
#   --arch ARCH  the guest's architecture: x86_64 (default, or $MW_VM_ARCH) or arm64
#   (no option)  print the path of the cached vmlinuz (downloading it first if needed)
#   --config     print the path of the matching boot/config-* file instead
#   --facts      print the BPF-related CONFIG_* values of that kernel, one per line
# Environment:
#   MW_VM_ARCH        default for --arch
#   MW_VM_CACHE       cache directory (default /var/cache/mapwatch-vm; arm64 ones under arm64/)
#   MW_VM_KERNEL_PKG  exact package to use (default: the highest-numbered
#                     linux-image-6.1.0-N-cloud-{amd64,arm64}-unsigned apt knows about,
#                     or, if one is already cached, the newest cached one)
# Downloads go through scripts/debget.sh (apt-get download + dpkg-deb -x, modules dropped).
# Exit status: 0 ok, 77 the kernel cannot be had (reason on stderr, one line), 2 usage.
set -u

here=$(cd "$(dirname "$0")" && pwd)
debget="$here/../../scripts/debget.sh"
FACTS="CONFIG_BPF_SYSCALL CONFIG_BPF_JIT CONFIG_DEBUG_INFO_BTF CONFIG_KPROBES CONFIG_KPROBE_EVENTS \
CONFIG_IA32_EMULATION CONFIG_COMPAT CONFIG_FTRACE_SYSCALLS CONFIG_BPF_EVENTS CONFIG_FUNCTION_TRACER \
CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS CONFIG_BPF_LSM CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD \
CONFIG_SERIAL_8250_CONSOLE CONFIG_SERIAL_AMBA_PL011_CONSOLE CONFIG_ARCH_HAS_PKEYS CONFIG_CGROUP_BPF CONFIG_IKCONFIG_PROC"

mode=vmlinuz
arch=${MW_VM_ARCH:-x86_64}
while [ $# -gt 0 ]; do
	case $1 in
		--arch) [ $# -ge 2 ] || { echo "kernel.sh: --arch needs x86_64 or arm64" >&2; exit 2; }; arch=$2; shift ;;
		--config) mode=config ;;
		--facts) mode=facts ;;
		-h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
		*) echo "kernel.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $arch in
	x86_64) debarch=amd64 ;;
	arm64|aarch64) debarch=arm64 ;;
	*) echo "kernel.sh: --arch '$arch' must be x86_64 or arm64" >&2; exit 2 ;;
esac
PKG_RE="^linux-image-6\.1\.0-[0-9][0-9]*-cloud-$debarch-unsigned\$"
CACHE=$(sh "$debget" $debarch --dir)

skip() { echo "kernel.sh: $*" >&2; exit 77; }

# Print "vmlinuz-path" for an extracted package dir, or fail.
vmlinuz_in() { for f in "$1"/boot/vmlinuz-*; do [ -f "$f" ] && { echo "$f"; return 0; }; done; return 1; }

output() { # $1 = extracted package dir
	vmlinuz=$(vmlinuz_in "$1") || skip "no boot/vmlinuz-* in $1 (remove it and retry)"
	config=$(echo "$vmlinuz" | sed 's|/vmlinuz-\([^/]*\)$|/config-\1|')
	case $mode in
		vmlinuz) echo "$vmlinuz" ;;
		config) [ -f "$config" ] || skip "no $config"; echo "$config" ;;
		facts)
			[ -f "$config" ] || skip "no $config"
			for opt in $FACTS; do
				v=$(grep -E "^$opt=|^# $opt is not set" "$config" | head -n 1)
				case $v in
					"") echo "$opt=(absent)" ;;
					"# "*) echo "$opt=n" ;;
					*) echo "$v" ;;
				esac
			done ;;
	esac
	exit 0
}

# 1. A pinned package, or any cached one, needs no network.
if [ -n "${MW_VM_KERNEL_PKG:-}" ]; then
	for d in "$CACHE/${MW_VM_KERNEL_PKG}"_*; do
		[ -d "$d" ] && vmlinuz_in "$d" >/dev/null && output "$d"
	done
else
	newest=$(ls -d "$CACHE"/linux-image-6.1.0-*-cloud-$debarch-unsigned_* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$newest" ] && vmlinuz_in "$newest" >/dev/null && output "$newest"
fi

errf=$(mktemp) || skip "cannot create a temporary file"
trap 'rm -f "$errf"' EXIT
# 2. Find the package with apt, download and unpack it (boot/ only: the guest
# boots from an initramfs, without modules).
pkg=${MW_VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(sh "$debget" $debarch --newest "$PKG_RE" 2>"$errf")
	rc=$?
	err=$(sed 's/^debget.sh: //' "$errf" 2>/dev/null | tail -n 1)
	[ $rc -eq 0 ] || skip "${err:-no linux-image-6.1.0-*-cloud-$debarch-unsigned package known to apt}"
fi
dest=$(sh "$debget" $debarch --only boot "$pkg" 2>"$errf")
rc=$?
err=$(sed 's/^debget.sh: //' "$errf" 2>/dev/null | grep -v '^downloading' | tail -n 1)
grep '^debget.sh: downloading' "$errf" >&2
[ $rc -eq 0 ] && [ -n "$dest" ] || skip "${err:-cannot fetch $pkg}"
output "$dest"

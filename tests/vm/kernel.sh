#!/bin/sh
# kernel.sh - fetch (once, cached) a Debian 6.1 cloud kernel for the VM tests and print its vmlinuz path.
#
# Usage: tests/vm/kernel.sh [--config | --facts]
#   (no option)  print the path of the cached vmlinuz (downloading it first if needed)
#   --config     print the path of the matching boot/config-* file instead
#   --facts      print the BPF-related CONFIG_* values of that kernel, one per line
# Environment:
#   MW_VM_CACHE       cache directory (default /var/cache/mapwatch-vm)
#   MW_VM_KERNEL_PKG  exact package to use (default: the highest-numbered
#                     linux-image-6.1.0-N-cloud-amd64-unsigned apt knows about,
#                     or, if one is already cached, the newest cached one)
# Exit status: 0 ok, 77 the kernel cannot be had (reason on stderr, one line), 2 usage.
set -u

CACHE=${MW_VM_CACHE:-/var/cache/mapwatch-vm}
PKG_RE='^linux-image-6\.1\.0-[0-9][0-9]*-cloud-amd64-unsigned$'
FACTS="CONFIG_BPF_SYSCALL CONFIG_BPF_JIT CONFIG_DEBUG_INFO_BTF CONFIG_KPROBES CONFIG_KPROBE_EVENTS \
CONFIG_IA32_EMULATION CONFIG_FTRACE_SYSCALLS CONFIG_BPF_EVENTS CONFIG_FUNCTION_TRACER \
CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS CONFIG_BPF_LSM CONFIG_DEVTMPFS CONFIG_BLK_DEV_INITRD \
CONFIG_SERIAL_8250_CONSOLE CONFIG_CGROUP_BPF CONFIG_IKCONFIG_PROC"

mode=vmlinuz
case ${1:-} in
	"") ;;
	--config) mode=config ;;
	--facts) mode=facts ;;
	-h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "kernel.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

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
	newest=$(ls -d "$CACHE"/linux-image-6.1.0-*-cloud-amd64-unsigned_* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$newest" ] && vmlinuz_in "$newest" >/dev/null && output "$newest"
fi

# 2. Find the package and its version with apt.
command -v apt-get >/dev/null 2>&1 || skip "apt-get not found (needs a Debian/Ubuntu host)"
command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb not found"

candidate() { # $1 = package; prints its candidate version or nothing
	LC_ALL=C apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)'
}
find_pkg() {
	if [ -n "${MW_VM_KERNEL_PKG:-}" ]; then
		echo "$MW_VM_KERNEL_PKG"
	else
		apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | grep -E "$PKG_RE" | sort -V | tail -n 1
	fi
}
pkg=$(find_pkg)
ver=
[ -n "$pkg" ] && ver=$(candidate "$pkg")
if [ -z "$ver" ] && [ "$(id -u)" = 0 ]; then
	# Package lists may be missing (fresh container): refresh once.
	apt-get update -qq >/dev/null 2>&1
	pkg=$(find_pkg)
	[ -n "$pkg" ] && ver=$(candidate "$pkg")
fi
if [ -z "$ver" ]; then
	if [ -n "${MW_VM_KERNEL_PKG:-}" ]; then
		skip "apt knows no version of $MW_VM_KERNEL_PKG"
	fi
	skip "apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned package (needs Debian bookworm lists incl. bookworm-security; run apt-get update)"
fi

# 3. Download and extract into a temporary dir, then rename into place (atomic for concurrent runs).
dest="$CACHE/${pkg}_$ver"
mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] || skip "cache dir $CACHE is not writable (set MW_VM_CACHE)"
tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX") || skip "cannot create a temporary dir in $CACHE"
trap 'rm -rf "$tmp"' EXIT
echo "kernel.sh: downloading $pkg=$ver into $CACHE" >&2
# apt drops privileges to _apt for downloads; let it write the temporary dir.
chmod 755 "$tmp"; chown _apt "$tmp" 2>/dev/null
(cd "$tmp" && apt-get download -q "$pkg=$ver" >download.log 2>&1) ||
	skip "apt-get download $pkg=$ver failed: $(grep -E '^(E|Err)' "$tmp/download.log" | head -n 1)"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || skip "apt-get download $pkg=$ver produced no .deb"
mkdir "$tmp/x" && dpkg-deb -x "$deb" "$tmp/x" || skip "dpkg-deb -x $deb failed"
# The guest boots from an initramfs only: keep boot/ (vmlinuz, config, System.map), drop modules.
rm -rf "$tmp/x/lib" "$tmp/x/usr"
vmlinuz_in "$tmp/x" >/dev/null || skip "$pkg=$ver has no boot/vmlinuz-*"
chmod -R a+rX "$tmp/x"
# (Another run may have finished first: then keep its copy.)
[ -d "$dest" ] || mv -T "$tmp/x" "$dest" 2>/dev/null || [ -d "$dest" ] || skip "cannot move the kernel into $dest"
output "$dest"

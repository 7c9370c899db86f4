#!/bin/sh
# test.sh - the VM stage of the test suite: boots a Debian 6.1 kernel under qemu (x86_64, or arm64 with --arch arm64), runs mapwatch there on 64-bit and 32-bit programs, checks the results here.
# Usage: [MW_VM_TIMEOUT=SECONDS] tests/vm/test.sh [--arch x86_64|arm64]   (the guest run's limit, default 900 s: more on a loaded host)
#   x86_64 (default): the host's build, gcc and gcc -m32 (i386 programs).
#   arm64: make ARCH=arm64 (static cross build), clang --target aarch64 and
#          arm-linux-gnueabihf (EABI programs, compat tasks on arm64), booted with
#          qemu-system-aarch64 -M virt -cpu cortex-a72, and once more with
#          -cpu a64fx (no AArch32 at EL0) for the 32-bit probe.
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped". A kernel, package or tool that cannot be had is a skip, never a pass.
set -u
cd "$(dirname "$0")/../.." || exit 1
arch=x86_64
if [ "${1:-}" = --arch ]; then arch=${2:-}; fi
case $arch in
	x86_64) tag=vm ;;
	arm64) tag=vm-arm64 ;;
	*) echo "test.sh: --arch '$arch' must be x86_64 or arm64" >&2; exit 2 ;;
esac
skip() { echo "SKIP $tag: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
fail() { echo "FAIL $tag: $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

start=$(date +%s)
kerr=$(mktemp)
kernel=$(tests/vm/kernel.sh --arch $arch 2>"$kerr"); krc=$?
kmsg=$(cat "$kerr"); rm -f "$kerr"
[ $krc -eq 77 ] && skip "no guest kernel: $kmsg"
[ $krc -ne 0 ] && fail "kernel.sh failed: $kmsg"

g=build/vm/guest
[ $arch = arm64 ] && g=build/vm/guest-arm64
rm -rf "$g" && mkdir -p "$g/libs" || fail "cannot create $g"
if [ $arch = x86_64 ]; then
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
	make -s static >/dev/null || fail "static build of mapwatch failed"
	cp build/mapwatch-static "$g/mapwatch"
	cc64="gcc"
	gcc -m32 -O1 -static -o "$g/mmap32" tests/vm/mmap32.c || skip "cannot build 32-bit programs (apt-get install gcc-multilib)"
	gcc -m32 -O1 -static -o "$g/bypass32" tests/integration/bypass.c -lpthread || fail "cannot build the 32-bit bypass program"
	# issue #28: a no-libc i386 program whose first call is mmap2(RWX), and a 64-bit one asking
	# mprotect(RWX) through int 0x80: function mode's i386 entry functions see both
	gcc -m32 -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector -O1 -o "$g/first32" tests/integration/first32.c ||
		fail "cannot build first32"
	gcc -O1 -static -o "$g/int80wx" tests/integration/int80wx.c || fail "cannot build int80wx"
	# issue #22: code written by /proc/PID/mem, ptrace and process_vm_writev (6.1 has no bpf_task_from_pid)
	gcc -O1 -static -o "$g/codewrite" tests/integration/codewrite.c 2>/dev/null || fail "cannot build codewrite"
	gcc -m32 -O1 -static -D_FILE_OFFSET_BITS=64 -o "$g/codewrite32" tests/integration/codewrite.c 2>/dev/null ||
		fail "cannot build the 32-bit codewrite"
	# call_from_anon on both ABIs: the evidence tests' shellcode loader
	gcc -m32 -O1 -static -o "$g/evload32" tests/integration/evload.c || fail "cannot build the 32-bit evload"
	# issue #14: the memory family, 64-bit and 32-bit (ipc() included)
	gcc -O1 -static -Itests/integration -o "$g/memcalls64" tests/integration/memcalls.c || fail "cannot build memcalls"
	gcc -m32 -O1 -static -Itests/integration -o "$g/memcalls32" tests/integration/memcalls.c || fail "cannot build the 32-bit memcalls"
	# the dynamic program's loader and libc, and where the guest puts them
	libs="/lib64/ld-linux-x86-64.so.2:/lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6:/lib/x86_64-linux-gnu/libc.so.6"
else
	command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"
	command -v ld.lld >/dev/null || skip "ld.lld not installed (apt-get install lld)"
	for t in aarch64-linux-gnu arm-linux-gnueabihf; do
		d=arm64; [ $t = arm-linux-gnueabihf ] && d=armhf
		[ -f /usr/$t/lib/libc.a ] || skip "no $t C library (apt-get install libc6-dev-$d-cross)"
		ls /usr/lib/gcc-cross/$t/*/libgcc.a >/dev/null 2>&1 || skip "no $t libgcc (apt-get install libgcc-12-dev-$d-cross)"
	done
	lerr=$(mktemp)
	sh scripts/debget.sh arm64 libbpf-dev libelf-dev zlib1g-dev busybox-static strace >/dev/null 2>"$lerr"; lrc=$?
	lmsg=$(grep -v '^debget.sh: downloading' "$lerr" | tail -n 1); rm -f "$lerr"
	[ $lrc -eq 77 ] && skip "no arm64 packages: ${lmsg#debget.sh: }"
	[ $lrc -ne 0 ] && fail "debget.sh failed: $lmsg"
	make -s ARCH=arm64 >/dev/null || fail "cross build of mapwatch for arm64 (make ARCH=arm64) failed"
	cp build/arm64/mapwatch "$g/mapwatch"
	cc64="clang --target=aarch64-linux-gnu -fuse-ld=lld"
	clang --target=arm-linux-gnueabihf -marm -fuse-ld=lld -O1 -static -o "$g/mmaparm" tests/vm/mmaparm.c ||
		fail "cannot build the 32-bit ARM program"
	# issue #27: strace's edge cases made by an EABI task, watched by mapwatch and by Debian's
	# arm64 strace (which decodes 32-bit ARM tasks too; it needs only the loader and libc below)
	clang --target=arm-linux-gnueabihf -marm -fuse-ld=lld -O1 -static -o "$g/evload32" tests/integration/evload.c ||
		fail "cannot build the 32-bit ARM evload"
	clang --target=arm-linux-gnueabihf -marm -fuse-ld=lld -O1 -static -o "$g/paritycalls" tests/integration/paritycalls.c ||
		fail "cannot build the 32-bit ARM parity program"
	cp "$(sh scripts/debget.sh arm64 --dir)"/strace_*/usr/bin/strace "$g/strace" || fail "no arm64 strace in the package cache"
	# issue #22: code_write by an arm64 and a 32-bit ARM (EABI) writer, through function mode's fexit slots
	clang --target=arm-linux-gnueabihf -marm -fuse-ld=lld -O1 -static -D_FILE_OFFSET_BITS=64 -o "$g/codewrite32" \
		tests/integration/codewrite.c -lpthread || fail "cannot build the 32-bit ARM codewrite"
	$cc64 -O1 -static -o "$g/codewrite" tests/integration/codewrite.c -lpthread || fail "cannot build the arm64 codewrite"
	libs="/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1:/lib/ld-linux-aarch64.so.1 /usr/aarch64-linux-gnu/lib/libc.so.6:/lib/aarch64-linux-gnu/libc.so.6"
fi
$cc64 -O1 -static -o "$g/mmapcalls" tests/integration/mmapcalls.c -lpthread || fail "cannot build the 64-bit test program"
$cc64 -O1 -static -o "$g/evload64" tests/integration/evload.c || fail "cannot build the 64-bit evload"
$cc64 -O1 -o "$g/dmprog" tests/vm/dmprog.c || fail "cannot build the dynamic do_mmap program"
$cc64 -O1 -static -o "$g/dmprog-static" tests/vm/dmprog.c || fail "cannot build the static do_mmap program"
: >"$g/libs/map"
for l in $libs; do
	cp -L "${l%%:*}" "$g/libs/" || fail "cannot copy ${l%%:*}"
	echo "$(basename "${l%%:*}") ${l#*:}" >>"$g/libs/map"
done
echo "$arch" >"$g/arch"
cp tests/vm/guest/guest.sh "$g/guest.sh"
run=build/vm/run-$arch.out
MW_VM_CMDLINE="loglevel=1" tests/vm/run-vm.sh --arch $arch "$g" "${MW_VM_TIMEOUT:-900}" >"$run" 2>&1; rc=$?
[ $rc -eq 77 ] && skip "$(tail -n 1 "$run")"
if [ $rc -ne 0 ]; then
	cat "$run"
	fail "the guest run failed (exit status $rc)"
fi
logs=build/vm/$(basename "$g").run/console.log
if [ $arch = arm64 ]; then
	# the same kernel on a CPU without AArch32 at EL0 (it still has /proc/sys/abi)
	g2=build/vm/guest-a64fx
	rm -rf "$g2" && mkdir -p "$g2" || fail "cannot create $g2"
	cp "$g/mapwatch" "$g/mmaparm" "$g2/" && echo a64fx >"$g2/arch" && cp tests/vm/guest/guest.sh "$g2/guest.sh"
	MW_VM_CPU=a64fx MW_VM_MACHINE=virt,gic-version=3 MW_VM_CMDLINE="loglevel=1" tests/vm/run-vm.sh --arch arm64 "$g2" 360 >"$run" 2>&1; rc=$?
	if [ $rc -ne 0 ]; then
		cat "$run"
		fail "the a64fx guest run failed (exit status $rc)"
	fi
	logs="$logs build/vm/guest-a64fx.run/console.log"
fi
echo "$tag: boot and guest run took $(( $(date +%s) - start )) s in all (kernel $(basename "$kernel"))"
# shellcheck disable=SC2086
python3 tests/vm/check.py --arch $arch $logs

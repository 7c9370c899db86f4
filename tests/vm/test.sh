#!/bin/sh
# test.sh - the VM stage of the test suite: boots a Debian 6.1 kernel under qemu, runs mapwatch there on 64-bit and 32-bit programs, checks the results here.
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped". A kernel that cannot be had is a skip, never a pass.
set -u
cd "$(dirname "$0")/../.." || exit 1
skip() { echo "SKIP vm: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
fail() { echo "FAIL vm: $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

start=$(date +%s)
kernel=$(tests/vm/kernel.sh 2>/tmp/mw-vm-kernel.err); krc=$?
[ $krc -eq 77 ] && skip "no guest kernel: $(cat /tmp/mw-vm-kernel.err)"
[ $krc -ne 0 ] && fail "kernel.sh failed: $(cat /tmp/mw-vm-kernel.err)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"

g=build/vm/guest
rm -rf "$g" && mkdir -p "$g" || fail "cannot create $g"
make -s static >/dev/null || fail "static build of mapwatch failed"
cp build/mapwatch-static "$g/mapwatch"
gcc -O1 -static -o "$g/mmapcalls" tests/integration/mmapcalls.c -lpthread || fail "cannot build the 64-bit test program"
gcc -m32 -O1 -static -o "$g/mmap32" tests/vm/mmap32.c || skip "cannot build 32-bit programs (apt-get install gcc-multilib)"
gcc -m32 -O1 -static -o "$g/bypass32" tests/integration/bypass.c -lpthread || fail "cannot build the 32-bit bypass program"
gcc -O1 -o "$g/dmprog" tests/vm/dmprog.c || fail "cannot build the dynamic do_mmap program"
gcc -O1 -static -o "$g/dmprog-static" tests/vm/dmprog.c || fail "cannot build the static do_mmap program"
# the dynamic program's loader and libc, at the paths its ELF header names
mkdir -p "$g/libs" && cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$g/libs/" || fail "cannot copy ld.so/libc"
cp tests/vm/guest/guest.sh "$g/guest.sh"
MW_VM_CMDLINE="loglevel=1" tests/vm/run-vm.sh "$g" 300 >build/vm/run.out 2>&1; rc=$?
[ $rc -eq 77 ] && skip "$(tail -n 1 build/vm/run.out)"
if [ $rc -ne 0 ]; then
	cat build/vm/run.out
	fail "the guest run failed (exit status $rc)"
fi
echo "vm: boot and guest run took $(( $(date +%s) - start )) s in all (kernel $(basename "$kernel"))"
python3 tests/vm/check.py build/vm/guest.run/console.log

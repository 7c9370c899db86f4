#!/bin/sh
# run.sh - VM smoke test (host side): build the static 32/64-bit programs, stage them with guest.sh, boot them with run-vm.sh.
# Usage: tests/vm/smoke/run.sh [TIMEOUT_S]   (exit 0 pass, 1 fail, 77 skipped)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
stage=${MW_VM_BUILD:-$repo/build/vm}/smoke-guest
CC=${CC:-gcc}
rm -rf "$stage" && mkdir -p "$stage" || { echo "smoke: cannot create $stage" >&2; exit 1; }
$CC -O2 -Wall -Wextra -static "$here/mmap64.c" -o "$stage/mmap64" ||
	{ echo "smoke: cannot build the static 64-bit program" >&2; exit 1; }
if ! $CC -O2 -Wall -Wextra -m32 -static "$here/mmap32.c" -o "$stage/mmap32"; then
	echo "skipped: gcc -m32 -static failed (apt-get install gcc-multilib)"
	exit 77
fi
cp "$here/guest.sh" "$stage/guest.sh"
exec "$here/../run-vm.sh" "$stage" "${1:-120}"

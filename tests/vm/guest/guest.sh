# guest.sh - runs inside the VM (Debian 6.1 kernel, x86_64 or arm64: ./arch says which): mapwatch on the 64-bit and 32-bit test programs; prints the results between markers for the host to check.
cd /mw || exit 1
arch=$(cat arch 2>/dev/null || echo x86_64)
echo "guest: kernel $(uname -r), $arch"
files=""
out() { # NAME: print /tmp/NAME at the end
	files="$files $1"
}
if [ "$arch" = a64fx ]; then
	# a CPU without AArch32 at EL0: /proc/sys/abi is there all the same
	ls /proc/sys/abi >/tmp/abi.txt 2>&1
	echo "@@RC abi $?"
	./mmaparm /tmp/logarm.json /tmp >/tmp/run32.txt 2>&1
	echo "@@RC run32 $?"
	./mapwatch -v --events mmap -- /bin/true >/tmp/probe.txt 2>&1
	echo "@@RC probe $?"
	for f in abi.txt run32.txt probe.txt; do out $f; done
else
	p32=mmap32
	[ "$arch" = arm64 ] && p32=mmaparm
	mkdir -p /tmp/f64 /tmp/f32 /tmp/f32t /tmp/f32s
	./mapwatch --json --stats -o /tmp/ev64.json -- ./mmapcalls /tmp/log64.json /tmp/f64 2>/tmp/err64.txt
	echo "@@RC ev64 $?"
	# arm64: mmaparm also makes the memory family's calls (compat_memory_family checks them)
	ev32sel=""
	[ "$arch" = arm64 ] && ev32sel="--events all"
	./mapwatch --json --stats $ev32sel -o /tmp/ev32.json -- ./$p32 /tmp/log32.json /tmp/f32 2>/tmp/err32.txt
	echo "@@RC ev32 $?"
	./mapwatch -- ./$p32 /tmp/log32t.json /tmp/f32t >/tmp/table32.txt 2>&1
	echo "@@RC table32 $?"
	./mapwatch --json --events mmap2 -o /tmp/ev32sel.json -- ./$p32 /tmp/log32sel.json /tmp/f32s 2>&1
	echo "@@RC ev32sel $?"
	./mapwatch --compat off --json -o /tmp/ev32off.json -- ./$p32 /tmp/log32off.json /tmp/f32s 2>&1
	echo "@@RC ev32off $?"
	./mapwatch --alerts-only --json -o /tmp/al32.json -- ./$p32 /tmp/log32al.json /tmp/f32s 2>&1
	echo "@@RC al32 $?"
	# call_from_anon, both ABIs: a stub in anonymous memory calling mmap2/mmap itself
	for b in 32 64; do
		./mapwatch --alerts-only --json -o /tmp/stub$b.json -- ./evload$b stub /tmp/stub$b.page - >/tmp/stub$b.txt 2>&1
		echo "@@RC stub$b $?"
		out stub$b.json
		out stub$b.txt
	done
	if [ "$arch" = x86_64 ]; then
		# issue #11: 32-bit W+X got past a check of the request, judged on the VMA at exit
		mkdir -p /tmp/b32
		./mapwatch --json --alerts -o /tmp/bp_fault.json -- ./bypass32 oldfault /tmp/b32/ran /tmp/b32 2>&1
		echo "@@RC bp_fault $?"
		./mapwatch --json -o /tmp/bp_race.json -- ./bypass32 race /tmp/bp_racelog.json 100 2>&1
		echo "@@RC bp_race $?"
		for m in oldfault rie racekill; do
			case $m in oldfault) a="/tmp/b32/k-$m /tmp/b32" ;; racekill) a="/tmp/b32/k-$m 20000" ;; *) a=/tmp/b32/k-$m ;; esac
			./mapwatch --kill-wx -o /tmp/bpk-$m.txt -- ./bypass32 $m $a 2>&1
			echo "@@RC bpk_$m $?"
		done
		# issue #28: i386 entries reached from a first instruction and by int 0x80 from 64-bit code
		mkdir -p /tmp/k28
		./mapwatch --kill-wx -o /tmp/k28-first32.txt -- ./first32 /tmp/k28/first32 2>&1
		echo "@@RC k28_first32 $?"
		./mapwatch --kill-wx -o /tmp/k28-int80.txt -- ./int80wx /tmp/k28/int80wx 2>&1
		echo "@@RC k28_int80 $?"
		ls /tmp/k28 >/tmp/k28_markers.txt
		cat /tmp/k28-first32.txt /tmp/k28-int80.txt >/tmp/k28_alerts.txt
		out k28_markers.txt
		out k28_alerts.txt
		ls /tmp/b32 >/tmp/bp_markers.txt
		grep -h ' \[killed\]$' /tmp/bpk-*.txt >/tmp/bp_killed.txt
		for f in bp_fault.json bp_race.json bp_racelog.json bp_markers.txt bp_killed.txt; do out $f; done
		# issue #22: code_write on 6.1 (the route programs load without the kfuncs it lacks)
		# one run for all (each start costs much under TCG); each mode as its own
		# command name, cw_MODE, so that the alerts say which mode raised them
		# (32-bit writers as cw32_MODE: function mode's fexit slots on the i386 entries)
		for m in self_mem self_mem_data poketext child_mem pvw pvw_data; do cp codewrite "cw_$m"; done
		for m in self_mem uffd pvw_data; do cp codewrite32 "cw32_$m"; done
		./mapwatch --alerts-only --json -o /tmp/cw.json -- /bin/sh -c \
			'for m in self_mem self_mem_data poketext child_mem pvw pvw_data; do ./cw_$m $m; echo "@@RC cw_$m $?"; done
			 for m in self_mem uffd pvw_data; do ./cw32_$m $m; echo "@@RC cw32_$m $?"; done' 2>&1
		out cw.json
		# issue #14: every memory-family call on this kernel, 64-bit and 32-bit
		./mapwatch -v --json --events all -o /tmp/fam64.json -- ./memcalls64 /tmp/famlog64.json >/tmp/famv64.txt 2>&1
		echo "@@RC fam64 $?"
		# 32-bit: function mode (auto here: fentry on the i386 entries and ipc()), then the dispatcher
		./mapwatch -v --json --events all -o /tmp/fam32.json -- ./memcalls32 /tmp/famlog32.json >/tmp/famv32.txt 2>&1
		echo "@@RC fam32 $?"
		./mapwatch --json --events all --hook dispatcher -o /tmp/fam32d.json -- ./memcalls32 /tmp/famlog32d.json 2>&1
		echo "@@RC fam32d $?"
		for f in fam64.json famlog64.json famv64.txt fam32.json famlog32.json famv32.txt fam32d.json famlog32d.json; do out $f; done
	fi
	# the dynamic program's loader and libc where its ELF header names them
	while read -r lib dest; do
		mkdir -p "$(dirname "$dest")" && cp "libs/$lib" "$dest"
	done <libs/map
	./mapwatch --list >/tmp/list.txt 2>&1
	./mapwatch --events do_mmap,mmap --json -o /tmp/dm_dyn.json -- /mw/dmprog 2>&1
	echo "@@RC dm_dyn $?"
	./mapwatch --events do_mmap,mmap --json -o /tmp/dm_static.json -- /mw/dmprog-static 2>&1
	echo "@@RC dm_static $?"
	./mapwatch --events do_mmap -- /mw/dmprog >/tmp/dm_table.txt 2>&1
	echo "@@RC dm_table $?"
	for f in list.txt dm_dyn.json dm_static.json dm_table.txt al32.json log64.json ev64.json err64.txt log32.json ev32.json err32.txt table32.txt log32sel.json ev32sel.json ev32off.json; do
		out $f
	done
	if [ "$arch" = arm64 ]; then
		# the hooks this kernel lacks (pkey_mprotect: no pkeys on arm64) are skipped and said so
		# (tracepoint mode: auto takes the dispatcher here, which sees every syscall)
		mkdir -p /tmp/fv /tmp/fr
		./mapwatch -v --hook tracepoint --json -o /tmp/evv.json -- ./mmapcalls /tmp/logv.json /tmp/fv >/tmp/verbose.txt 2>&1
		echo "@@RC verbose $?"
		# raw_syscalls for native calls too: pkey_mprotect is seen there, ENOSYS
		./mapwatch --hook raw --json --stats -o /tmp/evraw.json -- ./mmapcalls /tmp/lograw.json /tmp/fr 2>/tmp/errraw.txt
		echo "@@RC evraw $?"
		for f in verbose.txt logv.json evv.json lograw.json evraw.json errraw.txt; do out $f; done
		# issue #27: strace parity of an EABI task (strace needs the loader and libc copied above)
		./mapwatch --events all -o /tmp/parity.txt -- ./strace -f -qq -s 300 -o /tmp/parity.strace ./paritycalls 2>&1
		echo "@@RC parity $?"
		for f in parity.txt parity.strace; do out $f; done
		# issue #22: code_write by arm64 (cw64_MODE) and 32-bit ARM (cw32_MODE) writers
		for m in self_mem pvw_data; do cp codewrite "cw64_$m"; done
		for m in self_mem uffd poketext pvw_data; do cp codewrite32 "cw32_$m"; done
		./mapwatch --alerts-only --json -o /tmp/cwarm.json -- /bin/sh -c \
			'for m in self_mem pvw_data; do ./cw64_$m $m; echo "@@RC cw64_$m $?"; done
			 for m in self_mem uffd poketext pvw_data; do ./cw32_$m $m; echo "@@RC cw32_$m $?"; done' 2>&1
		out cwarm.json
	fi
fi
for f in $files; do
	echo "@@FILE $f"
	cat "/tmp/$f"
	echo
	echo "@@END $f"
done
exit 0

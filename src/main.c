/* main.c - mapwatch command line: parses options, prints the catalogue, hands over to the tracer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "filter.h"
#include "hooks.h"
#include "tracer.h"

#ifndef MW_VERSION
#define MW_VERSION "dev"
#endif

static const char usage_text[] =
"Usage: mapwatch [OPTION]... [-- COMMAND [ARG]...]\n"
"Watch memory-mapping requests (mmap, mmap2, munmap, mprotect, pkey_mprotect,\n"
"mremap, msync) of every process on the host, or of COMMAND and its\n"
"descendants, with every argument decoded and the kernel's answer.\n"
"\n"
"Output:\n"
"  -j, --json               one JSON object per line (Tracee-compatible keys)\n"
"  -o, --output FILE        write events to FILE instead of standard output\n"
"  -s, --stats              at exit, print counts (seen, written, lost) to stderr\n"
"Selection (all applied in the kernel; LIST is comma-separated, options repeat;\n"
"a value starting with != or ! negates the whole option: --comm '!=bash,sshd'):\n"
"  -e, --events LIST        only these events (see --list), or classes: %mapping\n"
"                           (the default), %memory, %shm, all\n"
"  -p, --pid LIST           processes (thread groups) with these pids\n"
"      --follow             with --pid: also their descendants created from now on\n"
"      --tid LIST           threads with these ids\n"
"  -c, --comm LIST          command names (the kernel's 15-byte comm)\n"
"  -u, --uid LIST           user ids or names\n"
"      --exe LIST           processes running these executables (matched by inode)\n"
"      --cgroup LIST        cgroup v2 paths (under /sys/fs/cgroup) or ids, with their sub-cgroups\n"
"      --container LIST     container ids (docker, containerd, cri-o, podman; 3+ hex\n"
"                           digits, prefix match), or 'all' (any container), or 'none'\n"
"      --mntns LIST         mount namespace ids or /proc/PID/ns/mnt paths\n"
"      --pidns LIST         pid namespace ids or /proc/PID/ns/pid paths\n"
"      --prot-all LIST      prot has every one of these bits (R,W,X or PROT_*)\n"
"      --prot-any LIST      prot has at least one of these bits\n"
"      --flags-all LIST     mmap flags have all of these (MAP_SHARED, MAP_FIXED, ...)\n"
"      --flags-any LIST     mmap flags have at least one of these\n"
"      --fd-kind LIST       mmap of: anon, file, device, regular, chardev, blockdev,\n"
"                           memfd, shm, deleted, anon_inode, socket, badfd, ...\n"
"      --path LIST          mmap of a file at or under these files/directories\n"
"      --failed             only calls that failed;  --succeeded: only those that did not\n"
"      --errno LIST         only calls that failed with these errors (EACCES, ENOMEM, ...)\n"
"      --min-length BYTES   only calls whose length is at least BYTES (K/M/G suffix)\n"
"  Argument filters reject events that lack the argument (--prot-all X drops munmap).\n"
"Alerts (same stream, table or JSON; kinds: wx_mapping, wx_mprotect, x_after_w,\n"
"exec_fileless, device_mapping):\n"
"      --alerts             events and alerts\n"
"      --alerts-only        alerts only\n"
"      --allow EXE          no alerts for this executable (path; a directory ending\n"
"                           in / covers everything under it); repeatable\n"
"      --kill-wx            ENFORCEMENT: SIGKILL, from the kernel at syscall entry,\n"
"                           any process in scope that asks for memory both writable\n"
"                           and executable (mmap/mprotect with PROT_WRITE|PROT_EXEC).\n"
"                           WARNING: this kills JITs (node, java, browsers) host-wide\n"
"                           unless a scope filter or -- COMMAND narrows it.\n"
"Tuning:\n"
"      --buffer-size BYTES  ring buffer size, power of two (K/M suffix; default 4M)\n"
"      --flush-ms MS        longest time an event waits before it is written (default 50)\n"
"      --hook MODE          auto (default): per-syscall tracepoints, plus raw_syscalls\n"
"                           when the kernel can run 32-bit tasks; tracepoint; raw\n"
"      --compat MODE        32-bit tasks: auto (probe the kernel, default), on, off\n"
"Information:\n"
"  -l, --list               print the event catalogue and exit\n"
"  -v, --verbose            libbpf and set-up messages on stderr\n"
"  -h, --help               this help\n"
"  -V, --version            version\n"
"\n"
"Exit status: COMMAND's status when one is given (128+N if killed by signal N),\n"
"0 after Ctrl-C/SIGTERM otherwise; 1 on run-time errors; 2 on usage errors.\n"
"Needs root (or CAP_BPF+CAP_PERFMON), a kernel with BTF, and tracefs.\n"
"\n"
"Examples:\n"
"  mapwatch                              every mapping call on the host, as a table\n"
"  mapwatch --json -o maps.json          the same as JSON lines, into a file\n"
"  mapwatch -e mprotect,pkey_mprotect    only protection changes\n"
"  mapwatch --stats -- python3 -c 1      one command (and its children) from exec\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("mapwatch: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try 'mapwatch --help')\n", stderr);
	return 2;
}

/* Parse "8M", "65536", "64K". Returns 0 on success. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_events(const char *list, uint32_t *mask)
{
	char err[1400];

	if (mw_events_parse(list, mask, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "mapwatch: %s\n", err);
	return -1;
}

static void print_list(void)
{
	printf("%-14s %-7s %-6s %-6s %-5s %s\n", "EVENT", "x86_64", "i386", "arm64", "arm", "ARGUMENTS (name: type [tags])");
	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		char nums[4][12];
		int v[4] = { d->nr_x86_64, d->nr_i386, d->nr_arm64, d->nr_arm };

		for (int k = 0; k < 4; k++)
			snprintf(nums[k], sizeof(nums[k]), v[k] < 0 ? "-" : "%d", v[k]);
		printf("%-14s %-7s %-6s %-6s %-5s ", d->name, nums[0], nums[1], nums[2], nums[3]);
		for (int a = 0; a < d->nargs; a++) {
			char tags[32];
			const struct mw_arg_desc *ad = &d->args[a];
			printf("%s%s: %s [%s]", a ? ", " : "", ad->name, mw_arg_type_name(ad->type),
			       mw_tags_str(ad->tags, tags));
		}
		char avail[700] = "", probe[680];
		char cls[64];
		if (i == MW_EV_DO_MMAP)
			snprintf(avail, sizeof(avail), " [%s]", mw_do_mmap_availability(probe, sizeof(probe)));
		mw_class_str(d->classes, cls);
		printf("\n%-14s %s%s%s%s\n", "", d->doc, avail, cls[0] ? "; " : "", cls);
	}
	printf("\nEvery event also carries the return value (errno name when negative) and the\n"
	       "caller's context: pids/tids/ppid (host and namespace), uid, comm, executable,\n"
	       "cgroup, container id, mount and pid namespaces, 32-bit flag. Tags: U from user\n"
	       "space, K from the kernel, TOCTOU read from user memory (i386 old_mmap), OPT optional.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "events", required_argument, NULL, 'e' },
		{ "stats", no_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "buffer-size", required_argument, NULL, 1000 },
		{ "flush-ms", required_argument, NULL, 1001 },
		{ "hook", required_argument, NULL, 1002 },
		{ "compat", required_argument, NULL, 1003 },
		{ "alerts", no_argument, NULL, 1004 },
		{ "alerts-only", no_argument, NULL, 1005 },
		{ "allow", required_argument, NULL, 1006 },
		{ "kill-wx", no_argument, NULL, 1007 },
		{ "pid", required_argument, NULL, MW_OPT_PID },
		{ "follow", no_argument, NULL, MW_OPT_FOLLOW },
		{ "tid", required_argument, NULL, MW_OPT_TID },
		{ "comm", required_argument, NULL, MW_OPT_COMM },
		{ "uid", required_argument, NULL, MW_OPT_UID },
		{ "exe", required_argument, NULL, MW_OPT_EXE },
		{ "cgroup", required_argument, NULL, MW_OPT_CGROUP },
		{ "container", required_argument, NULL, MW_OPT_CONTAINER },
		{ "mntns", required_argument, NULL, MW_OPT_MNTNS },
		{ "pidns", required_argument, NULL, MW_OPT_PIDNS },
		{ "prot-all", required_argument, NULL, MW_OPT_PROT_ALL },
		{ "prot-any", required_argument, NULL, MW_OPT_PROT_ANY },
		{ "flags-all", required_argument, NULL, MW_OPT_FLAGS_ALL },
		{ "flags-any", required_argument, NULL, MW_OPT_FLAGS_ANY },
		{ "fd-kind", required_argument, NULL, MW_OPT_FDKIND },
		{ "path", required_argument, NULL, MW_OPT_PATH },
		{ "failed", no_argument, NULL, MW_OPT_FAILED },
		{ "succeeded", no_argument, NULL, MW_OPT_SUCCEEDED },
		{ "errno", required_argument, NULL, MW_OPT_ERRNO },
		{ "min-length", required_argument, NULL, MW_OPT_MINLEN },
		{ 0 }
	};
	struct mw_opts o = {
		.event_mask = mw_class_mask(MW_CL_MAPPING),
		.hook = MW_HOOK_AUTO,
		.compat = -1,
		.buffer_size = 4u << 20,
		.poll_ms = 50,
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jo:e:slvhVp:c:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 'o': o.output = optarg; break;
		case 's': o.stats = true; break;
		case 'v': o.verbose = true; break;
		case 'e':
			if (parse_events(optarg, &o.event_mask))
				return 2;
			break;
		case 'l': print_list(); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("mapwatch %s\n", MW_VERSION); return 0;
		case 1000:
			if (parse_size(optarg, &o.buffer_size) || o.buffer_size < 4096 ||
			    (o.buffer_size & (o.buffer_size - 1)) || o.buffer_size > (1ull << 30))
				return usage_error("--buffer-size '%s' must be a power of two between 4K and 1G", optarg);
			break;
		case 1001: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 10000)
				return usage_error("--flush-ms '%s' must be a number of milliseconds from 1 to 10000", optarg);
			o.poll_ms = (unsigned)v;
			break;
		}
		case 1002:
			if (!strcmp(optarg, "auto")) o.hook = MW_HOOK_AUTO;
			else if (!strcmp(optarg, "tracepoint")) o.hook = MW_HOOK_TRACEPOINT;
			else if (!strcmp(optarg, "raw")) o.hook = MW_HOOK_RAW;
			else return usage_error("--hook '%s' must be auto, tracepoint or raw", optarg);
			break;
		case 1003:
			if (!strcmp(optarg, "auto")) o.compat = -1;
			else if (!strcmp(optarg, "on")) o.compat = 1;
			else if (!strcmp(optarg, "off")) o.compat = 0;
			else return usage_error("--compat '%s' must be auto, on or off", optarg);
			break;
		case 1004: o.alerts = true; break;
		case 1005: o.alerts = o.alerts_only = true; break;
		case 1006: {
			const char **n = realloc(o.allow, sizeof(*n) * (o.nallow + 1));
			if (!n)
				return usage_error("%s", "out of memory");
			o.allow = n;
			o.allow[o.nallow++] = optarg;
			break;
		}
		case 1007: o.kill_wx = o.alerts = true; break;
		case 'p': c = MW_OPT_PID; goto filter;
		case 'c': c = MW_OPT_COMM; goto filter;
		case 'u': c = MW_OPT_UID; goto filter;
		case MW_OPT_PID: case MW_OPT_FOLLOW: case MW_OPT_TID: case MW_OPT_COMM:
		case MW_OPT_UID: case MW_OPT_EXE: case MW_OPT_CGROUP: case MW_OPT_CONTAINER:
		case MW_OPT_MNTNS: case MW_OPT_PIDNS: case MW_OPT_PROT_ALL: case MW_OPT_PROT_ANY:
		case MW_OPT_FLAGS_ALL: case MW_OPT_FLAGS_ANY: case MW_OPT_FDKIND: case MW_OPT_PATH:
		case MW_OPT_FAILED: case MW_OPT_SUCCEEDED: case MW_OPT_ERRNO: case MW_OPT_MINLEN:
		filter:
			if (mw_filter_add(&o.filters, c, optarg))
				return 2;
			break;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (mw_filter_finish(&o.filters))
		return 2;
	if (o.alerts && ((o.filters.on & (MW_FLT_ARGS | MW_FLT_RESULT | MW_FLT_ERRNO)) ||
			 (o.event_mask & mw_class_mask(MW_CL_MAPPING)) != mw_class_mask(MW_CL_MAPPING))) {
		fprintf(stderr, "mapwatch: alerts need every mapping call of the processes in scope: use scope filters (--pid, --comm, --uid, ...) with them, not argument filters or an --events list that leaves a syscall out (adding do_mmap is fine)\n");
		return 2;
	}
	if (o.nallow && !o.alerts)
		return usage_error("%s", "--allow only makes sense with --alerts, --alerts-only or --kill-wx");
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error("unexpected argument '%s': put the command after '--'", argv[optind]);
		o.cmd = &argv[optind];
	} else if (optind > 0 && !strcmp(argv[optind - 1], "--")) {
		return usage_error("%s", "'--' must be followed by a command to run");
	}
	int rc = mw_run(&o);
	free(o.allow);
	return rc;
}

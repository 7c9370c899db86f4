/* main.c - mapwatch command line: the --help text and --list, the option table (options.c) does the parsing, the tracer the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "catalog.h"
#include "config.h"
#include "hooks.h"
#include "msg.h"
#include "options.h"
#include "options_check.h"
#include "options_parse.h"
#include "rules.h"
#include "rules_compile.h"
#include "summary.h"
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
"  -o, --output FILE        write events to FILE instead of standard output ('-':\n"
"                           standard output); created mode 0600, replaced only once\n"
"                           tracing has started\n"
"  -a, --append             add to the --output FILE instead of replacing it\n"
"  -s, --stats              at exit, print counts (seen, written, lost) to stderr\n"
"                           (with --json: one JSON object)\n"
"      --time FMT           table time: local (default, 12:01:02.345678), utc, iso\n"
"                           (date and offset), epoch (seconds), relative (to start)\n"
"Summary (counted in the kernel: no record per call leaves it):\n"
"  -c, --summary            instead of events, a table per syscall at the end as\n"
"                           strace -c prints it (% time, seconds, usecs/call, calls,\n"
"                           errors) with the bytes mapped, unmapped and protected by\n"
"                           successful calls, and the errors by errno\n"
"      --summary-by KEY     one table per event (default), process, comm, exe,\n"
"                           container (named with its image and pod, also after it\n"
"                           exited) or pod (Kubernetes namespace/name)\n"
"      --top N              keep the N groups with most calls (event: the N events)\n"
"      --interval SECONDS   a summary every SECONDS (and one for the rest at the end)\n"
"                           instead of one at the end; with --json one object each\n"
"Stacks:\n"
"  -k, --stack              the caller's user stack after each event (and alert), as\n"
"                           strace -k prints it: function+0xoff (file) per frame;\n"
"                           JSON: \"stack\". Needs frame pointers past libc: a stack\n"
"                           cut short ends with a marker line\n"
"      --stack-depth N      frames per stack, 1..127 (default 32; implies --stack)\n"
"Selection (all applied in the kernel; LIST is comma-separated, spaces around words\n"
"are ignored, repeats add up (-e mmap -e munmap); a value starting with != or !\n"
"negates the whole option: --comm '!=bash,sshd'; other options: the last one counts):\n"
"  -e, --events LIST        only these events (see --list), or classes: %mapping\n"
"                           (the default), %memory, %shm, all\n"
"  -p, --pid LIST           processes (thread groups) with these pids\n"
"      --follow             with --pid: also their descendants created from now on\n"
"      --tid LIST           threads with these ids\n"
"      --comm LIST          command names (the kernel's 15-byte comm: the task's\n"
"                           own name, which it can rename; refused with --kill-wx)\n"
"  -u, --uid LIST           user ids or names\n"
"      --exe LIST           processes running these executables (matched by inode)\n"
"      --cgroup LIST        cgroup v2 paths (under /sys/fs/cgroup) or ids, with their sub-cgroups\n"
"      --container LIST     containers by id (3+ characters, prefix match), name or\n"
"                           image (with or without registry and tag), or 'all' (any\n"
"                           container), or 'none'; --pod LIST: Kubernetes pod names;\n"
"                           --k8s-namespace LIST: their namespaces. Each cgroup is\n"
"                           looked up once in user space, then filtered in the kernel\n"
"      --runtime-root LIST  KIND=DIR: where a runtime keeps its state, replacing that\n"
"                           kind's defaults: runc (/run/runc), crun (/run/crun),\n"
"                           containerd (/run/containerd/runc/k8s.io, .../default),\n"
"                           moby (/run/docker/runtime-runc/moby), docker\n"
"                           (/var/lib/docker), podman (/var/lib/containers/storage)\n"
"      --container-cache N  container identities kept, by cgroup (default 4096; the\n"
"                           least recently used are evicted)\n"
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
"exec_fileless, device_mapping, dropped_code: a file written under 60 s ago, or\n"
"since the process began, mapped executable or run; call_from_anon, wx_alias:\n"
"executable memory writable through another view of the same pages, or through\n"
"a file open for writing; code_write: executable memory written by ptrace\n"
"POKETEXT/POKEDATA, process_vm_writev or /proc/PID/mem, a debugger's breakpoints\n"
"included):\n"
"      --alerts             events and alerts\n"
"      --alerts-only        alerts only\n"
"      --allow EXE          no alerts and no --kill-wx for this executable, matched\n"
"                           by inode (a directory: every executable below it);\n"
"                           repeatable\n"
"      --kill-wx            ENFORCEMENT: SIGKILL, from the kernel at syscall exit,\n"
"                           any process in scope whose mmap/mprotect left memory both\n"
"                           writable and executable (read from the mapping itself:\n"
"                           READ_IMPLIES_EXEC and racing arguments included), or\n"
"                           left executable memory writable through another view\n"
"                           (wx_alias: it completed the pair); it dies\n"
"                           before running another instruction. WARNING: this kills\n"
"                           JITs (node, java, browsers) host-wide unless a scope\n"
"                           filter or -- COMMAND narrows it.\n"
"      --rules PATH         the policy: a YAML rules file, or a directory whose\n"
"                           *.yaml files load in name order; repeatable; implies\n"
"                           --alerts. The first rule that matches an alert decides\n"
"                           (alert, ignore, kill, capture). Without it the built-in\n"
"                           rules (dist/rules.d/00-default.yaml) apply. SIGHUP\n"
"                           reloads; a file that does not validate keeps the old\n"
"                           rules. Format: mapwatch(8), RULES\n"
"      --check-rules PATH   validate rules files and exit (0 valid, 1 not), one\n"
"                           line per error: FILE:LINE:COLUMN: what is wrong\n"
"Evidence (with alerts; the bytes a call made executable, copied in the kernel):\n"
"      --capture DIR        the payload of each alert saved in DIR, one file each\n"
"                           (TIME-pidPID-KIND-SHA256.bin, mode 0600, same sha256 once);\n"
"                           the alert carries payload{sha256,bytes,truncated,file};\n"
"                           W+X memory written later: copied again at its munmap,\n"
"                           mprotect or its process's exit (capturedAt)\n"
"      --capture-max BYTES  bytes copied per alert (default 1M, 4K..256M)\n"
"      --capture-quota BYTES  bytes kept in DIR, oldest files out (default: no quota)\n"
"      --capture-rate BYTES bytes per second the kernel copies, all captures\n"
"                           together (default 16M): a JIT cannot flood the buffer\n"
"      --yara RULES         scan each payload with the YARA rules in RULES (a file,\n"
"                           or a directory of *.yar/*.yara) on a thread of its own;\n"
"                           the alert waits for its scan, lists \"yara\" matches and\n"
"                           is raised to high on one\n"
"Service and outputs (any number at once, besides the stream):\n"
"      --config FILE        options from FILE, one \"name = value\" per line (the\n"
"                           unit uses /etc/mapwatch/mapwatch.conf); an option given\n"
"                           on the command line replaces the file's\n"
"      --stdout             the stream to standard output as well as to --output\n"
"      --rotate-size BYTES  rotate --output past BYTES (K/M/G): FILE.1, FILE.2, ...\n"
"      --rotate-keep N      rotated files kept (default 5; 0: truncate in place)\n"
"      --syslog URL         RFC 5424 syslog to unix:PATH, udp://HOST:PORT or\n"
"                           tcp://HOST:PORT (RFC 6587 octet counting); repeatable\n"
"      --syslog-events MODE info: events too, at severity info; none: alerts only;\n"
"                           stream (default): events when the stream has them\n"
"      --syslog-facility F  daemon (default), auth, authpriv, local0..local7, or 0-23\n"
"      --syslog-queue BYTES bytes queued while a peer is away (default 8M); more is\n"
"                           dropped and counted\n"
"      --metrics [ADDR:]PORT  Prometheus metrics at http://ADDR:PORT/metrics (ADDR\n"
"                           127.0.0.1 unless given)\n"
"      --alert-rate SECONDS repeats of one alert kind for one process and region:\n"
"                           the first in full, then one count every SECONDS (0: off)\n"
"Command (after --; like strace -f, mapwatch follows every descendant and ends\n"
"when the command and all of them have exited, with the command's status):\n"
"      --exit-with-command  end when COMMAND itself exits; descendants still\n"
"                           running are no longer traced\n"
"Tuning:\n"
"      --buffer-size BYTES  ring buffer size, power of two (K/M suffix; default 4M)\n"
"      --flush-ms MS        longest time an event waits before it is written (default 50)\n"
"      --hook MODE          auto (default): the cheapest that sees every call of\n"
"                           both ABIs from a task's first instruction: function\n"
"                           (fentry on the selected calls only), else dispatcher\n"
"                           (tp_btf on every syscall; 'raw' is an alias) where the\n"
"                           kernel runs 32-bit code, else tracepoint (per-syscall\n"
"                           tracepoints). --hook tracepoint on a kernel that runs\n"
"                           32-bit code attaches the dispatcher only while a 32-bit\n"
"                           process runs: each one's first instructions go unseen\n"
"                           (refused with --alerts and --kill-wx). --list and -v\n"
"                           tell which one runs and why better ones were refused\n"
"      --compat MODE        32-bit tasks: auto (probe the kernel, default), on, off\n"
"Information:\n"
"  -l, --list               print the event catalogue and exit\n"
"  -v, --verbose            mapwatch's set-up messages on stderr (-vv: libbpf's too;\n"
"                           -vvv: the verifier's figures and a start/stop timeline)\n"
"  -h, --help               this help\n"
"  -V, --version            version\n"
"\n"
"Exit status: COMMAND's status when one is given (128+N if killed by signal N;\n"
"127 if COMMAND is not found, 126 if it cannot be run, as env(1) does), 0 after\n"
"Ctrl-C/SIGTERM or once every --pid process has exited otherwise; 1 on run-time\n"
"errors; 2 on usage errors (and a --pid naming no process).\n"
"SIGHUP reopens --output FILE (after logrotate moved it) and tracing goes on.\n"
"Needs root, or CAP_BPF + CAP_PERFMON + CAP_DAC_READ_SEARCH (tracefs is mode\n"
"0700; add CAP_SYS_PTRACE for the executables of processes older than mapwatch),\n"
"a kernel with BTF, and tracefs.\n"
"\n"
"Examples (one per group above):\n"
"  Output:     mapwatch --json -o maps.json --time utc   JSON lines into a file\n"
"              mapwatch --stats --json -- ./demo        counts as one JSON object\n"
"  Summary:    mapwatch -c --summary-by comm --top 5 --interval 10\n"
"  Selection:  mapwatch -e mprotect,pkey_mprotect --prot-any X --comm '!sshd'\n"
"              mapwatch --pid 1234 --follow --failed --errno ENOMEM\n"
"  Alerts:     mapwatch --alerts-only --allow /usr/bin/node\n"
"              mapwatch --kill-wx -- ./untrusted   (always with a scope)\n"
"  Outputs:    mapwatch --config /etc/mapwatch/mapwatch.conf\n"
"              mapwatch --alerts-only --syslog udp://127.0.0.1:514 --metrics 9464\n"
"  Command:    mapwatch --stats -- python3 -c 1     one command and its children\n"
"  Tuning:     mapwatch --buffer-size 64M --flush-ms 10 --hook raw\n"
"  Information: mapwatch --list;  mapwatch -vv -- true (libbpf's messages too)\n";

/* The catalogue, and the hooks o's options would get here. */
static void print_list(const struct mw_opts *o)
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
	       "cgroup, container id, mount and pid namespaces, 32-bit flag.\n"
	       "Types: pointer (an address, \"0x...\" in JSON), int (a 32-bit signed C int: -1 stays\n"
	       "-1 for 32-bit callers too), u64 (an unsigned length, offset or word).\n"
	       "Tags: U the value came from user space (what the caller passed: registers, or\n"
	       "user memory for i386 old_mmap); K the kernel computed it (do_mmap's arguments);\n"
	       "TOCTOU read from user memory, which the caller can change after the check\n"
	       "(old_mmap's struct, memfd_create's name, node masks, arrays);\n"
	       "OPT optional (ignored by the kernel unless a flag asks for it, e.g. mremap's\n"
	       "new_address without MREMAP_FIXED).\n"
	       "Classes (--events %%class): %%mapping (the default), %%memory (strace's), %%shm;\n"
	       "'all' is every syscall.\n"
	       "\nNumbers tested by the test suite (tests/vm): x86_64 and i386 on Linux 6.18 (x86_64\n"
	       "host) and Debian 6.1.0-57-cloud-amd64 (qemu TCG, -cpu max); arm64 and arm EABI on\n"
	       "Debian 6.1.0-57-cloud-arm64 (qemu-system-aarch64 TCG, -M virt -cpu cortex-a72;\n"
	       "-cpu a64fx for a CPU without AArch32). That arm64 kernel has no pkeys: pkey_mprotect\n"
	       "is ENOSYS there.\n");
	char hooks[2048];
	struct mw_hook_cfg hcfg;
	mw_hook_cfg_from_opts(&hcfg, o, false, o->compat < 0 ? mw_compat_supported() : o->compat);
	printf("\nHooks here (--hook %s): %s\n",
	       o->hook == MW_HOOK_FUNCTION ? "function" : o->hook == MW_HOOK_TRACEPOINT ? "tracepoint" :
	       o->hook == MW_HOOK_DISPATCHER ? "dispatcher" : "auto",
	       mw_hooks_probe(&hcfg, hooks, sizeof(hooks)));
}

/* A config line: applied unless the command line gives the same option
 * (which then replaces it: the command line overrides the file). */
static int config_line(void *ctx, const char *name, const char *value, char *err, size_t n)
{
	struct mw_opts **oo = ctx; /* [0] the options, [1] what argv gave */
	const struct mw_opt_def *d = mw_opt_lookup(name);

	if (d && mw_opt_given(oo[1], d))
		return 0;
	return mw_opt_apply(oo[0], name, value, err, n);
}

/* --config FILE (or, with none given, /etc/mapwatch/mapwatch.conf when
 * systemd runs mapwatch as a service and the file exists): apply its lines to
 * o before argv is parsed. argv is parsed once first, into a scratch copy,
 * to know the config path and which options the command line gives.
 * Returns 0, or -1 with a one-line reason in err. */
static int load_config(struct mw_opts *o, int argc, char **argv, char *err, size_t n)
{
	struct mw_opts cli;
	struct mw_opts *oo[2] = { o, &cli };
	const char *path;
	int rc = 0;

	mw_opts_init(&cli);
	if (mw_opts_parse_argv(&cli, argc, argv, err, n)) {
		mw_opts_free(&cli);
		return -1;
	}
	path = cli.config;
	if (!path && getenv("INVOCATION_ID") && access(MW_CONFIG_DEFAULT, F_OK) == 0)
		path = MW_CONFIG_DEFAULT;
	if (path && cli.action == MW_ACT_RUN)
		rc = mw_config_read(path, config_line, oo, err, n);
	mw_opts_free(&cli);
	return rc;
}

static void rules_err_line(void *ctx, const char *line)
{
	fprintf(stderr, "%s\n", line);
}

/* --check-rules PATH...: the set those paths make, as a run would load it
 * (with --allow and --kill-wx). No tracing, no root needed. */
static int check_rules(const struct mw_opts *o)
{
	struct mw_ruleset *rs = mw_ruleset_new();
	unsigned errors;

	if (!rs) {
		mw_err_line("out of memory");
		return 1;
	}
	errors = mw_rules_build(rs, o->rules, o->nrules, o->allow, o->nallow, o->kill_wx, rules_err_line, NULL);
	if (errors)
		fprintf(stderr, "mapwatch: %u error%s in the rules: nothing loaded\n", errors, errors == 1 ? "" : "s");
	else
		printf("mapwatch: %u rules valid%s%s\n", rs->n, rs->kill_wx ? " (kill decided in the kernel)" : "",
		       rs->nallow ? " (exe ignores in the kernel's allow list)" : "");
	mw_ruleset_free(rs);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct mw_opts o;
	char err[512];
	int rc;

	mw_notify_init();
	mw_opts_init(&o);
	if (load_config(&o, argc, argv, err, sizeof(err)) ||
	    mw_opts_parse_argv(&o, argc, argv, err, sizeof(err)) ||
	    (o.action == MW_ACT_RUN && mw_opts_finish(&o, err, sizeof(err)))) {
		mw_err_line("%s (try 'mapwatch --help')", err);
		mw_opts_free(&o);
		return 2;
	}
	switch (o.action) {
	case MW_ACT_HELP: fputs(usage_text, stdout); rc = 0; break;
	case MW_ACT_LIST: print_list(&o); rc = 0; break;
	case MW_ACT_VERSION: printf("mapwatch %s\n", MW_VERSION); rc = 0; break;
	case MW_ACT_CHECK_RULES: rc = check_rules(&o); break;
	default: rc = mw_run(&o); break;
	}
	mw_opts_free(&o);
	return rc;
}

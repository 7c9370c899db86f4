/* policybench.c - the policy's cost per alert without a kernel: a rule set of N rules (each a
 * mix of matchers: kind, event, comm, uid, prot bits, length, path prefix, an except, and every
 * fourth an exe identity) that an alert fails one by one until the last, a catch-all, decides
 * it (the worst case: every rule tried), judged for EVENTS alerts of processes that change
 * every 64 alerts (so the exe identity is looked up again from /proc). Prints judged alerts per
 * second of process CPU time for each N asked for.
 *
 * usage: policybench [-n EVENTS] [RULES...]   (default: 10 200)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "alert.h"
#include "catalog.h"
#include "policy.h"
#include "rules.h"
#include "rules_compile.h"
#include "strbuf.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(void *ctx, const char *line)
{
	fprintf(stderr, "policybench: %s\n", line);
	exit(1);
}

/* N rules, none of which matches the benchmark's alerts but the last. */
static struct mw_policy *make(unsigned n)
{
	struct strbuf b = { 0 };

	sb_puts(&b, "rules:\n");
	for (unsigned i = 0; i + 1 < n; i++) {
		sb_printf(&b, "  - name: r%u\n    match:\n", i);
		switch (i % 4) {
		case 0:
			sb_printf(&b, "      kind: [wx_mapping, x_after_w]\n      comm: [java, node, worker%u]\n", i);
			break;
		case 1:
			sb_printf(&b, "      event: [mmap, mprotect]\n      uid: [%u]\n      prot_all: [W, X]\n", 1000 + i);
			break;
		case 2:
			sb_printf(&b, "      length: {min: %u}\n      path_prefix: [/opt/app%u/]\n", 65536 + i, i);
			break;
		case 3:
			sb_printf(&b, "      kind: wx_mapping\n      exe: [/usr/bin/env, /usr/lib]\n");
			break;
		}
		sb_printf(&b, "    except:\n      - comm: excepted%u\n    action: %s\n", i, i % 2 ? "ignore" : "alert");
	}
	sb_puts(&b, "  - name: last\n    output: \"{rule} {comm} {pid}\"\n");
	struct mw_ruleset *rs = mw_ruleset_new();
	mw_rules_parse(rs, "bench.yaml", b.p, b.len, false, die, NULL);
	mw_rules_finish(rs, die, NULL);
	sb_free(&b);
	return mw_policy_new(rs);
}

int main(int argc, char **argv)
{
	unsigned long events = 2000000;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n' || (events = strtoul(optarg, NULL, 10)) == 0) {
			fprintf(stderr, "usage: policybench [-n EVENTS] [RULES...]\n");
			return 2;
		}
	}
	unsigned sizes[16] = { 10, 200 }, nsizes = 2;
	if (optind < argc)
		for (nsizes = 0; optind < argc && nsizes < 16; optind++)
			sizes[nsizes++] = (unsigned)strtoul(argv[optind], NULL, 10);
	pid_t self = getpid();
	for (unsigned s = 0; s < nsizes; s++) {
		struct mw_policy *p = make(sizes[s] ? sizes[s] : 1);
		struct mw_event e;
		memset(&e, 0, sizeof(e));
		e.type = MW_REC_EVENT;
		e.event = MW_EV_MMAP;
		e.args[1] = 4096;
		e.args[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
		e.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		e.ret = 0x7f0000000000;
		memcpy(e.comm, "loader", 7);
		struct mw_view v = { .e = &e, .exe = "/tmp/loader" };
		unsigned long emitted = 0;
		double t0 = cpu_ns();
		for (unsigned long i = 0; i < events; i++) {
			/* a new process every 64 alerts: its identity is read from /proc again
			 * (our own pid's /proc entry, so the lookup succeeds as for a live one) */
			e.pid = e.tid = (uint32_t)self + (uint32_t)((i / 64) % 2) * 1024;
			if (i % 64 == 0) {
				struct mw_task_rec tr = { .type = MW_REC_EXEC, .pid = e.pid };
				mw_policy_task(p, &tr);
			}
			struct mw_alert al = { .kind = MW_AL_WX_MAPPING, .severity = MW_SEV_HIGH };
			emitted += mw_policy_judge(p, &v, &al, 0, i) == MW_PV_EMIT;
		}
		double ns = cpu_ns() - t0;
		printf("%u rules: %.0f alerts/s (%.0f ns each), %lu judged, %lu written by the last rule\n", sizes[s],
		       events / (ns / 1e9), ns / events, events, emitted);
		mw_policy_free(p);
	}
	return 0;
}

/* fmtbench.c - the reader's user-space cost per event without a kernel: records like the
 * capacity run's (mmap of length 0 and munmap of an unaligned address, both EINVAL, and a file
 * mmap now and then) go through what mw_handle_rec (tracer_rec.c) does for each (mw_event_decode, the executable
 * and container caches, mw_sinks_emit to the file sink) with a flush every ROUND records, as
 * the reader loop flushes after each ring-buffer round. Prints CPU ns per event (process CPU
 * time, user + system, so other load on the machine matters less than for wall time).
 *
 * usage: fmtbench [-f json|table] [-n EVENTS] [-o FILE] [-a] [-r ROUND]
 *   -a  also run the alert engine on each event (as --alerts)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "alerts.h"
#include "container.h"
#include "format.h"
#include "mapwatch.h"
#include "proc.h"
#include "sink.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct rec {
	struct mw_event e;
	char path[64];
};

int main(int argc, char **argv)
{
	enum mw_fmt fmt = MW_FMT_JSON;
	long n = 2000000, round = 256;
	const char *out = "/dev/null";
	int c, alerts = 0;

	while ((c = getopt(argc, argv, "f:n:o:ar:")) != -1) {
		switch (c) {
		case 'f': fmt = !strcmp(optarg, "table") ? MW_FMT_TABLE : MW_FMT_JSON; break;
		case 'n': n = atol(optarg); break;
		case 'o': out = optarg; break;
		case 'a': alerts = 1; break;
		case 'r': round = atol(optarg); break;
		default: fprintf(stderr, "usage: fmtbench [-f json|table] [-n EVENTS] [-o FILE] [-a] [-r ROUND]\n"); return 2;
		}
	}
	static struct rec recs[3];
	uint32_t pid = (uint32_t)getpid();
	for (int i = 0; i < 3; i++) {
		struct mw_event *e = &recs[i].e;
		e->type = MW_REC_EVENT;
		e->pid = e->tid = e->ns_pid = e->ns_tid = pid;
		e->ppid = e->ns_ppid = (uint32_t)getppid();
		e->uid = e->gid = 0;
		e->mntns = 4026531841u;
		e->pidns = 4026531836u;
		e->cgroup_id = 4242;
		e->duration_ns = 350;
		memcpy(e->comm, "mmap_loop", 10);
		e->syscall_nr = i == 1 ? 11 : 9;
		e->ret = -22;
	}
	recs[0].e.event = MW_EV_MMAP; /* mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) */
	recs[0].e.args[2] = 1, recs[0].e.args[3] = 0x22, recs[0].e.args[4] = 0xffffffffffffffffull;
	recs[1].e.event = MW_EV_MUNMAP; /* munmap(0x1001, 4096) */
	recs[1].e.args[0] = 0x1001, recs[1].e.args[1] = 4096;
	recs[2].e.event = MW_EV_MMAP; /* a library mapped from a file */
	recs[2].e.args[1] = 2031616, recs[2].e.args[2] = 5, recs[2].e.args[3] = 0x802, recs[2].e.args[4] = 3;
	recs[2].e.ret = 0x7f5a3c000000;
	recs[2].e.flags = MW_F_HAS_FILE;
	recs[2].e.file = (struct mw_file){ .ino = 1311234, .dev = (8u << 20) | 1, .mode = 0100644, .kind = MW_FK_REGULAR,
					   .fs_magic = 0xef53 };
	static const char comps[] = "libc.so.6\0x86_64-linux-gnu\0lib\0usr";
	memcpy(recs[2].path, comps, sizeof(comps));
	recs[2].e.path_len = sizeof(comps);
	recs[2].e.eff_status = MW_EFF_OK;
	recs[2].e.vm_flags = 0x75;
	recs[2].e.vma_start = 0x7f5a3c000000, recs[2].e.vma_end = 0x7f5a3c1f0000;

	struct mw_sinks sinks = { 0 };
	struct mw_sink *s = mw_sink_file_new(out, fmt, false, 0, 0);
	if (!s || mw_sinks_add(&sinks, s))
		return 1;
	struct mw_alerts *al = alerts ? mw_alerts_new() : NULL;
	if (alerts && !al)
		return 1;
	struct strbuf path = { 0 };
	double t0 = cpu_ns();
	uint64_t ts = 1000000000ull;
	for (long i = 0; i < n; i++) {
		/* the capacity workload: one failing mmap, one failing munmap; a file mmap per 1000 */
		struct rec *r = &recs[(i % 1000) == 999 ? 2 : (i & 1)];
		struct mw_view v;
		r->e.ts = ts += 700;
		if (mw_event_decode(r, sizeof(r->e) + r->e.path_len, &path, &v))
			return 1;
		v.ts_ns = r->e.ts + 1700000000000000000ull;
		v.exe = mw_proc_exe(r->e.pid);
		char comm[MW_TASK_COMM_LEN + 1]; /* as tracer_rec.c's judge_cgroup */
		memcpy(comm, r->e.comm, MW_TASK_COMM_LEN);
		comm[MW_TASK_COMM_LEN] = 0;
		v.ctr = mw_container_get(r->e.cgroup_id, comm);
		v.container_id = v.ctr ? v.ctr->id : NULL;
		struct mw_rec rec = { .kind = MW_RK_EVENT, .ts_ns = v.ts_ns, .v = &v };
		mw_sinks_emit(&sinks, &rec);
		if (al) {
			struct mw_alert a[MW_ALERTS_MAX];
			int k = mw_alerts_event(al, &v, a, MW_ALERTS_MAX);
			for (int j = 0; j < k; j++) {
				rec = (struct mw_rec){ .kind = MW_RK_ALERT, .ts_ns = v.ts_ns, .v = &v, .al = &a[j] };
				mw_sinks_emit(&sinks, &rec);
			}
		}
		if ((i + 1) % round == 0)
			mw_sinks_flush(&sinks);
	}
	mw_sinks_flush(&sinks);
	double t1 = cpu_ns();
	printf("fmt=%s events=%ld cpu_ns_per_event=%.1f\n", fmt == MW_FMT_JSON ? "json" : "table", n, (t1 - t0) / n);
	mw_sinks_close(&sinks);
	if (al)
		mw_alerts_free(al);
	sb_free(&path);
	mw_proc_clear();
	mw_format_free();
	return 0;
}

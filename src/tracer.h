/* tracer.h - loads the BPF programs, runs the optional command, and writes events until told to stop. */
#ifndef MW_TRACER_H
#define MW_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filter.h"

enum mw_hook {
	MW_HOOK_AUTO,       /* the best that sees every call: function, else dispatcher (32-bit traced), else tracepoint */
	MW_HOOK_TRACEPOINT, /* per-syscall tracepoints; the dispatcher while a 32-bit process runs (a window at each start) */
	MW_HOOK_DISPATCHER, /* one tp_btf pair on every syscall, native and 32-bit */
	MW_HOOK_FUNCTION,   /* fentry/fexit on the selected calls' entry functions */
};
#define MW_HOOK_RAW MW_HOOK_DISPATCHER /* --hook raw: the old name */

struct mw_opts {
	bool json;
	bool stats;
	int verbose;            /* -v: mapwatch's own set-up lines; -vv: libbpf's too */
	int action;             /* enum mw_action (options.h): run, or print help/list/version */
	bool events_given;      /* an --events option was seen (the first replaces the default) */
	bool hook_given;        /* --hook was given explicitly */
	bool lifecycle;         /* ask the kernel for fork/exec/exit records */
	const char *output;     /* NULL or "-": stdout (copied by the option parser) */
	bool append;            /* --append: add to --output instead of replacing it */
	int time_fmt;           /* --time: enum mw_time_fmt (format.h) for the table */
	uint32_t event_mask;    /* bit per enum mw_event_id */
	enum mw_hook hook;
	int compat;             /* -1 auto (probe), 0 off, 1 on */
	size_t buffer_size;     /* ring buffer bytes (power of two) */
	unsigned poll_ms;       /* longest time an event waits in the buffer */
	char **cmd;             /* command to run and trace, NULL for the whole host */
	bool exit_with_command; /* end when the command ends, not when its last descendant does */
	struct mw_filters filters;
	bool alerts;            /* raise alerts in the event stream */
	bool alerts_only;       /* and print nothing else */
	bool kill_wx;           /* SIGKILL W+X requesters at syscall entry */
	const char **allow;     /* executables whose alerts are silenced (copies) */
	int nallow;
	bool summary;           /* -c: count calls in the kernel, print summaries (no events) */
	int summary_by;         /* enum mw_sum_by */
	unsigned summary_top;   /* --top N: keep the N largest groups, 0 = all */
	unsigned interval_ms;   /* --interval: a summary every this many ms; 0 = one at the end */
	unsigned stack_depth;   /* -k/--stack: user stack frames per call (0: no stacks) */
	const char *summary_opt; /* a summary option given (needs -c): its name, for the error */
	/* outputs besides the stream (sink*.c) */
	bool also_stdout;       /* --stdout: the stream to standard output as well as --output */
	uint64_t rotate_size;   /* --rotate-size: rotate --output past this many bytes (0: never) */
	unsigned rotate_keep;   /* --rotate-keep: rotated files kept (FILE.1 ...) */
	const char *syslog_url[4]; /* --syslog (repeatable): unix:PATH, udp://HOST:PORT, tcp://HOST:PORT */
	int nsyslog;
	int syslog_events;      /* --syslog-events: -1 as the stream (not with --alerts-only), 0 none, 1 info */
	int syslog_facility;    /* --syslog-facility: 0..23 (default 3, daemon) */
	size_t syslog_queue;    /* --syslog-queue: bytes queued while the peer is away */
	const char *metrics;    /* --metrics ADDR:PORT; NULL: no endpoint */
	unsigned alert_rate;    /* --alert-rate: seconds over which repeats are collapsed (0: off) */
	const char *config;     /* --config FILE (read by main before the other options) */
	unsigned char given[128]; /* options.c: which table rows were applied */
};

/* Run the tracer with o. Returns the process exit status: the command's
 * status in command mode (128+signal if killed; mapwatch ends once the
 * command and every descendant have exited, or with the command alone when
 * exit_with_command is set), 0 after SIGINT/SIGTERM in host mode or once
 * every --pid target (with --follow, and descendants) has exited, 1 on a
 * run-time failure and 2 for a --pid naming no process (after printing one
 * line saying what to do). SIGHUP reopens o->output. */
int mw_run(const struct mw_opts *o);

#endif

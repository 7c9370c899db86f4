/* options.h - the option table: one parser for the command line and for "name = value" lines of a config file. */
#ifndef MW_OPTIONS_H
#define MW_OPTIONS_H

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

/* Every option, from the command line and the config file: filled by
 * options.c (mw_opts_init, then the table's handlers), read by the tracer
 * (tracer.c), the hooks (hooks.c) and the outputs. */
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
	uint64_t event_mask;    /* MW_EVBIT(enum mw_event_id) per event */
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
	const char **rules;     /* --rules (repeatable): rules files and directories (copies); none: the defaults */
	int nrules;
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
	/* evidence (capture.c, capture_store.c) */
	const char *capture_dir; /* --capture DIR: one file per captured payload; NULL: none saved */
	uint64_t capture_max;   /* --capture-max: bytes captured per alert (default 1 MiB) */
	uint64_t capture_quota; /* --capture-quota: bytes kept in DIR, oldest out (0: no quota) */
	uint64_t capture_rate;  /* --capture-rate: bytes per second the kernel copies over all captures */
	const char *yara;       /* --yara RULES: a rules file or directory (yarascan.c); NULL: no scan */
	unsigned char given[128]; /* options.c: which table rows were applied */
};

/* What the user asked for besides tracing. */
enum mw_action { MW_ACT_RUN, MW_ACT_HELP, MW_ACT_LIST, MW_ACT_VERSION, MW_ACT_CHECK_RULES };

/* Does the option take a value? */
enum mw_optval {
	MW_OV_NONE,     /* a switch: --json; "--json=yes" is refused ("takes no value") */
	MW_OV_REQUIRED, /* --output FILE, --output=FILE, -oFILE, -o FILE */
};

#define MW_OF_CLI_ONLY (1u << 0) /* only on the command line (--help, --list), not in a config file */
#define MW_OF_LIST     (1u << 1) /* value is a comma-separated LIST; repeats add up */

struct mw_opt_def;
typedef int (*mw_opt_fn)(struct mw_opts *o, const struct mw_opt_def *d, const char *value,
			 char *err, size_t errlen);

/* One row of the option table. To add an option: one row in options.c's
 * table (name, short letter or 0, value kind, flags, handler, code) and one
 * line in main.c's --help text. */
struct mw_opt_def {
	const char *name;      /* long name, without "--" */
	char shortopt;         /* single-letter form, 0 if none */
	enum mw_optval val;
	unsigned flags;        /* MW_OF_* */
	mw_opt_fn apply;       /* value is NULL for MW_OV_NONE */
	int code;              /* handler's own selector (e.g. MW_OPT_PID for filters) */
};

/* Defaults: every syscall event, auto hook and compat, 4 MiB ring, 50 ms flush. */
void mw_opts_init(struct mw_opts *o);

/* Frees what the option handlers copied (not o itself). */
void mw_opts_free(struct mw_opts *o);

/* 1 when option d was applied to o (by argv or by mw_opt_apply), else 0. */
int mw_opt_given(const struct mw_opts *o, const struct mw_opt_def *d);

/* The table's rows; *n gets their number. */
const struct mw_opt_def *mw_opt_table(size_t *n);

/* An option's error: the message into err (n bytes), returns -1. */
int mw_opt_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Errors quote what the user typed: when rc is not 0, make err one
 * printable line (control characters become '?'). Returns rc. */
int mw_opt_clean(char *err, size_t n, int rc);

/* The row for a long name (exact match); NULL if none. */
const struct mw_opt_def *mw_opt_lookup(const char *name);

#endif

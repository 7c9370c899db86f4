/* tracer.h - loads the BPF programs, runs the optional command, and writes events until told to stop. */
#ifndef MW_TRACER_H
#define MW_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filter.h"

enum mw_hook {
	MW_HOOK_AUTO,       /* the best that works: function, else tracepoint */
	MW_HOOK_TRACEPOINT, /* per-syscall tracepoints; the dispatcher while a 32-bit process runs */
	MW_HOOK_DISPATCHER, /* one tp_btf pair on every syscall, native and 32-bit */
	MW_HOOK_FUNCTION,   /* fentry/fexit on the selected calls' entry functions */
};
#define MW_HOOK_RAW MW_HOOK_DISPATCHER /* --hook raw: the old name */

struct mw_opts {
	bool json;
	bool stats;
	bool verbose;
	bool lifecycle;         /* ask the kernel for fork/exec/exit records */
	const char *output;     /* NULL: stdout */
	uint32_t event_mask;    /* bit per enum mw_event_id */
	enum mw_hook hook;
	int compat;             /* -1 auto (probe), 0 off, 1 on */
	size_t buffer_size;     /* ring buffer bytes (power of two) */
	unsigned poll_ms;       /* longest time an event waits in the buffer */
	char **cmd;             /* command to run and trace, NULL for the whole host */
	struct mw_filters filters;
	bool alerts;            /* raise alerts in the event stream */
	bool alerts_only;       /* and print nothing else */
	bool kill_wx;           /* SIGKILL W+X requesters at syscall entry */
	const char **allow;     /* executables whose alerts are silenced */
	int nallow;
};

/* Run the tracer with o. Returns the process exit status: the command's
 * status in command mode (128+signal if killed), 0 after SIGINT/SIGTERM in
 * host mode, 1 on a run-time failure (after printing one line saying what
 * to do). */
int mw_run(const struct mw_opts *o);

#endif

/* options.c - the option table: each option's handler (what it does to struct mw_opts), defaults, lookup (parsing: options_parse.c; checks across options: options_check.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "capture_abi.h"
#include "catalog.h"
#include "container.h"
#include "filter.h"
#include "format.h"
#include "metrics.h"
#include "options.h"
#include "parse.h"
#include "sink.h"
#include "summary.h"

/* Errors quote what the user typed: keep them one printable line (a word
 * with a newline or an escape sequence must not forge lines on a terminal;
 * found by fuzz_options). */
int mw_opt_clean(char *err, size_t n, int rc)
{
	for (size_t i = 0; rc && err && i < n && err[i]; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			err[i] = '?';
	return rc;
}

int mw_opt_fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- handlers ---- */

static int opt_json(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->json = true;
	return 0;
}

static int opt_stats(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->stats = true;
	return 0;
}

static int opt_verbose(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->verbose++;
	return 0;
}

static int opt_action(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (o->action == MW_ACT_RUN)
		o->action = d->code;
	return 0;
}

static int opt_output(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char *copy;

	if (!*v)
		return mw_opt_fail(err, n, "--output needs a file name ('-' for standard output)");
	copy = strdup(v);
	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	free((char *)o->output);
	o->output = copy;
	return 0;
}

static int opt_append(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->append = true;
	return 0;
}

static int opt_time(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	int t = mw_time_fmt_value(v);

	if (t < 0)
		return mw_opt_fail(err, n, "--time '%s' must be local, utc, iso, epoch or relative", v);
	o->time_fmt = t;
	return 0;
}

static int opt_events(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char *copy = strdup(v), *s = copy, *w;
	uint64_t mask = 0, one;
	int rc = 0;

	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	/* words trimmed here, each parsed by the catalogue (names, %classes, all) */
	while (!rc && (w = mw_list_next(&s))) {
		if (!*w)
			continue;
		rc = mw_events_parse(w, &one, err, n);
		mask |= one;
	}
	if (!rc && !mask)
		rc = mw_opt_fail(err, n, "--events needs at least one event name; known events: %s", mw_event_names());
	free(copy);
	if (rc)
		return rc;
	if (!o->events_given) /* the first --events replaces the default; repeats add up */
		o->event_mask = 0;
	o->events_given = true;
	o->event_mask |= mask;
	return 0;
}

static int opt_buffer_size(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 4096, 1ull << 30, 1, &x) || (x & (x - 1)))
		return mw_opt_fail(err, n, "--buffer-size '%s' must be a power of two between 4K and 1G", v);
	o->buffer_size = (size_t)x;
	return 0;
}

static int opt_flush_ms(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 1, 10000, 0, &x))
		return mw_opt_fail(err, n, "--flush-ms '%s' must be a number of milliseconds from 1 to 10000", v);
	o->poll_ms = (unsigned)x;
	return 0;
}

static int opt_hook(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (!strcmp(v, "auto")) o->hook = MW_HOOK_AUTO;
	else if (!strcmp(v, "tracepoint")) o->hook = MW_HOOK_TRACEPOINT;
	else if (!strcmp(v, "function")) o->hook = MW_HOOK_FUNCTION;
	else if (!strcmp(v, "dispatcher") || !strcmp(v, "raw")) o->hook = MW_HOOK_DISPATCHER;
	else return mw_opt_fail(err, n, "--hook '%s' must be auto, function, tracepoint or dispatcher", v);
	o->hook_given = true;
	return 0;
}

static int opt_compat(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (!strcmp(v, "auto")) o->compat = -1;
	else if (!strcmp(v, "on")) o->compat = 1;
	else if (!strcmp(v, "off")) o->compat = 0;
	else return mw_opt_fail(err, n, "--compat '%s' must be auto, on or off", v);
	return 0;
}

static int opt_alerts(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->alerts = true;
	if (d->code)
		o->alerts_only = true;
	return 0;
}

static int opt_kill_wx(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->kill_wx = o->alerts = true;
	return 0;
}

/* --rules PATH and --check-rules PATH (which also asks for the check instead of a run) */
static int opt_rules(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	const char **grown;
	char *copy;

	if (!*v)
		return mw_opt_fail(err, n, "%s needs a rules file or a directory of *.yaml files", d->code ? "--check-rules" : "--rules");
	grown = realloc(o->rules, sizeof(*grown) * (size_t)(o->nrules + 1));
	if (!grown)
		return mw_opt_fail(err, n, "out of memory");
	o->rules = grown;
	copy = strdup(v);
	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	o->rules[o->nrules++] = copy;
	if (d->code)
		o->action = MW_ACT_CHECK_RULES;
	else
		o->alerts = true; /* rules decide alerts */
	return 0;
}

static int opt_exit_with_command(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err,
				 size_t n)
{
	o->exit_with_command = true;
	return 0;
}

static int opt_allow(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	struct stat st;
	size_t len = strlen(v);
	const char **grown;
	char *copy;

	if (!len)
		return mw_opt_fail(err, n, "--allow needs an executable's path (or a directory ending in /)");
	if (stat(v, &st))
		return mw_opt_fail(err, n, "--allow: cannot stat '%s' (%s): give an existing executable or directory", v, strerror(errno));
	if (!S_ISDIR(st.st_mode) && v[len - 1] == '/')
		return mw_opt_fail(err, n, "--allow: '%s' ends in / but is not a directory", v);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return mw_opt_fail(err, n, "--allow: '%s' is neither an executable file nor a directory", v);
	grown = realloc(o->allow, sizeof(*grown) * (size_t)(o->nallow + 1));
	if (!grown)
		return mw_opt_fail(err, n, "out of memory");
	o->allow = grown;
	copy = strdup(v);
	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	o->allow[o->nallow++] = copy;
	return 0;
}

static int opt_filter(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	return mw_filter_add(&o->filters, d->code, v, err, n);
}

/* ---- container identities (container.c) ---- */

static int opt_runtime_root(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	return mw_ctr_add_roots(v, err, n);
}

static int opt_container_cache(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 1, 1u << 20, 0, &x))
		return mw_opt_fail(err, n, "--container-cache '%s' must be a number of entries from 1 to 1048576", v);
	mw_ctr_set_cache_size((unsigned)x);
	return 0;
}

/* ---- -c/--summary (summary.c) ---- */

static int opt_summary(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->summary = true;
	return 0;
}

static int opt_summary_by(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	int by = mw_summary_by_value(v);

	if (by < 0)
		return mw_opt_fail(err, n, "--summary-by '%s' must be event, process, comm, exe, container or pod", v);
	o->summary_by = by;
	o->summary_opt = "--summary-by";
	return 0;
}

static int opt_top(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 1, 1000000, 0, &x))
		return mw_opt_fail(err, n, "--top '%s' must be a number of groups from 1 to 1000000", v);
	o->summary_top = (unsigned)x;
	o->summary_opt = "--top";
	return 0;
}

static int opt_interval(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char *end;
	double x;

	errno = 0;
	x = (v[0] >= '0' && v[0] <= '9') || v[0] == '.' ? strtod(v, &end) : -1;
	if (x < 0 || errno || *end || !(x >= 0.1 && x <= 86400))
		return mw_opt_fail(err, n, "--interval '%s' must be a number of seconds from 0.1 to 86400", v);
	o->interval_ms = (unsigned)(x * 1000 + 0.5);
	o->summary_opt = "--interval";
	return 0;
}

/* ---- -k/--stack (stack.c, symbolize.c) ---- */

static int opt_stack(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (!o->stack_depth)
		o->stack_depth = 32;
	return 0;
}

static int opt_stack_depth(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 1, 127, 0, &x))
		return mw_opt_fail(err, n, "--stack-depth '%s' must be a number of frames from 1 to 127", v);
	o->stack_depth = (unsigned)x;
	return 0;
}

/* ---- evidence: --capture, --capture-max, --capture-quota, --capture-rate (capture.c) ---- */

static int opt_capture(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char *copy;

	if (!*v)
		return mw_opt_fail(err, n, "--capture needs a directory name");
	copy = strdup(v);
	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	free((char *)o->capture_dir);
	o->capture_dir = copy;
	o->alerts = true; /* payloads belong to alerts */
	return 0;
}

static int opt_capture_size(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	switch (d->code) {
	case 0:
		if (mw_parse_u64(v, 4096, 256ull << 20, 1, &o->capture_max))
			return mw_opt_fail(err, n, "--capture-max '%s' must be a size in bytes from 4K to 256M (K/M suffix)", v);
		break;
	case 1:
		if (mw_parse_u64(v, 0, 1ull << 50, 1, &o->capture_quota))
			return mw_opt_fail(err, n, "--capture-quota '%s' must be a size in bytes up to 1P (K/M/G/T suffix; 0: no quota)", v);
		break;
	default:
		if (mw_parse_u64(v, 4096, 1ull << 40, 1, &o->capture_rate))
			return mw_opt_fail(err, n, "--capture-rate '%s' must be a size in bytes per second from 4K to 1T (K/M/G/T suffix)", v);
		break;
	}
	return 0;
}

static int opt_yara(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char *copy;

	if (!*v)
		return mw_opt_fail(err, n, "--yara needs a rules file or a directory of *.yar files");
	copy = strdup(v);
	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	free((char *)o->yara);
	o->yara = copy;
	o->alerts = true; /* payloads belong to alerts */
	return 0;
}

/* ---- outputs besides the stream (sink*.c, metrics.c, collapse.c) ---- */

static int set_str(const char **slot, const char *v, char *err, size_t n)
{
	char *copy = strdup(v);

	if (!copy)
		return mw_opt_fail(err, n, "out of memory");
	free((char *)*slot);
	*slot = copy;
	return 0;
}

static int opt_stdout(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	o->also_stdout = true;
	return 0;
}

static int opt_rotate_size(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (mw_parse_u64(v, 0, 1ull << 50, 1, &o->rotate_size))
		return mw_opt_fail(err, n, "--rotate-size '%s' must be a size in bytes up to 1P (K/M/G/T suffix; 0: never rotate)", v);
	return 0;
}

static int opt_rotate_keep(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 0, 1000, 0, &x))
		return mw_opt_fail(err, n, "--rotate-keep '%s' must be a number of files from 0 (truncate in place) to 1000", v);
	o->rotate_keep = (unsigned)x;
	return 0;
}

static int opt_syslog(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	int tr;
	char *h, *p, *path;
	const int max = (int)(sizeof(o->syslog_url) / sizeof(o->syslog_url[0]));

	if (mw_syslog_parse_url(v, &tr, &h, &p, &path))
		return mw_opt_fail(err, n, "--syslog '%s' must be unix:PATH, udp://HOST:PORT or tcp://HOST:PORT (port 1-65535)", v);
	free(h);
	free(p);
	free(path);
	if (o->nsyslog == max)
		return mw_opt_fail(err, n, "--syslog: at most %d destinations", max);
	o->syslog_url[o->nsyslog] = NULL;
	if (set_str(&o->syslog_url[o->nsyslog], v, err, n))
		return -1;
	o->nsyslog++;
	return 0;
}

static int opt_syslog_events(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	if (!strcmp(v, "info")) o->syslog_events = 1;
	else if (!strcmp(v, "none")) o->syslog_events = 0;
	else if (!strcmp(v, "stream")) o->syslog_events = -1;
	else return mw_opt_fail(err, n, "--syslog-events '%s' must be info, none or stream", v);
	return 0;
}

static int opt_syslog_facility(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	int f = mw_syslog_facility(v);

	if (f < 0)
		return mw_opt_fail(err, n, "--syslog-facility '%s' must be a facility name (daemon, auth, authpriv, local0..local7, ...) or a number from 0 to 23", v);
	o->syslog_facility = f;
	return 0;
}

static int opt_syslog_queue(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 4096, 1ull << 30, 1, &x))
		return mw_opt_fail(err, n, "--syslog-queue '%s' must be a size in bytes from 4K to 1G", v);
	o->syslog_queue = (size_t)x;
	return 0;
}

static int opt_metrics(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	char host[256], port[16];

	if (mw_metrics_parse_addr(v, host, sizeof(host), port, sizeof(port), err, n))
		return -1;
	return set_str(&o->metrics, v, err, n);
}

static int opt_config(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	return set_str(&o->config, v, err, n); /* read by main() before the other options */
}

static int opt_alert_rate(struct mw_opts *o, const struct mw_opt_def *d, const char *v, char *err, size_t n)
{
	uint64_t x;

	if (mw_parse_u64(v, 0, 86400, 0, &x))
		return mw_opt_fail(err, n, "--alert-rate '%s' must be a number of seconds from 0 (off) to 86400", v);
	o->alert_rate = (unsigned)x;
	return 0;
}

/* The table: every option mapwatch has. Keep the order of --help. */
static const struct mw_opt_def table[] = {
	/* output */
	{ "json", 'j', MW_OV_NONE, 0, opt_json, 0 },
	{ "output", 'o', MW_OV_REQUIRED, 0, opt_output, 0 },
	{ "append", 'a', MW_OV_NONE, 0, opt_append, 0 },
	{ "stats", 's', MW_OV_NONE, 0, opt_stats, 0 },
	{ "time", 0, MW_OV_REQUIRED, 0, opt_time, 0 },
	/* summary */
	{ "summary", 'c', MW_OV_NONE, 0, opt_summary, 0 },
	{ "summary-by", 0, MW_OV_REQUIRED, 0, opt_summary_by, 0 },
	{ "top", 0, MW_OV_REQUIRED, 0, opt_top, 0 },
	{ "interval", 0, MW_OV_REQUIRED, 0, opt_interval, 0 },
	/* stacks */
	{ "stack", 'k', MW_OV_NONE, 0, opt_stack, 0 },
	{ "stack-depth", 0, MW_OV_REQUIRED, 0, opt_stack_depth, 0 },
	/* selection */
	{ "events", 'e', MW_OV_REQUIRED, MW_OF_LIST, opt_events, 0 },
	{ "pid", 'p', MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_PID },
	{ "follow", 0, MW_OV_NONE, 0, opt_filter, MW_OPT_FOLLOW },
	{ "tid", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_TID },
	{ "comm", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_COMM },
	{ "uid", 'u', MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_UID },
	{ "exe", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_EXE },
	{ "cgroup", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_CGROUP },
	{ "container", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_CONTAINER },
	{ "pod", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_POD },
	{ "k8s-namespace", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_K8SNS },
	{ "runtime-root", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_runtime_root, 0 },
	{ "container-cache", 0, MW_OV_REQUIRED, 0, opt_container_cache, 0 },
	{ "mntns", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_MNTNS },
	{ "pidns", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_PIDNS },
	{ "prot-all", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_PROT_ALL },
	{ "prot-any", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_PROT_ANY },
	{ "flags-all", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_FLAGS_ALL },
	{ "flags-any", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_FLAGS_ANY },
	{ "fd-kind", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_FDKIND },
	{ "path", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_PATH },
	{ "failed", 0, MW_OV_NONE, 0, opt_filter, MW_OPT_FAILED },
	{ "succeeded", 0, MW_OV_NONE, 0, opt_filter, MW_OPT_SUCCEEDED },
	{ "errno", 0, MW_OV_REQUIRED, MW_OF_LIST, opt_filter, MW_OPT_ERRNO },
	{ "min-length", 0, MW_OV_REQUIRED, 0, opt_filter, MW_OPT_MINLEN },
	/* alerts */
	{ "alerts", 0, MW_OV_NONE, 0, opt_alerts, 0 },
	{ "alerts-only", 0, MW_OV_NONE, 0, opt_alerts, 1 },
	{ "allow", 0, MW_OV_REQUIRED, 0, opt_allow, 0 },
	{ "kill-wx", 0, MW_OV_NONE, 0, opt_kill_wx, 0 },
	{ "rules", 0, MW_OV_REQUIRED, 0, opt_rules, 0 },
	{ "check-rules", 0, MW_OV_REQUIRED, MW_OF_CLI_ONLY, opt_rules, 1 },
	/* evidence */
	{ "capture", 0, MW_OV_REQUIRED, 0, opt_capture, 0 },
	{ "capture-max", 0, MW_OV_REQUIRED, 0, opt_capture_size, 0 },
	{ "capture-quota", 0, MW_OV_REQUIRED, 0, opt_capture_size, 1 },
	{ "capture-rate", 0, MW_OV_REQUIRED, 0, opt_capture_size, 2 },
	{ "yara", 0, MW_OV_REQUIRED, 0, opt_yara, 0 },
	/* the command */
	{ "exit-with-command", 0, MW_OV_NONE, MW_OF_CLI_ONLY, opt_exit_with_command, 0 },
	/* outputs besides the stream */
	{ "config", 0, MW_OV_REQUIRED, MW_OF_CLI_ONLY, opt_config, 0 },
	{ "stdout", 0, MW_OV_NONE, 0, opt_stdout, 0 },
	{ "rotate-size", 0, MW_OV_REQUIRED, 0, opt_rotate_size, 0 },
	{ "rotate-keep", 0, MW_OV_REQUIRED, 0, opt_rotate_keep, 0 },
	{ "syslog", 0, MW_OV_REQUIRED, 0, opt_syslog, 0 },
	{ "syslog-events", 0, MW_OV_REQUIRED, 0, opt_syslog_events, 0 },
	{ "syslog-facility", 0, MW_OV_REQUIRED, 0, opt_syslog_facility, 0 },
	{ "syslog-queue", 0, MW_OV_REQUIRED, 0, opt_syslog_queue, 0 },
	{ "metrics", 0, MW_OV_REQUIRED, 0, opt_metrics, 0 },
	{ "alert-rate", 0, MW_OV_REQUIRED, 0, opt_alert_rate, 0 },
	/* tuning */
	{ "buffer-size", 0, MW_OV_REQUIRED, 0, opt_buffer_size, 0 },
	{ "flush-ms", 0, MW_OV_REQUIRED, 0, opt_flush_ms, 0 },
	{ "hook", 0, MW_OV_REQUIRED, 0, opt_hook, 0 },
	{ "compat", 0, MW_OV_REQUIRED, 0, opt_compat, 0 },
	/* information */
	{ "list", 'l', MW_OV_NONE, MW_OF_CLI_ONLY, opt_action, MW_ACT_LIST },
	{ "verbose", 'v', MW_OV_NONE, 0, opt_verbose, 0 },
	{ "help", 'h', MW_OV_NONE, MW_OF_CLI_ONLY, opt_action, MW_ACT_HELP },
	{ "version", 'V', MW_OV_NONE, MW_OF_CLI_ONLY, opt_action, MW_ACT_VERSION },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

void mw_opts_init(struct mw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->event_mask = mw_class_mask(MW_CL_MAPPING);
	o->hook = MW_HOOK_AUTO;
	o->compat = -1;
	o->buffer_size = 4u << 20;
	o->poll_ms = 50;
	o->rotate_keep = 5;
	o->syslog_events = -1;
	o->syslog_facility = 3;
	o->syslog_queue = 8u << 20;
	o->capture_max = MW_CAPTURE_MAX_DEFAULT;
	o->capture_rate = MW_CAPTURE_RATE_DEFAULT;
}

void mw_opts_free(struct mw_opts *o)
{
	for (int i = 0; i < o->nallow; i++)
		free((char *)o->allow[i]);
	free(o->allow);
	o->allow = NULL;
	o->nallow = 0;
	for (int i = 0; i < o->nrules; i++)
		free((char *)o->rules[i]);
	free(o->rules);
	o->rules = NULL;
	o->nrules = 0;
	free((char *)o->output);
	o->output = NULL;
	for (int i = 0; i < o->nsyslog; i++) {
		free((char *)o->syslog_url[i]);
		o->syslog_url[i] = NULL;
	}
	o->nsyslog = 0;
	free((char *)o->metrics);
	o->metrics = NULL;
	free((char *)o->config);
	o->config = NULL;
	free((char *)o->capture_dir);
	o->capture_dir = NULL;
	free((char *)o->yara);
	o->yara = NULL;
}

int mw_opt_given(const struct mw_opts *o, const struct mw_opt_def *d)
{
	size_t i = (size_t)(d - table);

	return i < NOPTS && i < sizeof(o->given) && o->given[i];
}

const struct mw_opt_def *mw_opt_table(size_t *n)
{
	*n = NOPTS;
	return table;
}

const struct mw_opt_def *mw_opt_lookup(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

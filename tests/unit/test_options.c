/* test_options.c - the option table: argv parsing, config-style name/value lines, range checks and refusals. */
#include <stdlib.h>
#include "t.h"
#include "catalog.h"
#include "options.h"
#include "options_check.h"
#include "options_parse.h"
#include "parse.h"

/* Parse a NULL-terminated argv (argv[0] added); returns 0 or -1, err filled. */
static int parse(struct mw_opts *o, char *err, size_t n, const char **args)
{
	static char *argv[64]; /* o->cmd points into it after the call */
	int argc = 1;

	argv[0] = "mapwatch";

	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	argv[argc] = NULL;
	mw_opts_init(o);
	err[0] = 0;
	if (mw_opts_parse_argv(o, argc, argv, err, n))
		return -1;
	return o->action == MW_ACT_RUN ? mw_opts_finish(o, err, n) : 0;
}

/* 0 if refused with an error containing want. */
static int refused(const char *want, const char **args)
{
	struct mw_opts o;
	char err[512];
	int rc = parse(&o, err, sizeof(err), args);

	mw_opts_free(&o);
	if (rc == 0) {
		fprintf(stderr, "  accepted: %s ...\n", args[0]);
		return -1;
	}
	if (!strstr(err, want)) {
		fprintf(stderr, "  error '%s' lacks '%s'\n", err, want);
		return -1;
	}
	if (strchr(err, '\n')) {
		fprintf(stderr, "  error has a newline: '%s'\n", err);
		return -1;
	}
	return 0;
}

#define REFUSED(want, ...) CHECK(refused(want, (const char *[]){ __VA_ARGS__, NULL }) == 0)

TEST(options_numbers_range_checked)
{
	REFUSED("4294967294", "--uid", "4294967296");
	REFUSED("4294967294", "--uid", "4294967295");
	REFUSED("'-1'", "--uid", "-1");
	REFUSED("--min-length", "--min-length", "17179869184G");
	REFUSED("--min-length", "--min-length", "18446744073709551616");
	REFUSED("--min-length", "--min-length", "1X");
	REFUSED("--tid", "--tid", "0");
	REFUSED("--pid", "--pid", "4194305");
	REFUSED("--pid", "--pid", "12abc");
	REFUSED("--pid", "--pid", "+5");
	REFUSED("--buffer-size", "--buffer-size", "17179869184G");
	REFUSED("--buffer-size", "--buffer-size", "3");
	REFUSED("--buffer-size", "--buffer-size", "2G");
	REFUSED("--flush-ms", "--flush-ms", "0");
	REFUSED("--flush-ms", "--flush-ms", "99999999999999999999");
	REFUSED("--mntns", "--mntns", "4294967296");
	REFUSED("--cgroup", "--cgroup", "99999999999999999999");
	REFUSED("--rotate-keep", "--rotate-keep", "-1");
	REFUSED("--rotate-keep", "--rotate-keep", "4294967297");
	REFUSED("--syslog-facility", "--syslog-facility", "24");
	REFUSED("--syslog-events", "--syslog-events", "all");
	REFUSED("--syslog-queue", "--syslog-queue", "17179869184G");
	REFUSED("--alert-rate", "--alert-rate", "1e3");
	REFUSED("--rotate-size", "--rotate-size", "17179869184G");

	struct mw_opts o;
	char err[256];
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "--uid", "4294967294", "--min-length", "8G",
		  "--buffer-size", "1G", "--pid", "4194304", NULL }), 0);
	CHECK(o.filters.uid.n == 1 && o.filters.uid.v[0] == 4294967294u);
	CHECK(o.filters.min_len == 8ull << 30);
	CHECK(o.buffer_size == 1u << 30);
	mw_opts_free(&o);
}

TEST(options_parse_u64)
{
	uint64_t v;

	CHECK_INT(mw_parse_u64("18446744073709551615", 0, UINT64_MAX, 0, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_INT(mw_parse_u64("18446744073709551616", 0, UINT64_MAX, 0, &v), -1);
	CHECK_INT(mw_parse_u64("16777216T", 0, UINT64_MAX, 1, &v), -1);
	CHECK_INT(mw_parse_u64("0x10", 0, 100, 0, &v), 0);
	CHECK(v == 16);
	CHECK_INT(mw_parse_u64("0x", 0, 100, 0, &v), -1);
	CHECK_INT(mw_parse_u64("", 0, 100, 0, &v), -1);
	CHECK_INT(mw_parse_u64(" 1", 0, 100, 0, &v), -1);
	CHECK_INT(mw_parse_u64("4MiB", 0, UINT64_MAX, 1, &v), 0);
	CHECK(v == 4u << 20);
	CHECK_INT(mw_parse_u64("4K", 0, UINT64_MAX, 0, &v), -1);
	CHECK_INT(mw_parse_u64("010", 0, 100, 0, &v), 0);
	CHECK(v == 10); /* decimal, not octal */
}

TEST(options_usage_refused)
{
	REFUSED("needs a value before '--'", "--comm", "--", "ls");
	REFUSED("needs a value before '--'", "-u", "--", "ls");
	REFUSED("needs -c/--summary", "--top", "3");
	REFUSED("--interval", "-c", "--interval", "-1");
	REFUSED("--interval", "-c", "--interval", "nan");
	REFUSED("takes no value", "--json=yes");
	REFUSED("takes no value", "--alerts=1");
	REFUSED("'!' negates the whole list", "--comm", "demo,!true");
	REFUSED("it would show it as 'abcdefghijklmno'", "--comm", "abcdefghijklmnopqrstuvwxyz12");
	REFUSED("15 bytes", "--comm", "abcdefghijklmnop");
	REFUSED("not a namespace file", "--pidns", "/etc/passwd");
	REFUSED("not a pid namespace", "--pidns", "/proc/self/ns/mnt");
	REFUSED("not a mount namespace", "--mntns", "/proc/self/ns/pid");
	REFUSED("No such file", "--pidns", "/nonexistent");
	REFUSED("is a directory", "--exe", "/etc");
	REFUSED("cannot stat", "--allow", "/nonexistent", "--alerts");
	REFUSED("Not a directory", "--allow", "/etc/passwd/", "--alerts");
	REFUSED("neither an executable file nor a directory", "--allow", "/dev/null", "--alerts");
	REFUSED("only makes sense with --alerts", "--allow", "/bin/true");
	REFUSED("--compat off", "-e", "mmap2", "--compat", "off");
	REFUSED("must be auto, function, tracepoint or dispatcher", "--hook", "kprobe");
	/* tracepoint mode traces 32-bit tasks (the dispatcher while one runs) */
	{
		struct mw_opts o;
		char err[512];
		CHECK(parse(&o, err, sizeof(err), (const char *[]){ "--hook", "tracepoint", "--compat", "on", "-e", "mmap2", NULL }) == 0);
		CHECK(o.hook == MW_HOOK_TRACEPOINT && o.compat == 1);
		mw_opts_free(&o);
		CHECK(parse(&o, err, sizeof(err), (const char *[]){ "--hook", "raw", NULL }) == 0);
		CHECK(o.hook == MW_HOOK_DISPATCHER);
		mw_opts_free(&o);
		CHECK(parse(&o, err, sizeof(err), (const char *[]){ "--hook", "function", NULL }) == 0);
		CHECK(o.hook == MW_HOOK_FUNCTION);
		mw_opts_free(&o);
	}
	REFUSED("COMMAND", "--pid", "1", "--", "ls");
	REFUSED("COMMAND", "--tid", "1", "--", "ls");
	REFUSED("unknown option '--bogus'", "--bogus");
	REFUSED("ambiguous", "--alert");
	REFUSED("unknown option '-x'", "-x");
	REFUSED("needs a value", "--output");
	REFUSED("needs a value", "-o");
	REFUSED("followed by a command", "--");
	REFUSED("put the command after '--'", "stray");
	REFUSED("unknown event 'nope'", "-e", "mmap,nope");
	REFUSED("at least one event", "-e", " , ");
	REFUSED("empty value", "--comm", "");
	REFUSED("not a list", "--min-length", "1K,2K");
	REFUSED("PROT_NONE", "--prot-all", "none");
	REFUSED("cannot mix negated", "--comm", "a", "--comm", "!b");
}

TEST(options_repeats_add_up)
{
	struct mw_opts o;
	char err[256];

	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "-e", "munmap", "-e", "mprotect", NULL }), 0);
	CHECK_INT(o.event_mask, (MW_EVBIT(MW_EV_MUNMAP)) | (MW_EVBIT(MW_EV_MPROTECT)));
	mw_opts_free(&o);
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "-e", " mmap , munmap ", "--comm", "a, b",
		  "--comm=c", "--uid=0", "-u", "1,2", NULL }), 0);
	CHECK_INT(o.event_mask, (MW_EVBIT(MW_EV_MMAP)) | (MW_EVBIT(MW_EV_MUNMAP)));
	CHECK_INT(o.filters.ncomm, 3);
	CHECK_STR(o.filters.comm[1], "b");
	CHECK_INT(o.filters.uid.n, 3);
	mw_opts_free(&o);
	/* without --events every syscall event is on */
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "-j", NULL }), 0);
	CHECK_INT(o.event_mask, mw_class_mask(MW_CL_MAPPING));
	mw_opts_free(&o);
}

TEST(options_argv_forms)
{
	struct mw_opts o;
	char err[256];

	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "-sjvv", "-oout.json", "--flush-ms=7", "--buffer", "64K",
		  "--prot-any", "none", "--", "ls", "-l", NULL }), 0);
	CHECK(o.stats && o.json);
	CHECK_INT(o.verbose, 2);
	CHECK_STR(o.output, "out.json");
	CHECK_INT(o.poll_ms, 7);
	CHECK_INT(o.buffer_size, 65536);
	CHECK(o.filters.prot_none == 1);
	CHECK(o.cmd && !strcmp(o.cmd[0], "ls") && !strcmp(o.cmd[1], "-l") && !o.cmd[2]);
	mw_opts_free(&o);
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "-o", "a", "--output", "b", "--help", NULL }), 0);
	CHECK_STR(o.output, "b"); /* single-value options: the last one counts */
	CHECK_INT(o.action, MW_ACT_HELP);
	mw_opts_free(&o);
}

TEST(options_config_lines)
{
	struct mw_opts o;
	char err[256];
	char val[16];

	mw_opts_init(&o);
	strcpy(val, "mmap");
	CHECK_INT(mw_opt_apply(&o, "events", val, err, sizeof(err)), 0);
	strcpy(val, "clobbered"); /* values are copied */
	CHECK_INT(mw_opt_apply(&o, "output", "/tmp/x", err, sizeof(err)), 0);
	CHECK_INT(mw_opt_apply(&o, "json", NULL, err, sizeof(err)), 0);
	CHECK_INT(mw_opt_apply(&o, "json", "yes", err, sizeof(err)), -1);
	CHECK(strstr(err, "takes no value") != NULL);
	CHECK_INT(mw_opt_apply(&o, "comm", NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "needs a value") != NULL);
	CHECK_INT(mw_opt_apply(&o, "help", NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "command line") != NULL);
	CHECK_INT(mw_opt_apply(&o, "outp", "x", err, sizeof(err)), -1); /* no prefixes in files */
	CHECK(strstr(err, "unknown option") != NULL);
	CHECK_INT(mw_opt_apply(&o, "uid", "4294967296", err, sizeof(err)), -1);
	CHECK(o.json);
	CHECK_INT(o.event_mask, MW_EVBIT(MW_EV_MMAP));
	CHECK_STR(o.output, "/tmp/x");
	CHECK(mw_opt_lookup("min-length") != NULL && mw_opt_lookup("min") == NULL);
	mw_opts_free(&o);
}

TEST(options_list_next_trims)
{
	char buf[] = " a ,b,\tc\t,, d";
	char *s = buf, *w;
	const char *want[] = { "a", "b", "c", "", "d" };
	int i = 0;

	while ((w = mw_list_next(&s)) && i < 5)
		CHECK_STR(w, want[i++]);
	CHECK_INT(i, 5);
}

/* found by fuzz_options: a word with a newline made a two-line error */
TEST(options_errors_stay_one_line)
{
	REFUSED("unknown option", "--=\n\rmm");
	struct mw_opts o;
	char err[256];
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "--comm", "a\nb\x1b[31m", NULL }) == 0 ? 0 : -1, 0);
	mw_opts_free(&o);
	CHECK_INT(parse(&o, err, sizeof(err), (const char *[]){ "--uid", "no\nsuch\x1b", NULL }), -1);
	CHECK(strchr(err, '\n') == NULL && strchr(err, '\x1b') == NULL);
	CHECK(strstr(err, "no?such?") != NULL);
	mw_opts_free(&o);
	mw_opts_init(&o);
	CHECK_INT(mw_opt_apply(&o, "bogus\n", "x", err, sizeof(err)), -1);
	CHECK(strchr(err, '\n') == NULL);
	mw_opts_free(&o);
}

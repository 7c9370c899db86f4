/* test_fleet.c - unit tests of the fleet pieces: config reader, alert collapsing, sinks, file rotation, syslog URLs, metrics text. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "collapse.h"
#include "config.h"
#include "metrics.h"
#include "sink.h"
#include "t.h"

/* ---- config ---- */

struct seen {
	char lines[16][160];
	int n;
	const char *fail_on; /* name whose apply fails */
};

static int record(void *ctx, const char *name, const char *value, char *err, size_t n)
{
	struct seen *s = ctx;

	if (s->fail_on && !strcmp(name, s->fail_on)) {
		snprintf(err, n, "option '--%s' is bad", name);
		return -1;
	}
	if (s->n < 16)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s|%s", name, value ? value : "(none)");
	return 0;
}

static const char *write_tmp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mw-unit-conf-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return NULL;
	close(fd);
	return path;
}

TEST(config_lines)
{
	static const char text[] = "# comment\n\n  json\n--alerts-only\nevents = mmap , munmap\n"
				   "comm=\"  spaced  \"\r\n\t# indented comment\noutput =  /var/log/x  \n"
				   "events = mprotect\n";
	const char *p = write_tmp(text, sizeof(text) - 1);
	struct seen s = { 0 };
	char err[256] = "";

	CHECK(p);
	CHECK_INT(mw_config_read(p, record, &s, err, sizeof(err)), 0);
	CHECK_INT(s.n, 6);
	CHECK_STR(s.lines[0], "json|(none)");
	CHECK_STR(s.lines[1], "alerts-only|(none)");
	CHECK_STR(s.lines[2], "events|mmap , munmap");
	CHECK_STR(s.lines[3], "comm|  spaced  ");
	CHECK_STR(s.lines[4], "output|/var/log/x");
	CHECK_STR(s.lines[5], "events|mprotect");
	unlink(p);
}

TEST(config_errors)
{
	static const struct {
		const char *text;
		const char *want; /* after "PATH:" */
	} cases[] = {
		{ "json\n= 3\n", "2: expected 'name = value' (a long option without --) or a bare switch name" },
		{ "json\nconfig = /x\n", "2: a config file cannot name another one (config)" },
		{ "a b = c\n", "1: 'a b' is not an option name: expected 'name = value'" },
		{ "comm = \"open\n", "1: unterminated quote in the value" },
		{ "\n\nbad = 1\n", "3: option '--bad' is bad" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = write_tmp(cases[i].text, strlen(cases[i].text));
		struct seen s = { .fail_on = "bad" };
		char err[256] = "", want[320];
		CHECK_INT(mw_config_read(p, record, &s, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", p, cases[i].want);
		CHECK_STR(err, want);
		unlink(p);
	}
	/* a NUL byte in a line */
	const char *p = write_tmp("json\nx\0y = 1\n", 13);
	struct seen s = { 0 };
	char err[256] = "";
	CHECK_INT(mw_config_read(p, record, &s, err, sizeof(err)), -1);
	CHECK(strstr(err, ":2: a NUL byte") != NULL);
	unlink(p);
	CHECK_INT(mw_config_read("/nonexistent/mw.conf", record, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/mw.conf: cannot read the config file: No such file or directory");
}

/* ---- collapsing ---- */

struct sums {
	struct mw_collapse_summary s[8];
	int n;
};

static void collect(void *ctx, const struct mw_collapse_summary *cs)
{
	struct sums *s = ctx;

	if (s->n < 8)
		s->s[s->n++] = *cs;
}

TEST(collapse_repeats)
{
	struct mw_collapse *c = mw_collapse_new(10);
	struct mw_event e = { .pid = 42 };
	struct mw_view v = { .e = &e };
	struct mw_alert a = { .kind = MW_AL_WX_MPROTECT, .severity = MW_SEV_HIGH, .has_region = 1,
			      .start = 0x1000, .end = 0x2000 };
	struct mw_alert other = a;
	struct sums s = { 0 };
	const uint64_t S = 1000000000ull;

	memcpy(e.comm, "jit", 4);
	other.start = 0x3000;
	other.end = 0x4000;
	CHECK(c);
	CHECK_INT(mw_collapse_alert(c, &v, &a, 100 * S), 1);     /* first: in full */
	CHECK_INT(mw_collapse_alert(c, &v, &a, 101 * S), 0);     /* repeats: counted */
	CHECK_INT(mw_collapse_alert(c, &v, &a, 102 * S), 0);
	CHECK_INT(mw_collapse_alert(c, &v, &other, 102 * S), 1); /* another region: in full */
	e.pid = 43;
	CHECK_INT(mw_collapse_alert(c, &v, &a, 103 * S), 1);     /* another process: in full */
	e.pid = 42;
	CHECK_INT(mw_collapse_tick(c, 105 * S, collect, &s), 0); /* interval not over */
	CHECK_INT(mw_collapse_tick(c, 110 * S, collect, &s), 1);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.s[0].count, 2);
	CHECK_INT(s.s[0].pid, 42);
	CHECK_INT(s.s[0].start, 0x1000);
	CHECK_STR(s.s[0].comm, "jit");
	CHECK_INT(mw_collapse_folded(c, MW_AL_WX_MPROTECT), 2);
	/* still collapsing in the next interval */
	CHECK_INT(mw_collapse_alert(c, &v, &a, 111 * S), 0);
	CHECK_INT(mw_collapse_tick(c, 121 * S, collect, &s), 1);
	CHECK_INT(s.s[1].count, 1);
	/* an interval without repeats forgets the key: the next one is in full */
	CHECK_INT(mw_collapse_tick(c, 132 * S, collect, &s), 0);
	CHECK_INT(mw_collapse_alert(c, &v, &a, 133 * S), 1);
	/* at exit, what is pending is reported */
	CHECK_INT(mw_collapse_alert(c, &v, &a, 134 * S), 0);
	CHECK_INT(mw_collapse_tick(c, UINT64_MAX, collect, &s), 1);
	CHECK_INT(s.s[2].count, 1);

	struct strbuf b = { 0 };
	mw_collapse_json(&b, &s.s[0]);
	CHECK(strstr(b.p, "\"eventName\":\"alert_repeats\"") != NULL);
	CHECK(strstr(b.p, "\"count\":2,") != NULL);
	CHECK(strstr(b.p, "\"regionStart\":\"0x1000\"") != NULL);
	sb_reset(&b);
	mw_collapse_table(&b, &s.s[0]);
	CHECK_STR(b.p, "*** ALERT high wx_mprotect repeated 2 more times (pid 42 jit, region 0x1000-0x2000) within 10 s");
	sb_free(&b);
	mw_collapse_free(c);
}

TEST(collapse_table_full_never_drops)
{
	struct mw_collapse *c = mw_collapse_new(1);
	struct mw_event e = { .pid = 1 };
	struct mw_view v = { .e = &e };
	struct mw_alert a = { .kind = MW_AL_WX_MAPPING, .has_region = 1, .start = 0, .end = 4096 };
	int full = 0;

	for (uint32_t i = 0; i < MW_COLLAPSE_KEYS + 100; i++) {
		a.start = (uint64_t)i << 12;
		a.end = a.start + 4096;
		full += mw_collapse_alert(c, &v, &a, 1);
	}
	CHECK_INT(full, MW_COLLAPSE_KEYS + 100); /* all new keys: all in full */
	a.start = 5ull << 12;
	a.end = a.start + 4096;
	CHECK_INT(mw_collapse_alert(c, &v, &a, 2), 0); /* a known key still folds */
	a.start = (uint64_t)(MW_COLLAPSE_KEYS + 50) << 12;
	a.end = a.start + 4096;
	CHECK_INT(mw_collapse_alert(c, &v, &a, 2), 1); /* an unstored key: in full */
	mw_collapse_free(c);
}

/* ---- sinks ---- */

struct cap_sink {
	struct mw_sink base;
	enum mw_fmt fmt;
	int writes;
	char last[256];
};

static int cap_write(struct mw_sink *s, struct mw_rec *r)
{
	struct cap_sink *c = (struct cap_sink *)s;
	size_t len;
	const char *l = mw_rec_line(r, c->fmt, &len);

	c->writes++;
	snprintf(c->last, sizeof(c->last), "%.*s", (int)len, l);
	return 0;
}

static int cap_flush(struct mw_sink *s)
{
	return 0;
}

static void cap_close(struct mw_sink *s)
{
}

static const struct mw_sink_ops cap_ops = { .write = cap_write, .flush = cap_flush, .close = cap_close };

TEST(sinks_masks_and_shared_text)
{
	struct mw_sinks ss = { 0 };
	struct cap_sink a = { .base = { .ops = &cap_ops, .mask = MW_RKM_ALL }, .fmt = MW_FMT_JSON };
	struct cap_sink b = { .base = { .ops = &cap_ops, .mask = MW_RKM(MW_RK_NOTICE) }, .fmt = MW_FMT_TABLE };
	struct mw_rec lost = { .kind = MW_RK_LOST, .ts_ns = 5, .reason = "ring_buffer_full", .count = 2, .total = 7 };
	struct mw_rec note = { .kind = MW_RK_NOTICE, .notice_json = "{\"x\":1}", .notice_table = "*** x" };

	CHECK_INT(mw_sinks_add(&ss, &a.base), 0);
	CHECK_INT(mw_sinks_add(&ss, &b.base), 0);
	CHECK(mw_sinks_want(&ss, MW_RK_EVENT));
	CHECK_INT(mw_sinks_emit(&ss, &lost), 0);
	CHECK_INT(a.writes, 1);
	CHECK_INT(b.writes, 0);
	CHECK_STR(a.last, "{\"timestamp\":5,\"eventName\":\"lost\",\"reason\":\"ring_buffer_full\",\"count\":2,\"total\":7}\n");
	CHECK_INT(mw_sinks_emit(&ss, &note), 0);
	CHECK_STR(a.last, "{\"x\":1}\n");
	CHECK_STR(b.last, "*** x\n");
	CHECK_INT(mw_sinks_flush(&ss), 0);
	mw_sinks_close(&ss);
}

static int count_lines(const char *path, off_t *size)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	struct stat st;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	*size = stat(path, &st) ? -1 : st.st_size;
	return n;
}

TEST(file_sink_rotation_and_reopen)
{
	char dir[] = "/tmp/mw-unit-rot-XXXXXX", path[96], p1[100], p2[100], p3[100];
	struct mw_sink *s;
	struct mw_rec note = { .kind = MW_RK_NOTICE, .notice_json = "0123456789012345678", .notice_table = "" };
	struct strbuf text[MW_FMT_MAX] = { { 0 } };
	off_t sz;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	s = mw_sink_file_new(path, MW_FMT_JSON, false, 100, 2); /* 20-byte lines, 100-byte files */
	CHECK(s != NULL);
	for (int i = 0; i < 23; i++) {
		note.text = text;
		note.done = 0;
		CHECK_INT(s->ops->write(s, &note), 0);
	}
	CHECK_INT(s->ops->flush(s), 0);
	CHECK_INT(count_lines(path, &sz), 3);  /* 23 = 5 + 5 + 5 (two rotated kept, one gone) + ... */
	CHECK_INT(count_lines(p1, &sz), 5);
	CHECK_INT(sz, 100);
	CHECK_INT(count_lines(p2, &sz), 5);
	CHECK(access(p3, F_OK) != 0);
	struct mw_sink_stats st;
	s->ops->stats(s, &st);
	CHECK_INT(st.rotations, 4);
	CHECK_INT(st.written, 23);
	/* logrotate moves the file away; SIGHUP reopens under the name */
	CHECK_INT(rename(path, p3), 0);
	CHECK_INT(s->ops->reopen(s), 0);
	note.done = 0;
	CHECK_INT(s->ops->write(s, &note), 0);
	CHECK_INT(s->ops->flush(s), 0);
	CHECK_INT(count_lines(path, &sz), 1);
	CHECK_INT(count_lines(p3, &sz), 3);
	s->ops->close(s);
	for (int f = 0; f < MW_FMT_MAX; f++)
		sb_free(&text[f]);
	unlink(path);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(dir);
}

/* ---- syslog and metrics parsing ---- */

TEST(syslog_urls_and_facilities)
{
	static const struct {
		const char *url;
		int ok, tr;
		const char *host, *port, *path;
	} cases[] = {
		{ "tcp://127.0.0.1:514", 1, 2, "127.0.0.1", "514", NULL },
		{ "udp://logs.example.net:5514", 1, 1, "logs.example.net", "5514", NULL },
		{ "tcp://[::1]:6514", 1, 2, "::1", "6514", NULL },
		{ "unix:/dev/log", 1, 0, NULL, NULL, "/dev/log" },
		{ "unix:", 0, 0, NULL, NULL, NULL },
		{ "tcp://host", 0, 0, NULL, NULL, NULL },
		{ "tcp://host:0", 0, 0, NULL, NULL, NULL },
		{ "tcp://host:65536", 0, 0, NULL, NULL, NULL },
		{ "tcp://:514", 0, 0, NULL, NULL, NULL },
		{ "tcp://h:51a", 0, 0, NULL, NULL, NULL },
		{ "ftp://h:21", 0, 0, NULL, NULL, NULL },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int tr = -1;
		char *h, *p, *path;
		int rc = mw_syslog_parse_url(cases[i].url, &tr, &h, &p, &path);
		CHECK_INT(rc, cases[i].ok ? 0 : -1);
		if (!rc) {
			CHECK_INT(tr, cases[i].tr);
			if (cases[i].host)
				CHECK_STR(h, cases[i].host);
			if (cases[i].port)
				CHECK_STR(p, cases[i].port);
			if (cases[i].path)
				CHECK_STR(path, cases[i].path);
		}
		free(h);
		free(p);
		free(path);
	}
	CHECK_INT(mw_syslog_facility("daemon"), 3);
	CHECK_INT(mw_syslog_facility("authpriv"), 10);
	CHECK_INT(mw_syslog_facility("local7"), 23);
	CHECK_INT(mw_syslog_facility("17"), 17);
	CHECK_INT(mw_syslog_facility("24"), -1);
	CHECK_INT(mw_syslog_facility("local8"), -1);
	CHECK_INT(mw_syslog_facility(""), -1);
}

TEST(metrics_addresses_and_text)
{
	char h[64], p[16], err[200];

	CHECK_INT(mw_metrics_parse_addr("9464", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	CHECK_STR(h, "127.0.0.1");
	CHECK_STR(p, "9464");
	CHECK_INT(mw_metrics_parse_addr("0.0.0.0:80", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	CHECK_STR(h, "0.0.0.0");
	CHECK_INT(mw_metrics_parse_addr("[::1]:9", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	CHECK_STR(h, "::1");
	CHECK_INT(mw_metrics_parse_addr(":9", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	CHECK_STR(h, "127.0.0.1");
	CHECK_INT(mw_metrics_parse_addr("localhost:9", h, sizeof(h), p, sizeof(p), err, sizeof(err)), -1);
	CHECK_INT(mw_metrics_parse_addr("1.2.3.4:0", h, sizeof(h), p, sizeof(p), err, sizeof(err)), -1);
	CHECK_INT(mw_metrics_parse_addr("1.2.3.4:", h, sizeof(h), p, sizeof(p), err, sizeof(err)), -1);
	CHECK_INT(mw_metrics_parse_addr("1.2.3.4:99999", h, sizeof(h), p, sizeof(p), err, sizeof(err)), -1);

	static const char *const names[MW_CNT_MAX] = { [MW_CNT_RB_FULL] = "ring_buffer_full" };
	struct mw_metrics_snap s = { .written = 12, .loss_names = names, .nsinks = 1 };
	struct strbuf b = { 0 };
	s.events[MW_EV_MMAP] = 9;
	s.bpf[MW_CNT_RB_FULL] = 3;
	s.alerts[MW_AL_WX_MAPPING][MW_SEV_HIGH] = 4;
	snprintf(s.sinks[0].name, sizeof(s.sinks[0].name), "a\"b\\c");
	s.sinks[0].st.dropped = 5;
	s.hook_skipped = 7;
	mw_metrics_format(&b, &s, NULL);
	CHECK(strstr(b.p, "# TYPE mapwatch_events_total counter\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_events_total{event=\"mmap\"} 9\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_events_written_total 12\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_events_lost_total{reason=\"ring_buffer_full\"} 3\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_alerts_total{kind=\"wx_mapping\",severity=\"high\"} 4\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_sink_dropped_total{output=\"a\\\"b\\\\c\"} 5\n") != NULL);
	CHECK(strstr(b.p, "\nmapwatch_bpf_runs_skipped_total 7\n") != NULL);
	sb_free(&b);
}

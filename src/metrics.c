/* metrics.c - the --metrics HTTP endpoint (Prometheus text format 0.0.4): one thread, non-blocking sockets, bounded requests. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "thread.h"
#include "catalog.h"
#include "metrics.h"

#define MAX_CONNS 64
#define REQ_MAX 4096
#define REQ_TIME_MS 2000
#define SEND_TIME_MS 5000

struct conn {
	int fd;
	uint64_t deadline;     /* CLOCK_MONOTONIC ms */
	size_t got;
	char req[REQ_MAX];
	char *out;             /* response being sent */
	size_t outlen, sent;
};

struct mw_metrics {
	int lfd;
	int wake[2];           /* pipe: stop */
	pthread_t th;
	pthread_mutex_t mu;
	struct mw_metrics_snap snap;
	struct mw_metrics_http_stats hs;
	struct conn c[MAX_CONNS];
	int rb_fd;
	const volatile unsigned long *rb_pos; /* consumer page, then producer page */
	size_t rb_map_len, page;
	uint32_t rb_size;
	int nprogs;
	int *prog_fds;
	char **prog_names;
	struct strbuf body, resp;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- exposition text ---- */

static void label_value(struct strbuf *b, const char *s)
{
	sb_putc(b, '"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_putc(b, '\\'), sb_putc(b, *s);
		else if (*s == '\n')
			sb_puts(b, "\\n");
		else
			sb_putc(b, *s);
	}
	sb_putc(b, '"');
}

static void family(struct strbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct strbuf *b, const char *name, const char *labels, uint64_t v)
{
	sb_puts(b, name);
	if (labels && *labels)
		sb_puts(b, labels);
	sb_putc(b, ' ');
	sb_put_u64(b, v);
	sb_putc(b, '\n');
}

void mw_metrics_format(struct strbuf *b, const struct mw_metrics_snap *s,
		       const struct mw_metrics_http_stats *hs)
{
	struct strbuf l = { 0 };

	family(b, "mapwatch_events_total", "counter", "Events read from the kernel, by event name.");
	for (unsigned e = 0; e < MW_EV_MAX; e++) {
		sb_reset(&l);
		sb_puts(&l, "{event=");
		label_value(&l, mw_event_desc(e)->name);
		sb_putc(&l, '}');
		sample(b, "mapwatch_events_total", l.p, s->events[e]);
	}
	family(b, "mapwatch_events_seen_total", "counter", "Calls that passed the scope checks in the kernel.");
	sample(b, "mapwatch_events_seen_total", NULL, s->bpf[MW_CNT_SEEN]);
	family(b, "mapwatch_events_written_total", "counter", "Event lines written to the event stream.");
	sample(b, "mapwatch_events_written_total", NULL, s->written);
	family(b, "mapwatch_events_filtered_total", "counter", "Events rejected by the filters in the kernel.");
	sample(b, "mapwatch_events_filtered_total", NULL, s->bpf[MW_CNT_FILTERED]);
	family(b, "mapwatch_events_exit_only_total", "counter", "Events reported from the syscall exit alone (calls refused by seccomp).");
	sample(b, "mapwatch_events_exit_only_total", NULL, s->bpf[MW_CNT_EXIT_ONLY]);
	family(b, "mapwatch_events_outside_tree_total", "counter", "Calls of processes outside the traced tree (-- COMMAND, --follow).");
	sample(b, "mapwatch_events_outside_tree_total", NULL, s->bpf[MW_CNT_OUT_OF_TREE]);
	family(b, "mapwatch_events_lost_total", "counter", "Events and records lost, by reason.");
	for (int k = 0; k < MW_CNT_MAX; k++) {
		if (!s->loss_names || !s->loss_names[k])
			continue;
		sb_reset(&l);
		sb_puts(&l, "{reason=");
		label_value(&l, s->loss_names[k]);
		sb_putc(&l, '}');
		sample(b, "mapwatch_events_lost_total", l.p, s->bpf[k]);
	}
	family(b, "mapwatch_bpf_runs_skipped_total", "counter", "BPF program runs the kernel skipped because another BPF program was running on that CPU (recursion misses): calls that may be missing.");
	sample(b, "mapwatch_bpf_runs_skipped_total", NULL, s->hook_skipped);
	family(b, "mapwatch_hook_switch_gaps_total", "counter", "32-bit process starts that ran before the dispatcher was attached (--hook tracepoint only; 0 in every other mode): their first calls may be missing.");
	sample(b, "mapwatch_hook_switch_gaps_total", NULL, s->bpf[MW_CNT_HOOK_GAP]);
	family(b, "mapwatch_process_records_total", "counter", "Process (executable path) records read.");
	sample(b, "mapwatch_process_records_total", NULL, s->proc_recs);
	family(b, "mapwatch_container_lookups_total", "counter", "Cgroups looked up in the container runtimes' state, by result (named: a runtime described it; unresolved: a container id no runtime's state describes; gone: the cgroup was removed first; host: no container).");
	sample(b, "mapwatch_container_lookups_total", "{result=\"named\"}", s->ctr.containers);
	sample(b, "mapwatch_container_lookups_total", "{result=\"unresolved\"}", s->ctr.unresolved);
	sample(b, "mapwatch_container_lookups_total", "{result=\"gone\"}", s->ctr.gone);
	family(b, "mapwatch_container_state_errors_total", "counter", "Runtime state files present but unreadable, malformed or too large.");
	sample(b, "mapwatch_container_state_errors_total", NULL, s->ctr.state_errors);
	family(b, "mapwatch_container_cache_entries", "gauge", "Cgroups whose identity is cached.");
	sample(b, "mapwatch_container_cache_entries", NULL, s->ctr.entries);
	family(b, "mapwatch_container_cache_evictions_total", "counter", "Cached identities evicted (the least recently used, at --container-cache entries).");
	sample(b, "mapwatch_container_cache_evictions_total", NULL, s->ctr.evictions);
	family(b, "mapwatch_alerts_total", "counter", "Alerts raised, by kind and severity (repeats folded by --alert-rate included).");
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++)
		for (unsigned v = 0; v < 3; v++) {
			sb_reset(&l);
			sb_puts(&l, "{kind=");
			label_value(&l, mw_alert_kind_name(k));
			sb_puts(&l, ",severity=");
			label_value(&l, mw_alert_severity_name(v));
			sb_putc(&l, '}');
			sample(b, "mapwatch_alerts_total", l.p, s->alerts[k][v]);
		}
	if (s->evidence_on) {
		family(b, "mapwatch_evidence_payloads_total", "counter", "Payloads (bytes made executable) attached to alerts (--capture, --yara).");
		sample(b, "mapwatch_evidence_payloads_total", NULL, s->evidence_payloads);
		family(b, "mapwatch_evidence_payload_bytes_total", "counter", "Bytes of those payloads.");
		sample(b, "mapwatch_evidence_payload_bytes_total", NULL, s->evidence_bytes);
		family(b, "mapwatch_evidence_files_total", "counter", "Payload files written to --capture DIR, by result.");
		sample(b, "mapwatch_evidence_files_total", "{result=\"saved\"}", s->evidence_saved);
		sample(b, "mapwatch_evidence_files_total", "{result=\"write_failed\"}", s->evidence_write_failed);
		sample(b, "mapwatch_evidence_files_total", "{result=\"queue_full\"}", s->evidence_queue_dropped);
		sample(b, "mapwatch_evidence_files_total", "{result=\"removed_for_quota\"}", s->evidence_quota_removed);
		family(b, "mapwatch_yara_total", "counter", "Payloads scanned with --yara that matched, and alerts written unscanned (queue full).");
		sample(b, "mapwatch_yara_total", "{result=\"matched\"}", s->yara_matched);
		sample(b, "mapwatch_yara_total", "{result=\"dropped\"}", s->yara_dropped);
	}
	family(b, "mapwatch_alerts_suppressed_total", "counter", "Alerts silenced by --allow.");
	sample(b, "mapwatch_alerts_suppressed_total", NULL, s->alerts_suppressed);
	family(b, "mapwatch_alerts_collapsed_total", "counter", "Repeated alerts reported as a count instead of in full (--alert-rate), by kind.");
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++) {
		sb_reset(&l);
		sb_puts(&l, "{kind=");
		label_value(&l, mw_alert_kind_name(k));
		sb_putc(&l, '}');
		sample(b, "mapwatch_alerts_collapsed_total", l.p, s->alerts_collapsed[k]);
	}
	if (s->nrules) {
		static const char *const rf[3][2] = {
			{ "mapwatch_rule_matches_total", "Alerts each policy rule decided (--rules), by rule and action." },
			{ "mapwatch_rule_written_total", "Alerts each policy rule wrote (alert, capture, kill)." },
			{ "mapwatch_rule_rate_limited_total", "Alerts each policy rule withheld by its rate_limit." },
		};
		for (int f = 0; f < 3; f++) {
			family(b, rf[f][0], "counter", rf[f][1]);
			for (int i = 0; i < s->nrules && i < MW_METRICS_RULES; i++) {
				sb_reset(&l);
				sb_puts(&l, "{rule=");
				label_value(&l, s->rules[i].name);
				sb_puts(&l, ",action=");
				label_value(&l, s->rules[i].action);
				sb_putc(&l, '}');
				sample(b, rf[f][0], l.p, f == 0 ? s->rules[i].matched : f == 1 ? s->rules[i].written
										  : s->rules[i].limited);
			}
		}
		family(b, "mapwatch_rules_reloads_total", "counter", "Rule sets loaded again on SIGHUP.");
		sample(b, "mapwatch_rules_reloads_total", NULL, s->rules_reloads);
		family(b, "mapwatch_rules_reload_failures_total", "counter",
		       "SIGHUP reloads refused (rules that do not validate): the old rules stay.");
		sample(b, "mapwatch_rules_reload_failures_total", NULL, s->rules_reload_failures);
	}
	static const struct {
		const char *name, *type, *help;
	} sf[] = {
		{ "mapwatch_sink_records_total", "counter", "Records written to an output (or handed to its peer)." },
		{ "mapwatch_sink_dropped_total", "counter", "Records an output dropped (queue full while its peer was away)." },
		{ "mapwatch_sink_reconnects_total", "counter", "Connections to an output's peer made again after the first." },
		{ "mapwatch_sink_rotations_total", "counter", "Files an output rotated (--rotate-size)." },
		{ "mapwatch_sink_queued_records", "gauge", "Records waiting in an output's queue." },
		{ "mapwatch_sink_up", "gauge", "1 when the output's peer is reachable (always 1 for files)." },
	};
	for (unsigned f = 0; f < sizeof(sf) / sizeof(sf[0]); f++) {
		family(b, sf[f].name, sf[f].type, sf[f].help);
		for (int i = 0; i < s->nsinks; i++) {
			const struct mw_sink_stats *st = &s->sinks[i].st;
			uint64_t v[] = { st->written, st->dropped, st->reconnects, st->rotations, st->queued,
					 st->connected };
			sb_reset(&l);
			sb_puts(&l, "{output=");
			label_value(&l, s->sinks[i].name);
			sb_putc(&l, '}');
			sample(b, sf[f].name, l.p, v[f]);
		}
	}
	if (hs) {
		family(b, "mapwatch_metrics_requests_total", "counter", "Requests to this endpoint, by answer.");
		sample(b, "mapwatch_metrics_requests_total", "{answer=\"served\"}", hs->served);
		sample(b, "mapwatch_metrics_requests_total", "{answer=\"refused\"}", hs->refused);
	}
	sb_free(&l);
}

/* Ring buffer fill and BPF run time: read at scrape time. */
static void format_live(struct mw_metrics *m, struct strbuf *b)
{
	if (m->rb_pos) {
		unsigned long cons = __atomic_load_n(&m->rb_pos[0], __ATOMIC_ACQUIRE);
		unsigned long prod = __atomic_load_n(&m->rb_pos[m->page / sizeof(long)], __ATOMIC_ACQUIRE);
		family(b, "mapwatch_ring_buffer_size_bytes", "gauge", "Size of the kernel-to-user ring buffer.");
		sample(b, "mapwatch_ring_buffer_size_bytes", NULL, m->rb_size);
		family(b, "mapwatch_ring_buffer_used_bytes", "gauge", "Bytes written by the kernel and not yet read.");
		sample(b, "mapwatch_ring_buffer_used_bytes", NULL, prod >= cons ? prod - cons : 0);
	}
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int on = 0;
	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	family(b, "mapwatch_bpf_stats_enabled", "gauge", "1 when kernel.bpf_stats_enabled is on (BPF run time is then reported).");
	sample(b, "mapwatch_bpf_stats_enabled", NULL, on == 1);
	if (on != 1 || !m->nprogs)
		return;
	struct strbuf l = { 0 }, t = { 0 };
	family(&t, "mapwatch_bpf_program_runs_total", "counter", "Times each BPF program ran (kernel.bpf_stats_enabled).");
	family(b, "mapwatch_bpf_program_run_seconds_total", "counter", "Time spent in each BPF program (kernel.bpf_stats_enabled).");
	for (int i = 0; i < m->nprogs; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		if (bpf_obj_get_info_by_fd(m->prog_fds[i], &info, &len))
			continue;
		sb_reset(&l);
		sb_puts(&l, "{program=");
		label_value(&l, m->prog_names[i]);
		sb_putc(&l, '}');
		sb_puts(b, "mapwatch_bpf_program_run_seconds_total");
		sb_puts(b, l.p);
		sb_printf(b, " %.9f\n", (double)info.run_time_ns / 1e9);
		sample(&t, "mapwatch_bpf_program_runs_total", l.p, info.run_cnt);
	}
	if (t.p)
		sb_puts(b, t.p);
	sb_free(&l);
	sb_free(&t);
}

/* ---- HTTP ---- */

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->got = c->outlen = c->sent = 0;
}

/* Queue a response on c; it is sent as the socket allows, then closed. */
static void respond(struct mw_metrics *m, struct conn *c, int code, const char *reason, const char *type,
		    const char *body, size_t blen)
{
	struct strbuf *r = &m->resp;

	sb_reset(r);
	sb_printf(r, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		  code, reason, type, blen);
	sb_put(r, body, blen);
	c->out = r->oom ? NULL : malloc(r->len);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, r->p, r->len);
	c->outlen = r->len;
	c->sent = 0;
	c->deadline = now_ms() + SEND_TIME_MS;
	pthread_mutex_lock(&m->mu);
	if (code == 200)
		m->hs.served++;
	else
		m->hs.refused++;
	pthread_mutex_unlock(&m->mu);
}

static void refuse(struct mw_metrics *m, struct conn *c, int code, const char *reason, const char *line)
{
	respond(m, c, code, reason, "text/plain; charset=utf-8", line, strlen(line));
}

/* A whole header block is in c->req: answer it. */
static void handle_request(struct mw_metrics *m, struct conn *c)
{
	char *eol = memchr(c->req, '\r', c->got);
	size_t n = eol ? (size_t)(eol - c->req) : 0;

	if (!eol || n < 14) {
		refuse(m, c, 400, "Bad Request", "mapwatch: bad request: only 'GET /metrics HTTP/1.x' is served\n");
		return;
	}
	if (memcmp(c->req, "GET ", 4)) {
		refuse(m, c, 405, "Method Not Allowed", "mapwatch: only GET /metrics is served\n");
		return;
	}
	if (!(n == 4 + 8 + 9 && !memcmp(c->req + 4, "/metrics HTTP/1.", 16) &&
	      (c->req[n - 1] == '0' || c->req[n - 1] == '1'))) {
		refuse(m, c, 404, "Not Found", "mapwatch: only GET /metrics is served\n");
		return;
	}
	struct mw_metrics_http_stats hs;
	sb_reset(&m->body);
	pthread_mutex_lock(&m->mu);
	hs = m->hs;
	hs.served++; /* this one */
	mw_metrics_format(&m->body, &m->snap, &hs);
	pthread_mutex_unlock(&m->mu);
	format_live(m, &m->body);
	if (m->body.oom) {
		refuse(m, c, 503, "Service Unavailable", "mapwatch: out of memory\n");
		return;
	}
	respond(m, c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", m->body.p, m->body.len);
}

static void on_readable(struct mw_metrics *m, struct conn *c)
{
	ssize_t r = recv(c->fd, c->req + c->got, REQ_MAX - c->got, MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		pthread_mutex_lock(&m->mu);
		m->hs.refused++;
		pthread_mutex_unlock(&m->mu);
		conn_close(c);
		return;
	}
	if (r < 0)
		return;
	c->got += (size_t)r;
	/* the end of the headers: CRLF CRLF (a bare LF LF is accepted too) */
	for (size_t i = c->got - (size_t)r >= 3 ? c->got - (size_t)r - 3 : 0; i + 1 < c->got; i++) {
		if ((i + 3 < c->got && !memcmp(c->req + i, "\r\n\r\n", 4)) || !memcmp(c->req + i, "\n\n", 2)) {
			handle_request(m, c);
			return;
		}
	}
	if (c->got == REQ_MAX)
		refuse(m, c, 431, "Request Header Fields Too Large", "mapwatch: request too large (4 KiB at most)\n");
}

static void on_writable(struct conn *c)
{
	ssize_t w = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		conn_close(c);
		return;
	}
	c->sent += (size_t)w;
	if (c->sent == c->outlen) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

static void accept_all(struct mw_metrics *m)
{
	for (;;) {
		int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CONNS && m->c[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 31\r\nConnection: close\r\n\r\n"
				"mapwatch: too many connections\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				(void)0;
			close(fd);
			pthread_mutex_lock(&m->mu);
			m->hs.refused++;
			pthread_mutex_unlock(&m->mu);
			continue;
		}
		m->c[i].fd = fd;
		m->c[i].got = 0;
		m->c[i].deadline = now_ms() + REQ_TIME_MS;
	}
}

static void *serve(void *arg)
{
	struct mw_metrics *m = arg;
	struct pollfd p[MAX_CONNS + 2];
	int idx[MAX_CONNS + 2];

	for (;;) {
		int n = 0;
		uint64_t now = now_ms(), next = now + 1000;

		p[n++] = (struct pollfd){ .fd = m->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &m->c[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline) {
				if (!c->out) {
					refuse(m, c, 408, "Request Timeout", "mapwatch: request not received in time\n");
					if (c->fd >= 0)
						on_writable(c); /* one try, then it is gone */
				}
				conn_close(c);
				continue;
			}
			if (c->deadline < next)
				next = c->deadline;
			idx[n] = i;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
		}
		int r = poll(p, (nfds_t)n, (int)(next - now) + 1);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (p[0].revents)
			break;
		for (int k = 2; k < n; k++) {
			struct conn *c = &m->c[idx[k]];
			if (!p[k].revents || c->fd < 0)
				continue;
			if (c->out)
				on_writable(c);
			else if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
				on_readable(m, c);
			if (c->fd >= 0 && c->out && !c->sent)
				on_writable(c); /* answer now when the socket takes it */
		}
		if (p[1].revents & POLLIN)
			accept_all(m);
	}
	return NULL;
}

int mw_metrics_parse_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen,
			  char *err, size_t n)
{
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc;

	if (!colon) {
		snprintf(host, hostlen, "127.0.0.1");
		snprintf(port, portlen, "%s", addr);
	} else {
		const char *h = addr;
		size_t hl = (size_t)(colon - addr);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (hl >= hostlen || strlen(colon + 1) >= portlen) {
			snprintf(err, n, "--metrics '%s' must be [ADDR:]PORT", addr);
			return -1;
		}
		memcpy(host, h, hl);
		host[hl] = 0;
		if (!hl)
			snprintf(host, hostlen, "127.0.0.1");
		snprintf(port, portlen, "%s", colon + 1);
	}
	if (!port[0] || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) < 1 ||
	    atoi(port) > 65535) {
		snprintf(err, n, "--metrics '%s' must be [ADDR:]PORT with a port number from 1 to 65535", addr);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, n, "--metrics '%s': ADDR must be a numeric address (127.0.0.1, ::1, 0.0.0.0)", addr);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

static int bind_addr(const char *addr, char *err, size_t n)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int fd = -1, one = 1, rc;

	if (mw_metrics_parse_addr(addr, host, sizeof(host), port, sizeof(port), err, n))
		return -1;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, n, "--metrics '%s': the address must be numeric (127.0.0.1, ::1, 0.0.0.0): %s", addr,
			 gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1024)) {
			snprintf(err, n, "--metrics: cannot listen on %s: %s", addr, strerror(errno));
			close(fd);
			fd = -1;
		}
	} else {
		snprintf(err, n, "--metrics: cannot create a socket: %s", strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}

struct mw_metrics *mw_metrics_start(const char *addr, int rb_fd, const int *prog_fds,
				    const char *const *prog_names, int nprogs, char *err, size_t errlen)
{
	struct mw_metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->wake[0] = m->wake[1] = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		m->c[i].fd = -1;
	m->lfd = bind_addr(addr, err, errlen);
	if (m->lfd < 0) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	m->page = (size_t)sysconf(_SC_PAGESIZE);
	if (rb_fd >= 0) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		void *p = mmap(NULL, 2 * m->page, PROT_READ, MAP_SHARED, rb_fd, 0);
		if (p != MAP_FAILED && !bpf_obj_get_info_by_fd(rb_fd, &info, &len)) {
			m->rb_pos = p;
			m->rb_map_len = 2 * m->page;
			m->rb_size = info.max_entries;
		} else if (p != MAP_FAILED) {
			munmap(p, 2 * m->page);
		}
	}
	if (nprogs > 0) {
		m->prog_fds = calloc((size_t)nprogs, sizeof(int));
		m->prog_names = calloc((size_t)nprogs, sizeof(char *));
		for (int i = 0; m->prog_fds && m->prog_names && i < nprogs; i++) {
			m->prog_names[i] = strdup(prog_names[i]);
			if (!m->prog_names[i])
				break;
			m->prog_fds[i] = prog_fds[i];
			m->nprogs = i + 1;
		}
	}
	if (pipe2(m->wake, O_CLOEXEC) || mw_thread_start(&m->th, serve, m)) {
		snprintf(err, errlen, "--metrics: cannot start the server thread: %s", strerror(errno));
		if (m->wake[0] >= 0) {
			close(m->wake[0]);
			close(m->wake[1]);
		}
		m->wake[0] = m->wake[1] = -1;
		close(m->lfd);
		m->lfd = -1;
		mw_metrics_stop(m);
		return NULL;
	}
	return m;
}

void mw_metrics_publish(struct mw_metrics *m, const struct mw_metrics_snap *s)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->snap = *s;
	pthread_mutex_unlock(&m->mu);
}

void mw_metrics_http_stats(struct mw_metrics *m, struct mw_metrics_http_stats *st)
{
	pthread_mutex_lock(&m->mu);
	*st = m->hs;
	pthread_mutex_unlock(&m->mu);
}

void mw_metrics_stop(struct mw_metrics *m)
{
	if (!m)
		return;
	if (m->wake[1] >= 0) {
		if (write(m->wake[1], "x", 1) < 0)
			(void)0;
		pthread_join(m->th, NULL);
		close(m->wake[0]);
		close(m->wake[1]);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(&m->c[i]);
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->rb_pos)
		munmap((void *)m->rb_pos, m->rb_map_len);
	for (int i = 0; i < m->nprogs; i++)
		free(m->prog_names[i]);
	free(m->prog_names);
	free(m->prog_fds);
	sb_free(&m->body);
	sb_free(&m->resp);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

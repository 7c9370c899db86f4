/* test_syslog_batch.c - the syslog sink's batched writer against local receivers (udp, unix datagrams, tcp octet counting): 10,000 messages, each received once, whole, in order. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "sink.h"
#include "t.h"

#define NMSG 10000

/* What a receiver saw: the sequence numbers in arrival order, and how many
 * datagrams or frames were not exactly one of our messages. */
struct rx {
	int fd;              /* bound datagram socket, or listening TCP socket */
	bool stream;
	int seq[NMSG * 4];
	atomic_int n;
	int conn_at[64];     /* tcp: where each connection's messages start in seq */
	atomic_int nconn;
	atomic_int bad;
	atomic_bool quit;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One message: "<PRI>1 ... notice - {"seq":N}" with nothing after the JSON
 * and no second message inside. Returns N, or -1. */
static int parse_msg(const char *p, size_t len)
{
	static const char key[] = "{\"seq\":";
	const char *k;
	char *end;
	long v;

	if (!len || p[0] != '<' || p[len - 1] != '}')
		return -1;
	k = memmem(p, len, key, sizeof(key) - 1);
	if (!k || memmem(k + 1, len - (size_t)(k + 1 - p), key, sizeof(key) - 1) || memmem(p + 1, len - 1, "<", 1))
		return -1;
	v = strtol(k + sizeof(key) - 1, &end, 10);
	if (end != p + len - 1 && (*end != ',' || memchr(end, '}', (size_t)(p + len - end)) != p + len - 1))
		return -1; /* the number ends the message, or a pad without braces follows */
	return v >= 0 && v < NMSG * 2 ? (int)v : -1;
}

static void got(struct rx *r, int seq)
{
	int i = atomic_load(&r->n);

	if (seq < 0 || i >= NMSG * 4) {
		atomic_fetch_add(&r->bad, 1);
		return;
	}
	r->seq[i] = seq;
	atomic_store(&r->n, i + 1);
}

static bool readable(int fd, struct rx *r)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!atomic_load(&r->quit))
		if (poll(&p, 1, 100) > 0)
			return true;
	return false;
}

/* TCP: "LEN SP MSG" frames, across reads and across connections. */
static void rx_stream(struct rx *r)
{
	static char buf[1 << 16];
	size_t have = 0;

	while (readable(r->fd, r)) {
		int c = accept(r->fd, NULL, NULL);
		if (c < 0)
			continue;
		int nc = atomic_load(&r->nconn);
		if (nc < 64) {
			r->conn_at[nc] = atomic_load(&r->n);
			atomic_store(&r->nconn, nc + 1);
		}
		have = 0; /* a frame cut by the end of a connection is sent again on the next */
		while (readable(c, r)) {
			ssize_t k = read(c, buf + have, sizeof(buf) - have);
			if (k <= 0)
				break;
			have += (size_t)k;
			size_t off = 0;
			for (;;) {
				char *sp = memchr(buf + off, ' ', have - off);
				if (!sp)
					break;
				char *end;
				long len = strtol(buf + off, &end, 10);
				if (end != sp || len <= 0 || len > 60000) {
					atomic_fetch_add(&r->bad, 1);
					off = have;
					break;
				}
				if ((size_t)(sp + 1 - buf) + (size_t)len > have)
					break;
				got(r, parse_msg(sp + 1, (size_t)len));
				off = (size_t)(sp + 1 - buf) + (size_t)len;
			}
			memmove(buf, buf + off, have - off);
			have -= off;
		}
		close(c);
	}
}

static void *rx_main(void *arg)
{
	struct rx *r = arg;
	static __thread char buf[70000];

	if (r->stream) {
		rx_stream(r);
		return NULL;
	}
	while (readable(r->fd, r)) {
		ssize_t k = recv(r->fd, buf, sizeof(buf), 0);
		if (k > 0)
			got(r, parse_msg(buf, (size_t)k));
	}
	return NULL;
}

/* Wait (generously: the machine is shared) until r has want messages. */
static bool wait_for(struct rx *r, int want)
{
	uint64_t until = now_ms() + 60000;

	while (atomic_load(&r->n) + atomic_load(&r->bad) < want && now_ms() < until)
		usleep(2000);
	return atomic_load(&r->n) + atomic_load(&r->bad) >= want;
}

/* Send NMSG notices through a syslog sink for url, flushing (the end of a
 * reader round) every `round` records; with pace, wait for each round to
 * arrive before the next (UDP has no flow control: a receiver's buffer that
 * overflows drops datagrams whatever the sender does). */
static void run(const char *url, struct rx *r, int round, bool pace)
{
	struct mw_sinks ss = { 0 };
	struct mw_sink *s = mw_sink_syslog_new(url, 16, true, 64u << 20);
	struct mw_sink_stats st = { 0 };
	pthread_t th;
	char json[64];

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(mw_sinks_add(&ss, s), 0);
	CHECK_INT(pthread_create(&th, NULL, rx_main, r), 0);
	for (int i = 0; i < NMSG; i++) {
		snprintf(json, sizeof(json), "{\"seq\":%d}", i);
		struct mw_rec rec = { .kind = MW_RK_NOTICE, .ts_ns = 1700000000000000000ull + (uint64_t)i,
				      .notice_json = json, .notice_table = json, .notice_severity = 0 };
		CHECK_INT(mw_sinks_emit(&ss, &rec), 0);
		if ((i + 1) % round == 0) {
			CHECK_INT(mw_sinks_flush(&ss), 0);
			if (pace && !wait_for(r, i + 1))
				break;
		}
	}
	CHECK_INT(mw_sinks_flush(&ss), 0);
	wait_for(r, NMSG);
	mw_sinks_drain(&ss, 30000);
	s->ops->stats(s, &st);
	atomic_store(&r->quit, true);
	pthread_join(th, NULL);
	mw_sinks_close(&ss);
	CHECK_INT(st.written, NMSG);
	CHECK_INT(st.dropped, 0);
	CHECK_INT(atomic_load(&r->bad), 0);
	CHECK_INT(atomic_load(&r->n), NMSG);
	int out_of_order = 0;
	for (int i = 0; i < atomic_load(&r->n); i++)
		out_of_order += r->seq[i] != i;
	CHECK_INT(out_of_order, 0);
}

static struct rx *rx_inet(int type)
{
	struct rx *r = calloc(1, sizeof(*r));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int big = 4 << 20;

	r->stream = type == SOCK_STREAM;
	r->fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)); /* capped at rmem_max: fine */
	CHECK_INT(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (r->stream)
		CHECK_INT(listen(r->fd, 4), 0);
	return r;
}

static int port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

TEST(syslog_batch_udp_in_order)
{
	struct rx *r = rx_inet(SOCK_DGRAM);
	char url[64];

	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", port_of(r->fd));
	run(url, r, 50, true);
	close(r->fd);
	free(r);
}

TEST(syslog_batch_tcp_in_order)
{
	struct rx *r = rx_inet(SOCK_STREAM);
	char url[64];

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port_of(r->fd));
	run(url, r, 1000, false);
	close(r->fd);
	free(r);
}

TEST(syslog_batch_unix_in_order)
{
	struct rx *r = calloc(1, sizeof(*r));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char url[128];

	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/mw-unit-syslog-%d.sock", (int)getpid());
	unlink(a.sun_path);
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK_INT(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(url, sizeof(url), "unix:%s", a.sun_path);
	run(url, r, 1000, false); /* a full receiver queue blocks the sender: no pacing needed */
	close(r->fd);
	unlink(a.sun_path);
	free(r);
}

/* TCP, a peer that stops reading: the writer's sendmsg is cut short, then
 * fails after SO_SNDTIMEO; the connection is dropped and what the peer had
 * not acknowledged is sent again on the next one. Once the peer reads
 * again (each connection to its end, in order), every message has arrived:
 * each connection carries consecutive messages, none starts past where the
 * ones before it ended (no gap), and the counters say every message was
 * written once in the end, none dropped. */
TEST(syslog_batch_tcp_stalled_peer)
{
	enum { N = 20000 };
	struct rx *r = rx_inet(SOCK_STREAM);
	struct mw_sinks ss = { 0 };
	struct mw_sink_stats st = { 0 };
	char url[64], json[1200], pad[1001];
	pthread_t th;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port_of(r->fd));
	struct mw_sink *s = mw_sink_syslog_new(url, 16, true, 256u << 20);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(mw_sinks_add(&ss, s), 0);
	/* ~1 KiB messages: 20 MiB, more than the socket buffers of both ends hold */
	memset(pad, 'p', 1000);
	pad[1000] = 0;
	for (int i = 0; i < N; i++) {
		snprintf(json, sizeof(json), "{\"seq\":%d,\"pad\":\"%s\"}", i, pad);
		struct mw_rec rec = { .kind = MW_RK_NOTICE, .ts_ns = 1700000000000000000ull + (uint64_t)i,
				      .notice_json = json, .notice_table = json };
		CHECK_INT(mw_sinks_emit(&ss, &rec), 0);
		if ((i + 1) % 1000 == 0)
			CHECK_INT(mw_sinks_flush(&ss), 0);
	}
	CHECK_INT(mw_sinks_flush(&ss), 0);
	/* nobody reads: wait (generously) until the writer gave the connection up */
	uint64_t until = now_ms() + 120000;
	do {
		usleep(20000);
		s->ops->stats(s, &st);
	} while (!st.reconnects && now_ms() < until);
	CHECK(st.reconnects >= 1);
	CHECK_INT(pthread_create(&th, NULL, rx_main, r), 0);
	mw_sinks_drain(&ss, 120000);
	s->ops->stats(s, &st);
	/* drained: the peer's kernel has every byte; wait until the reader read the last message */
	until = now_ms() + 120000;
	while (now_ms() < until) {
		int got_n = atomic_load(&r->n);
		if (got_n && r->seq[got_n - 1] == N - 1)
			break;
		usleep(5000);
	}
	atomic_store(&r->quit, true);
	pthread_join(th, NULL);
	mw_sinks_close(&ss);
	CHECK_INT(st.written, N);
	CHECK_INT(st.dropped, 0);
	CHECK_INT(atomic_load(&r->bad), 0);
	int n = atomic_load(&r->n), nc = atomic_load(&r->nconn), gaps = 0, unordered = 0, top = -1;
	CHECK(nc >= 2);
	for (int c = 0; c < nc; c++) {
		int from = r->conn_at[c], to = c + 1 < nc ? r->conn_at[c + 1] : n;
		if (from < to && r->seq[from] > top + 1)
			gaps++;
		for (int i = from; i < to; i++) {
			if (i > from && r->seq[i] != r->seq[i - 1] + 1)
				unordered++;
			if (r->seq[i] > top)
				top = r->seq[i];
		}
	}
	CHECK_INT(gaps, 0);
	CHECK_INT(unordered, 0);
	CHECK_INT(top, N - 1);
	close(r->fd);
	free(r);
}

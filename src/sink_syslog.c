/* sink_syslog.c - RFC 5424 syslog sink (unix, udp, tcp with RFC 6587 octet counting): a bounded queue and a writer thread that sends it in batches and reconnects with backoff. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
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
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include "thread.h"
#include "catalog.h"
#include "msg.h"
#include "container.h"
#include "sink.h"
#include "sink_syslog_msg.h"

enum transport { T_UNIX, T_UDP, T_TCP };

/* Messages the writer takes from the queue per wake and sends with one
 * sendmmsg (datagrams: one message per datagram) or one sendmsg of the
 * batch (TCP: the frames back to back). At most UIO_MAXIOV (1024). */
#define BATCH_MAX 256
/* The tracer thread wakes a sleeping writer at the end of its round
 * (syslog_flush), or as soon as this many messages are queued. */
#define WAKE_AT BATCH_MAX

struct msg {
	struct msg *next;
	size_t len;
	bool own;      /* mapwatch's own notice: not one of the records counted in stats */
	char data[];   /* framed as sent (TCP: "LEN " prefix) */
};

struct msgq {
	struct msg *head, *tail;
	size_t bytes, n;
};

struct syslog_sink {
	struct mw_sink base;
	char *url;
	enum transport tr;
	char *host, *port, *path;
	struct mw_syslog_hdr hdr; /* facility, host name, pid (sink_syslog_msg.h) */
	int event_sev;            /* -1: events are not sent */
	size_t cap;               /* queue bound in bytes */
	char hostname[256];
	char pidstr[16];
	struct strbuf b;          /* the tracer thread's message being built */
	struct strbuf exe;        /* the tracer thread's escaped executable path */

	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* work queued (end of a round, or WAKE_AT messages), or stop */
	pthread_cond_t idle;      /* queue drained */
	struct msgq q;            /* waiting to be sent */
	size_t inflight_n, inflight_bytes; /* taken by the writer, being sent */
	bool waiting;             /* the writer sleeps until work is queued */
	bool stop;
	uint64_t deadline_ns;     /* stop: give up sending after this (CLOCK_MONOTONIC) */
	struct mw_sink_stats st;
	uint64_t dropped_unreported; /* dropped since the last notice sent to the peer */
	bool ever_connected;

	/* writer thread only */
	int fd;
	struct msgq sent;         /* TCP: sent, not yet acknowledged by the peer */
	uint64_t sent_bytes;      /* bytes written on this connection */
	uint64_t acked_bytes;     /* of those, acknowledged (popped from sent) */
	struct iovec iov[BATCH_MAX];
	struct mmsghdr mm[BATCH_MAX];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void q_push(struct msgq *q, struct msg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->bytes += m->len;
	q->n++;
}

/* Put m first in q (a message to send before the rest). */
static void q_push_front(struct msgq *q, struct msg *m)
{
	m->next = q->head;
	q->head = m;
	if (!q->tail)
		q->tail = m;
	q->bytes += m->len;
	q->n++;
}

static struct msg *q_pop(struct msgq *q)
{
	struct msg *m = q->head;

	if (!m)
		return NULL;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= m->len;
	q->n--;
	return m;
}

/* Put all of from in front of to (from emptied). */
static void q_prepend(struct msgq *to, struct msgq *from)
{
	if (!from->head)
		return;
	from->tail->next = to->head;
	if (!to->head)
		to->tail = from->tail;
	to->head = from->head;
	to->bytes += from->bytes;
	to->n += from->n;
	*from = (struct msgq){ 0 };
}

/* Records (not notices) in q. */
static uint64_t q_records(const struct msgq *q)
{
	uint64_t n = 0;

	for (const struct msg *m = q->head; m; m = m->next)
		n += !m->own;
	return n;
}

static void q_free(struct msgq *q)
{
	struct msg *m;

	while ((m = q_pop(q)))
		free(m);
}

/* Queue s->b (framed for the transport). Never blocks on the peer. */
static void enqueue(struct syslog_sink *s)
{
	char pre[24] = "";
	size_t plen = 0, len = s->b.len;
	struct msg *m;

	if (s->b.oom) {
		pthread_mutex_lock(&s->mu);
		s->st.dropped++;
		s->dropped_unreported++;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (s->tr == T_UDP && len > 65000)
		len = 65000;
	if (s->tr == T_TCP)
		plen = (size_t)snprintf(pre, sizeof(pre), "%zu ", len);
	pthread_mutex_lock(&s->mu);
	if (s->q.bytes + s->inflight_bytes + plen + len > s->cap || !(m = malloc(sizeof(*m) + plen + len))) {
		s->st.dropped++;
		s->dropped_unreported++;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	memcpy(m->data, pre, plen);
	memcpy(m->data + plen, s->b.p, len);
	m->len = plen + len;
	m->own = false;
	q_push(&s->q, m);
	if (s->waiting && s->q.n >= WAKE_AT) /* else at the end of the round (syslog_flush) */
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static int syslog_write(struct mw_sink *base, struct mw_rec *r)
{
	struct syslog_sink *s = (struct syslog_sink *)base;

	switch (r->kind) {
	case MW_RK_EVENT:
		if (s->event_sev < 0)
			return 0;
		mw_syslog_build(&s->b, &s->exe, &s->hdr, r, s->event_sev, "event");
		break;
	case MW_RK_ALERT:
		mw_syslog_build(&s->b, &s->exe, &s->hdr, r, mw_syslog_alert_sev(r->al->severity), "alert");
		break;
	case MW_RK_LOST:
		mw_syslog_build(&s->b, &s->exe, &s->hdr, r, MW_SLSEV_WARNING, "lost");
		break;
	default:
		mw_syslog_build(&s->b, &s->exe, &s->hdr, r, mw_syslog_alert_sev((unsigned)r->notice_severity), "notice");
		break;
	}
	enqueue(s);
	return 0;
}

/* ---- the writer thread ---- */

static int connect_peer(struct syslog_sink *s)
{
	int fd = -1;

	if (s->tr == T_UNIX) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->path);
		struct timeval tv = { .tv_sec = 1 };
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			close(fd);
			fd = -1;
		}
		/* a reader that stops reading fills its queue: fail the send after 1 s */
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return fd;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = s->tr == T_TCP ? SOCK_STREAM : SOCK_DGRAM };
	struct addrinfo *res = NULL, *ai;
	if (getaddrinfo(s->host, s->port, &hints, &res))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = 1 };
		int one = 1;
		/* a stuck peer fails the send after 1 s instead of holding the thread */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (s->tr == T_TCP)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

/* TCP: has the peer closed or reset the connection? (checked before each
 * send, so that a relay that went away is noticed before a message is
 * written into a dead connection). */
static bool peer_gone(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (s->tr != T_TCP)
		return false;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	if (p.revents & POLLIN) /* syslog peers send nothing: data or EOF means trouble */
		return recv(s->fd, &c, 1, MSG_DONTWAIT) <= 0;
	return false;
}

/* TCP: forget sent messages the peer has acknowledged. */
static void reap_acked(struct syslog_sink *s)
{
	int outq = 0;

	if (s->tr != T_TCP || !s->sent.head || ioctl(s->fd, SIOCOUTQ, &outq))
		return;
	uint64_t acked = s->sent_bytes - (uint64_t)outq;
	while (s->sent.head && s->acked_bytes + s->sent.head->len <= acked) {
		struct msg *m = q_pop(&s->sent);
		s->acked_bytes += m->len;
		free(m);
	}
}

/* Connection lost: messages not acknowledged go back to the front of the
 * queue (caller holds mu), to be sent again on the next connection. */
static void disconnect(struct syslog_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->st.written -= q_records(&s->sent); /* not acknowledged: they count when sent again */
	q_prepend(&s->q, &s->sent);
	s->st.connected = false;
	s->st.queued = s->q.n;
}

/* Move the first message of from to the end of to. */
static void q_move(struct msgq *to, struct msgq *from)
{
	q_push(to, q_pop(from));
}

/* Datagrams: the batch's first BATCH_MAX messages with sendmmsg, one
 * message per datagram, in order. Those sent move from batch to done.
 * Returns 0, or -1 when a message could not be sent (it and those after it
 * stay in batch). A short count is that: sendmmsg stops at the first
 * message that fails and, having sent some, does not say why (the writer
 * has signals blocked: not EINTR); the message is sent again on the next
 * connection, as it was when send() of it failed. */
static int send_datagrams(struct syslog_sink *s, struct msgq *batch, struct msgq *done)
{
	unsigned n = 0, i = 0;

	for (struct msg *m = batch->head; m && n < BATCH_MAX; m = m->next, n++) {
		s->iov[n] = (struct iovec){ .iov_base = m->data, .iov_len = m->len };
		s->mm[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &s->iov[n], .msg_iovlen = 1 } };
	}
	while (i < n) {
		int k = sendmmsg(s->fd, s->mm + i, n - i, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		for (int j = 0; j < k; j++)
			q_move(done, batch);
		i += (unsigned)k;
		if (i < n)
			return -1;
	}
	return 0;
}

/* TCP: the batch's frames (its first BATCH_MAX) with one sendmsg, again
 * from where a partial write stopped. The messages written whole move from
 * batch to done. Returns 0, or -1 when the connection failed or the peer
 * took nothing for SO_SNDTIMEO (the message written in part, and those
 * after it, stay in batch: they are sent whole on the next connection). */
static int send_stream(struct syslog_sink *s, struct msgq *batch, struct msgq *done)
{
	unsigned n = 0, i = 0;

	for (struct msg *m = batch->head; m && n < BATCH_MAX; m = m->next, n++)
		s->iov[n] = (struct iovec){ .iov_base = m->data, .iov_len = m->len };
	while (i < n) {
		struct msghdr h = { .msg_iov = s->iov + i, .msg_iovlen = n - i };
		ssize_t w = sendmsg(s->fd, &h, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (w > 0) {
			if ((size_t)w < s->iov[i].iov_len) {
				s->iov[i].iov_base = (char *)s->iov[i].iov_base + w;
				s->iov[i].iov_len -= (size_t)w;
				break;
			}
			w -= (ssize_t)s->iov[i++].iov_len;
			q_move(done, batch);
		}
	}
	return 0;
}

/* Take up to BATCH_MAX messages from the front of q (caller holds mu). */
static struct msgq take_batch(struct syslog_sink *s)
{
	struct msgq b = { 0 };

	while (s->q.head && b.n < BATCH_MAX)
		q_move(&b, &s->q);
	s->inflight_n = b.n;
	s->inflight_bytes = b.bytes;
	s->st.queued = s->q.n;
	return b;
}

/* The notice sent first on a connection after records were dropped. */
static struct msg *drop_notice(struct syslog_sink *s, uint64_t n)
{
	struct mw_rec r = { .kind = MW_RK_NOTICE, .notice_severity = MW_SEV_MEDIUM };
	struct strbuf j = { 0 }, t = { 0 }, txt[MW_FMT_MAX] = { { 0 } };
	struct timespec ts;
	struct msg *m = NULL;
	char pre[24] = "";
	size_t plen = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	r.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	sb_printf(&j, "{\"timestamp\":%llu,\"eventName\":\"sink_dropped\",\"sink\":", (unsigned long long)r.ts_ns);
	sb_json_str(&j, s->url, strlen(s->url));
	sb_printf(&j, ",\"count\":%llu,\"total\":%llu}", (unsigned long long)n,
		  (unsigned long long)s->st.dropped);
	sb_printf(&t, "*** %llu records for %s dropped while it was unreachable", (unsigned long long)n, s->url);
	r.notice_json = j.p;
	r.notice_table = t.p;
	r.text = txt;
	struct strbuf mb = { 0 }; /* s->b belongs to the tracer thread */
	mw_syslog_build(&mb, NULL, &s->hdr, &r, MW_SLSEV_WARNING, "dropped");
	if (!mb.oom && j.p && t.p) {
		if (s->tr == T_TCP)
			plen = (size_t)snprintf(pre, sizeof(pre), "%zu ", mb.len);
		m = malloc(sizeof(*m) + plen + mb.len);
		if (m) {
			memcpy(m->data, pre, plen);
			memcpy(m->data + plen, mb.p, mb.len);
			m->len = plen + mb.len;
			m->own = true;
		}
	}
	sb_free(&mb);
	sb_free(&j);
	sb_free(&t);
	for (int f = 0; f < MW_FMT_MAX; f++)
		sb_free(&txt[f]);
	return m;
}

static void *writer(void *arg)
{
	struct syslog_sink *s = arg;
	uint64_t backoff_ms = 100, next_try = 0;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->fd >= 0)
			reap_acked(s);
		if (!s->q.head) {
			if (!s->sent.head)
				pthread_cond_broadcast(&s->idle);
			if (s->stop && !s->sent.head)
				break;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000000L; /* wake to reap acknowledgements */
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			s->waiting = true;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			s->waiting = false;
			if (s->stop && s->fd >= 0 && s->sent.head && mono_ns() > s->deadline_ns)
				break;
			if (s->fd >= 0 && peer_gone(s))
				disconnect(s);
			continue;
		}
		if (s->stop && mono_ns() > s->deadline_ns)
			break;
		if (s->fd < 0) {
			uint64_t now = mono_ns();
			if (now < next_try) {
				struct timespec ts;
				uint64_t wait = next_try - now;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += (time_t)(wait / 1000000000ull);
				ts.tv_nsec += (long)(wait % 1000000000ull);
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&s->cv, &s->mu, &ts);
				continue;
			}
			pthread_mutex_unlock(&s->mu);
			int fd = connect_peer(s);
			pthread_mutex_lock(&s->mu);
			if (fd < 0) {
				next_try = mono_ns() + backoff_ms * 1000000ull;
				backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
				continue;
			}
			s->fd = fd;
			s->sent_bytes = s->acked_bytes = 0;
			backoff_ms = 100;
			if (s->ever_connected)
				s->st.reconnects++;
			s->ever_connected = true;
			s->st.connected = true;
			if (s->dropped_unreported) {
				struct msg *m = drop_notice(s, s->dropped_unreported);
				if (m) {
					q_push_front(&s->q, m);
					s->dropped_unreported = 0;
				}
			}
		}
		if (peer_gone(s)) {
			disconnect(s);
			continue;
		}
		struct msgq batch = take_batch(s), done = { 0 };
		pthread_mutex_unlock(&s->mu);
		int rc = s->tr == T_TCP ? send_stream(s, &batch, &done) : send_datagrams(s, &batch, &done);
		pthread_mutex_lock(&s->mu);
		s->inflight_n = s->inflight_bytes = 0;
		for (const struct msg *m = done.head; m; m = m->next)
			s->st.written += !m->own;
		if (s->tr == T_TCP) { /* kept until the peer acknowledges them */
			s->sent_bytes += done.bytes;
			q_prepend(&done, &s->sent);
			s->sent = done;
		} else {
			q_free(&done);
		}
		if (rc) {
			/* back to the front; sent again on the next connection */
			q_prepend(&s->q, &batch);
			disconnect(s);
			next_try = mono_ns() + backoff_ms * 1000000ull;
		}
	}
	/* what could not be delivered before the deadline is counted */
	s->st.dropped += q_records(&s->q) + q_records(&s->sent);
	s->st.written -= q_records(&s->sent);
	q_free(&s->q);
	q_free(&s->sent);
	s->st.queued = 0;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* End of the tracer's round: wake the writer for what the round queued. */
static int syslog_flush(struct mw_sink *base)
{
	struct syslog_sink *s = (struct syslog_sink *)base;

	pthread_mutex_lock(&s->mu);
	if (s->waiting && s->q.head)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void syslog_stats(struct mw_sink *base, struct mw_sink_stats *st)
{
	struct syslog_sink *s = (struct syslog_sink *)base;

	pthread_mutex_lock(&s->mu);
	*st = s->st;
	st->queued = s->q.n + s->inflight_n + s->sent.n;
	pthread_mutex_unlock(&s->mu);
}

/* Stop the writer: it sends what is queued for up to wait_ms, then counts
 * the rest as dropped. */
static void stop_writer(struct syslog_sink *s, unsigned wait_ms)
{
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	s->deadline_ns = mono_ns() + (uint64_t)wait_ms * 1000000ull;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	s->started = false;
}

static void syslog_drain(struct mw_sink *base, unsigned wait_ms)
{
	stop_writer((struct syslog_sink *)base, wait_ms);
}

static void syslog_close(struct mw_sink *base)
{
	struct syslog_sink *s = (struct syslog_sink *)base;

	stop_writer(s, 2000);
	if (s->fd >= 0)
		close(s->fd);
	q_free(&s->q);
	q_free(&s->sent);
	sb_free(&s->b);
	sb_free(&s->exe);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->idle);
	free(s->host);
	free(s->port);
	free(s->path);
	free(s->url);
	free(s);
}

static const struct mw_sink_ops syslog_ops = {
	.write = syslog_write,
	.flush = syslog_flush,
	.stats = syslog_stats,
	.drain = syslog_drain,
	.close = syslog_close,
};

int mw_syslog_facility(const char *s)
{
	static const char *const names[24] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"authpriv", "ftp", NULL, NULL, NULL, NULL, "local0", "local1", "local2", "local3",
		"local4", "local5", "local6", "local7",
	};
	char *end;
	long v;

	for (int i = 0; i < 24; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v > 23 ? -1 : (int)v;
}

int mw_syslog_parse_url(const char *url, int *tr, char **host, char **port, char **path)
{
	const char *hp;

	*host = *port = *path = NULL;
	if (!strncmp(url, "unix:", 5)) {
		if (!url[5] || strlen(url + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return -1;
		*tr = T_UNIX;
		*path = strdup(url + 5);
		return *path ? 0 : -1;
	}
	if (!strncmp(url, "udp://", 6))
		*tr = T_UDP;
	else if (!strncmp(url, "tcp://", 6))
		*tr = T_TCP;
	else
		return -1;
	hp = url + 6;
	const char *colon = strrchr(hp, ':');
	if (!colon || colon == hp || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return -1;
	size_t hl = (size_t)(colon - hp);
	if (hp[0] == '[' && hl > 2 && hp[hl - 1] == ']') { /* [::1]:514 */
		hp++;
		hl -= 2;
	}
	*host = strndup(hp, hl);
	*port = strdup(colon + 1);
	if (!*host || !*port) {
		free(*host);
		free(*port);
		return -1;
	}
	return 0;
}

struct mw_sink *mw_sink_syslog_new(const char *url, int facility, bool events, size_t queue_bytes)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	int tr;

	if (!s || !(s->url = strdup(url))) {
		free(s);
		mw_err_line("out of memory");
		return NULL;
	}
	if (mw_syslog_parse_url(url, &tr, &s->host, &s->port, &s->path)) {
		mw_err_line("--syslog '%s' must be unix:PATH, udp://HOST:PORT or tcp://HOST:PORT", url);
		free(s->url);
		free(s);
		return NULL;
	}
	s->tr = (enum transport)tr;
	s->base.ops = &syslog_ops;
	s->base.name = s->url;
	s->base.mask = MW_RKM_ALL;
	s->event_sev = events ? MW_SLSEV_INFO : -1;
	s->cap = queue_bytes;
	s->fd = -1;
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) || !s->hostname[0])
		strcpy(s->hostname, "-");
	for (char *c = s->hostname; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			*c = '-';
	snprintf(s->pidstr, sizeof(s->pidstr), "%d", (int)getpid());
	s->hdr = (struct mw_syslog_hdr){ .facility = facility, .hostname = s->hostname, .pidstr = s->pidstr };
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (mw_thread_start(&s->th, writer, s)) {
		mw_err_line("cannot start the syslog writer thread: %s", strerror(errno));
		syslog_close(&s->base);
		return NULL;
	}
	s->started = true;
	return &s->base;
}

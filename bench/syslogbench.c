/* syslogbench.c - the syslog sink's cost per message without a kernel tracer: N records (notices
 * with a JSON line of an event's size) through mw_sinks_emit to one --syslog peer, a flush
 * (the end of a reader round) every ROUND records, then the sink drained. The peer is a child
 * process that reads and counts (udp and unix: datagrams, each one message; tcp: octet-counted
 * frames). Prints this process's CPU ns per message (user + system, the tracer thread and the
 * sink's writer thread together; the receiver is another process), the sink's counters and what
 * the receiver counted.
 *
 * usage: syslogbench [-t udp|tcp|unix] [-n MESSAGES] [-r ROUND]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "sink.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The receiver: counts messages until 3 s pass without data, writes the count to out. */
static void receive(int fd, int stream, int out)
{
	static char buf[1 << 17];
	struct timeval tv = { .tv_sec = 3 };
	long count = 0;
	size_t have = 0;

	if (stream) {
		int c = accept(fd, NULL, NULL);
		close(fd);
		fd = c;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t k = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (k <= 0)
			break;
		if (!stream) {
			count++;
			continue;
		}
		have += (size_t)k;
		size_t off = 0;
		for (;;) { /* "LEN SP MSG" frames */
			char *sp = memchr(buf + off, ' ', have - off);
			if (!sp)
				break;
			size_t len = strtoul(buf + off, NULL, 10);
			if ((size_t)(sp + 1 - buf) + len > have)
				break;
			off = (size_t)(sp + 1 - buf) + len;
			count++;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	if (write(out, &count, sizeof(count)) != sizeof(count))
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *tr = "udp";
	long n = 1000000, round = 256, got = -1;
	char url[128], json[1024], sockpath[64] = "";
	int c, fd, stream, p[2], big = 64 << 20;

	while ((c = getopt(argc, argv, "t:n:r:")) != -1) {
		if (c == 't')
			tr = optarg;
		else if (c == 'n')
			n = atol(optarg);
		else if (c == 'r')
			round = atol(optarg);
		else {
			fprintf(stderr, "usage: syslogbench [-t udp|tcp|unix] [-n MESSAGES] [-r ROUND]\n");
			return 2;
		}
	}
	stream = !strcmp(tr, "tcp");
	if (!strcmp(tr, "unix")) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(sockpath, sizeof(sockpath), "/tmp/syslogbench-%d.sock", (int)getpid());
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sockpath);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("syslogbench: unix socket");
			return 1;
		}
		snprintf(url, sizeof(url), "unix:%s", sockpath);
	} else if (stream || !strcmp(tr, "udp")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t l = sizeof(a);
		fd = socket(AF_INET, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)); /* root; else rmem_max */
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || (stream && listen(fd, 1)) ||
		    getsockname(fd, (struct sockaddr *)&a, &l)) {
			perror("syslogbench: socket");
			return 1;
		}
		snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tr, ntohs(a.sin_port));
	} else {
		fprintf(stderr, "syslogbench: -t must be udp, tcp or unix\n");
		return 2;
	}
	if (pipe(p) || (c = fork()) < 0) {
		perror("syslogbench: fork");
		return 1;
	}
	if (c == 0) {
		close(p[0]);
		receive(fd, stream, p[1]);
	}
	close(p[1]);
	close(fd);

	struct mw_sinks ss = { 0 };
	struct mw_sink *s = mw_sink_syslog_new(url, 3, true, (size_t)1 << 30); /* room for every message: none dropped */
	struct mw_sink_stats st = { 0 };
	if (!s || mw_sinks_add(&ss, s))
		return 1;
	/* a JSON line of an event's size (~900 bytes) */
	int base = snprintf(json, sizeof(json), "{\"timestamp\":1700000000000000000,\"eventName\":\"mmap\",\"pad\":\"");
	memset(json + base, 'x', 850);
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		snprintf(json + base + 850, sizeof(json) - (size_t)base - 850, "\",\"seq\":%ld}", i);
		struct mw_rec r = { .kind = MW_RK_NOTICE, .ts_ns = 1700000000000000000ull + (uint64_t)i,
				    .notice_json = json, .notice_table = json };
		mw_sinks_emit(&ss, &r);
		if ((i + 1) % round == 0)
			mw_sinks_flush(&ss);
	}
	mw_sinks_flush(&ss);
	mw_sinks_drain(&ss, 60000);
	double t1 = cpu_ns();
	s->ops->stats(s, &st);
	mw_sinks_close(&ss);
	if (read(p[0], &got, sizeof(got)) != sizeof(got))
		got = -1;
	waitpid(c, NULL, 0);
	if (sockpath[0])
		unlink(sockpath);
	printf("syslogbench transport=%s messages=%ld round=%ld cpu_ns_per_message=%.0f written=%llu dropped=%llu received=%ld\n",
	       tr, n, round, (t1 - t0) / (double)n, (unsigned long long)st.written, (unsigned long long)st.dropped, got);
	return 0;
}

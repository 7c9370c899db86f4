/* msg.c - the one-line messages mapwatch prints on stderr (errors, -vvv's timeline) and sends its service manager. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "msg.h"

void mw_err_line(const char *fmt, ...)
{
	va_list ap;

	fputs("mapwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double phase_t0 = -1;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void mw_phase_on(int verbose)
{
	if (verbose >= 3)
		phase_t0 = now_ms();
}

void mw_phase(const char *what)
{
	if (phase_t0 >= 0)
		fprintf(stderr, "mapwatch: +%.1f ms %s\n", now_ms() - phase_t0, what);
}

/* ---- the service manager (sd_notify's protocol: one datagram per state) ---- */

static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

void mw_notify_init(void)
{
	const char *p = getenv("NOTIFY_SOCKET");

	if (p && (p[0] == '/' || p[0] == '@') && strlen(p) < sizeof(notify_path))
		snprintf(notify_path, sizeof(notify_path), "%s", p);
	else if (p)
		mw_err_line("NOTIFY_SOCKET=%s is not a socket path (/PATH or @ABSTRACT): the service manager will not hear that mapwatch is ready", p);
	unsetenv("NOTIFY_SOCKET");
}

void mw_notify(const char *state)
{
	static int warned;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(notify_path);
	int fd, err = 0;

	if (!n)
		return;
	memcpy(sa.sun_path, notify_path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* an abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err && !warned++)
		mw_err_line("cannot tell the service manager %s (NOTIFY_SOCKET=%s): %s", state, notify_path,
			    strerror(err));
}

/* msg.c - the one-line messages mapwatch prints on stderr: errors, and -vvv's timeline. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
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

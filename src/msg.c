/* msg.c - the one-line error messages mapwatch prints on stderr. */
#include <stdarg.h>
#include <stdio.h>
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

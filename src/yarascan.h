/* yarascan.h - --yara RULES: rules compiled once at start (libyara), payloads scanned on their own thread with a bounded queue; an alert with a payload waits there for its scan and is written after it (never blocking the reader). */
#ifndef MW_YARASCAN_H
#define MW_YARASCAN_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "format.h"

struct mw_yara;

struct mw_yara_stats {
	uint64_t rules;     /* rules compiled */
	uint64_t files;     /* rule files read */
	uint64_t scanned;   /* payloads scanned */
	uint64_t matched;   /* payloads at least one rule matched */
	uint64_t dropped;   /* alerts written unscanned: the queue was full */
	uint64_t errors;    /* scans libyara failed (timeout, memory) */
	uint64_t compile_ns; /* time the rules took to compile */
};

/* Compile RULES: a file, or every *.yar / *.yara file of a directory (not
 * recursive). NULL with one line in err ("FILE:LINE: message" for a rule
 * that does not compile). */
struct mw_yara *mw_yara_open(const char *rules, char *err, size_t errlen);

/* Hand alert al (with al->payload) raised by view v to the scanner: 0 when
 * queued (it is written later, by mw_yara_flush), -1 when the queue is full
 * (counted; al is marked unscanned: the caller writes it now). */
int mw_yara_defer(struct mw_yara *y, const struct mw_view *v, struct mw_alert *al);

typedef void (*mw_yara_emit_fn)(void *ctx, const struct mw_view *v, const struct mw_alert *al);

/* Write the alerts whose scan finished through emit; wait_ms > 0: wait up
 * to that long for every queued one (the end of a run). */
void mw_yara_flush(struct mw_yara *y, mw_yara_emit_fn emit, void *ctx, int wait_ms);

void mw_yara_stats(struct mw_yara *y, struct mw_yara_stats *out);

/* Stop the thread (alerts still queued are dropped: flush first), free y. */
void mw_yara_close(struct mw_yara *y);

#endif

/* evidence.h - the run's evidence: chunk records to payloads (capture.h), payloads to their alerts and to --capture DIR (capture_store.h). Used by the reader thread (tracer.c). */
#ifndef MW_EVIDENCE_H
#define MW_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "capture.h"
#include "capture_store.h"
#include "format.h"
#include "options.h"
#include "strbuf.h"
#include "yarascan.h"

struct mw_evidence;

struct mw_evidence_stats {
	uint64_t payloads;      /* payloads attached to alerts */
	uint64_t bytes;         /* their bytes */
	uint64_t truncated;     /* of which truncated */
	uint64_t missing;       /* events marked as captured whose chunks were lost */
	uint64_t orphans;       /* chunks whose event never came */
	struct mw_store_stats store;
	struct mw_yara_stats yara;
	uint64_t exe_hashed, exe_cached; /* executables read for their sha256, answers from the cache */
};

/* The evidence o asks for (--capture DIR, --yara RULES, or by_rules: a rule whose action
 * is capture): NULL with nothing printed when none is asked for; -1 in *failed after one
 * line on stderr when DIR cannot be used. */
struct mw_evidence *mw_evidence_open(const struct mw_opts *o, bool by_rules, int *failed);

/* A MW_REC_CHUNK record. */
void mw_evidence_chunk(struct mw_evidence *ev, const void *rec, size_t size);

/* The alerts al[0..n) raised by view v: the payload of v's call (if its
 * chunks came) to the alerts that name the memory made executable, saved
 * once in DIR. A munmap or mprotect of a region an earlier wx_mapping or
 * wx_mprotect alert named (mapped W+X, its code written later) adds an
 * alert of that kind with the bytes copied before the call ("capturedAt":
 * the call). Returns the alerts' new count (at most max). Valid until
 * mw_evidence_done(). */
int mw_evidence_attach(struct mw_evidence *ev, const struct mw_view *v, struct mw_alert *al, int n, int max);

/* Process pid exited (its exit record): the next of its W+X regions the
 * kernel copied as it exited (MW_CHUNK_EXIT: mapped W+X, never unmapped or
 * protected again), as an alert of the kind an earlier alert gave that
 * region, its payload "capturedAt":"exit", into al[0] and the view of the
 * call that made it W+X into v (exe: the process's executable path, or
 * NULL; ts_ns: the exit's time, since the epoch; the caller sets v's
 * container). 1 when filled (valid
 * until the next call or mw_evidence_done()), 0 when none is left. Call
 * until 0, then mw_evidence_task_exit(). */
int mw_evidence_exit_alert(struct mw_evidence *ev, uint32_t pid, const char *exe, uint64_t ts_ns,
			   struct mw_view *v, struct mw_alert *al);

/* Process pid exited: the W+X regions remembered for it are forgotten. */
void mw_evidence_task_exit(struct mw_evidence *ev, uint32_t pid);

/* The payload of the last mw_evidence_attach() is no longer needed. */
void mw_evidence_done(struct mw_evidence *ev);

void mw_evidence_stats(struct mw_evidence *ev, struct mw_evidence_stats *out);

/* --stats: ",\"evidence\":{...}" (JSON) or one "mapwatch: evidence ..." line. */
void mw_evidence_stats_text(struct mw_evidence *ev, struct strbuf *b, int json);

/* --yara: alert al (with a payload) goes to the scanner and is written
 * after its scan (mw_evidence_flush): 1, the caller must not write it
 * now; 0: write it now (no --yara, no payload, or the queue was full). */
int mw_evidence_defer(struct mw_evidence *ev, const struct mw_view *v, struct mw_alert *al);

/* The alerts whose scan finished, through emit; wait_ms > 0 (the end of a
 * run): wait that long for the scans and for DIR's writer to finish. */
void mw_evidence_flush(struct mw_evidence *ev, mw_yara_emit_fn emit, void *ctx, int wait_ms);

void mw_evidence_close(struct mw_evidence *ev);

#endif

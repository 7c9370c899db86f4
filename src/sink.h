/* sink.h - output sinks: where finished records (events, alerts, loss notices) are written; one sink_*.c per kind of output. */
#ifndef MW_SINK_H
#define MW_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "format.h"
#include "strbuf.h"

/*
 * The tracer builds one struct mw_rec per thing to report and hands it to
 * mw_sinks_emit(), which offers it to every sink whose mask takes that kind
 * of record. A sink asks for the record's text in the format it writes
 * (mw_rec_line()); the text is formatted once per format and shared by the
 * sinks that want it, so a record nobody wants costs nothing to format.
 * Everything here runs on the tracer's thread; a sink that talks to a slow
 * peer must not block in write(): it queues (see sink_syslog.c).
 */

enum mw_rec_kind {
	MW_RK_EVENT = 0,    /* one traced call: v */
	MW_RK_ALERT = 1,    /* one alert: v (its trigger) and al */
	MW_RK_LOST = 2,     /* events lost since the last report: reason, count, total */
	MW_RK_NOTICE = 3,   /* a line of mapwatch's own (collapsed alerts, sink overflow): notice_* */
	MW_RK_MAX = 4,
};

#define MW_RKM(k) (1u << (k))
#define MW_RKM_ALL ((1u << MW_RK_MAX) - 1)

enum mw_fmt {
	MW_FMT_TABLE = 0,
	MW_FMT_JSON = 1,
	MW_FMT_MAX = 2,
};

struct mw_rec {
	enum mw_rec_kind kind;
	uint64_t ts_ns;                 /* ns since the epoch */
	const struct mw_view *v;        /* EVENT, ALERT */
	const struct mw_alert *al;      /* ALERT */
	const char *reason;             /* LOST: "ring_buffer_full", ... */
	uint64_t count, total;          /* LOST */
	const char *notice_json;        /* NOTICE: the JSON object (no newline) */
	const char *notice_table;       /* NOTICE: the table line (no newline) */
	int notice_severity;            /* NOTICE: enum mw_alert_severity */
	/* filled by mw_sinks_emit(): the texts formatted so far */
	struct strbuf *text;            /* [MW_FMT_MAX] */
	unsigned done;                  /* bit per format */
	struct strbuf *at[MW_FMT_MAX];  /* the buffer each text done is in (text[f] or a sink's own) */
	size_t at_off[MW_FMT_MAX], at_len[MW_FMT_MAX]; /* and where */
};

/* The record's text in format f, newline included; *len (when not NULL)
 * gets its length in bytes. Formatted on the first call for each format.
 * Returns NULL when out of memory. */
const char *mw_rec_line(struct mw_rec *r, enum mw_fmt f, size_t *len);

/* Append the record's text in format f, newline included, to dst (a sink's
 * own output buffer): formatted there directly when no sink has asked for
 * it before (the line is then not copied: mw_rec_line of a later sink
 * returns it from dst, which must not change until the record is written),
 * copied from where it was made otherwise. Returns its length, or 0 with
 * nothing appended when out of memory. */
size_t mw_rec_append(struct mw_rec *r, enum mw_fmt f, struct strbuf *dst);

/* Counters a sink reports (--stats and metrics). */
struct mw_sink_stats {
	uint64_t written;      /* records written (or handed to the peer) */
	uint64_t dropped;      /* records dropped (queue overflow, peer away) */
	uint64_t reconnects;   /* connections (re)established after the first */
	uint64_t rotations;    /* files rotated */
	uint64_t reopens;      /* files reopened on SIGHUP */
	uint64_t queued;       /* records waiting now */
	bool connected;        /* peer reachable now (true for files) */
};

struct mw_sink;

struct mw_sink_ops {
	/* Take one record (r->kind is in the sink's mask). Returns 0, or -1
	 * with errno set when the output failed for good. */
	int (*write)(struct mw_sink *s, struct mw_rec *r);
	/* End of a reader round: push buffered output out. Returns 0, or -1
	 * with errno set (EPIPE when the reader of a pipe went away). */
	int (*flush)(struct mw_sink *s);
	/* SIGHUP: reopen files (NULL: nothing to do). Returns 0 or -1 with errno. */
	int (*reopen)(struct mw_sink *s);
	/* Before the final --stats: deliver what is queued, waiting up to
	 * wait_ms, and count the rest as dropped (NULL: nothing queued). */
	void (*drain)(struct mw_sink *s, unsigned wait_ms);
	/* Fill *st (NULL: no counters). May be called from another thread. */
	void (*stats)(struct mw_sink *s, struct mw_sink_stats *st);
	/* Flush what can be flushed and free the sink (s itself included). */
	void (*close)(struct mw_sink *s);
};

struct mw_sink {
	const struct mw_sink_ops *ops;
	const char *name;      /* for messages: the file name, the syslog URL */
	unsigned mask;         /* MW_RKM() bits of the records it takes */
	bool essential;        /* its failure stops the tracer (the event stream) */
};

#define MW_SINKS_MAX 8

struct mw_sinks {
	struct mw_sink *s[MW_SINKS_MAX];
	int n;
	struct strbuf text[MW_FMT_MAX];
	const struct mw_sink *failed; /* the essential sink that failed, if any */
};

/* Add s to the set (the set closes it in mw_sinks_close()). Returns 0, or
 * -1 with errno ENOSPC when the set is full (s is closed then). */
int mw_sinks_add(struct mw_sinks *ss, struct mw_sink *s);

/* Offer r to every sink whose mask takes r->kind. Returns 0, or -1 with
 * errno set when an essential sink failed (ss->failed says which). A
 * non-essential sink's failure is its own business (it counts drops). */
int mw_sinks_emit(struct mw_sinks *ss, struct mw_rec *r);

/* True when some sink takes records of this kind (so the caller can skip
 * building them). */
bool mw_sinks_want(const struct mw_sinks *ss, enum mw_rec_kind k);

/* Flush every sink. Returns 0, or -1 with errno set when an essential
 * sink failed (EPIPE: its reader went away). */
int mw_sinks_flush(struct mw_sinks *ss);

/* SIGHUP: reopen every sink that has files. Returns 0, or -1 with errno of
 * the first failure (the others are still reopened). */
int mw_sinks_reopen(struct mw_sinks *ss);

/* Let every sink deliver what it queued, up to wait_ms each (at exit). */
void mw_sinks_drain(struct mw_sinks *ss, unsigned wait_ms);

/* Close and free every sink, then the set's buffers. */
void mw_sinks_close(struct mw_sinks *ss);

/* ---- the sinks (one file each) ---- */

/* sink_file.c: the event stream (table or JSON lines) to a file, or to
 * standard output when path is NULL or "-". The file is created 0600 (or
 * appended to with append), close-on-exec. rotate_size > 0: when a write
 * would take the file past rotate_size bytes, it is renamed PATH.1 (PATH.1
 * to PATH.2, ... up to rotate_keep; the oldest is removed) and a new PATH is
 * started; rotate_keep 0 means truncate in place. SIGHUP (reopen) closes and
 * reopens PATH (for logrotate's rename-then-HUP). Writes block: the stream
 * is the tool's main output, and a slow reader of it slows the reader down
 * (losses are then counted in the kernel). Returns NULL with a one-line
 * error printed when the file cannot be opened. */
struct mw_sink *mw_sink_file_new(const char *path, enum mw_fmt fmt, bool append,
				 uint64_t rotate_size, unsigned rotate_keep);

/* sink_syslog.c: RFC 5424 messages to url: "unix:PATH" (datagrams, as
 * /dev/log), "udp://HOST:PORT" (one message per datagram) or
 * "tcp://HOST:PORT" (RFC 6587 octet counting: "LEN SP MSG"). Each message:
 * <PRI>1 TIMESTAMP(UTC, microseconds) HOSTNAME mapwatch PID MSGID SD MSG,
 * where PRI = facility * 8 + severity (alerts: high crit(2), medium
 * warning(4), info notice(5); events info(6), only when events; loss
 * reports and notices warning), MSGID "alert", "event", "lost", "notice" or
 * "dropped", SD one [mapwatch@32473 ...] element with the key fields (kind,
 * severity, mitre, event, pid, tid, uid, comm, exe, container, start, end),
 * and MSG the record's JSON line. Records go to a queue of at most
 * queue_bytes; a writer thread, woken at flush (the end of a reader round)
 * or when 256 are queued, sends them in batches (datagrams: one sendmmsg,
 * one message per datagram; TCP: one sendmsg of the frames), connects and reconnects with
 * backoff (100 ms doubling to 5 s), and on TCP re-sends what the peer had not
 * acknowledged when the connection went away. A record that does not fit in
 * the queue is dropped and counted; the first message on a connection after
 * drops says how many. write() never blocks on the peer. Returns NULL with
 * a one-line error printed for a bad url. */
struct mw_sink *mw_sink_syslog_new(const char *url, int facility, bool events, size_t queue_bytes);

/* A --syslog-facility: a name (kern, user, mail, daemon, auth, syslog, lpr,
 * news, uucp, cron, authpriv, ftp, local0..local7) or a number 0-23;
 * returns it, or -1. */
int mw_syslog_facility(const char *s);

/* Parse a --syslog url (0, or -1 when it is not one of the three forms). */
int mw_syslog_parse_url(const char *url, int *transport, char **host, char **port, char **path);

#endif

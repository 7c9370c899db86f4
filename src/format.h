/* format.h - turns one event record into a JSON line or a table line. */
#ifndef MW_FORMAT_H
#define MW_FORMAT_H

#include <stdint.h>
#include "mapwatch.h"
#include "strbuf.h"

struct mw_stack_view;
struct mw_container;

/* The JSON lines' "schemaVersion": raised when a key changes meaning or type
 * (2: eventId became a string, as Tracee's Go type reads it; "time" added). */
#define MW_SCHEMA_VERSION 2
#define MW_SCHEMA_VERSION_STR "2"

/* An event with what user space adds to it. */
struct mw_view {
	const struct mw_event *e;
	const char *path;          /* file path (already rebuilt), NULL if none */
	const char *exe;           /* executable path, NULL if unknown */
	const char *container_id;  /* NULL if the cgroup names no container */
	const struct mw_container *ctr; /* its identity (container.h), NULL if none */
	uint64_t ts_ns;            /* entry time, ns since the epoch */
	const struct mw_udata *udata; /* user memory of the arguments (MW_F_UDATA), NULL if none */
	const struct mw_stack_view *stack; /* --stack: the caller's user stack, NULL if none */
};

/* Rebuild "/a/b/c" from leaf-first NUL-terminated components (the BPF
 * layout) into out (reset first). Pseudo files get the kernel's display
 * form: "anon_inode:[eventfd]", "socket:[INODE]". */
void mw_path_rebuild(struct strbuf *out, const char *data, size_t len, const struct mw_file *f);

/* Decode one ring-buffer record of type MW_REC_EVENT of size bytes (any
 * bytes: the size is checked, path_len clamped to what is there) into v:
 * v->e points into data, the file path is rebuilt into path. The caller
 * adds exe, container id and ts_ns. Returns 0, or -1 when data is not a
 * whole event record. */
int mw_event_decode(const void *data, size_t size, struct strbuf *path, struct mw_view *v);

/* The same for a MW_REC_PROC record: the executable's path into path and
 * the pid. Returns 0, or -1 when data is not a whole process record. */
int mw_proc_rec_decode(const void *data, size_t size, struct strbuf *path, uint32_t *pid);

/* Append one JSON object (no newline) for v to b. Keys: doc/JSON.md. */
void mw_format_json(struct strbuf *b, const struct mw_view *v);

/* How the table shows an event's time (--time). */
enum mw_time_fmt {
	MW_TIME_LOCAL,    /* 12:01:02.345678, local time of day (the default) */
	MW_TIME_UTC,      /* 12:01:02.345678Z */
	MW_TIME_ISO,      /* 2026-12-01T12:01:02.345678+00:00, local with its offset */
	MW_TIME_EPOCH,    /* 1764590462.345678, seconds since the epoch */
	MW_TIME_RELATIVE, /* 0.012345, seconds since start_ns */
};

/* Choose the table's time format for every later line; start_ns (ns since
 * the epoch) is the zero of MW_TIME_RELATIVE. */
void mw_format_set_time(enum mw_time_fmt fmt, uint64_t start_ns);

/* enum mw_time_fmt by name ("local", "utc", "iso", "epoch", "relative"); -1 if unknown. */
int mw_time_fmt_value(const char *name);

/* Append ts_ns (ns since the epoch) in the chosen table time format. */
void mw_format_time(struct strbuf *b, uint64_t ts_ns);

/* ts_ns (ns since the epoch) as UTC "YYYY-MM-DDTHH:MM:SS.fffZ" with digits
 * (0..9) digits of the second, truncated; the text to the second is made
 * once a second per thread (JSON "time", syslog's RFC 5424 timestamp). */
void mw_put_utc(struct strbuf *b, uint64_t ts_ns, int digits);

/* Append the table's first columns: entry time, pid, tid, and the escaped
 * command name padded to 16 columns (no trailing space). */
void mw_format_table_prefix(struct strbuf *b, const struct mw_view *v);

/* Append one table line (no newline) for v to b. Format: doc/TABLE.md. */
void mw_format_table(struct strbuf *b, const struct mw_view *v);

/* Append "{" and the context keys every JSON line carries (timestamp,
 * process ids, user, namespaces, names, executable, cgroup, container),
 * leaving the object open for the caller's own keys. */
void mw_format_json_context(struct strbuf *b, const struct mw_view *v);

/* Free what the formatters keep from line to line (the last thread's
 * context keys, one argument's decoded text); they start again if used. */
void mw_format_free(void);

/* Append the call as strace prints it: name(arg=value, ...) = result. */
void mw_format_call(struct strbuf *b, const struct mw_view *v);

/* The protection the kernel gave: the PROT_READ|PROT_WRITE|PROT_EXEC bits
 * of the VMA's vm_flags read at syscall exit, when the event carries them
 * (eff_status MW_EFF_OK); -1 otherwise. */
int mw_effective_prot(const struct mw_event *e);

/* Why the effective protection is missing: "EBUSY" (mmap lock contended),
 * "ENOENT" (no VMA at the address), "error"; NULL when it is there or was
 * not looked up. */
const char *mw_eff_error_name(const struct mw_event *e);

/* True when the event's return value is an error (-4095..-1). */
int mw_is_error(int64_t ret);

#endif

/* alert.h - one alert (struct mw_alert): its kinds, how a fresh one is made, and its JSON and table lines. The rules that raise alerts are in alerts.h. */
#ifndef MW_ALERT_H
#define MW_ALERT_H

#include <stdint.h>
#include "format.h"
#include "strbuf.h"

struct mw_payload;

/* The kinds, their severities and MITRE ATT&CK ids, and when each is raised:
 * src/alerts.h (the mapping calls) and src/alerts_family.h (the memory family). */
enum mw_alert_kind {
	MW_AL_WX_MAPPING = 0,
	MW_AL_WX_MPROTECT = 1,
	MW_AL_X_AFTER_W = 2,
	MW_AL_EXEC_FILELESS = 3,
	MW_AL_DEVICE_MAPPING = 4,
	MW_AL_DROPPED_CODE = 5,
	MW_AL_CALL_FROM_ANON = 6,  /* a mapping call made from memory no regular file backs (capture.bpf.h) */
	MW_AL_WX_ALIAS = 7,        /* executable memory writable through another view (issue #22) */
	MW_AL_CODE_WRITE = 8,      /* executable memory written by ptrace, process_vm_writev or /proc/PID/mem
				    * (alert_codewrite.h) */
	MW_AL_KIND_MAX = 9,
};

enum mw_alert_severity {
	MW_SEV_INFO = 0,
	MW_SEV_MEDIUM = 1,
	MW_SEV_HIGH = 2,
};

#define MW_ALERTS_MAX 4        /* most alerts one event raises */
#define MW_ALERT_EVENT_ID 1000 /* "eventId" of alert lines in JSON */

/* Why an exec_fileless alert was raised (struct mw_alert.fileless). */
enum mw_fileless_cause {
	MW_FL_NONE = 0,
	MW_FL_MEMFD = 1,
	MW_FL_DELETED = 2,
	MW_FL_TMPFS = 3,   /* /dev/shm or another tmpfs */
	MW_FL_REGION = 4,  /* mprotect of a region the engine knows to be one of the above */
	MW_FL_SYSV_SHM = 5, /* shmat with SHM_EXEC: SysV shared memory (alerts_family.c) */
};

/* Why a dropped_code alert was raised (struct mw_alert.dropped). */
enum mw_dropped_cause {
	MW_DR_NONE = 0,
	MW_DR_WRITTEN_AFTER_START = 1, /* the file's mtime is later than the process's creation */
	MW_DR_CHANGED_AFTER_START = 2, /* its ctime is (rename, chmod, an mtime set back), not its mtime */
	MW_DR_RECENT = 3,              /* written less than MW_DROPPED_WINDOW_S ago, before the process began */
};
/* MW_DROPPED_WINDOW_S: include/mapwatch.h (the kernel side uses it too) */

/* A chain of calls one alert names (struct mw_alert.chain). */
enum mw_chain {
	MW_CHAIN_NONE = 0,
	MW_CHAIN_MEMFD_MMAP = 1,     /* memfd_create, then an executable mmap of it */
	MW_CHAIN_MEMFD_EXECVEAT = 2, /* memfd_create, then execveat (fexecve) of it */
	MW_CHAIN_EXECVEAT = 3,       /* a program run from a memfd whose creation was not seen */
};

/* How a wx_alias alert's memory is reachable (struct mw_alert.alias_via). */
enum mw_alias_via {
	MW_ALIAS_NONE = 0,
	MW_ALIAS_WRITABLE_VIEW = 1,   /* the call left executable memory; a writable shared view of it exists */
	MW_ALIAS_EXEC_VIEW = 2,       /* the call left a writable shared view of memory executable elsewhere */
	MW_ALIAS_OPEN_FD = 3,         /* the call left executable memory of a file open for writing */
};

struct mw_alert {
	uint16_t kind;             /* enum mw_alert_kind */
	uint16_t severity;         /* enum mw_alert_severity */
	const char *mitre;         /* static: "T1055" */
	const char *technique;     /* static: "Process Injection" */
	const char *description;   /* static, one sentence */
	uint8_t has_region;        /* start/end valid */
	uint8_t prev_known;        /* the map held some of the range before the call */
	uint8_t prev_prot;         /* OR of the previous PROT_READ|WRITE|EXEC bits (prev_known) */
	uint8_t prev_mixed;        /* parts of the range differed, or some part was unknown */
	uint8_t was_writable;      /* some known part was writable now or earlier (prev_known) */
	uint8_t fileless;          /* enum mw_fileless_cause (exec_fileless) */
	uint8_t judged_on_request; /* the event had no effective prot: judged on what was asked */
	uint8_t at_exec;           /* exec_fileless or dropped_code judged at exec (the "exec" event): the program's own file */
	uint8_t dropped;           /* enum mw_dropped_cause (dropped_code) */
	uint16_t file_age_s;       /* dropped_code: seconds since the file was written (65535: or more) */
	uint8_t call_via_ret;      /* call_from_anon: found by the return address, the syscall instruction a file's */
	uint8_t anon_written;      /* x_after_w over memory the region map did not know (the kernel mapped it:
				    * stack, .data/.bss; or its seed failed), judged on the kernel's word
				    * that its pages were written (MW_EFFF_ANON_WRITTEN) */
	uint32_t rdev;             /* device_mapping: st_rdev, kernel encoding (major << 20 | minor) */
	uint64_t start, end;       /* [start, end): the memory concerned (has_region) */
	uint8_t chain;             /* enum mw_chain */
	uint8_t chain_memfd;       /* chain_fd, chain_pid, chain_flags: the memfd_create seen */
	int32_t chain_fd;
	uint32_t chain_pid, chain_flags;
	char chain_name[256];      /* the memfd's name */
	/* set by the policy (src/policy.h) when a rule decided the alert: */
	const char *rule;          /* the rule's name: "rule" in JSON; NULL: no policy, no key */
	const char *tags;          /* the rule's tags as a JSON array text, NULL: none */
	const char *message;       /* the rule's output template filled in, NULL: none */
	uint8_t rule_in_table;     /* the table line names the rule (not a built-in one) */
	uint8_t capture;           /* action capture: "captureRequested":true (the capture itself: --capture) */
	const struct mw_payload *payload; /* evidence (capture.h): the bytes made executable; NULL: none */
	uint8_t yara_state;        /* enum mw_yara_state (--yara, yarascan.h) */
	const char *yara_json;     /* the rules that matched: "\"a\",\"b\"" (JSON strings); NULL: none */
	const char *yara_text;     /* the same for the table: "a,b" */
	const char *exe_sha256;    /* evidence: the executable's sha256 (exehash.h); NULL: unknown */
	const char *file_sha256;   /* evidence: the sha256 of the file the trigger mapped; NULL: none or unknown */
	uint8_t alias_via;         /* wx_alias: enum mw_alias_via */
	uint8_t alias_fd;          /* wx_alias: the file is also open for writing (MW_EFFF_ALIAS_FD) */
	uint32_t alias_pid;        /* wx_alias view: the other view's process (0: unknown) */
	uint64_t alias_addr;       /* wx_alias view: its address there */
	/* code_write (alert_codewrite.h): the writer is the trigger's process; the target: */
	uint8_t cw_via;            /* enum mw_cw_via (mapwatch.h) */
	uint8_t cw_from_proc;      /* the target's VMA read from /proc/PID/maps (the kernel could not) */
	uint8_t cw_prot;           /* the target VMA's PROT_READ|WRITE|EXEC */
	uint8_t cw_ns_pid;         /* cw_pid is in the writer's pid namespace (processId's), not the host's */
	uint32_t cw_pid;           /* the target process (host view) */
	uint64_t cw_addr, cw_len;  /* where it wrote, how many bytes */
};

enum mw_yara_state {
	MW_YARA_NONE = 0,    /* not scanned (no --yara, or no payload) */
	MW_YARA_SCANNED = 1, /* scanned: yara_json names the matches, if any */
	MW_YARA_DROPPED = 2, /* not scanned: the scanner's queue was full */
	MW_YARA_ERROR = 3,   /* libyara failed on it (its time limit) */
};

/* A fresh alert of kind at al[(*n)++]: zeroed, with the severity, MITRE id,
 * technique and description of its kind; the caller sets the rest. */
struct mw_alert *mw_alert_add(struct mw_alert *al, int *n, enum mw_alert_kind kind);

/* Set the memory an alert concerns: [start, end). */
void mw_alert_region(struct mw_alert *x, uint64_t start, uint64_t end);

/* "wx_mapping" ...; "?" when out of range. */
const char *mw_alert_kind_name(unsigned kind);

/* "info", "medium", "high"; "?" when out of range. */
const char *mw_alert_severity_name(unsigned sev);

/*
 * Append one JSON object (no newline) for alert al raised by trigger v:
 * the context keys of an event line (timestamp, processId, threadId,
 * parentProcessId, hostProcessId, hostThreadId, hostParentProcessId, userId,
 * groupId, mountNamespace, pidNamespace, processName, executable{path},
 * cgroupId, containerId) taken from the trigger, then "eventId":1000,
 * "eventName":"alert", "syscall" (the trigger's event name), "returnValue"
 * (the trigger's), "argsNum":0, "args":[], "contextFlags":{"isCompat"},
 * "alert":{"kind","severity","mitre","technique","description","action"
 * ("reported", or "killed" when the trigger has MW_F_ENFORCED),
 * ["regionStart","regionEnd" as "0x..." hex strings],
 * ["previousProt" decoded, "previousProtMixed":true when parts differed or
 * were unknown, "wasWritable"], ["fileless": "memfd"|"deleted"|"tmpfs"|
 * "region"], ["judgedAt":"exec" for a program judged at its exec],
 * ["dropped":{"cause":"writtenAfterStart"|"changedAfterStart"|"recent",
 * "ageSeconds"}] (dropped_code),
 * ["device":{"path","rdev":"MAJ:MIN"}], ["writtenPages":true for an x_after_w
 * judged on the kernel's word alone], ["alias":{"via":"writableView"|
 * "executableView"|"openFd", ["pid", "address"], "openForWrite"} for wx_alias],
 * ["codeWrite":{"via","targetPid",["targetPidView":"writer"],"address","length","targetProt",["judgedFrom":
 * "/proc/PID/maps"],["targetFile"]} for code_write],
 * ["rule" the policy rule that decided it, ["tags":[...]], ["output" the
 * rule's text], ["captureRequested":true]]}, and "trigger": the
 * trigger event exactly as mw_format_json() writes it.
 */
void mw_alert_json(struct strbuf *b, const struct mw_view *v, const struct mw_alert *al);

/*
 * Append one table line (no newline), aligned like mw_format_table():
 * time pid tid comm, then "ALERT <severity> <kind> <mitre>: " and the call
 * as mw_format_call() writes it, then " [previous PROT_...]" when known
 * (", partly" when mixed, ", was writable" when the sticky bit is set but
 * the previous prot lacks PROT_WRITE), " [history unknown, pages written]"
 * for anon_written, " [alias: ...]" for wx_alias, and " [killed]" for an enforced
 * trigger; then " [rule NAME]" when a rule that is not built in decided
 * it, and the rule's output text in quotes. Control characters are escaped as in event lines.
 */
void mw_alert_table(struct strbuf *b, const struct mw_view *v, const struct mw_alert *al);

#endif

/* rules.h - the policy's rules: the YAML format (libyaml), its checks, and the compiled rule set that policy.c evaluates. */
#ifndef MW_RULES_H
#define MW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filter_abi.h"

/*
 * A rules file is a YAML mapping with one key, "rules": a sequence of
 * rules, each a mapping of
 *
 *   name         required, unique in the set, [A-Za-z0-9_.:-]{1,63}
 *   description  free text
 *   match        a matcher (below); absent: every alert
 *   except       a sequence of matchers: the rule does not apply when any matches
 *   action       alert (default) | ignore | kill | capture
 *   severity     info | medium | high (default: the kind's own)
 *   mitre        an ATT&CK id, T1234 or T1234.001 (default: the kind's own)
 *   tags         a sequence of words
 *   output       a template: {rule} {kind} {severity} {comm} {pid} {uid} {exe}
 *                {event} {path} {container} are replaced; text otherwise
 *   rate_limit   {count: N, per: SECONDS}: at most N alerts of the rule per
 *                SECONDS (the rest are counted as rate-limited)
 *
 * A matcher is a mapping; every key given must match (AND), any value of a
 * key's list may (OR). A list key also takes a single scalar.
 *
 *   kind         wx_mapping wx_mprotect x_after_w exec_fileless device_mapping
 *   event        the trigger's event names (mmap, mprotect, shmat, exec, ...)
 *   exe          executables or directories above them, resolved to
 *                (device, inode) when the rules load (symbolic links
 *                followed); a path missing on this host matches nothing;
 *                the process's side: /proc/PID/exe, and the directories
 *                above it in /proc/PID/root (policy.c)
 *   comm         the task's name (exact)
 *   uid          user ids
 *   cgroup       cgroup v2 ids or paths under /sys/fs/cgroup
 *   container, image, pod, namespace   container / Kubernetes identity
 *                (exact; no match where mapwatch knows none)
 *   prot_all, prot_any    PROT_* names the call's prot argument has (all / one of)
 *   flags_all, flags_any  MAP_* names of the call's flags argument
 *   fd_kind      file kinds of the call's fd (regular, memfd, shm, deleted, ...)
 *   path_prefix  the file's path starts with one of these
 *   length       {min: BYTES, max: BYTES}: the call's length argument
 *   errno        the call failed with one of these (names or numbers)
 *
 * Evaluation: for each alert, the rules are tried in order (files in the
 * order given, a directory's *.yaml in name order, rules in file order);
 * the first whose match matches and no except matches decides.
 */

enum mw_rule_action {
	MW_RA_ALERT = 0,
	MW_RA_IGNORE = 1,
	MW_RA_KILL = 2,
	MW_RA_CAPTURE = 3, /* an alert, with a capture request on it */
};

/* An executable (or a directory above executables) named by a rule. */
struct mw_rule_exe {
	char *path;          /* as written */
	bool found;          /* stat() succeeded when the rules loaded */
	bool is_dir;
	uint64_t dev, ino;   /* user-space st_dev, st_ino */
};

/* Match keys present in a matcher (struct mw_match.has). */
enum {
	MW_MK_KIND = 1u << 0, MW_MK_EVENT = 1u << 1, MW_MK_EXE = 1u << 2, MW_MK_COMM = 1u << 3,
	MW_MK_UID = 1u << 4, MW_MK_CGROUP = 1u << 5, MW_MK_CONTAINER = 1u << 6, MW_MK_IMAGE = 1u << 7,
	MW_MK_POD = 1u << 8, MW_MK_NAMESPACE = 1u << 9, MW_MK_PROT_ALL = 1u << 10,
	MW_MK_PROT_ANY = 1u << 11, MW_MK_FLAGS_ALL = 1u << 12, MW_MK_FLAGS_ANY = 1u << 13,
	MW_MK_FDKIND = 1u << 14, MW_MK_PATH = 1u << 15, MW_MK_LENGTH = 1u << 16, MW_MK_ERRNO = 1u << 17,
};

/* The identity keys the container/Kubernetes enrichment provides. */
enum mw_ident_key { MW_ID_CONTAINER, MW_ID_IMAGE, MW_ID_POD, MW_ID_NAMESPACE, MW_ID_MAX };

struct mw_strlist {
	unsigned n;
	char **v;
};

struct mw_match {
	uint32_t has;               /* MW_MK_* */
	uint32_t kinds;             /* bit per enum mw_alert_kind */
	uint64_t events;            /* MW_EVBIT per event id */
	unsigned nexe;
	struct mw_rule_exe *exe;
	struct mw_strlist comm;
	unsigned nuid, ncgroup;
	uint64_t *uid;              /* as --uid parsed them: 0 .. 2^32-2 */
	uint64_t *cgroup;
	struct mw_strlist ident[MW_ID_MAX];
	uint32_t prot_all, prot_any;
	uint64_t flags_all, flags_any;
	uint32_t fdkind;            /* bit per MW_FK_* */
	struct mw_strlist path;
	uint64_t len_min, len_max;
	uint64_t errno_bits[64];    /* bit per errno 0..4095 */
	unsigned line, col;         /* where it was written (1-based) */
};

struct mw_rule_stats {
	uint64_t matched;           /* alerts this rule decided */
	uint64_t emitted;           /* of those, written (alert, capture, kill) */
	uint64_t limited;           /* withheld by rate_limit */
};

struct mw_rule {
	char *name, *description, *file;
	unsigned line, col;
	bool builtin;               /* from the embedded defaults or a shorthand option */
	struct mw_match match;
	unsigned nexcept;
	struct mw_match *except;
	enum mw_rule_action action;
	int severity;               /* enum mw_alert_severity, -1: the kind's */
	char *mitre;                /* NULL: the kind's */
	char *tags;                 /* JSON array text ["a","b"], NULL: none */
	char *output;               /* template, NULL: none */
	uint32_t rate_count;        /* 0: no limit */
	uint64_t rate_per_ns;
	/* state (policy.c) */
	uint64_t rate_start_ns;
	uint32_t rate_used;
	struct mw_rule_stats st;
};

struct mw_ruleset {
	unsigned n, cap;
	struct mw_rule *r;
	/* what the kernel decides (src/filter.c, src/bpf/effect.bpf.h) */
	bool kill_wx;               /* a kill rule: --kill-wx */
	bool capture;               /* a capture rule: payloads copied by the kernel (as --capture) */
	unsigned nallow;            /* ignore rules by exe alone at the top, the kill rule's exe excepts: --allow */
	char **allow;
	unsigned errors;            /* errors reported while loading */
};

/* Where errors go: one line each, "FILE:LINE:COL: message" (no newline). */
typedef void (*mw_rules_err_fn)(void *ctx, const char *line);

/* A new, empty rule set. NULL when out of memory. */
struct mw_ruleset *mw_ruleset_new(void);
void mw_ruleset_free(struct mw_ruleset *rs);

/* Add the rules of one YAML text (name: the file name errors give).
 * builtin marks them as the shipped defaults. Every error goes to err;
 * returns the number of errors (0: all added). */
unsigned mw_rules_parse(struct mw_ruleset *rs, const char *name, const char *text, size_t len, bool builtin,
			mw_rules_err_fn err, void *ctx);

/* Add a file, or a directory's *.yaml files in name order. Returns the
 * number of errors. */
unsigned mw_rules_load_path(struct mw_ruleset *rs, const char *path, mw_rules_err_fn err, void *ctx);

/* A new rule at the end of rs (zeroed, severity -1). */
struct mw_rule *mw_rule_append(struct mw_ruleset *rs);

/* Add an executable (or directory) to m, resolved to its identity now. */
void mw_match_add_exe(struct mw_match *m, const char *path);

/* The embedded default rules (dist/rules.d/00-default.yaml). */
extern const char mw_default_rules[];
extern const unsigned mw_default_rules_len;

const char *mw_rule_action_name(enum mw_rule_action a);

#endif

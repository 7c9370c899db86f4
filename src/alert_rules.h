/* alert_rules.h - the alert rules: one function per judgement, a table of the calls each applies to, one dispatch (the region upkeep they judge on: alerts.c). */
#ifndef MW_ALERT_RULES_H
#define MW_ALERT_RULES_H

#include <stdint.h>
#include "alert.h"
#include "alerts_family.h"
#include "format.h"
#include "regions.h"
#include "regions_snap.h"

/* What an mprotect did to the region map, for the rules to judge. */
struct mw_mprot {
	unsigned prot;              /* rwx as the kernel made them; PROT_GROWSDOWN etc. as asked */
	uint64_t s, end;            /* the range judged, [s, end) */
	int applied;                /* the region map was changed: c says how */
	struct mw_prot_change c;
};

/*
 * What the rules see of one call, filled by the engine (alerts.c) after it
 * applied the call to the region maps. The rules read it and append
 * alerts; only the memory family's row changes state (its own, and the
 * region maps for shmat, shmdt and brk: alerts_family.c).
 */
struct mw_judge {
	const struct mw_view *v;    /* the call, its pid the one whose map holds its memory */
	const struct mw_event *e;   /* v->e */
	int ok;                     /* the call succeeded */
	/* a mapping to judge (mmap, mmap2, do_mmap): */
	int mapping;
	unsigned prot;              /* its judged protection (mw_judged_prot) */
	enum mw_fileless_cause fl;  /* why its file makes it fileless, if it does */
	int chardev;                /* mapped from a character device */
	struct mw_alert proto;      /* its region, and what the range held before */
	/* an mprotect range to judge (mprotect, pkey_mprotect): */
	int range;
	struct mw_mprot m;
	const struct mw_snap *snap;   /* the region map over the range, before the call */
	const struct mw_snap *fsnap;  /* the fileless map over the range, before the call */
	/* the engine's stores (the family's row changes them) */
	struct mw_regions *regions, *fileless;
	struct mw_family *fam;
	uint64_t *errors;           /* refused map updates */
	const char *proc_root;      /* where /proc is (code_write reads a target's maps), NULL: nowhere */
	int command_exec;           /* an "exec" event: the first exec of the -- COMMAND mapwatch started */
};

/* The alerts the call raises, in the order of the rule table, into al
 * (MW_ALERTS_MAX entries); returns how many. Each says whether it was
 * judged on the request (judged_on_request). */
int mw_judge_run(const struct mw_judge *j, struct mw_alert *al);

/* The protection a call is judged on: the effective one, read by the
 * kernel from the VMA at syscall exit, when the event carries it
 * (*from_vma = 1); else the request, with READ_IMPLIES_EXEC applied as the
 * kernel applies it (*from_vma = 0); -1 when neither is known. Only the
 * PROT_READ|WRITE|EXEC bits. */
int mw_judged_prot(const struct mw_event *e, int *from_vma);

/* Why the file behind a mapping (mmap flags mflags) makes executable memory
 * fileless; MW_FL_NONE when it does not. */
enum mw_fileless_cause mw_fileless_cause(const struct mw_event *e, uint64_t mflags);

#endif

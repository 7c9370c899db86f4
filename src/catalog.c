/* catalog.c - the event catalogue (include/mw_calls.h) as data: lookups, classes, --events lists. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "catalog.h"

/* Each row of include/mw_calls.h becomes one descriptor. */
#define MW_A(n, t, f, tg) { #n, MW_T_##t, MW_D_##f, MW_TG_##tg }
#define ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes, entry,  \
	    ret, args, doc)                                                                   \
	[id] = { #name, nargs, { MW_UNPAREN args }, x86_64, i386, arm64, arm, doc,           \
		 KIND_##kind, stem, i386_fn, classes, entry, ret },
#define KIND_SYS true
#define KIND_KFN false
static const struct mw_event_desc events[MW_EV_MAX] = { MW_CALLS(ROW) };
#undef ROW

/* Rows in id order, ids dense; each row's argument list holds nargs entries. */
#define POS(id, ID, ...) MW_POS_##ID,
enum { MW_CALLS(POS) MW_POS_MAX };
#undef POS
#define CHECK(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes,       \
	      entry, ret, args, doc)                                                          \
	_Static_assert(MW_POS_##ID == (id), "mw_calls.h: row " #name " out of id order");   \
	_Static_assert(sizeof((struct mw_arg_desc[]){ MW_UNPAREN args }) ==                  \
			       (nargs) * sizeof(struct mw_arg_desc), "mw_calls.h: " #name " nargs");
MW_CALLS(CHECK)
#undef CHECK
_Static_assert(MW_EV_MAX <= 64, "event masks (MW_EVBIT) are 64 bits");

const struct mw_event_desc *mw_event_desc(unsigned id)
{
	return id < MW_EV_MAX && events[id].name ? &events[id] : NULL;
}

int mw_event_by_name(const char *name)
{
	for (int i = 0; i < MW_EV_MAX; i++)
		if (events[i].name && !strcasecmp(events[i].name, name))
			return i;
	return -1;
}

const char *mw_arg_type_name(enum mw_arg_type t)
{
	switch (t) {
	case MW_T_POINTER: return "pointer";
	case MW_T_U64: return "u64";
	case MW_T_INT: return "int";
	}
	return "?";
}

const char *mw_tags_str(unsigned tags, char *buf)
{
	static const char *const names[] = { "U", "K", "TOCTOU", "OPT" };

	buf[0] = 0;
	for (unsigned i = 0; i < 4; i++) {
		if (!(tags & (1u << i)))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, names[i]);
	}
	return buf;
}

const char *mw_event_names(void)
{
	static char buf[1024];

	if (!buf[0])
		for (int i = 0; i < MW_EV_MAX; i++) {
			if (i)
				strcat(buf, ", ");
			strcat(buf, events[i].name);
		}
	return buf;
}

int mw_event_nr_native(const struct mw_event_desc *d)
{
	return MW_NR_NATIVE(d->nr_x86_64, d->nr_i386, d->nr_arm64, d->nr_arm);
}

int mw_event_nr_compat(const struct mw_event_desc *d)
{
	return MW_NR_COMPAT(d->nr_x86_64, d->nr_i386, d->nr_arm64, d->nr_arm);
}

/* ---- code_write's routes, from their rows ---- */
#define MW__RT_ROW(ID, name, x86_64, i386, arm64, arm) \
	[MW_RT_##ID] = { #name, MW_NR_NATIVE(x86_64, i386, arm64, arm), MW_NR_COMPAT(x86_64, i386, arm64, arm) },
static const struct {
	const char *name;
	int nr, nr_compat;
} routes[MW_RT_MAX] = { MW_ROUTES(MW__RT_ROW) };
#undef MW__RT_ROW

const char *mw_route_name(int route)
{
	return route > MW_RT_NONE && route < MW_RT_MAX ? routes[route].name : NULL;
}

int mw_route_nr(int route, bool compat)
{
	if (route <= MW_RT_NONE || route >= MW_RT_MAX)
		return -1;
	return compat ? routes[route].nr_compat : routes[route].nr;
}

int mw_event_arg_by_fmt(const struct mw_event_desc *d, enum mw_arg_fmt fmt)
{
	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].fmt == fmt)
			return i;
	return -1;
}

uint64_t mw_class_mask(unsigned cl)
{
	uint64_t m = 0;

	for (int i = 0; i < MW_EV_MAX; i++)
		if (events[i].classes & cl)
			m |= MW_EVBIT(i);
	return m;
}

static const struct {
	const char *name;
	unsigned cl;
} class_names[] = {
	{ "%mapping", MW_CL_MAPPING },
	{ "%memory", MW_CL_MEMORY },
	{ "%shm", MW_CL_SHM },
};

/* Bits that are not --events classes (shown by neither --list nor parsed). */
#define NOT_CLASSES (MW_CL_KERNEL | MW_CL_ALERTS | MW_CL_MAPS | MW_CL_UNMAPS | MW_CL_PROTECTS)

const char *mw_class_str(unsigned cl, char *buf)
{
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
		if (!(cl & class_names[i].cl))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, class_names[i].name);
	}
	return buf;
}

int mw_events_parse(const char *list, uint64_t *mask, char *err, size_t errlen)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char tok[64];
		int id;

		if (n == 0) { /* empty entries (a,,b) are skipped */
			p += *p == ',';
			continue;
		}
		if (n >= sizeof(tok)) {
			snprintf(err, errlen, "bad --events entry '%.*s'; known events: %s, classes: %%mapping, %%memory, %%shm, all",
				 (int)(n > 40 ? 40 : n), p, mw_event_names());
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = 0;
		if (!strcasecmp(tok, "all")) {
			for (int i = 0; i < MW_EV_MAX; i++)
				if (events[i].syscall)
					*mask |= MW_EVBIT(i);
		} else if (tok[0] == '%') {
			size_t i;
			for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++)
				if (!strcasecmp(tok, class_names[i].name))
					break;
			if (i == sizeof(class_names) / sizeof(class_names[0])) {
				snprintf(err, errlen, "unknown class '%s' in --events; classes: %%mapping, %%memory, %%shm, all", tok);
				return -1;
			}
			*mask |= mw_class_mask(class_names[i].cl);
		} else if ((id = mw_event_by_name(tok)) >= 0) {
			*mask |= MW_EVBIT(id);
		} else {
			snprintf(err, errlen, "unknown event '%s' in --events; known events: %s", tok, mw_event_names());
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask) {
		snprintf(err, errlen, "--events needs at least one event name; known events: %s", mw_event_names());
		return -1;
	}
	return 0;
}

static const char *const kinds[MW_FK_MAX] = {
	[MW_FK_NONE] = "none", [MW_FK_BADFD] = "badfd", [MW_FK_REGULAR] = "regular",
	[MW_FK_CHARDEV] = "chardev", [MW_FK_BLOCKDEV] = "blockdev", [MW_FK_DIR] = "dir",
	[MW_FK_FIFO] = "fifo", [MW_FK_SOCKET] = "socket", [MW_FK_SYMLINK] = "symlink",
	[MW_FK_MEMFD] = "memfd", [MW_FK_SHM] = "shm", [MW_FK_DELETED] = "deleted",
	[MW_FK_ANON_INODE] = "anon_inode", [MW_FK_UNKNOWN] = "unknown",
};

const char *mw_file_kind_name(unsigned kind)
{
	return kind < MW_FK_MAX ? kinds[kind] : "?";
}

int mw_file_kind_by_name(const char *name)
{
	for (int i = 0; i < MW_FK_MAX; i++)
		if (!strcasecmp(kinds[i], name))
			return i;
	return -1;
}

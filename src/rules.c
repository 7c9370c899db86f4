/* rules.c - the policy's rules files: YAML (libyaml's document loader) into struct mw_ruleset, every error with its file, line and column (the checks across rules: rules_compile.c). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>
#include "alert.h"
#include "catalog.h"
#include "filter.h"
#include "parse.h"
#include "rules.h"
#include "rules_yaml.h"
#include "strbuf.h"

#define MW_RULES_MAX 4096      /* rules in one set */
#define MW_FILE_MAX (4u << 20) /* bytes of one rules file */

static int strlist_add(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg)
{
	struct mw_strlist *sl = arg;
	sl->v = mw_rules_grow(sl->v, sl->n + 1, sizeof(*sl->v));
	sl->v[sl->n++] = mw_rules_strdup(val);
	return 0;
}

static int kind_add(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg)
{
	struct mw_match *m = arg;
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++)
		if (!strcmp(val, mw_alert_kind_name(k))) {
			m->kinds |= 1u << k;
			return 0;
		}
	mw_yaml_err(l, n, "kind '%s' is unknown: wx_mapping, wx_mprotect, x_after_w, exec_fileless or device_mapping", val);
	return -1;
}

static int event_add(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg)
{
	struct mw_match *m = arg;
	int id = mw_event_by_name(val);
	if (id < 0 || id >= 64) {
		mw_yaml_err(l, n, "event '%s' is unknown (mapwatch --list names them)", val);
		return -1;
	}
	m->events |= MW_EVBIT(id);
	return 0;
}

static int exe_add(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg)
{
	struct mw_match *m = arg;

	if (val[0] != '/') {
		mw_yaml_err(l, n, "exe '%s' must be an absolute path (it is resolved to device and inode)", val);
		return -1;
	}
	mw_match_add_exe(m, val);
	return 0;
}

void mw_match_add_exe(struct mw_match *m, const char *path)
{
	struct stat st;

	m->exe = mw_rules_grow(m->exe, m->nexe + 1, sizeof(*m->exe));
	struct mw_rule_exe *x = &m->exe[m->nexe++];
	memset(x, 0, sizeof(*x));
	x->path = mw_rules_strdup(path);
	if (stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		x->found = true;
		x->is_dir = S_ISDIR(st.st_mode);
		x->dev = st.st_dev;
		x->ino = st.st_ino;
	}
}

/* Values that src/filter.c already knows how to read (PROT_*, MAP_*, file
 * kinds, errno names, uids, cgroups): one word at a time through it. */
struct via_filter {
	int opt;
	struct mw_filters f;
};

static int filter_add(struct mw_yaml_ld *l, yaml_node_t *n, const char *key, const char *val, void *arg)
{
	struct via_filter *vf = arg;
	char e[256];

	if (strchr(val, ',') || val[0] == '!') {
		mw_yaml_err(l, n, "%s: one value per list item ('%s')", key, val);
		return -1;
	}
	if (mw_filter_add(&vf->f, vf->opt, val, e, sizeof(e))) {
		const char *msg = strncmp(e, "--", 2) ? e : (strchr(e, ' ') ? strchr(e, ' ') + 1 : e);
		mw_yaml_err(l, n, "%s: %s", key, msg);
		return -1;
	}
	return 0;
}

static const struct {
	const char *key;
	int opt;
	uint32_t bit;
} filter_keys[] = {
	{ "uid", MW_OPT_UID, MW_MK_UID },
	{ "cgroup", MW_OPT_CGROUP, MW_MK_CGROUP },
	{ "prot_all", MW_OPT_PROT_ALL, MW_MK_PROT_ALL },
	{ "prot_any", MW_OPT_PROT_ANY, MW_MK_PROT_ANY },
	{ "flags_all", MW_OPT_FLAGS_ALL, MW_MK_FLAGS_ALL },
	{ "flags_any", MW_OPT_FLAGS_ANY, MW_MK_FLAGS_ANY },
	{ "fd_kind", MW_OPT_FDKIND, MW_MK_FDKIND },
	{ "errno", MW_OPT_ERRNO, MW_MK_ERRNO },
};

static const char *const ident_keys[MW_ID_MAX] = { "container", "image", "pod", "namespace" };

/* A copy of the numbers filter.c parsed (uids, cgroup ids) into *v, *n. */
static void keys_of(uint64_t **v, unsigned *n, const struct mw_keyset *ks)
{
	*v = mw_rules_grow(*v, ks->n ? ks->n : 1, sizeof(**v));
	memcpy(*v, ks->v, ks->n * sizeof(**v));
	*n = ks->n;
}

static void from_filter(struct mw_match *m, const struct via_filter *vf)
{
	const struct mw_filters *f = &vf->f;
	switch (vf->opt) {
	case MW_OPT_UID: keys_of(&m->uid, &m->nuid, &f->uid); break;
	case MW_OPT_CGROUP: keys_of(&m->cgroup, &m->ncgroup, &f->cgroup); break;
	case MW_OPT_PROT_ALL: m->prot_all = f->prot_all; break;
	case MW_OPT_PROT_ANY: m->prot_any = f->prot_any; break;
	case MW_OPT_FLAGS_ALL: m->flags_all = f->flags_all; break;
	case MW_OPT_FLAGS_ANY: m->flags_any = f->flags_any; break;
	case MW_OPT_FDKIND: m->fdkind = f->fdkind; break;
	case MW_OPT_ERRNO: memcpy(m->errno_bits, f->errno_bits, sizeof(m->errno_bits)); break;
	}
}

static int u64_of(struct mw_yaml_ld *l, yaml_node_t *n, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = mw_yaml_scalar(l, n, what);
	if (!s)
		return -1;
	if (mw_parse_u64(s, min, max, 1, out)) {
		mw_yaml_err(l, n, "%s: '%s' is not a number from %llu to %llu", what, s, (unsigned long long)min,
		      (unsigned long long)max);
		return -1;
	}
	return 0;
}

static void length_of(struct mw_yaml_ld *l, yaml_node_t *n, struct mw_match *m)
{
	yaml_node_t *k, *v;
	const char *ks;

	m->len_min = 0;
	m->len_max = UINT64_MAX;
	if (!mw_yaml_mapping(l, n, "length", "{min: BYTES, max: BYTES}"))
		return;
	for (yaml_node_pair_t *p = NULL; (ks = mw_yaml_next_pair(l, n, &p, &k, &v));) {
		if (!strcmp(ks, "min"))
			u64_of(l, v, "length.min", 0, UINT64_MAX, &m->len_min);
		else if (!strcmp(ks, "max"))
			u64_of(l, v, "length.max", 0, UINT64_MAX, &m->len_max);
		else
			mw_yaml_err(l, k, "length: unknown key '%s' (min, max)", ks);
	}
	if (m->len_min > m->len_max)
		mw_yaml_err(l, n, "length: min is above max: nothing would match");
}

static void matcher(struct mw_yaml_ld *l, yaml_node_t *n, struct mw_match *m, const char *what)
{
	yaml_node_t *k, *v;
	const char *ks;

	memset(m, 0, sizeof(*m));
	m->line = (unsigned)n->start_mark.line + 1;
	m->col = (unsigned)n->start_mark.column + 1;
	if (!mw_yaml_mapping(l, n, what, "of match keys"))
		return;
	for (yaml_node_pair_t *p = NULL; (ks = mw_yaml_next_pair(l, n, &p, &k, &v));) {
		uint32_t bit = 0;
		if (!strcmp(ks, "kind"))
			bit = MW_MK_KIND, mw_yaml_each(l, v, ks, kind_add, m);
		else if (!strcmp(ks, "event"))
			bit = MW_MK_EVENT, mw_yaml_each(l, v, ks, event_add, m);
		else if (!strcmp(ks, "exe"))
			bit = MW_MK_EXE, mw_yaml_each(l, v, ks, exe_add, m);
		else if (!strcmp(ks, "comm"))
			bit = MW_MK_COMM, mw_yaml_each(l, v, ks, strlist_add, &m->comm);
		else if (!strcmp(ks, "path_prefix"))
			bit = MW_MK_PATH, mw_yaml_each(l, v, ks, strlist_add, &m->path);
		else if (!strcmp(ks, "length"))
			bit = MW_MK_LENGTH, length_of(l, v, m);
		for (unsigned i = 0; !bit && i < MW_ID_MAX; i++)
			if (!strcmp(ks, ident_keys[i]))
				bit = MW_MK_CONTAINER << i, mw_yaml_each(l, v, ks, strlist_add, &m->ident[i]);
		for (size_t i = 0; !bit && i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++)
			if (!strcmp(ks, filter_keys[i].key)) {
				struct via_filter *vf = calloc(1, sizeof(*vf));
				if (!vf)
					mw_rules_oom();
				vf->opt = filter_keys[i].opt;
				bit = filter_keys[i].bit;
				mw_yaml_each(l, v, ks, filter_add, vf);
				from_filter(m, vf);
				free(vf);
			}
		if (!bit) {
			mw_yaml_err(l, k, "%s: unknown key '%s' (kind, event, exe, comm, uid, cgroup, container, image, pod, namespace, prot_all, prot_any, flags_all, flags_any, fd_kind, path_prefix, length, errno)",
			      what, ks);
			continue;
		}
		if (m->has & bit)
			mw_yaml_err(l, k, "%s: '%s' given twice", what, ks);
		m->has |= bit;
	}
}

static void match_free(struct mw_match *m)
{
	for (unsigned i = 0; i < m->nexe; i++)
		free(m->exe[i].path);
	free(m->exe);
	struct mw_strlist *lists[] = { &m->comm, &m->path, &m->ident[0], &m->ident[1], &m->ident[2], &m->ident[3] };
	for (size_t j = 0; j < sizeof(lists) / sizeof(lists[0]); j++) {
		for (unsigned i = 0; i < lists[j]->n; i++)
			free(lists[j]->v[i]);
		free(lists[j]->v);
	}
	free(m->uid);
	free(m->cgroup);
}

static void rule_free(struct mw_rule *r)
{
	free(r->name);
	free(r->description);
	free(r->file);
	free(r->mitre);
	free(r->tags);
	free(r->output);
	match_free(&r->match);
	for (unsigned i = 0; i < r->nexcept; i++)
		match_free(&r->except[i]);
	free(r->except);
}

static const char *const action_names[] = { "alert", "ignore", "kill", "capture" };

const char *mw_rule_action_name(enum mw_rule_action a)
{
	return (unsigned)a < 4 ? action_names[a] : "?";
}

static const char *const template_fields[] = { "rule", "kind", "severity", "comm", "pid", "uid", "exe",
					       "event", "path", "container", NULL };

static void check_template(struct mw_yaml_ld *l, yaml_node_t *n, const char *t)
{
	for (const char *p = t; *p; p++) {
		if (*p != '{')
			continue;
		const char *e = strchr(p, '}');
		bool ok = false;
		for (int i = 0; e && template_fields[i]; i++)
			if ((size_t)(e - p - 1) == strlen(template_fields[i]) && !strncmp(p + 1, template_fields[i], e - p - 1))
				ok = true;
		if (!ok) {
			mw_yaml_err(l, n, "output: '{' at offset %zu starts no known field ({rule} {kind} {severity} {comm} {pid} {uid} {exe} {event} {path} {container})",
			      (size_t)(p - t));
			return;
		}
		p = e;
	}
}

static void tags_of(struct mw_yaml_ld *l, yaml_node_t *n, struct mw_rule *r)
{
	struct mw_strlist sl = { 0 };
	struct strbuf b = { 0 };

	mw_yaml_each(l, n, "tags", strlist_add, &sl);
	sb_putc(&b, '[');
	for (unsigned i = 0; i < sl.n; i++) {
		if (i)
			sb_putc(&b, ',');
		sb_json_str(&b, sl.v[i], strlen(sl.v[i]));
		free(sl.v[i]);
	}
	sb_putc(&b, ']');
	free(sl.v);
	r->tags = mw_rules_strdup(b.p ? b.p : "[]");
	sb_free(&b);
}

static void rate_of(struct mw_yaml_ld *l, yaml_node_t *n, struct mw_rule *r)
{
	uint64_t count = 0, per = 0;
	bool has_count = false, has_per = false;
	int bad = 0;
	yaml_node_t *k, *v;
	const char *ks;

	if (!mw_yaml_mapping(l, n, "rate_limit", "{count: N, per: SECONDS}"))
		return;
	for (yaml_node_pair_t *p = NULL; (ks = mw_yaml_next_pair(l, n, &p, &k, &v));) {
		if (!strcmp(ks, "count"))
			has_count = true, bad |= u64_of(l, v, "rate_limit.count", 1, UINT32_MAX, &count);
		else if (!strcmp(ks, "per"))
			has_per = true, bad |= u64_of(l, v, "rate_limit.per", 1, 86400, &per);
		else
			mw_yaml_err(l, k, "rate_limit: unknown key '%s' (count, per)", ks);
	}
	if (!has_count || !has_per) {
		mw_yaml_err(l, n, "rate_limit needs both count and per (seconds)");
		return;
	}
	if (bad)
		return;
	r->rate_count = (uint32_t)count;
	r->rate_per_ns = per * 1000000000ull;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 63)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.' || *p == ':'))
			return false;
	return true;
}

struct mw_rule *mw_rule_append(struct mw_ruleset *rs)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->r = mw_rules_grow(rs->r, rs->cap, sizeof(*rs->r));
	}
	struct mw_rule *r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	r->severity = -1;
	return r;
}

static void one_rule(struct mw_yaml_ld *l, yaml_node_t *n)
{
	if (!mw_yaml_mapping(l, n, "a rule", "(name, match, action, ...)"))
		return;
	if (l->rs->n >= MW_RULES_MAX) {
		mw_yaml_err(l, n, "more than %d rules", MW_RULES_MAX);
		return;
	}
	unsigned before = l->errors;
	struct mw_rule *r = mw_rule_append(l->rs);
	r->file = mw_rules_strdup(l->file);
	r->line = (unsigned)n->start_mark.line + 1;
	r->col = (unsigned)n->start_mark.column + 1;
	r->builtin = l->builtin;
	uint32_t seen = 0;
	static const char *const keys[] = { "name", "description", "match", "except", "action", "severity",
					    "mitre", "tags", "output", "rate_limit", NULL };
	yaml_node_t *k, *v;
	const char *ks, *s;
	for (yaml_node_pair_t *p = NULL; (ks = mw_yaml_next_pair(l, n, &p, &k, &v));) {
		int which = -1;
		for (int i = 0; keys[i]; i++)
			if (!strcmp(ks, keys[i]))
				which = i;
		if (which < 0) {
			mw_yaml_err(l, k, "unknown key '%s' in a rule (name, description, match, except, action, severity, mitre, tags, output, rate_limit)", ks);
			continue;
		}
		if (seen & (1u << which)) {
			mw_yaml_err(l, k, "'%s' given twice", ks);
			continue;
		}
		seen |= 1u << which;
		switch (which) {
		case 0:
			if ((s = mw_yaml_scalar(l, v, "name")) && !name_ok(s))
				mw_yaml_err(l, v, "name '%s': 1 to 63 of A-Z a-z 0-9 _ - . :", s);
			else if (s)
				r->name = mw_rules_strdup(s);
			break;
		case 1:
			if ((s = mw_yaml_scalar(l, v, "description")))
				r->description = mw_rules_strdup(s);
			break;
		case 2:
			matcher(l, v, &r->match, "match");
			break;
		case 3:
			if (v->type != YAML_SEQUENCE_NODE) {
				mw_yaml_err(l, v, "except must be a list of matchers");
				break;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				if (r->nexcept >= MW_LIST_MAX) {
					mw_yaml_err(l, v, "except: more than %d matchers", MW_LIST_MAX);
					break;
				}
				r->except = mw_rules_grow(r->except, r->nexcept + 1, sizeof(*r->except));
				matcher(l, mw_yaml_node(l, *it), &r->except[r->nexcept++], "except");
			}
			break;
		case 4:
			if (!(s = mw_yaml_scalar(l, v, "action")))
				break;
			r->action = (enum mw_rule_action)-1;
			for (int i = 0; i < 4; i++)
				if (!strcmp(s, action_names[i]))
					r->action = (enum mw_rule_action)i;
			if ((int)r->action < 0) {
				mw_yaml_err(l, v, "action '%s' is unknown: alert, ignore, kill or capture", s);
				r->action = MW_RA_ALERT;
			}
			break;
		case 5:
			if (!(s = mw_yaml_scalar(l, v, "severity")))
				break;
			for (int i = 0; i < 3; i++)
				if (!strcmp(s, mw_alert_severity_name(i)))
					r->severity = i;
			if (r->severity < 0)
				mw_yaml_err(l, v, "severity '%s' is unknown: info, medium or high", s);
			break;
		case 6:
			if (!(s = mw_yaml_scalar(l, v, "mitre")))
				break;
			if (s[0] != 'T' || strlen(s) > 16 || strspn(s + 1, "0123456789.") != strlen(s + 1) || !s[1])
				mw_yaml_err(l, v, "mitre '%s' is no ATT&CK technique id (T1055, T1027.002)", s);
			else
				r->mitre = mw_rules_strdup(s);
			break;
		case 7:
			tags_of(l, v, r);
			break;
		case 8:
			if ((s = mw_yaml_scalar(l, v, "output"))) {
				check_template(l, v, s);
				r->output = mw_rules_strdup(s);
			}
			break;
		case 9:
			rate_of(l, v, r);
			break;
		}
	}
	if (!(seen & 1))
		mw_yaml_err(l, n, "a rule needs a name");
	if (!(seen & (1u << 2)))
		r->match.line = r->line, r->match.col = r->col;
	if (r->action == MW_RA_IGNORE && (r->severity >= 0 || r->mitre || r->output || r->rate_count || r->tags))
		mw_yaml_err(l, n, "rule '%s': an ignore rule writes nothing: severity, mitre, tags, output and rate_limit make no sense on it",
		      r->name ? r->name : "?");
	if (l->errors != before) {
		rule_free(r); /* a rule with errors is not kept */
		l->rs->n--;
	}
}

unsigned mw_rules_parse(struct mw_ruleset *rs, const char *name, const char *text, size_t len, bool builtin,
			mw_rules_err_fn err, void *ctx)
{
	struct mw_yaml_ld l = { .rs = rs, .file = name, .builtin = builtin, .err = err, .ctx = ctx };
	yaml_parser_t p;
	yaml_document_t doc;

	if (!yaml_parser_initialize(&p)) {
		mw_yaml_err(&l, NULL, "out of memory");
		return l.errors;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		yaml_node_t at = { .start_mark = p.problem_mark };
		mw_yaml_err(&l, &at, "not YAML: %s%s%s", p.problem ? p.problem : "parse error", p.context ? " " : "",
		      p.context ? p.context : "");
		yaml_parser_delete(&p);
		rs->errors += l.errors;
		return l.errors;
	}
	l.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		mw_yaml_err(&l, NULL, "empty: a rules file is a mapping with the key 'rules'");
	} else if (root->type != YAML_MAPPING_NODE) {
		mw_yaml_err(&l, root, "a rules file is a mapping with the key 'rules' (a list of rules)");
	} else {
		bool got = false;
		yaml_node_t *k, *v;
		const char *ks;
		for (yaml_node_pair_t *pr = NULL; (ks = mw_yaml_next_pair(&l, root, &pr, &k, &v));) {
			if (strcmp(ks, "rules")) {
				mw_yaml_err(&l, k, "unknown key '%s' at the top (only 'rules')", ks);
				continue;
			}
			if (got) {
				mw_yaml_err(&l, k, "'rules' given twice");
				continue;
			}
			got = true;
			if (v->type != YAML_SEQUENCE_NODE) {
				mw_yaml_err(&l, v, "'rules' must be a list of rules");
				continue;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
				one_rule(&l, mw_yaml_node(&l, *it));
		}
		if (!got)
			mw_yaml_err(&l, root, "no 'rules' key: nothing to load");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	rs->errors += l.errors;
	return l.errors;
}

static unsigned load_file(struct mw_ruleset *rs, const char *path, mw_rules_err_fn err, void *ctx)
{
	struct mw_yaml_ld l = { .file = path, .err = err, .ctx = ctx };
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		mw_yaml_err(&l, NULL, "cannot open it: %s", strerror(errno));
		return l.errors;
	}
	buf = malloc(MW_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		mw_yaml_err(&l, NULL, "out of memory");
		return l.errors;
	}
	n = fread(buf, 1, MW_FILE_MAX + 1, f);
	if (ferror(f))
		mw_yaml_err(&l, NULL, "cannot read it: %s", strerror(errno));
	else if (n > MW_FILE_MAX)
		mw_yaml_err(&l, NULL, "larger than %u bytes: not a rules file?", MW_FILE_MAX);
	fclose(f);
	if (!l.errors)
		l.errors = mw_rules_parse(rs, path, buf, n, false, err, ctx);
	free(buf);
	return l.errors;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

unsigned mw_rules_load_path(struct mw_ruleset *rs, const char *path, mw_rules_err_fn err, void *ctx)
{
	struct stat st;
	struct mw_yaml_ld l = { .file = path, .err = err, .ctx = ctx };

	if (stat(path, &st)) {
		mw_yaml_err(&l, NULL, "cannot stat it: %s (give a rules file or a directory of *.yaml)", strerror(errno));
		return l.errors;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(rs, path, err, ctx);
	DIR *d = opendir(path);
	if (!d) {
		mw_yaml_err(&l, NULL, "cannot list it: %s", strerror(errno));
		return l.errors;
	}
	char **names = NULL;
	size_t nn = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		names = mw_rules_grow(names, nn + 1, sizeof(*names));
		if (asprintf(&names[nn], "%s/%s", path, de->d_name) < 0)
			mw_rules_oom();
		nn++;
	}
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof(*names), name_cmp);
	unsigned errors = 0;
	for (size_t i = 0; i < nn; i++) {
		errors += load_file(rs, names[i], err, ctx);
		free(names[i]);
	}
	free(names);
	if (!nn)
		mw_yaml_err(&l, NULL, "no *.yaml file in this directory");
	return errors + l.errors;
}

struct mw_ruleset *mw_ruleset_new(void)
{
	return calloc(1, sizeof(struct mw_ruleset));
}

void mw_ruleset_free(struct mw_ruleset *rs)
{
	if (!rs)
		return;
	for (unsigned i = 0; i < rs->n; i++)
		rule_free(&rs->r[i]);
	free(rs->r);
	for (unsigned i = 0; i < rs->nallow; i++)
		free(rs->allow[i]);
	free(rs->allow);
	free(rs);
}

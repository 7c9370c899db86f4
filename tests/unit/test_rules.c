/* test_rules.c - the rules parser (src/rules.c): the format, each error with its place, the kill checks, the shorthands, the embedded defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alert.h"
#include "catalog.h"
#include "rules.h"
#include "rules_compile.h"
#include "t.h"

struct errs {
	int n;
	char all[8192];
};

static void collect(void *ctx, const char *line)
{
	struct errs *e = ctx;
	size_t len = strlen(e->all);
	e->n++;
	snprintf(e->all + len, sizeof(e->all) - len, "%s\n", line);
}

/* Parse text as "t.yaml" and finish; the set (NULL after errors) and the errors in *e. */
static struct mw_ruleset *parse(const char *text, struct errs *e)
{
	struct mw_ruleset *rs = mw_ruleset_new();
	memset(e, 0, sizeof(*e));
	unsigned n = mw_rules_parse(rs, "t.yaml", text, strlen(text), false, collect, e);
	n += mw_rules_finish(rs, collect, e);
	CHECK_INT(n, e->n);
	if (n) {
		mw_ruleset_free(rs);
		return NULL;
	}
	return rs;
}

/* The text has exactly one error, at line:col, whose message contains want. */
static void one_error(const char *text, const char *where, const char *want)
{
	struct errs e;
	struct mw_ruleset *rs = parse(text, &e);
	CHECK(rs == NULL);
	CHECK_INT(e.n, 1);
	if (e.n != 1)
		fprintf(stderr, "  for %s: %s", where, e.all);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "t.yaml:%s: ", where);
	if (strncmp(e.all, prefix, strlen(prefix)) || !strstr(e.all, want)) {
		t_failed_checks++;
		fprintf(stderr, "  want %s...%s, got: %s", prefix, want, e.all);
	}
	mw_ruleset_free(rs);
}

TEST(rules_full_rule)
{
	struct errs e;
	struct mw_ruleset *rs = parse(
		"rules:\n"
		"  - name: loader\n"
		"    description: a staged loader\n"
		"    match:\n"
		"      kind: [wx_mapping, x_after_w]\n"
		"      event: [mmap, mprotect]\n"
		"      comm: evil\n"
		"      uid: [0, 1000]\n"
		"      prot_all: [PROT_WRITE, PROT_EXEC]\n"
		"      prot_any: X\n"
		"      flags_any: [MAP_ANONYMOUS]\n"
		"      fd_kind: [memfd, anon]\n"
		"      path_prefix: /dev/shm/\n"
		"      length: {min: 4096, max: 1M}\n"
		"      errno: [EACCES]\n"
		"      container: web\n"
		"      image: nginx\n"
		"      pod: web-1\n"
		"      namespace: prod\n"
		"    except:\n"
		"      - comm: ok\n"
		"      - uid: 5\n"
		"    action: capture\n"
		"    severity: high\n"
		"    mitre: T1055.001\n"
		"    tags: [a, \"b\\\"c\"]\n"
		"    output: \"{rule}: {comm} {pid}\"\n"
		"    rate_limit: {count: 5, per: 60}\n", &e);
	CHECK(rs != NULL);
	if (!rs) {
		fputs(e.all, stderr);
		return;
	}
	CHECK_INT(rs->n, 1);
	const struct mw_rule *r = &rs->r[0];
	CHECK_STR(r->name, "loader");
	CHECK_STR(r->description, "a staged loader");
	CHECK_INT(r->line, 2);
	CHECK_INT(r->col, 5);
	CHECK_INT(r->match.kinds, (1u << MW_AL_WX_MAPPING) | (1u << MW_AL_X_AFTER_W));
	CHECK(r->match.events & MW_EVBIT(mw_event_by_name("mprotect")));
	CHECK(!(r->match.events & MW_EVBIT(mw_event_by_name("munmap"))));
	CHECK_INT(r->match.comm.n, 1);
	CHECK_INT(r->match.nuid, 2);
	CHECK_INT(r->match.uid[1], 1000);
	CHECK_INT(r->match.prot_all, 6);
	CHECK_INT(r->match.prot_any, 4);
	CHECK_INT(r->match.flags_any, 0x20);
	CHECK(r->match.fdkind & (1u << MW_FK_MEMFD));
	CHECK_STR(r->match.path.v[0], "/dev/shm/");
	CHECK_INT(r->match.len_min, 4096);
	CHECK_INT(r->match.len_max, 1 << 20);
	CHECK(r->match.errno_bits[0] & (1ull << 13));
	CHECK_STR(r->match.ident[MW_ID_NAMESPACE].v[0], "prod");
	CHECK_INT(r->nexcept, 2);
	CHECK_INT(r->except[1].nuid, 1);
	CHECK_INT(r->action, MW_RA_CAPTURE);
	CHECK_INT(r->severity, MW_SEV_HIGH);
	CHECK_STR(r->mitre, "T1055.001");
	CHECK_STR(r->tags, "[\"a\",\"b\\\"c\"]");
	CHECK_STR(r->output, "{rule}: {comm} {pid}");
	CHECK_INT(r->rate_count, 5);
	CHECK_INT(r->rate_per_ns, 60000000000ull);
	CHECK(!rs->kill_wx);
	CHECK_INT(rs->nallow, 0);
	mw_ruleset_free(rs);
}

TEST(rules_errors_have_places)
{
	one_error("rules: [\n", "2:1", "not YAML");
	one_error("", "1:1", "empty");
	one_error("- a\n", "1:1", "mapping with the key 'rules'");
	one_error("rules: []\nrule: x\n", "2:1", "unknown key 'rule'");
	one_error("rules: {}\n", "1:8", "must be a list of rules");
	one_error("rules:\n  - name: a\n    colour: red\n", "3:5", "unknown key 'colour'");
	one_error("rules:\n  - name: a\n    match: {kind: nope}\n", "3:19", "kind 'nope' is unknown");
	one_error("rules:\n  - name: a\n    match: {event: mmapx}\n", "3:20", "event 'mmapx' is unknown");
	one_error("rules:\n  - name: a\n    match: {shape: round}\n", "3:13", "unknown key 'shape'");
	one_error("rules:\n  - name: a\n    match: {prot_all: [W, Q]}\n", "3:27", "prot_all");
	one_error("rules:\n  - name: a\n    match: {prot_all: \"W,X\"}\n", "3:23", "one value per list item");
	one_error("rules:\n  - name: a\n    match: {comm: []}\n", "3:19", "an empty list matches nothing");
	one_error("rules:\n  - name: a\n    match: {exe: bin/ls}\n", "3:18", "absolute path");
	one_error("rules:\n  - name: a\n    match: {length: {min: 9, max: 1}}\n", "3:21", "min is above max");
	one_error("rules:\n  - name: a\n    match: {length: {least: 9}}\n", "3:22", "unknown key 'least'");
	one_error("rules:\n  - name: a\n    match: {uid: -1}\n", "3:18", "uid");
	one_error("rules:\n  - name: a\n    action: explode\n", "3:13", "action 'explode'");
	one_error("rules:\n  - name: a\n    severity: urgent\n", "3:15", "severity 'urgent'");
	one_error("rules:\n  - name: a\n    mitre: X1\n", "3:12", "ATT&CK");
	one_error("rules:\n  - name: a\n    output: \"{nope}\"\n", "3:13", "no known field");
	one_error("rules:\n  - name: a\n    rate_limit: {count: 3}\n", "3:17", "needs both");
	one_error("rules:\n  - name: a\n    rate_limit: {count: 0, per: 1}\n", "3:25", "rate_limit.count");
	one_error("rules:\n  - name: a b\n", "2:11", "name 'a b'");
	one_error("rules:\n  - description: x\n", "2:5", "needs a name");
	one_error("rules:\n  - name: a\n    name: b\n", "3:5", "given twice");
	one_error("rules:\n  - name: a\n    except: {comm: x}\n", "3:13", "list of matchers");
	one_error("rules:\n  - name: a\n  - name: a\n", "3:5", "used twice");
	one_error("rules:\n  - name: a\n    action: ignore\n    severity: high\n", "2:5", "an ignore rule writes nothing");
	one_error("rules:\n  - name: a\n    match: {comm: \"a\\0b\"}\n", "3:19", "NUL");
}

TEST(rules_kill_checks)
{
	struct errs e;
	struct mw_ruleset *rs = parse("rules:\n  - name: k\n    match: {kind: [wx_mapping, wx_mprotect]}\n"
				      "    except: [{exe: /}]\n    action: kill\n", &e);
	CHECK(rs && rs->kill_wx);
	CHECK(rs && rs->nallow == 1 && !strcmp(rs->allow[0], "/"));
	mw_ruleset_free(rs);
	one_error("rules:\n  - name: k\n    action: kill\n", "2:5", "only W+X requests");
	one_error("rules:\n  - name: k\n    match: {kind: exec_fileless}\n    action: kill\n", "2:5", "only W+X");
	one_error("rules:\n  - name: k\n    match: {kind: wx_mapping, comm: x}\n    action: kill\n", "2:5", "need user space");
	one_error("rules:\n  - name: k\n    match: {kind: wx_mapping}\n    except: [{comm: x}]\n    action: kill\n", "2:5",
		  "can only name exe");
	one_error("rules:\n  - name: k\n    match: {kind: wx_mapping}\n    rate_limit: {count: 1, per: 1}\n    action: kill\n",
		  "2:5", "rate-limit");
	/* what comes before a kill rule must be decided in the kernel too */
	one_error("rules:\n  - name: a\n    match: {comm: x}\n    action: ignore\n"
		  "  - name: k\n    match: {kind: wx_mapping}\n    action: kill\n", "2:5", "comes before kill rule 'k'");
	rs = parse("rules:\n  - name: a\n    match: {exe: /}\n    action: ignore\n"
		   "  - name: f\n    match: {kind: exec_fileless, comm: x}\n"
		   "  - name: k\n    match: {kind: wx_mapping}\n    action: kill\n", &e);
	CHECK(rs && rs->kill_wx && rs->nallow == 1);
	mw_ruleset_free(rs);
	/* an ignore by exe is the kernel's allow list (all of its alerts) only at the top */
	one_error("rules:\n  - name: f\n    match: {kind: exec_fileless}\n"
		  "  - name: a\n    match: {exe: /}\n    action: ignore\n"
		  "  - name: k\n    match: {kind: wx_mapping}\n    action: kill\n", "4:5", "put it before every other rule");
	rs = parse("rules:\n  - name: f\n    match: {kind: exec_fileless}\n"
		   "  - name: a\n    match: {exe: /}\n    action: ignore\n", &e);
	CHECK(rs && !rs->kill_wx && rs->nallow == 0); /* judged in user space: f comes first */
	mw_ruleset_free(rs);
}

TEST(rules_exe_resolved_at_load)
{
	char dir[] = "/tmp/mw-rules-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char file[64], link[64], text[512];
	snprintf(file, sizeof(file), "%s/prog", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	FILE *f = fopen(file, "w");
	fclose(f);
	CHECK(symlink(file, link) == 0);
	snprintf(text, sizeof(text), "rules:\n  - name: a\n    match: {exe: [%s, %s, %s/missing, %s]}\n    action: ignore\n", file, link, dir, dir);
	struct errs e;
	struct mw_ruleset *rs = parse(text, &e);
	struct stat st;
	stat(file, &st);
	CHECK(rs && rs->r[0].match.nexe == 4);
	if (rs && rs->r[0].match.nexe == 4) {
		const struct mw_rule_exe *x = rs->r[0].match.exe;
		CHECK(x[0].found && !x[0].is_dir && x[0].ino == st.st_ino);
		CHECK(x[1].found && x[1].ino == st.st_ino); /* the link's target */
		CHECK(!x[2].found);                         /* missing on this host: matches nothing */
		CHECK(x[3].found && x[3].is_dir);
		/* an exe-only ignore rule goes to the kernel's allow list (missing paths left out) */
		CHECK_INT(rs->nallow, 3);
	}
	mw_ruleset_free(rs);
	unlink(link);
	unlink(file);
	rmdir(dir);
}

TEST(rules_directory_in_name_order)
{
	char dir[] = "/tmp/mw-rules-XXXXXX", p[96];
	CHECK(mkdtemp(dir) != NULL);
	const char *names[] = { "20-b.yaml", "10-a.yaml", "30-c.yml" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		FILE *f = fopen(p, "w");
		fprintf(f, "rules:\n  - name: r%d\n", i);
		fclose(f);
	}
	struct mw_ruleset *rs = mw_ruleset_new();
	struct errs e = { 0 };
	CHECK_INT(mw_rules_load_path(rs, dir, collect, &e), 0);
	CHECK_INT(rs->n, 2); /* .yml is not .yaml */
	if (rs->n == 2) {
		CHECK_STR(rs->r[0].name, "r1");
		CHECK_STR(rs->r[1].name, "r0");
		CHECK(strstr(rs->r[0].file, "10-a.yaml") != NULL);
	}
	mw_ruleset_free(rs);
	rs = mw_ruleset_new();
	snprintf(p, sizeof(p), "%s/none", dir);
	CHECK_INT(mw_rules_load_path(rs, p, collect, &e), 1);
	CHECK(strstr(e.all, "/none:1:1: cannot stat it") != NULL);
	mw_ruleset_free(rs);
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rs = mw_ruleset_new();
	CHECK_INT(mw_rules_load_path(rs, dir, collect, &e), 1); /* empty: an error, not a silent no-op */
	mw_ruleset_free(rs);
	rmdir(dir);
}

TEST(rules_defaults_and_shorthands)
{
	struct mw_ruleset *rs = mw_ruleset_new();
	struct errs e = { 0 };
	const char *allow[] = { "/" };
	CHECK_INT(mw_rules_build(rs, NULL, 0, allow, 1, true, collect, &e), 0);
	fputs(e.all, stderr);
	/* allow, kill-wx, then the defaults: the JIT exemption and one rule per kind */
	CHECK_INT(rs->n, 2 + 1 + MW_AL_KIND_MAX);
	CHECK_STR(rs->r[0].name, "allow");
	CHECK_STR(rs->r[1].name, "kill-wx");
	CHECK_STR(rs->r[2].name, "jit-runtimes");
	CHECK(rs->r[2].builtin && rs->r[0].builtin);
	CHECK(rs->kill_wx);
	CHECK_INT(rs->nallow, 1);
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++) {
		const struct mw_rule *r = &rs->r[3 + k];
		CHECK_INT(r->action, MW_RA_ALERT);
		CHECK_INT(r->match.kinds, 1u << k); /* in the order of enum mw_alert_kind */
		CHECK_INT(r->severity, -1);          /* the kind's own: today's alerts exactly */
		CHECK(r->mitre == NULL && r->output == NULL && !r->rate_count);
	}
	mw_ruleset_free(rs);
	CHECK_INT(mw_default_rules[mw_default_rules_len], 0);
}

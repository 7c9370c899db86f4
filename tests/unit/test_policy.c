/* test_policy.c - evaluation (src/policy.c): each matcher, except, first match, each action, rate limits, output templates, the swap of a reloaded set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "alert.h"
#include "catalog.h"
#include "metrics.h"
#include "policy.h"
#include "rules.h"
#include "rules_compile.h"
#include "t.h"
#include "t_event.h"
#include "strbuf.h"

static void no_err(void *ctx, const char *line)
{
	fprintf(stderr, "  unexpected rules error: %s\n", line);
	t_failed_checks++;
}

static struct mw_policy *policy_of(const char *text)
{
	struct mw_ruleset *rs = mw_ruleset_new();
	mw_rules_parse(rs, "t.yaml", text, strlen(text), false, no_err, NULL);
	mw_rules_finish(rs, no_err, NULL);
	return mw_policy_new(rs);
}

/* The mmap of 4096 bytes RWX anonymous by pid 42 "prog", and its wx_mapping alert. */
struct ctx {
	struct mw_event e;
	struct mw_view v;
	struct mw_alert al;
};

static void mmap_wx(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->e = t_event(MW_EV_MMAP, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		       (uint64_t)-1, 0, 0x7f0000000000);
	c->v.e = &c->e;
	c->al.kind = MW_AL_WX_MAPPING;
	c->al.severity = MW_SEV_HIGH;
	c->al.mitre = "T1055";
}

/* The rule that decides c's alert under a policy with one rule "r" whose match is m: 1 matched, 0 not. */
static int matches(const char *m, struct ctx *c)
{
	char text[1024];
	snprintf(text, sizeof(text), "rules:\n  - name: r\n    match: %s\n", m);
	struct mw_policy *p = policy_of(text);
	struct mw_alert al = c->al;
	int r = mw_policy_judge(p, &c->v, &al, 0, 1) == MW_PV_EMIT;
	mw_policy_free(p);
	return r;
}

TEST(policy_each_matcher)
{
	struct ctx c;
	mmap_wx(&c);
	CHECK(matches("{}", &c));
	CHECK(matches("{kind: wx_mapping}", &c));
	CHECK(!matches("{kind: [x_after_w, exec_fileless]}", &c));
	CHECK(matches("{event: [mprotect, mmap]}", &c));
	CHECK(!matches("{event: mprotect}", &c));
	CHECK(matches("{comm: prog}", &c));
	CHECK(!matches("{comm: pro}", &c));
	CHECK(matches("{uid: [7, 0]}", &c));
	CHECK(!matches("{uid: 7}", &c));
	c.e.cgroup_id = 1234;
	CHECK(matches("{cgroup: 1234}", &c));
	CHECK(!matches("{cgroup: 1235}", &c));
	CHECK(matches("{prot_all: [W, X]}", &c));
	CHECK(matches("{prot_any: [X]}", &c));
	CHECK(matches("{flags_all: [MAP_PRIVATE, MAP_ANONYMOUS]}", &c));
	CHECK(!matches("{flags_any: [MAP_SHARED, MAP_FIXED]}", &c));
	CHECK(matches("{length: {min: 4096, max: 4096}}", &c));
	CHECK(!matches("{length: {min: 4097}}", &c));
	CHECK(!matches("{length: {max: 4095}}", &c));
	CHECK(!matches("{errno: EACCES}", &c)); /* it succeeded */
	CHECK(!matches("{fd_kind: memfd}", &c));
	CHECK(!matches("{path_prefix: /dev/shm/}", &c));
	/* container / Kubernetes identity: no match while nothing provides it */
	CHECK(!matches("{container: web}", &c));
	CHECK(!matches("{namespace: prod}", &c));

	/* a failed mprotect of a memfd region */
	c.e = t_event(MW_EV_MPROTECT, 0x1000, 8192, PROT_READ | PROT_EXEC, 0, 0, 0, -13);
	c.e.file.kind = MW_FK_MEMFD;
	c.v.path = "/dev/shm/x (deleted)";
	c.al.kind = MW_AL_X_AFTER_W;
	CHECK(matches("{errno: [EPERM, EACCES]}", &c));
	CHECK(!matches("{errno: EPERM}", &c));
	CHECK(matches("{fd_kind: [memfd]}", &c));
	CHECK(matches("{path_prefix: [/tmp/, /dev/shm/]}", &c));
	CHECK(matches("{prot_all: [R, X]}", &c));
	CHECK(!matches("{prot_any: [W]}", &c));
	CHECK(!matches("{flags_any: [MAP_PRIVATE]}", &c)); /* mprotect has no mmap flags: no match */
	CHECK(matches("{length: {min: 8192}}", &c));
}

static const char *fake_ident(const struct mw_view *v, enum mw_ident_key k)
{
	static const char *const vals[MW_ID_MAX] = { "web", "nginx:1.25", "web-7f9", "prod" };
	return v->e->pid == 42 ? vals[k] : NULL;
}

TEST(policy_identity_accessor)
{
	struct ctx c;
	mmap_wx(&c);
	struct mw_policy *p = policy_of("rules:\n  - name: r\n    match: {container: web, image: \"nginx:1.25\", pod: web-7f9, namespace: prod}\n");
	mw_policy_set_ident(p, fake_ident);
	struct mw_alert al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	c.e.pid = 43;
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	mw_policy_free(p);
}

TEST(policy_exe_identity)
{
	char dir[] = "/tmp/mw-pol-XXXXXX", prog[64], copy[64], pdir[96], exe[128], text[512];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(prog, sizeof(prog), "%s/jit", dir);
	snprintf(copy, sizeof(copy), "%s/copy-of-jit", dir);
	FILE *f = fopen(prog, "w");
	fputs("x", f);
	fclose(f);
	f = fopen(copy, "w");
	fputs("x", f);
	fclose(f);
	/* a proc root of our own: 42/exe and 43/exe */
	snprintf(pdir, sizeof(pdir), "%s/proc/42", dir);
	CHECK(mkdir(strrchr(pdir, '/') ? (snprintf(exe, sizeof(exe), "%s/proc", dir), exe) : exe, 0700) == 0);
	CHECK(mkdir(pdir, 0700) == 0);
	snprintf(exe, sizeof(exe), "%s/exe", pdir);
	CHECK(symlink(prog, exe) == 0);
	snprintf(pdir, sizeof(pdir), "%s/proc/43", dir);
	CHECK(mkdir(pdir, 0700) == 0);
	snprintf(exe, sizeof(exe), "%s/exe", pdir);
	CHECK(symlink(copy, exe) == 0);
	/* their roots: the host's */
	snprintf(exe, sizeof(exe), "%s/proc/42/root", dir);
	CHECK(symlink("/", exe) == 0);
	snprintf(exe, sizeof(exe), "%s/proc/43/root", dir);
	CHECK(symlink("/", exe) == 0);

	snprintf(text, sizeof(text),
		 "rules:\n  - name: jit\n    match: {kind: wx_mapping, exe: %s}\n    action: ignore\n"
		 "  - name: wx\n    match: {kind: wx_mapping}\n", prog);
	struct mw_policy *p = policy_of(text);
	snprintf(exe, sizeof(exe), "%s/proc", dir);
	mw_policy_set_proc_root(p, exe);
	struct ctx c;
	mmap_wx(&c);
	c.v.exe = prog;
	struct mw_alert al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	/* the same bytes under another inode, claiming the JIT's path and name: still alerts */
	c.e.pid = c.e.tid = 43;
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	CHECK_STR(al.rule, "wx");
	/* an exec forgets the cached identity */
	struct mw_task_rec tr = { .type = MW_REC_EXEC, .pid = 42 };
	mw_policy_task(p, &tr);
	c.e.pid = c.e.tid = 42;
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	mw_policy_free(p);

	/* a directory covers what is below it (along the reported path, in the process's root) */
	snprintf(text, sizeof(text), "rules:\n  - name: jit\n    match: {exe: %s}\n    action: ignore\n  - name: wx\n", dir);
	p = policy_of(text);
	snprintf(exe, sizeof(exe), "%s/proc", dir);
	mw_policy_set_proc_root(p, exe);
	c.e.pid = 43;
	c.v.exe = copy;
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	mw_policy_free(p);

	/* a path that leads to another file now (replaced, or another root's): the file alone */
	snprintf(text, sizeof(text), "rules:\n  - name: jit\n    match: {exe: %s}\n    action: ignore\n  - name: wx\n", dir);
	p = policy_of(text);
	snprintf(exe, sizeof(exe), "%s/proc", dir);
	mw_policy_set_proc_root(p, exe);
	c.e.pid = 43;
	c.v.exe = prog; /* 43's exe is the copy */
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	mw_policy_free(p);

	snprintf(exe, sizeof(exe), "%s/proc/42/root", dir), unlink(exe);
	snprintf(exe, sizeof(exe), "%s/proc/43/root", dir), unlink(exe);
	snprintf(exe, sizeof(exe), "%s/proc/42/exe", dir), unlink(exe);
	snprintf(exe, sizeof(exe), "%s/proc/43/exe", dir), unlink(exe);
	snprintf(exe, sizeof(exe), "%s/proc/42", dir), rmdir(exe);
	snprintf(exe, sizeof(exe), "%s/proc/43", dir), rmdir(exe);
	snprintf(exe, sizeof(exe), "%s/proc", dir), rmdir(exe);
	unlink(prog);
	unlink(copy);
	rmdir(dir);
}

TEST(policy_first_match_and_except)
{
	struct ctx c;
	mmap_wx(&c);
	struct mw_policy *p = policy_of(
		"rules:\n"
		"  - name: quiet-prog\n    match: {comm: prog}\n    except: [{uid: 0}]\n    action: ignore\n"
		"  - name: first\n    match: {kind: wx_mapping}\n    severity: medium\n"
		"  - name: second\n    match: {kind: wx_mapping}\n    severity: info\n");
	struct mw_alert al = c.al;
	/* uid 0 is excepted from quiet-prog: first decides, second never sees it */
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	CHECK_STR(al.rule, "first");
	CHECK_INT(al.severity, MW_SEV_MEDIUM);
	c.e.uid = 1000;
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	const struct mw_ruleset *rs = mw_policy_rules(p);
	CHECK_INT(rs->r[0].st.matched, 1);
	CHECK_INT(rs->r[1].st.matched, 1);
	CHECK_INT(rs->r[2].st.matched, 0);
	/* no rule for exec_fileless: not written, counted */
	al = c.al;
	al.kind = MW_AL_EXEC_FILELESS;
	c.e.uid = 0;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_IGNORE);
	CHECK_INT(mw_policy_unmatched(p), 1);
	mw_policy_free(p);
}

TEST(policy_actions)
{
	struct ctx c;
	mmap_wx(&c);
	struct mw_policy *p = policy_of(
		"rules:\n"
		"  - name: kill-it\n    match: {kind: wx_mapping}\n    action: kill\n"
		"  - name: grab\n    match: {kind: wx_mprotect}\n    action: capture\n    mitre: T1620\n    tags: [x]\n"
		"    output: \"{rule} {kind} {severity} {comm} {pid} {uid} {exe} {event} {path} {container} end\"\n");
	CHECK(mw_policy_rules(p)->kill_wx);
	/* a kill the kernel made: decided by the kill rule */
	c.e.flags |= MW_F_ENFORCED;
	struct mw_alert al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	CHECK_STR(al.rule, "kill-it");
	CHECK(al.rule_in_table);
	CHECK(!al.capture);
	/* capture: written with the request flag, the rule's MITRE id, tags and text */
	c.e.flags = 0;
	c.e.event = MW_EV_MPROTECT;
	c.v.exe = "/bin/x";
	al = c.al;
	al.kind = MW_AL_WX_MPROTECT;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 1, 1), MW_PV_EMIT);
	CHECK(al.capture);
	CHECK_STR(al.mitre, "T1620");
	CHECK_STR(al.tags, "[\"x\"]");
	CHECK_STR(al.message, "grab wx_mprotect high prog 42 0 /bin/x mprotect   end");
	mw_policy_free(p);
}

TEST(policy_rate_limit)
{
	struct ctx c;
	mmap_wx(&c);
	struct mw_policy *p = policy_of("rules:\n  - name: wx\n    rate_limit: {count: 3, per: 10}\n");
	int emitted = 0, limited = 0;
	uint64_t s = 1000000000ull;
	for (int i = 0; i < 10; i++) { /* 10 in the first second */
		struct mw_alert al = c.al;
		int v = mw_policy_judge(p, &c.v, &al, 0, s + (uint64_t)i * 100000000ull);
		emitted += v == MW_PV_EMIT;
		limited += v == MW_PV_LIMITED;
	}
	CHECK_INT(emitted, 3);
	CHECK_INT(limited, 7);
	struct mw_alert al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, s + 9999999999ull), MW_PV_LIMITED); /* still the same 10 s */
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, s + 10000000000ull), MW_PV_EMIT);   /* the next window */
	const struct mw_rule *r = &mw_policy_rules(p)->r[0];
	CHECK_INT(r->st.matched, 12);
	CHECK_INT(r->st.emitted, 4);
	CHECK_INT(r->st.limited, 8);
	mw_policy_free(p);
}

TEST(policy_swap_keeps_counts_and_old_names)
{
	struct ctx c;
	mmap_wx(&c);
	struct mw_policy *p = policy_of("rules:\n  - name: a\n  - name: gone\n");
	struct mw_alert al = c.al;
	mw_policy_judge(p, &c.v, &al, 0, 1);
	const char *old_name = al.rule;
	struct mw_ruleset *rs = mw_ruleset_new();
	const char *text = "rules:\n  - name: b\n    match: {kind: x_after_w}\n  - name: a\n";
	mw_rules_parse(rs, "t2.yaml", text, strlen(text), false, no_err, NULL);
	mw_policy_swap(p, rs);
	CHECK_STR(old_name, "a"); /* the old set stays allocated */
	al = c.al;
	CHECK_INT(mw_policy_judge(p, &c.v, &al, 0, 1), MW_PV_EMIT);
	CHECK_STR(al.rule, "a");
	CHECK_INT(mw_policy_rules(p)->r[1].st.matched, 2); /* carried over by name */
	CHECK_INT(mw_policy_rules(p)->r[0].st.matched, 0);
	mw_policy_free(p);
}

TEST(policy_metrics_per_rule)
{
	struct mw_metrics_snap *s = calloc(1, sizeof(*s));
	struct strbuf b = { 0 };
	s->nrules = 2;
	snprintf(s->rules[0].name, sizeof(s->rules[0].name), "wx");
	snprintf(s->rules[0].action, sizeof(s->rules[0].action), "alert");
	s->rules[0].matched = 20, s->rules[0].written = 3, s->rules[0].limited = 17;
	snprintf(s->rules[1].name, sizeof(s->rules[1].name), "jit\"x");
	snprintf(s->rules[1].action, sizeof(s->rules[1].action), "ignore");
	s->rules_reload_failures = 2;
	mw_metrics_format(&b, s, NULL);
	CHECK(b.p && strstr(b.p, "mapwatch_rule_matches_total{rule=\"wx\",action=\"alert\"} 20\n"));
	CHECK(b.p && strstr(b.p, "mapwatch_rule_written_total{rule=\"wx\",action=\"alert\"} 3\n"));
	CHECK(b.p && strstr(b.p, "mapwatch_rule_rate_limited_total{rule=\"wx\",action=\"alert\"} 17\n"));
	CHECK(b.p && strstr(b.p, "mapwatch_rule_matches_total{rule=\"jit\\\"x\",action=\"ignore\"} 0\n"));
	CHECK(b.p && strstr(b.p, "mapwatch_rules_reload_failures_total 2\n"));
	sb_reset(&b);
	s->nrules = 0; /* no policy: no rule families */
	mw_metrics_format(&b, s, NULL);
	CHECK(b.p && !strstr(b.p, "mapwatch_rule"));
	sb_free(&b);
	free(s);
}

/* fuzz_rules.c - libFuzzer harness: any bytes as a rules file through the YAML loader and the checks, then the policy judging an alert with what loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "alert.h"
#include "policy.h"
#include "rules.h"
#include "rules_compile.h"

/* Every error is one line naming its place: "t.yaml:LINE:COL: ..." */
static void err_line(void *ctx, const char *line)
{
	if (strchr(line, '\n') || strncmp(line, "t.yaml:", 7))
		abort();
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_ruleset *rs = mw_ruleset_new();

	if (!rs)
		return 0;
	unsigned n = mw_rules_parse(rs, "t.yaml", (const char *)data, size, false, err_line, NULL);
	n += mw_rules_finish(rs, err_line, NULL);
	if (n != rs->errors)
		abort();
	/* what loaded judges an alert of each kind without fault */
	struct mw_policy *p = mw_policy_new(rs);
	if (!p) {
		mw_ruleset_free(rs);
		return 0;
	}
	mw_policy_set_proc_root(p, "/nonexistent");
	struct mw_event e;
	memset(&e, 0, sizeof(e));
	e.type = MW_REC_EVENT;
	e.event = MW_EV_MMAP;
	e.args[1] = 4096;
	e.args[2] = 7;
	e.args[3] = 0x22;
	e.pid = e.tid = 1;
	memcpy(e.comm, "fuzz", 5);
	struct mw_view v = { .e = &e, .exe = "/usr/bin/fuzz", .path = "/dev/shm/x" };
	for (unsigned k = 0; k < MW_AL_KIND_MAX; k++) {
		struct mw_alert al = { .kind = (uint16_t)k, .severity = MW_SEV_HIGH };
		mw_policy_judge(p, &v, &al, (int)(k % MW_ALERTS_MAX), 1000 + k);
		if (al.rule && !*al.rule)
			abort();
	}
	mw_policy_free(p);
	return 0;
}

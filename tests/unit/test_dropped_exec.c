/* test_dropped_exec.c - unit tests of dropped_code judged at exec (src/alert_rules.c's
 * rule_dropped_exec): the kernel's "exec" event of a program on disk with its file's age, the
 * -- COMMAND's own first exec spared, and what JSON and the table say. */
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "alerts.h"
#include "format.h"
#include "t.h"
#include "t_event.h"

static struct mw_alerts *A;
static struct mw_alert out[8];
static int nout;

/* The kernel's "exec" event (lifecycle.bpf.h's exec_file_check) of pid for a file of kind. */
static struct mw_event exec_ev(uint32_t pid, uint8_t kind, unsigned effflags, unsigned age)
{
	struct mw_event e = t_event(MW_EV_EXEC, 0, 0, 0, 0, 0, 0, 0);

	e.syscall_nr = 0xffff;
	e.flags = MW_F_HAS_FILE;
	e.pid = e.tid = e.ns_pid = e.ns_tid = pid;
	e.ppid = e.ns_ppid = 1;
	e.ts = 5;
	e.file.kind = kind;
	e.eff_flags = (uint16_t)effflags;
	e.file_age_s = (uint16_t)age;
	memcpy(e.comm, "dropped", 8);
	return e;
}

/* Feed the exec record then the event; returns the alerts' kinds and causes, space-separated. */
static const char *judge(uint32_t pid, uint8_t kind, unsigned effflags, unsigned age)
{
	static char s[256];
	struct mw_task_rec r = { .type = MW_REC_EXEC, .pid = pid, .ts = 4 };
	struct mw_event e = exec_ev(pid, kind, effflags, age);
	struct mw_view v = { .e = &e, .path = "/var/tmp/dropped", .exe = "/var/tmp/dropped" };

	mw_alerts_task(A, &r);
	nout = mw_alerts_event(A, &v, out, 8);
	s[0] = 0;
	for (int i = 0; i < nout; i++)
		snprintf(s + strlen(s), sizeof s - strlen(s), "%s%s/%s/%d", i ? " " : "", mw_alert_kind_name(out[i].kind),
			 mw_alert_severity_name(out[i].severity),
			 out[i].dropped);
	return s;
}

static void fresh(void)
{
	mw_alerts_free(A);
	A = mw_alerts_new();
	mw_alerts_set_proc_root(A, NULL);
}

TEST(dropped_exec_causes)
{
	fresh();
	CHECK_STR(judge(700, MW_FK_REGULAR, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 0), "dropped_code/high/1");
	CHECK(out[0].at_exec && !out[0].has_region);
	CHECK_STR(out[0].mitre, "T1129");
	CHECK_STR(judge(701, MW_FK_REGULAR, MW_EFFF_FILE_AGE | MW_EFFF_CHANGED_AFTER_START, 65535), "dropped_code/medium/2");
	CHECK_STR(judge(702, MW_FK_REGULAR, MW_EFFF_FILE_AGE, MW_DROPPED_WINDOW_S - 1), "dropped_code/medium/3");
	/* near misses: an old file (the kernel sends none such; judged so if one came), no age */
	CHECK_STR(judge(703, MW_FK_REGULAR, MW_EFFF_FILE_AGE, MW_DROPPED_WINDOW_S), "");
	CHECK_STR(judge(704, MW_FK_REGULAR, 0, 0), "");
	/* a memfd program is exec_fileless's, with no file age */
	CHECK_STR(judge(705, MW_FK_MEMFD, 0, 0), "exec_fileless/high/0");
	/* --allow's verdict silences it, as any alert of that executable */
	CHECK_STR(judge(706, MW_FK_REGULAR, MW_EFFF_ALLOWED | MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 0), "");
	mw_alerts_free(A);
	A = NULL;
}

TEST(dropped_exec_command_spared)
{
	fresh();
	mw_alerts_set_command(A, 800);
	/* the program mapwatch was told to run: its first exec */
	CHECK_STR(judge(800, MW_FK_REGULAR, MW_EFFF_FILE_AGE, 3), "");
	/* what that program execs next is judged (a dropper started as the command) */
	CHECK_STR(judge(800, MW_FK_REGULAR, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 0), "dropped_code/high/1");
	CHECK_STR(judge(800, MW_FK_REGULAR, MW_EFFF_FILE_AGE, 3), "dropped_code/medium/3");
	/* and every other process's first exec */
	CHECK_STR(judge(801, MW_FK_REGULAR, MW_EFFF_FILE_AGE, 3), "dropped_code/medium/3");
	mw_alerts_free(A);
	A = NULL;
}

TEST(dropped_exec_text)
{
	struct strbuf b = { 0 };

	fresh();
	judge(900, MW_FK_REGULAR, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 2);
	struct mw_event e = exec_ev(900, MW_FK_REGULAR, MW_EFFF_FILE_AGE | MW_EFFF_WRITTEN_AFTER_START, 2);
	struct mw_view v = { .e = &e, .path = "/var/tmp/dropped", .exe = "/var/tmp/dropped" };
	CHECK_INT(nout, 1);
	mw_alert_json(&b, &v, &out[0]);
	CHECK(strstr(b.p, "\"kind\":\"dropped_code\"") != NULL);
	CHECK(strstr(b.p, "\"judgedAt\":\"exec\"") != NULL);
	CHECK(strstr(b.p, "\"dropped\":{\"cause\":\"writtenAfterStart\",\"ageSeconds\":2}") != NULL);
	CHECK(strstr(b.p, "regionStart") == NULL);
	sb_reset(&b);
	mw_alert_table(&b, &v, &out[0]);
	CHECK(strstr(b.p, "ALERT high dropped_code T1129: exec() = 0 [at exec: program /var/tmp/dropped] "
			  "[file written after the process began, written 2s ago]") != NULL);
	sb_free(&b);
	mw_alerts_free(A);
	A = NULL;
}

/* test_verify.c - unit tests of verify.c: a stopped process judged from a (fake) /proc/PID/maps, then killed or continued. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verify.h"
#include "t.h"

/* A child that waits to be killed; stopped as the BPF side would stop it. */
static pid_t stopped_child(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	kill(p, SIGSTOP);
	int st;
	waitpid(p, &st, WUNTRACED);
	return p;
}

static void fake_maps(const char *root, pid_t pid, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%d", root, (int)pid);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/%d/maps", root, (int)pid);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm_maps(const char *root, pid_t pid)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%d/maps", root, (int)pid);
	unlink(p);
	snprintf(p, sizeof p, "%s/%d", root, (int)pid);
	rmdir(p);
}

static struct mw_event ev(pid_t pid, int64_t ret)
{
	struct mw_event e;
	memset(&e, 0, sizeof e);
	e.type = MW_REC_EVENT;
	e.event = MW_EV_MMAP;
	e.flags = MW_F_COMPAT | MW_F_TOCTOU;
	e.pid = (uint32_t)pid;
	e.ret = ret;
	e.eff_status = MW_EFF_BUSY;
	e.eff_flags = MW_EFFF_VERIFY;
	return e;
}

TEST(verify_stopped)
{
	char root[64];
	int st;
	snprintf(root, sizeof root, "/tmp/mw-unit-verify-%d", (int)getpid());
	mkdir(root, 0755);

	/* RW where the call returned: continued, judged RW */
	pid_t p = stopped_child();
	fake_maps(root, p, "f7f00000-f7f01000 r-xp 00000000 08:01 12 /bin/x\n"
			   "f7f42000-f7f45000 rw-p 00000000 00:00 0\n");
	struct mw_event e = ev(p, 0xf7f43000);
	CHECK_INT(mw_verify_stopped(&e, root), 0);
	CHECK_INT(e.eff_status, MW_EFF_OK);
	CHECK_INT(e.vm_flags, MW_VM_READ | MW_VM_WRITE);
	CHECK_INT(e.vma_start, 0xf7f42000);
	CHECK_INT(e.vma_end, 0xf7f45000);
	CHECK(e.eff_flags & MW_EFFF_FROM_PROC);
	CHECK(!(e.flags & MW_F_ENFORCED));
	CHECK_INT(waitpid(p, &st, WCONTINUED), p);
	CHECK(WIFCONTINUED(st));
	/* RWX: killed, and the event says so */
	fake_maps(root, p, "f7f42000-f7f45000 rwxp 00000000 00:00 0\n");
	e = ev(p, 0xf7f43000);
	CHECK_INT(mw_verify_stopped(&e, root), 1);
	CHECK(e.flags & MW_F_ENFORCED);
	CHECK_INT(e.vm_flags, MW_VM_READ | MW_VM_WRITE | MW_VM_EXEC);
	CHECK_INT(waitpid(p, &st, 0), p);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* nothing there any more: continued */
	p = stopped_child();
	fake_maps(root, p, "f7f00000-f7f01000 r-xp 00000000 08:01 12 /bin/x\n");
	e = ev(p, 0xf7f43000);
	CHECK_INT(mw_verify_stopped(&e, root), 0);
	CHECK_INT(e.eff_status, MW_EFF_NOVMA);
	CHECK_INT(waitpid(p, &st, WCONTINUED), p);
	CHECK(WIFCONTINUED(st));
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	rm_maps(root, p);
	/* maps unreadable: -1; events without MW_EFFF_VERIFY are left alone */
	e = ev(p, 0xf7f43000);
	CHECK_INT(mw_verify_stopped(&e, root), -1);
	e.eff_flags = 0;
	CHECK_INT(mw_verify_stopped(&e, root), 0);
	CHECK_INT(e.eff_status, MW_EFF_BUSY);
	rmdir(root);
}

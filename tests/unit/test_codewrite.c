/* test_codewrite.c - unit tests of alert_codewrite.c: the code_write rule on the kernel's verdict and on a (fake) /proc/PID/maps. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert_codewrite.h"
#include "decode_mem.h"
#include "t.h"
#include "t_event.h"

/* The kernel's code_write event: process 100 wrote len bytes at addr of pid via a route. */
static struct mw_event cw_ev(int via, uint32_t pid, uint64_t addr, uint64_t len)
{
	struct mw_event e = t_event(MW_EV_CODE_WRITE, (uint64_t)via, pid, addr, len, 0, 0, (int64_t)len);

	e.pid = 100;
	e.eff_status = MW_EFF_OK;
	e.vm_flags = MW_VM_READ | MW_VM_EXEC;
	e.vma_start = addr & ~0xfffull;
	e.vma_end = e.vma_start + 0x1000;
	return e;
}

TEST(codewrite_kernel_verdict)
{
	struct mw_alert al[MW_ALERTS_MAX];
	struct mw_event e = cw_ev(MW_CW_PTRACE, 200, 0x7f0000000010, 8);

	CHECK_INT(mw_code_write_rule(&e, NULL, al), 1);
	CHECK_INT(al[0].kind, MW_AL_CODE_WRITE);
	CHECK_INT(al[0].severity, MW_SEV_HIGH);
	CHECK_STR(al[0].mitre, "T1055.008");
	CHECK_INT(al[0].cw_via, MW_CW_PTRACE);
	CHECK_INT(al[0].cw_pid, 200);
	CHECK_INT(al[0].cw_addr, 0x7f0000000010);
	CHECK_INT(al[0].cw_len, 8);
	CHECK_INT(al[0].cw_prot, PROT_READ | PROT_EXEC);
	CHECK_INT(al[0].cw_from_proc, 0);
	CHECK(al[0].has_region && al[0].start == 0x7f0000000010 && al[0].end == 0x7f0000000018);
	e.args[0] = MW_CW_PROC_MEM;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 1);
	CHECK_STR(al[0].mitre, "T1055.009");
	e.args[0] = MW_CW_PVW;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 1);
	CHECK_STR(al[0].mitre, "T1055");
	e.args[0] = MW_CW_UFFD;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 1);
	CHECK_STR(al[0].mitre, "T1055");
	CHECK_INT(al[0].cw_via, MW_CW_UFFD);
	e.args[0] = MW_CW_FILE;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 1);
	CHECK_STR(al[0].mitre, "T1055");
	CHECK_INT(al[0].cw_via, MW_CW_FILE);
	CHECK_STR(mw_cw_via_name(MW_CW_FILE), "file_write");
	/* not code: data pages, a failed call, an unknown route, another event */
	e.vm_flags = MW_VM_READ | MW_VM_WRITE;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	e = cw_ev(MW_CW_PTRACE, 200, 0x1000, 8);
	e.ret = -14;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	e = cw_ev(MW_CW_MAX, 200, 0x1000, 8);
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	e = cw_ev(MW_CW_NONE, 200, 0x1000, 8);
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	e = cw_ev(MW_CW_PTRACE, 200, 0x1000, 8);
	e.event = MW_EV_MPROTECT;
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	CHECK_STR(mw_cw_via_name(MW_CW_PROC_MEM), "proc_mem");
	CHECK_STR(mw_cw_via_name(MW_CW_UFFD), "userfaultfd");
	CHECK(mw_cw_via_name(MW_CW_MAX) == NULL);
}

static void put_maps(const char *root, unsigned pid, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof p, "%s/%u", root, pid);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/%u/maps", root, pid);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(codewrite_judged_from_proc)
{
	struct mw_alert al[MW_ALERTS_MAX];
	char root[64], p[256];
	struct mw_event e = cw_ev(MW_CW_PTRACE, 321, 0x7f0000001008, 8);

	snprintf(root, sizeof root, "/tmp/mw-unit-codewrite-%d", (int)getpid());
	mkdir(root, 0755);
	e.eff_status = MW_EFF_ERROR; /* the kernel could not read the target's VMA */
	e.vm_flags = 0;
	put_maps(root, 321, "7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n"
			    "7f0000001000-7f0000002000 r-xp 00000000 08:01 77 /usr/lib/libc.so.6\n");
	CHECK_INT(mw_code_write_rule(&e, root, al), 1);
	CHECK_INT(al[0].cw_prot, PROT_READ | PROT_EXEC);
	CHECK_INT(al[0].cw_from_proc, 1);
	/* no proc root: not judged */
	CHECK_INT(mw_code_write_rule(&e, NULL, al), 0);
	/* a data page there: quiet */
	e.args[2] = 0x7f0000000008;
	CHECK_INT(mw_code_write_rule(&e, root, al), 0);
	/* nothing mapped there, or the process gone: not judged */
	e.args[2] = 0x7f0000003000;
	CHECK_INT(mw_code_write_rule(&e, root, al), 0);
	e.args[1] = 322;
	CHECK_INT(mw_code_write_rule(&e, root, al), 0);
	snprintf(p, sizeof p, "%s/321/maps", root);
	unlink(p);
	snprintf(p, sizeof p, "%s/321", root);
	rmdir(p);
	rmdir(root);
}

TEST(codewrite_maps_line)
{
	const char *l = "7f0000001000-7f0000002000 r-xp 00000000 08:01 77 /usr/lib/libc.so.6";

	CHECK_INT(mw_cw_maps_line_prot(l, strlen(l), 0x7f0000001000), PROT_READ | PROT_EXEC);
	CHECK_INT(mw_cw_maps_line_prot(l, strlen(l), 0x7f0000001fff), PROT_READ | PROT_EXEC);
	CHECK_INT(mw_cw_maps_line_prot(l, strlen(l), 0x7f0000002000), -1); /* END is outside */
	CHECK_INT(mw_cw_maps_line_prot(l, strlen(l), 0x7f0000000fff), -1);
	CHECK_INT(mw_cw_maps_line_prot(l, 30, 0x7f0000001000), PROT_READ | PROT_EXEC); /* "PERMS" is enough */
	CHECK_INT(mw_cw_maps_line_prot(l, 28, 0x7f0000001000), -1);                     /* cut in PERMS */
	CHECK_INT(mw_cw_maps_line_prot("2000-1000 rwxp", 14, 0x1800), -1);              /* START >= END */
	CHECK_INT(mw_cw_maps_line_prot("1000-2000 rwxs", 14, 0x1800), PROT_READ | PROT_WRITE | PROT_EXEC);
	CHECK_INT(mw_cw_maps_line_prot("1000-2000 ---p", 14, 0x1800), 0);
	CHECK_INT(mw_cw_maps_line_prot("1000-2000 zwxp", 14, 0x1800), -1);
	CHECK_INT(mw_cw_maps_line_prot("10000000000000000-20000000000000000 rwxp", 40, 0x1800), -1); /* 17 digits */
	CHECK_INT(mw_cw_maps_line_prot("-2000 rwxp", 10, 0x1800), -1);
	CHECK_INT(mw_cw_maps_line_prot("", 0, 0), -1);
}

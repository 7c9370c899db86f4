/* hooks/env.c - what the kernel and this process allow: privileges, BTF, tracefs, tracepoints, 32-bit code. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "msg.h"
#include "hooks/internal.h"

#define TRACEFS_MAGIC 0x74726163

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}
/* ---- environment checks ---- */


bool mw_have_cap(int cap)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> cap) & 1ull;
}

static int check_privileges(void)
{
	/* CAP_SYS_ADMIN 21, CAP_PERFMON 38, CAP_BPF 39 */
	if (geteuid() == 0 || mw_have_cap(21) || (mw_have_cap(38) && mw_have_cap(39)))
		return 0;
	mw_err_line("permission denied: loading BPF programs needs root, or CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (README \"Privileges\"); run it with sudo");
	return -1;
}

static int check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	mw_err_line("this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	return -1;
}

/* 1: tracefs, and its events readable; 0: not tracefs; -1: tracefs that this
 * process cannot read (errno set). open(), not access(): access() judges the
 * real uid without capabilities, so CAP_DAC_READ_SEARCH would not count. */
static int tracefs_state(const char *dir)
{
	struct statfs st;
	char p[256];
	int fd;

	if (statfs(dir, &st) || st.f_type != TRACEFS_MAGIC)
		return 0;
	snprintf(p, sizeof(p), "%s/events", dir);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 1;
}

int mw_check_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	int denied = 0, e = 0;

	for (int i = 0; i < 2; i++) {
		int r = tracefs_state(dirs[i]);
		if (r > 0)
			return 0;
		if (r < 0 && !denied) {
			denied = 1;
			e = errno;
		}
	}
	if (denied) {
		mw_err_line("tracefs is mounted but this process cannot read it (%s): it is mode 0700; run as root or add CAP_DAC_READ_SEARCH to CAP_BPF and CAP_PERFMON",
			 strerror(e));
		return -1;
	}
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    tracefs_state("/sys/kernel/tracing") > 0)
		return 0;
	mw_err_line("tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs nodev /sys/kernel/tracing' as root",
		 strerror(errno));
	return -1;
}

int mw_compat_supported(void)
{
#if defined(__x86_64__)
	/* Ask the kernel itself: a 32-bit getpid through int 0x80 in a child.
	 * A kernel without ia32 emulation (or with it disabled at boot) kills
	 * the child with SIGSEGV. */
	pid_t p = fork();
	int st;

	if (p < 0)
		return 1; /* cannot tell: assume it can, costing only speed */
	if (p == 0) {
		long r;
		int devnull = open("/dev/null", O_WRONLY);
		/* a sanitizer's fault handler must not report the expected SIGSEGV */
		if (devnull >= 0)
			dup2(devnull, 2);
		signal(SIGSEGV, SIG_DFL);
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		_exit(r > 0 ? 0 : 3);
	}
	if (waitpid(p, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#elif defined(__aarch64__)
	/* arm64 kernels run AArch32 tasks only with CONFIG_COMPAT on a CPU that
	 * has AArch32 at EL0; /proc/sys/abi exists with CONFIG_COMPAT alone (qemu
	 * -cpu a64fx has it and cannot run armhf programs). Ask the kernel, as
	 * `linux32` does: personality(PER_LINUX32) is EINVAL without AArch32 EL0.
	 * In a child, so that mapwatch's own personality is left alone. */
	pid_t p = fork();
	int st;

	if (p < 0)
		return 1; /* cannot tell: assume it can, costing only speed */
	if (p == 0)
		_exit(personality(PER_LINUX32) == -1 ? 3 : 0);
	if (waitpid(p, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#else
	return 0;
#endif
}

const char *mw_tracefs_dir(void)
{
	return tracefs_state("/sys/kernel/tracing") > 0 ? "/sys/kernel/tracing" : "/sys/kernel/debug/tracing";
}

bool mw_tracepoint_exists(const char *dir, const char *sec)
{
	char p[512];

	/* sec: tracepoint/syscalls/sys_enter_mmap -> DIR/events/syscalls/sys_enter_mmap */
	struct stat st;

	snprintf(p, sizeof(p), "%s/events/%s", dir, sec + strlen("tracepoint/"));
	return stat(p, &st) == 0; /* not access(): it ignores CAP_DAC_READ_SEARCH (tracefs is 0700) */
}

void mw_hooks_libbpf_print(int verbose)
{
	libbpf_set_print(verbose >= 2 ? libbpf_verbose : libbpf_quiet);
}

int mw_hooks_check_env(bool verbose)
{
	libbpf_set_print(verbose ? libbpf_verbose : libbpf_quiet);
	return check_privileges() || check_btf() || mw_check_tracefs() ? -1 : 0;
}

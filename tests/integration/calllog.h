/* calllog.h - the call log written by the integration test programs (64-bit and 32-bit): one JSON line per syscall. */
#ifndef MW_CALLLOG_H
#define MW_CALLLOG_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static FILE *logf;

/* JSON string escaping written independently of mapwatch's own. */
static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Log one call: event name, the args as the kernel saw them, the result,
 * and for a file mapping the file's stat() facts. */
static long long logcall(const char *ev, int nargs, const uint64_t *a, long long ret, const char *path)
{
	fprintf(logf, "{\"type\":\"call\",\"event\":\"%s\",\"pid\":%d,\"tid\":%ld,\"args\":[", ev,
		getpid(), (long)syscall(SYS_gettid));
	for (int i = 0; i < nargs; i++)
		fprintf(logf, "%s%llu", i ? "," : "", (unsigned long long)a[i]);
	fprintf(logf, "],\"ret\":%lld", ret);
	if (path) {
		struct stat st;
		fputs(",\"path\":", logf);
		jstr(logf, path);
		if (stat(path, &st) == 0)
			fprintf(logf, ",\"dev\":\"%u:%u\",\"rdev\":\"%u:%u\",\"ino\":%llu", major(st.st_dev),
				minor(st.st_dev), major(st.st_rdev), minor(st.st_rdev),
				(unsigned long long)st.st_ino);
	}
	fputs("}\n", logf);
	fflush(logf);
	return ret;
}

__attribute__((unused)) static long ret_of(long r)
{
	return r == -1 ? -errno : r;
}

/* Log the process context the events must carry. */
__attribute__((unused)) static void log_context(void)
{
	char buf[512], cgpath[1100] = "/sys/fs/cgroup", line[512], cgroot[512] = "/sys/fs/cgroup";
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	struct stat mnt, pidns, cg;
	FILE *f = fopen("/proc/self/cgroup", "r");

	buf[n > 0 ? n : 0] = 0;
	memset(&mnt, 0, sizeof(mnt));
	memset(&pidns, 0, sizeof(pidns));
	memset(&cg, 0, sizeof(cg));
	stat("/proc/self/ns/mnt", &mnt);
	stat("/proc/self/ns/pid", &pidns);
	FILE *mi = fopen("/proc/self/mountinfo", "r");
	while (mi && fgets(line, sizeof(line), mi)) {
		char mnt[512];
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1)
			snprintf(cgroot, sizeof(cgroot), "%s", mnt);
	}
	if (mi)
		fclose(mi);
	/* the cgroup v2 line of /proc/self/cgroup is "0::/path" */
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(cgpath, sizeof(cgpath), "%s%s", cgroot, line + 3);
	}
	if (f)
		fclose(f);
	stat(cgpath, &cg);
	fprintf(logf, "{\"type\":\"context\",\"pid\":%d,\"ppid\":%d,\"uid\":%d,\"exe\":", getpid(),
		getppid(), getuid());
	jstr(logf, buf);
	fprintf(logf, ",\"mntns\":%llu,\"pidns\":%llu,\"cgroup_ino\":%llu}\n",
		(unsigned long long)mnt.st_ino, (unsigned long long)pidns.st_ino,
		(unsigned long long)cg.st_ino);
}

/* The 32-bit programs' common start (tests/vm): "PROG LOG DIR", the log
 * opened and its context line written, DIR/FILE created with four pages
 * (its path in path[n]). Returns its fd; exits 2 on usage, 3 on a file error. */
__attribute__((unused)) static int calllog_start(int argc, char **argv, const char *prog, const char *file,
						 char *path, size_t n)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s LOG DIR\n", prog);
		exit(2);
	}
	logf = fopen(argv[1], "w");
	if (!logf)
		exit(2);
	log_context();
	snprintf(path, n, "%s/%s", argv[2], file);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4 * 4096))
		exit(3);
	return fd;
}

#endif

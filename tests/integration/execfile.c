/* execfile.c - run PAYLOAD by each route that leaves no lasting file on disk (test_routes.py).
 * Usage: execfile memfd PAYLOAD      copy into a memfd, execveat(fd, "", AT_EMPTY_PATH)
 *        execfile shm PAYLOAD DIR    copy to DIR/mw-routes-PID (DIR on tmpfs: /dev/shm), execve it
 *        execfile tmpfile PAYLOAD DIR  an O_TMPFILE in DIR, reopened read-only, execveat of that
 *        execfile unlinked PAYLOAD DIR copy to DIR/mw-routes-PID, open it, unlink it, execve /proc/self/fd/N
 *        execfile disk PAYLOAD       execve PAYLOAD itself (the control: no alert)
 * Each write descriptor is closed before the exec (a file open for writing cannot be run).
 * Exits with the payload's status; 10+ when a step failed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int copy(int out, const char *from)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC);

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return n < 0 ? -1 : 0;
}

/* A read-only descriptor of the file behind w; w is closed. */
static int reopen_ro(int w)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", w);
	int r = open(p, O_RDONLY);
	close(w);
	return r;
}

int main(int argc, char **argv)
{
	char *args[] = { "mw-routes-payload", NULL }, *env[] = { NULL };
	char path[4096], fdp[64];
	int fd;

	if (argc < 3)
		return 10;
	const char *mode = argv[1], *payload = argv[2], *dir = argc > 3 ? argv[3] : "/dev/shm";
	if (!strcmp(mode, "disk")) {
		execve(payload, args, env);
		return 11;
	}
	if (!strcmp(mode, "memfd")) {
		fd = (int)syscall(SYS_memfd_create, "mw-routes", 0u);
		if (fd < 0 || copy(fd, payload))
			return 12;
		syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
		return 13;
	}
	if (!strcmp(mode, "tmpfile")) {
		fd = open(dir, O_TMPFILE | O_RDWR, 0755);
		if (fd < 0 || copy(fd, payload) || fchmod(fd, 0755) || (fd = reopen_ro(fd)) < 0)
			return 14;
		syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
		return 15;
	}
	snprintf(path, sizeof path, "%s/mw-routes-%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || copy(fd, payload) || close(fd))
		return 16;
	if (!strcmp(mode, "shm")) {
		execve(path, args, env);
		unlink(path);
		return 17;
	}
	if (!strcmp(mode, "unlinked")) {
		fd = open(path, O_RDONLY);
		if (fd < 0 || unlink(path))
			return 18;
		snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
		execve(fdp, args, env);
		return 19;
	}
	unlink(path);
	return 20;
}

/* dropexec.c - the attacker's "dropped program" routes (issue #22): a program written to a regular
 * file and executed at once, making no mapping call of its own (PAYLOAD: ret42 built without a C
 * library), so that only the exec can reveal it. Each mode exits with the program's status (42:
 * its payload ran), or 10+ when a step failed.
 *   dropexec self PAYLOAD FILE      copy PAYLOAD to FILE (0755), close it, execve FILE
 *   dropexec child PAYLOAD FILE     copy, then fork: the child (begun after the write) execs FILE
 *   dropexec backdate PAYLOAD FILE  copy, set FILE's mtime back to 2001 (futimens), execve FILE
 *   dropexec rename PAYLOAD FILE    copy to FILE.part, rename it to FILE, execve FILE
 *   dropexec fd PAYLOAD FILE        copy, reopen FILE read-only, execveat(fd, "", AT_EMPTY_PATH)
 *   dropexec run PAYLOAD FILE       execve FILE, written by someone else before (no write here)
 * Every write descriptor is closed before the exec (a file open for writing cannot be run). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Copy from into a new file at path (0755); the descriptor stays open when keep. */
static int drop(const char *from, const char *path, int keep)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	if (n < 0)
		return -1;
	if (keep)
		return out;
	return close(out);
}

int main(int argc, char **argv)
{
	char *args[] = { "mw-dropped", NULL }, *env[] = { NULL };
	char part[4096];
	int fd, st;

	if (argc < 4)
		return 10;
	const char *mode = argv[1], *payload = argv[2], *file = argv[3];
	if (!strcmp(mode, "run")) {
		execve(file, args, env);
		return 11;
	}
	if (!strcmp(mode, "rename")) {
		snprintf(part, sizeof part, "%s.part", file);
		if (drop(payload, part, 0) || rename(part, file))
			return 12;
	} else if (!strcmp(mode, "backdate")) {
		struct timespec t[2] = { { 978307200, 0 }, { 978307200, 0 } }; /* 2001-01-01 */
		fd = drop(payload, file, 1);
		if (fd < 0 || futimens(fd, t) || close(fd))
			return 12;
	} else if (drop(payload, file, 0)) {
		return 12;
	}
	if (!strcmp(mode, "child")) {
		pid_t p = fork();
		if (p == 0) {
			execve(file, args, env);
			_exit(11);
		}
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st))
			return 13;
		return WEXITSTATUS(st);
	}
	if (!strcmp(mode, "fd")) {
		fd = open(file, O_RDONLY);
		if (fd < 0)
			return 12;
		syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
		return 11;
	}
	if (strcmp(mode, "self") && strcmp(mode, "backdate") && strcmp(mode, "rename"))
		return 14;
	execve(file, args, env);
	return 11;
}

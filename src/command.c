/* command.c - the processes a run is about: the -- COMMAND (started held, released once the hooks are attached, reaped with its orphans) and the --pid targets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "msg.h"
#include "command.h"

/* Give the command the signal state a shell would: every disposition back
 * to its default (mapwatch ignores SIGPIPE, and an ignored signal survives
 * exec: `yes | head -1` complained of a broken pipe) and no signal blocked. */
static void default_signals(void)
{
	/* the raw call: glibc's wrappers refuse its internal signals (32, 33),
	 * which a sanitizer runtime may have set to ignored */
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Fork the command, stopped before execvp until release_fd is written. */
pid_t mw_cmd_spawn_held(char **cmd, int *release_fd, int *err_fd)
{
	int go[2], er[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;
		int e;
		close(go[1]);
		close(er[0]);
		default_signals();
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* the tracer gave up */
		execvp(cmd[0], cmd);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	*release_fd = go[1];
	*err_fd = er[0];
	return pid;
}

/* Can cmd be run? As env(1) and timeout(1) answer: 127 when it is not
 * found (not in PATH, no such file), 126 when it is found but cannot be run
 * (a directory, no execute permission); 0 when it can. Prints one line. */
int mw_cmd_check(const char *cmd)
{
	const char *path = getenv("PATH");
	struct stat st;
	char buf[4096];
	int denied = 0;

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st)) {
			mw_err_line("cannot run %s: %s", cmd, strerror(errno));
			return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
		}
		if (S_ISDIR(st.st_mode) || access(cmd, X_OK)) {
			mw_err_line("cannot run %s: %s", cmd, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
			return 126;
		}
		return 0;
	}
	for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; ; ) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (stat(buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			denied = 1;
		}
		if (!end)
			break;
		p = end + 1;
	}
	mw_err_line("cannot run %s: %s", cmd, denied ? "Permission denied" : "command not found in PATH");
	return denied ? 126 : 127;
}


/* Check that every --pid names a live process now and open its pidfd.
 * Returns -1 after a one-line error. */
int mw_targets_open(const struct mw_filters *f, struct targets *tg)
{
	tg->n = 0;
	if (!(f->on & MW_FLT_PID) && !f->follow)
		return 0;
	if (f->neg & MW_FLT_PID)
		return 0; /* "every process but these": nothing to wait for */
	for (unsigned i = 0; i < f->pid.n && tg->n < 64; i++) {
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)f->pid.v[i], 0);
		if (fd < 0 && errno == ESRCH) {
			mw_err_line("--pid %llu: no such process (give the pid of a running process; see ps -e)",
				 (unsigned long long)f->pid.v[i]);
			for (int k = 0; k < tg->n; k++)
				close(tg->fd[k]);
			tg->n = 0;
			return -1;
		}
		if (fd >= 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			tg->fd[tg->n++] = fd;
		}
	}
	return 0;
}

/* True once every target has exited. */
bool mw_targets_gone(const struct targets *tg)
{
	struct pollfd p[64];

	for (int i = 0; i < tg->n; i++)
		p[i] = (struct pollfd){ .fd = tg->fd[i], .events = POLLIN };
	return poll(p, tg->n, 0) == tg->n;
}

void mw_targets_close(struct targets *tg)
{
	for (int i = 0; i < tg->n; i++)
		close(tg->fd[i]);
	tg->n = 0;
}

int mw_exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reap what has exited: the command (its status kept in *status) and any
 * descendant handed to mapwatch as their subreaper. Returns true when no
 * child is left at all. */
bool mw_reap(pid_t child, bool *cmd_done, int *status)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w > 0) {
			if (w == child) {
				*cmd_done = true;
				*status = mw_exit_status(st);
			}
			continue;
		}
		return w < 0 && errno == ECHILD;
	}
}

/* command.h - the processes a run is about: the -- COMMAND and the --pid targets. */
#ifndef MW_COMMAND_H
#define MW_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>
#include "filter.h"

/* --pid targets: one pidfd each, readable once the process has exited. */
struct targets {
	int fd[64];
	int n;
};

/* Fork cmd, held before its execvp until *release_fd is written (closing it
 * unwritten makes the child exit 127); *err_fd then says errno if the exec
 * failed (EOF: it ran). The child starts with default signal dispositions
 * and none blocked. The pid, or -1 with errno. */
pid_t mw_cmd_spawn_held(char **cmd, int *release_fd, int *err_fd);

/* 0 if cmd can be run (a path, or found in PATH as execvp would), else
 * 126/127 after a one-line error. */
int mw_cmd_check(const char *cmd);

/* Open a pidfd per --pid of f (every one must name a live process now).
 * 0, or -1 after a one-line error. */
int mw_targets_open(const struct mw_filters *f, struct targets *tg);
/* Have all the targets exited? */
bool mw_targets_gone(const struct targets *tg);
void mw_targets_close(struct targets *tg);

/* A wait status as a shell reports it: the exit code, or 128+signal. */
int mw_exit_status(int st);

/* Reap what has exited: the command (its status into *status, *cmd_done
 * set) and any orphan re-parented to mapwatch. True when no child is left. */
bool mw_reap(pid_t child, bool *cmd_done, int *status);

#endif

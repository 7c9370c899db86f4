/* tracer.h - loads the BPF programs, runs the optional command, and writes events until told to stop. */
#ifndef MW_TRACER_H
#define MW_TRACER_H

struct mw_opts; /* options.h */

/* Run the tracer with o. Returns the process exit status: the command's
 * status in command mode (128+signal if killed; mapwatch ends once the
 * command and every descendant have exited, or with the command alone when
 * exit_with_command is set), 0 after SIGINT/SIGTERM in host mode or once
 * every --pid target (with --follow, and descendants) has exited, 1 on a
 * run-time failure and 2 for a --pid naming no process (after printing one
 * line saying what to do). SIGHUP reopens o->output. */
int mw_run(const struct mw_opts *o);

#endif

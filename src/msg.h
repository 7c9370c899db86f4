/* msg.h - the one-line messages mapwatch prints on stderr (errors, -vvv's timeline) and sends its service manager. */
#ifndef MW_MSG_H
#define MW_MSG_H

/* Print "mapwatch: " + the formatted text + a newline on stderr. */
void mw_err_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -vvv: say where start-up and teardown spend their time. mw_phase_on(v)
 * starts the clock when v >= 3; mw_phase() then prints "mapwatch: +12.3 ms
 * what" (milliseconds since mapwatch started), and nothing otherwise. */
void mw_phase_on(int verbose);
void mw_phase(const char *what);

/* systemd's Type=notify: mw_notify_init() takes $NOTIFY_SOCKET out of the
 * environment (a traced command must not speak for mapwatch) and keeps
 * it; mw_notify("READY=1") then sends that state to the service manager,
 * saying on stderr (once) when it cannot. Nothing without the variable. */
void mw_notify_init(void);
void mw_notify(const char *state);

#endif

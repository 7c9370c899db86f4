/* msg.h - the one-line messages mapwatch prints on stderr: errors, and -vvv's timeline. */
#ifndef MW_MSG_H
#define MW_MSG_H

/* Print "mapwatch: " + the formatted text + a newline on stderr. */
void mw_err_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -vvv: say where start-up and teardown spend their time. mw_phase_on(v)
 * starts the clock when v >= 3; mw_phase() then prints "mapwatch: +12.3 ms
 * what" (milliseconds since mapwatch started), and nothing otherwise. */
void mw_phase_on(int verbose);
void mw_phase(const char *what);

#endif

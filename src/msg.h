/* msg.h - the one-line error messages mapwatch prints on stderr. */
#ifndef MW_MSG_H
#define MW_MSG_H

/* Print "mapwatch: " + the formatted text + a newline on stderr. */
void mw_err_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

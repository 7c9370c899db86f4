/* sink_syslog_msg.h - the syslog sink's messages: one record as an RFC 5424 message (header, the [mapwatch@32473] structured data, the JSON line as body). Used by sink_syslog.c. */
#ifndef MW_SINK_SYSLOG_MSG_H
#define MW_SINK_SYSLOG_MSG_H

#include "sink.h"
#include "strbuf.h"

/* RFC 5424 severities */
enum { MW_SLSEV_CRIT = 2, MW_SLSEV_ERR = 3, MW_SLSEV_WARNING = 4, MW_SLSEV_NOTICE = 5, MW_SLSEV_INFO = 6 };

/* What every message of one sink says of its sender. */
struct mw_syslog_hdr {
	int facility;
	const char *hostname;  /* printable ASCII, no space */
	const char *pidstr;
};

/* The RFC 5424 severity of an alert's (or notice's) MW_SEV_*. */
int mw_syslog_alert_sev(unsigned sev);

/* The message for r into b (reset first): PRI, version, time, host, app,
 * pid, msgid, structured data (the record's who and what; an alert's
 * kind, region and evidence: payload sha256, bytes, truncated, where it
 * was copied and saved, YARA matches, the executable's and mapped file's
 * sha256), then the record's JSON line. scratch: a buffer for escaping
 * outside text, needed when r has a view (r->v). */
void mw_syslog_build(struct strbuf *b, struct strbuf *scratch, const struct mw_syslog_hdr *h, struct mw_rec *r,
		     int sev, const char *msgid);

#endif

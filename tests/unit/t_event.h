/* t_event.h - a synthetic event record for the unit tests of the formats and decoders. */
#ifndef MW_T_EVENT_H
#define MW_T_EVENT_H

#include <stdint.h>
#include <string.h>
#include "mapwatch.h"

/* Event id with arguments a0..a5 and result ret, from pid/tid 42, comm "prog". */
static inline struct mw_event t_event(unsigned id, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
				      uint64_t a4, uint64_t a5, int64_t ret)
{
	struct mw_event e;

	memset(&e, 0, sizeof(e));
	e.type = MW_REC_EVENT;
	e.event = (uint16_t)id;
	e.args[0] = a0, e.args[1] = a1, e.args[2] = a2, e.args[3] = a3, e.args[4] = a4, e.args[5] = a5;
	e.ret = ret;
	e.pid = e.tid = 42;
	memcpy(e.comm, "prog", 5);
	return e;
}

#endif

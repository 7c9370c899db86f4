/* fuzz_chunks.c - libFuzzer harness: arbitrary chunk records (capture_abi.h: counts, indexes, threads, sizes) through the reassembly, taken as payloads; a payload is never longer than its pages, its sha256 is that of its bytes, and the alert JSON carrying it parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "alert.h"
#include "capture.h"
#include "capture_abi.h"
#include "jsoncheck.h"
#include "mapwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_captures *c = mw_captures_new();
	static struct mw_chunk_rec r;
	static struct strbuf out;
	const size_t hdr = offsetof(struct mw_chunk_rec, data);

	if (!c)
		return 0;
	/* each step: a header from the input (a short one is a record cut short), kept
	 * to small counts and a few threads so captures complete; every fourth step
	 * takes the capture its header names */
	for (size_t off = 0, step = 0; off < size; off += hdr, step++) {
		size_t n = size - off < hdr ? size - off : hdr;
		memset(&r, 0, sizeof(r));
		memcpy(&r, data + off, n);
		r.type = MW_REC_CHUNK;
		r.tid %= 4;
		r.count %= 5;
		r.index %= 6;
		memset(r.data, (int)step, sizeof(r.data));
		mw_captures_chunk(c, &r, n < hdr ? n : sizeof(r));
		if (step % 4 == 3) {
			struct mw_payload p;
			if (mw_captures_take(c, r.pid, r.tid, r.ts, "/nonexistent", &p) == 0) {
				char h[65];
				if (p.len > 4 * MW_CHUNK_BYTES || p.len % MW_CHUNK_BYTES)
					abort();
				if (mw_sha256_hex(p.bytes ? p.bytes : (const uint8_t *)"", p.len, h) || strcmp(h, p.sha256))
					abort();
				struct mw_event e = { .type = MW_REC_EVENT, .event = MW_EV_MPROTECT, .pid = r.pid, .tid = r.tid };
				struct mw_view v = { .e = &e };
				struct mw_alert al[MW_ALERTS_MAX];
				int na = 0;
				struct mw_alert *a = mw_alert_add(al, &na, MW_AL_X_AFTER_W);
				a->payload = &p;
				sb_reset(&out);
				mw_alert_json(&out, &v, a);
				if (out.oom || !json_valid(out.p, out.len))
					abort();
				mw_payload_free(&p);
			}
		}
	}
	mw_captures_free(c);
	return 0;
}

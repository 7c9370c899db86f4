/* fuzz_chunks.c - libFuzzer harness: arbitrary chunk records (capture_abi.h: counts, indexes, threads, sizes, flags) through the reassembly, taken as payloads; a payload is never longer than its pages, its sha256 is that of its bytes, and the alert JSON carrying it parses. The same records through the evidence (captures made at a process's exit, held for its exit record) under a W+X alert remembered for every region. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "alert.h"
#include "capture.h"
#include "capture_abi.h"
#include "evidence.h"
#include "options.h"
#include "jsoncheck.h"
#include "mapwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_captures *c = mw_captures_new();
	static struct mw_chunk_rec r;
	static struct strbuf out;
	const size_t hdr = offsetof(struct mw_chunk_rec, data);
	static struct mw_opts o; /* no DIR, no rules: the evidence the capture rules ask for */
	int failed;
	struct mw_evidence *ev = mw_evidence_open(&o, true, &failed);

	if (!c || !ev) {
		mw_captures_free(c);
		mw_evidence_close(ev);
		return 0;
	}
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
		mw_evidence_chunk(ev, &r, n < hdr ? n : sizeof(r));
		if (step % 4 == 1) {
			/* a wx_mapping alert of this process naming the region the header points into */
			struct mw_event e = { .type = MW_REC_EVENT, .event = MW_EV_MMAP, .pid = r.pid, .tid = r.tid };
			struct mw_view v = { .e = &e };
			struct mw_alert al[MW_ALERTS_MAX];
			int na = 0;
			mw_alert_region(mw_alert_add(al, &na, MW_AL_WX_MAPPING), r.addr & ~4095ull, (r.addr & ~4095ull) + 65536);
			mw_evidence_attach(ev, &v, al, na, MW_ALERTS_MAX);
		}
		if (step % 4 == 2) {
			/* the process's exit record: its alerts at exit, each one's JSON and table line */
			struct mw_view v;
			struct mw_alert al[1];
			while (mw_evidence_exit_alert(ev, r.pid, NULL, 0, &v, al)) {
				if (!al[0].payload || strcmp(al[0].payload->at, "exit") || al[0].payload->len % MW_CHUNK_BYTES)
					abort();
				sb_reset(&out);
				mw_alert_json(&out, &v, al);
				if (out.oom || !json_valid(out.p, out.len))
					abort();
				sb_reset(&out);
				mw_alert_table(&out, &v, al);
			}
			mw_evidence_task_exit(ev, r.pid);
		}
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
	mw_evidence_close(ev);
	return 0;
}

/* fuzz_record.c - libFuzzer harness: arbitrary ring-buffer bytes (sizes and path lengths included) through the record decoders and both writers; the JSON must parse, the table line must hold no control byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "jsoncheck.h"
#include "mapwatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct strbuf path, out;
	struct mw_view v;
	uint32_t pid;
	/* the ring buffer hands out 8-byte aligned records */
	uint64_t *rec = malloc(size + 8);

	if (!rec)
		return 0;
	memcpy(rec, data, size);
	if (size >= 2)
		((uint16_t *)rec)[0] = size & 1 ? MW_REC_PROC : MW_REC_EVENT; /* reach both decoders */
	if (mw_event_decode(rec, size, &path, &v) == 0) {
		v.ts_ns = ((const struct mw_event *)rec)->ts;
		v.exe = size > 300 ? (const char *)data + 200 : NULL;
		if (v.exe && !memchr(v.exe, 0, size - 200))
			v.exe = NULL;
		sb_reset(&out);
		mw_format_json(&out, &v);
		if (out.oom || !out.len || !json_valid(out.p, out.len))
			abort();
		sb_reset(&out);
		mw_format_table(&out, &v);
		if (!out.oom && !out.len)
			abort();
		for (size_t i = 0; !out.oom && i < out.len; i++)
			if ((unsigned char)out.p[i] < 0x20 || out.p[i] == 0x7f)
				abort();
	}
	mw_proc_rec_decode(rec, size, &path, &pid);
	free(rec);
	return 0;
}

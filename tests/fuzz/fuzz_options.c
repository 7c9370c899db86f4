/* fuzz_options.c - libFuzzer harness: argv and config-style name/value lines through the option table and every filter-word parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "decode.h"
#include "options.h"
#include "options_check.h"
#include "options_parse.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[34] = { "mapwatch" };
	int argc = 1;
	struct mw_opts o;
	char err[512];
	uint64_t v;
	uint64_t mask;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	/* NUL-separated words are argv */
	for (char *p = buf; p < buf + size && argc < 33; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	mw_opts_init(&o);
	err[0] = 0;
	if (mw_opts_parse_argv(&o, argc, argv, err, sizeof(err)) == 0 && o.action == MW_ACT_RUN)
		mw_opts_finish(&o, err, sizeof(err));
	if (strchr(err, '\n'))
		abort(); /* errors are one line */
	mw_opts_free(&o);
	/* the first word as a config line's name, the second as its value */
	mw_opts_init(&o);
	if (argc > 1)
		mw_opt_apply(&o, argv[1], argc > 2 ? argv[2] : NULL, err, sizeof(err));
	mw_opts_free(&o);
	/* the word parsers on their own */
	if (argc > 1) {
		mw_flag_value("prot", argv[1], &v);
		mw_flag_value("mmap", argv[1], &v);
		mw_flag_value("mremap", argv[1], &v);
		mw_flag_value("msync", argv[1], &v);
		mw_errno_value(argv[1]);
		mw_events_parse(argv[1], &mask, err, sizeof(err));
		mw_parse_u64(argv[1], 0, UINT64_MAX, 1, &v);
	}
	free(buf);
	return 0;
}

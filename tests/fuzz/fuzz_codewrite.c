/* fuzz_codewrite.c - libFuzzer harness: code_write's /proc/PID/maps line parser (alert_codewrite.c) on any text, at addresses taken from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "alert_codewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t addr = 0;
	const char *p = (const char *)data, *end = p + size;

	if (size >= 8)
		memcpy(&addr, data + size - 8, 8);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int a = mw_cw_maps_line_prot(p, n, addr), b = mw_cw_maps_line_prot(p, n, 0x7f0000001000ull);
		if (a < -1 || a > (PROT_READ | PROT_WRITE | PROT_EXEC) || b < -1 || b > (PROT_READ | PROT_WRITE | PROT_EXEC))
			abort();
		p += n + (nl != NULL);
	}
	return 0;
}

/* fuzz_btfscan.c - libFuzzer harness: the raw BTF reader on any bytes (the name to find comes from the input's last bytes). */
#include <stdint.h>
#include <string.h>
#include "btfscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[16] = "foo";
	size_t k = size && data[size - 1] < 16 ? data[size - 1] : 0;

	if (k && k < size) { /* the last byte says how many bytes before it are the name */
		memcpy(name, data + size - 1 - k, k);
		name[k] = 0;
		size -= k + 1;
	}
	int id = mw_btf_func_id(data, size, name);
	if (id == 0 || id < -1)
		__builtin_trap();
	return 0;
}

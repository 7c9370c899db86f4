/* test_routes_x86_64.c - code_write's route rows (mw_calls.h's MW_ROUTES): their x86_64 numbers are the kernel headers' (<asm/unistd_64.h>). */
/* A file of its own per ABI: each header defines the same __NR_ names. */
#if __has_include(<asm/unistd_64.h>)
#include <asm/unistd_64.h>
#include "mw_calls.h"
#include "t.h"

TEST(routes_x86_64_numbers)
{
#define ROW(ID, name, x86_64, i386, arm64, arm) CHECK_INT(x86_64, __NR_##name);
	MW_ROUTES(ROW)
#undef ROW
}
#endif

/* test_routes_i386.c - code_write's route rows (mw_calls.h's MW_ROUTES): their i386 numbers are the kernel headers' (<asm/unistd_32.h>). */
/* A file of its own per ABI: each header defines the same __NR_ names. */
#if __has_include(<asm/unistd_32.h>)
#include <asm/unistd_32.h>
#include "mw_calls.h"
#include "t.h"

TEST(routes_i386_numbers)
{
#define ROW(ID, name, x86_64, i386, arm64, arm) CHECK_INT(i386, __NR_##name);
	MW_ROUTES(ROW)
#undef ROW
}
#endif

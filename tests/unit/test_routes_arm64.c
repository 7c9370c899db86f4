/* test_routes_arm64.c - code_write's route rows (mw_calls.h's MW_ROUTES): their arm64 numbers are the kernel headers' (<asm-generic/unistd.h>). */
/* A file of its own per ABI: each header defines the same __NR_ names. */
#if __has_include(<asm-generic/unistd.h>)
#include <asm-generic/unistd.h>
#include "mw_calls.h"
#include "t.h"

#define __NR_open (-1) /* the generic table (arm64's) has no open(), the row says -1 */

TEST(routes_arm64_numbers)
{
#define ROW(ID, name, x86_64, i386, arm64, arm) CHECK_INT(arm64, __NR_##name);
	MW_ROUTES(ROW)
#undef ROW
}
#endif

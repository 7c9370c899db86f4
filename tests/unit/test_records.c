/* test_records.c - the record layouts doc/RECORDS.md describes: sizes and offsets, so that the page cannot drift from include/. */
#include <stddef.h>
#include "mapwatch.h"
#include "stack_abi.h"
#include "summary_abi.h"
#include "t.h"

_Static_assert(sizeof(struct mw_event) == 224, "doc/RECORDS.md: struct mw_event");
_Static_assert(offsetof(struct mw_event, args) == 16, "doc/RECORDS.md: mw_event.args");
_Static_assert(offsetof(struct mw_event, ret) == 64, "doc/RECORDS.md: mw_event.ret");
_Static_assert(offsetof(struct mw_event, pid) == 80, "doc/RECORDS.md: mw_event.pid");
_Static_assert(offsetof(struct mw_event, comm) == 128, "doc/RECORDS.md: mw_event.comm");
_Static_assert(offsetof(struct mw_event, file) == 144, "doc/RECORDS.md: mw_event.file");
_Static_assert(offsetof(struct mw_event, vm_flags) == 176, "doc/RECORDS.md: mw_event.vm_flags");
_Static_assert(offsetof(struct mw_event, eff_flags) == 206, "doc/RECORDS.md: mw_event.eff_flags");
_Static_assert(offsetof(struct mw_event, alias_pid) == 208, "doc/RECORDS.md: mw_event.alias_pid");
_Static_assert(offsetof(struct mw_event, alias_addr) == 216, "doc/RECORDS.md: mw_event.alias_addr");
_Static_assert(offsetof(struct mw_event, path) == 224, "doc/RECORDS.md: mw_event.path");
_Static_assert(sizeof(struct mw_file) == 32, "doc/RECORDS.md: struct mw_file");
_Static_assert(offsetof(struct mw_file, kind) == 20, "doc/RECORDS.md: mw_file.kind");
_Static_assert(sizeof(struct mw_udata) == 1040, "doc/RECORDS.md: struct mw_udata");
_Static_assert(sizeof(struct mw_proc_rec) == 16, "doc/RECORDS.md: struct mw_proc_rec");
_Static_assert(sizeof(struct mw_task_rec) == 24, "doc/RECORDS.md: struct mw_task_rec");
_Static_assert(sizeof(struct mw_compat_rec) == 24, "doc/RECORDS.md: struct mw_compat_rec");
_Static_assert(sizeof(struct mw_stack_rec) == 16, "doc/RECORDS.md: struct mw_stack_rec");
_Static_assert(sizeof(struct mw_stack_frame) == 32, "doc/RECORDS.md: struct mw_stack_frame");
_Static_assert(sizeof(struct mw_sum_key) == 32, "doc/RECORDS.md: struct mw_sum_key");
_Static_assert(sizeof(struct mw_sum_val) == 40, "doc/RECORDS.md: struct mw_sum_val");

/* The record types and their values, as the page's table gives them. */
TEST(records_types)
{
	CHECK_INT(MW_REC_EVENT, 1);
	CHECK_INT(MW_REC_PROC, 2);
	CHECK_INT(MW_REC_FORK, 4);
	CHECK_INT(MW_REC_EXEC, 5);
	CHECK_INT(MW_REC_EXIT, 6);
	CHECK_INT(MW_REC_COMPAT, 7);
	CHECK_INT(MW_REC_STACK, 16);
	CHECK_INT(MW_FK_UNKNOWN, 13);
	CHECK_INT(MW_EFF_ERROR, 4);
}

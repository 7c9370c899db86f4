/* test_format.c - table and JSON renderings agree with each other, with strace, and with Tracee's types. */
#include <stdlib.h>
#include "t.h"
#include "catalog.h"
#include "format.h"
#include "mapwatch.h"
#include "t_event.h"


static char *call(const struct mw_event *e)
{
	static struct strbuf b;
	struct mw_view v = { .e = e, .ts_ns = 1700000000123456789ull };

	sb_reset(&b);
	mw_format_call(&b, &v);
	return b.p;
}

static char *json(const struct mw_event *e, const char *path, const char *exe)
{
	static struct strbuf b;
	struct mw_view v = { .e = e, .path = path, .exe = exe, .ts_ns = 1700000000123456789ull };

	sb_reset(&b);
	mw_format_json(&b, &v);
	return b.p;
}

TEST(format_old_mmap_unreadable_struct)
{
	/* i386 old_mmap whose struct pointer faults: nothing invented (strace: mmap(0x8) = -1 EFAULT) */
	struct mw_event e = t_event(MW_EV_MMAP, 0x8, 0, 0, 0, 0, 0, -14);
	e.flags = MW_F_COMPAT | MW_F_TOCTOU | MW_F_ARGS_FAULT;
	e.syscall_nr = 90;
	const char *t = call(&e);
	CHECK(t && !strncmp(t, "mmap(0x8) = -1 EFAULT (Bad address)", 35));
	CHECK(t && !strstr(t, "length="));
	const char *j = json(&e, NULL, NULL);
	CHECK(strstr(j, "\"argsNum\":1,") != NULL);
	CHECK(strstr(j, "\"args\":[{\"name\":\"arg\",\"type\":\"pointer\",\"value\":\"0x8\"") != NULL);
	CHECK(strstr(j, "\"length\"") == NULL && strstr(j, "\"prot\"") == NULL);
}

TEST(format_mmap2_fd_same_in_both)
{
	/* a 32-bit task's fd -1 arrives zero-extended */
	struct mw_event e = t_event(MW_EV_MMAP2, 0, 4096, 3, 0x22, 0xffffffffu, 0, 0xf7f00000);
	e.flags = MW_F_COMPAT;
	CHECK(strstr(call(&e), "fd=-1,") != NULL);
	const char *j = json(&e, NULL, NULL);
	CHECK(strstr(j, "{\"name\":\"fd\",\"type\":\"int\",\"value\":-1,") != NULL);
	CHECK(strstr(j, "{\"name\":\"prot\",\"type\":\"int\",\"value\":3,") != NULL);
	CHECK(strstr(j, "{\"name\":\"flags\",\"type\":\"int\",\"value\":34,") != NULL);
	CHECK(strstr(j, "4294967295") == NULL);
	/* one type per meaning: mmap and mmap2 agree on every shared argument */
	const struct mw_event_desc *a = mw_event_desc(MW_EV_MMAP), *b = mw_event_desc(MW_EV_MMAP2);
	for (int i = 0; i < 5; i++) {
		CHECK_STR(a->args[i].name, b->args[i].name);
		CHECK_INT(a->args[i].type, b->args[i].type);
	}
	/* fd and off are what the caller passed: user space */
	CHECK_INT(a->args[4].tags, MW_TG_U);
	CHECK_INT(a->args[5].tags, MW_TG_U);
	CHECK_INT(b->args[5].tags, MW_TG_U);
}

TEST(format_tracee_types)
{
	struct mw_event e = t_event(MW_EV_MUNMAP, 0x1000, 4096, 0, 0, 0, 0, 0);
	const char *j = json(&e, NULL, "/bin/x");
	char want[64];

	snprintf(want, sizeof(want), "\"eventId\":\"%u\",", MW_EV_MUNMAP); /* EventID int `json:"eventId,string"` */
	CHECK(strstr(j, want) != NULL);
	CHECK(!strncmp(j, "{\"schemaVersion\":" MW_SCHEMA_VERSION_STR ",", 17 + strlen(MW_SCHEMA_VERSION_STR) + 1));
	CHECK(strstr(j, "\"time\":\"2023-11-14T22:13:20.123456789Z\"") != NULL);
}

TEST(format_raw_path_bytes)
{
	struct mw_event e = t_event(MW_EV_MMAP, 0, 4096, 1, 2, 3, 0, 0x7f0000000000);
	e.flags = MW_F_HAS_FILE;
	e.file.kind = MW_FK_REGULAR;
	const char *j = json(&e, "/tmp/a\xff\xfe" "b", "/bin/\xc3\x28");
	CHECK(strstr(j, "\"path\":\"/tmp/a\\ufffd\\ufffdb\",\"pathHex\":\"2f746d702f61fffe62\"") != NULL);
	CHECK(strstr(j, "\"executable\":{\"path\":\"/bin/\\ufffd(\",\"pathHex\":\"2f62696e2fc328\"}") != NULL);
	j = json(&e, "/tmp/\xc3\xa9t\xc3\xa9", "/bin/ok");
	CHECK(strstr(j, "pathHex") == NULL); /* only when the bytes differ */
}

TEST(format_strace_parity_table)
{
	struct mw_event e = t_event(MW_EV_MREMAP, 0x1000, 4096, 8192, 1, 0x5000, 0, -22);
	CHECK(!strncmp(call(&e), "mremap(old_address=0x1000, old_size=4096, new_size=8192, flags=MREMAP_MAYMOVE) = -1 EINVAL (Invalid argument)", 106));
	e.args[3] = 3;
	CHECK(strstr(call(&e), "flags=MREMAP_MAYMOVE|MREMAP_FIXED, new_address=0x5000) = ") != NULL);
	e = t_event(MW_EV_MPROTECT, 0x1000, 4096, 0x100, 0, 0, 0, -13);
	CHECK(!strcmp(call(&e), "mprotect(addr=0x1000, len=4096, prot=0x100 /* PROT_??? */) = -1 EACCES (Permission denied)"));
	e = t_event(MW_EV_MMAP, 0, 4096, 1, 0, 3, 0, -9);
	CHECK(strstr(call(&e), "flags=MAP_FILE, fd=3, off=0) = -1 EBADF (Bad file descriptor)") != NULL);
}

/* found by fuzz_record: a record with an event id outside the catalogue
 * decoded, and the JSON writer then wrote an empty line */
TEST(format_record_decode_any_bytes)
{
	struct strbuf path = { 0 };
	struct mw_view v;
	struct mw_event e = t_event(MW_EV_MMAP, 0, 4096, 1, 2, 3, 0, 0);
	unsigned char buf[sizeof(struct mw_event) + 64];

	e.event = 0xfffd;
	memcpy(buf, &e, sizeof(e));
	CHECK_INT(mw_event_decode(buf, sizeof(e), &path, &v), -1);
	e.event = MW_EV_MMAP;
	CHECK_INT(mw_event_decode(&e, sizeof(e) - 1, &path, &v), -1); /* short record */
	/* path_len beyond the record: clamped to what is there */
	e.flags = MW_F_HAS_FILE;
	e.file.kind = MW_FK_REGULAR;
	e.path_len = 60000;
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), "libc.so\0lib\0usr", 15);
	CHECK_INT(mw_event_decode(buf, sizeof(e) + 15, &path, &v), 0);
	CHECK_STR(v.path, "/usr/lib/libc.so");
	sb_free(&path);
}

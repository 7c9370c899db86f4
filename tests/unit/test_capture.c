/* test_capture.c - evidence without a kernel: chunk records put back together (order, loss, eviction,
 * malformed), the sha256, and --capture DIR's store (names, mode, dedup, quota, previous runs' files). */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"
#include "capture_abi.h"
#include "capture_store.h"
#include "exehash.h"
#include "t.h"

static void chunk(struct mw_captures *c, uint32_t tid, uint64_t ts, uint32_t index, uint32_t count, uint16_t flags,
		  uint8_t fillbyte)
{
	static struct mw_chunk_rec r;

	memset(&r, 0, sizeof(r));
	r.type = MW_REC_CHUNK;
	r.flags = flags;
	r.pid = 100;
	r.tid = tid;
	r.index = index;
	r.count = count;
	r.ts = ts;
	r.addr = 0x10000 + (uint64_t)index * MW_CHUNK_BYTES;
	r.region_len = (uint64_t)count * MW_CHUNK_BYTES;
	memset(r.data, fillbyte, sizeof(r.data));
	mw_captures_chunk(c, &r, sizeof(r));
}

TEST(capture_sha256_known_values)
{
	char h[65];

	CHECK_INT(mw_sha256_hex("", 0, h), 0);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_INT(mw_sha256_hex("abc", 3, h), 0);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(capture_reassembly)
{
	struct mw_captures *c = mw_captures_new();
	struct mw_payload p;

	/* two threads' captures interleaved */
	chunk(c, 7, 1000, 0, 2, 0, 0xaa);
	chunk(c, 8, 2000, 0, 1, MW_CHUNK_LAST | MW_CHUNK_TRUNC, 0xcc);
	chunk(c, 7, 1000, 1, 2, MW_CHUNK_LAST, 0xbb);
	CHECK_INT(mw_captures_take(c, 100, 7, 999, "/nonexistent", &p), -1); /* another call of tid 7 */
	CHECK_INT(mw_captures_take(c, 100, 7, 1000, "/nonexistent", &p), 0);
	CHECK_INT(p.len, 2 * MW_CHUNK_BYTES);
	CHECK_INT(p.addr, 0x10000);
	CHECK_INT(p.truncated, 0);
	CHECK_INT(p.bytes[0], 0xaa);
	CHECK_INT(p.bytes[MW_CHUNK_BYTES], 0xbb);
	char h[65];
	mw_sha256_hex(p.bytes, p.len, h);
	CHECK_STR(p.sha256, h);
	mw_payload_free(&p);
	CHECK_INT(mw_captures_take(c, 100, 7, 1000, "/nonexistent", &p), -1); /* taken once */
	CHECK_INT(mw_captures_take(c, 100, 8, 2000, "/nonexistent", &p), 0);
	CHECK_INT(p.truncated, 1); /* --capture-max cut it in the kernel */
	mw_payload_free(&p);
	CHECK_INT(mw_captures_orphans(c), 0);
	mw_captures_free(c);
}

TEST(capture_lost_and_unread_pages)
{
	struct mw_captures *c = mw_captures_new();
	struct mw_payload p;

	/* pages 1 and 2 of 3 lost (the ring buffer was full): the payload is the page before */
	chunk(c, 9, 5, 0, 3, 0, 0x11);
	CHECK_INT(mw_captures_take(c, 100, 9, 5, "/nonexistent", &p), 0);
	CHECK_INT(p.len, MW_CHUNK_BYTES);
	CHECK_INT(p.truncated, 1);
	mw_payload_free(&p);
	/* out of order: malformed, the capture dropped */
	chunk(c, 9, 4, 0, 3, 0, 0x11);
	chunk(c, 9, 4, 2, 3, 0, 0x11);
	CHECK_INT(mw_captures_take(c, 100, 9, 4, "/nonexistent", &p), -1);
	CHECK_INT(mw_captures_orphans(c), 1);
	/* a page the kernel could not read, and no /proc to read it from: zeros, counted */
	chunk(c, 9, 6, 0, 1, MW_CHUNK_LAST | MW_CHUNK_UNREAD, 0x44);
	CHECK_INT(mw_captures_take(c, 100, 9, 6, "/nonexistent", &p), 0);
	CHECK_INT(p.unread, 1);
	CHECK_INT(p.bytes[0], 0);
	mw_payload_free(&p);
	/* a capture whose event never came is dropped when the thread's next one starts */
	chunk(c, 9, 7, 0, 1, MW_CHUNK_LAST, 0x55);
	chunk(c, 9, 8, 0, 1, MW_CHUNK_LAST, 0x66);
	CHECK_INT(mw_captures_orphans(c), 2);
	CHECK_INT(mw_captures_take(c, 100, 9, 8, "/nonexistent", &p), 0);
	CHECK_INT(p.bytes[0], 0x66);
	mw_payload_free(&p);
	/* malformed: short, index past count, no tid */
	mw_captures_chunk(c, "xx", 2);
	chunk(c, 9, 9, 3, 2, 0, 0);
	chunk(c, 0, 9, 0, 1, 0, 0);
	CHECK_INT(mw_captures_orphans(c), 5);
	/* more threads in flight than slots: the oldest goes, counted */
	for (uint32_t t = 1000; t < 1100; t++)
		chunk(c, t, 1, 0, 2, 0, 0x77);
	CHECK(mw_captures_orphans(c) >= 5 + 100 - 64);
	CHECK_INT(mw_captures_take(c, 100, 1099, 1, "/nonexistent", &p), 0);
	CHECK_INT(p.truncated, 1); /* its last page never came */
	mw_payload_free(&p);
	mw_captures_free(c);
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST(capture_store_names_dedup_quota)
{
	char dir[] = "/tmp/mw-unit-store-XXXXXX", err[256], file[512], files[3][512];
	uint8_t page[4096];
	char h[3][65];
	struct mw_store_stats st;
	struct stat sb;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	CHECK(mw_store_open("/nonexistent-mw-dir", 0, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "create the directory first") != NULL);
	struct mw_store *s = mw_store_open(dir, 8192, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 3; i++) {
		memset(page, 'a' + i, sizeof(page));
		mw_sha256_hex(page, sizeof(page), h[i]);
		CHECK_INT(mw_store_put(s, page, sizeof(page), h[i], 42, 1700000000123456789ull + (uint64_t)i, "x_after_w",
				       files[i], sizeof(files[i])), 0);
	}
	char want[512];
	snprintf(want, sizeof(want), "%s/20231114T221320.123456789Z-pid42-x_after_w-%s.bin", dir, h[0]);
	CHECK_STR(files[0], want);
	memset(page, 'b', sizeof(page));
	CHECK_INT(mw_store_put(s, page, sizeof(page), h[1], 43, 1700000009000000000ull, "wx/../mprotect", file,
			       sizeof(file)), 0);
	CHECK_STR(file, files[1]); /* the same sha256: the first such file's name */
	mw_store_close(s); /* writes what is queued */
	CHECK_INT(count_files(dir), 2);   /* quota 8K: the oldest of three went */
	snprintf(want, sizeof(want), "%s/20231114T221320.123456791Z-pid42-x_after_w-%s.bin", dir, h[2]);
	CHECK_INT(stat(want, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	/* a second run knows the files already there: same sha256 not written again */
	s = mw_store_open(dir, 0, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	memset(page, 'c', sizeof(page));
	CHECK_INT(mw_store_put(s, page, sizeof(page), h[2], 44, 1800000000000000000ull, "exec_fileless", file,
			       sizeof(file)), 0);
	CHECK_STR(file, want);
	mw_store_stats(s, &st);
	CHECK_INT(st.deduplicated, 1);
	mw_store_close(s);
	CHECK_INT(count_files(dir), 2);
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[600];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

TEST(capture_exehash_cached_by_identity)
{
	char path[] = "/tmp/mw-unit-exe-XXXXXX", want[65];
	struct mw_exehash *h = mw_exehash_new();
	uint64_t hashed, cached;
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	int fd = mkstemp(path);

	CHECK(fd >= 0 && h);
	if (fd < 0 || !h)
		return;
	CHECK_INT(write(fd, "abc", 3), 3);
	/* no such pid in this /proc: the path is read */
	CHECK_STR(mw_exehash_get(h, "/nonexistent", 1, path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(mw_exehash_get(h, "/nonexistent", 1, path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mw_exehash_counts(h, &hashed, &cached);
	CHECK_INT(hashed, 1);
	CHECK_INT(cached, 1);
	/* rewritten in place (same inode): mtime/ctime differ, read again */
	CHECK_INT(pwrite(fd, "x", 1, 0), 1);
	CHECK_INT(futimens(fd, ts), 0);
	mw_sha256_hex("xbc", 3, want);
	CHECK_STR(mw_exehash_get(h, "/nonexistent", 1, path), want);
	mw_exehash_counts(h, &hashed, &cached);
	CHECK_INT(hashed, 2);
	CHECK(mw_exehash_get(h, "/nonexistent", 1, "relative/not/opened") == NULL);
	close(fd);
	unlink(path);
	mw_exehash_free(h);
}

TEST(capture_at_exit_says_so)
{
	struct mw_captures *c = mw_captures_new();
	struct mw_payload p;

	chunk(c, 7, 99, 0, 2, MW_CHUNK_EXIT, 0xaa);
	chunk(c, 7, 99, 1, 2, MW_CHUNK_EXIT | MW_CHUNK_LAST, 0xbb);
	CHECK_INT(mw_captures_take(c, 100, 7, 99, "/nonexistent", &p), 0);
	CHECK_STR(p.at, "exit");
	CHECK_INT(p.before, 0);
	CHECK_INT(p.len, 2 * MW_CHUNK_BYTES);
	mw_payload_free(&p);
	chunk(c, 7, 100, 0, 1, MW_CHUNK_LAST, 0xaa);
	CHECK_INT(mw_captures_take(c, 100, 7, 100, "/nonexistent", &p), 0);
	CHECK_STR(p.at, "syscall");
	mw_payload_free(&p);
	mw_captures_free(c);
}

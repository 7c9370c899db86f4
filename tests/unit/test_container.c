/* test_container.c - the runtimes' state readers, the cgroup-path resolver over fake runtime roots, and the user-space container filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "t.h"
#include "container.h"
#include "ctr_match.h"
#include "ctr_state.h"
#include "proc.h"

#define S(x) x, strlen(x)

TEST(ctr_runc_state_labels_and_bundle)
{
	struct mw_ctr_info ci = { 0 };
	char bundle[64];
	const char *st = "{\"id\":\"c0ffee1234\",\"config\":{\"labels\":[\"bundle=/tmp/b\","
			 "\"io.kubernetes.cri.container-name=web\",\"io.kubernetes.cri.sandbox-name=web-pod\","
			 "\"io.kubernetes.cri.sandbox-namespace=shop\",\"io.kubernetes.cri.sandbox-uid=u-1\","
			 "\"io.kubernetes.cri.image-name=docker.io/library/busybox:1.36\",\"noequals\",7]}}";

	CHECK_INT(mw_ctr_parse_runc_state(S(st), &ci, bundle, sizeof(bundle)), 0);
	CHECK_STR(ci.id, "c0ffee1234");
	CHECK_STR(bundle, "/tmp/b");
	CHECK_STR(ci.name, "web");
	CHECK_STR(ci.pod_name, "web-pod");
	CHECK_STR(ci.pod_namespace, "shop");
	CHECK_STR(ci.pod_uid, "u-1");
	CHECK_STR(ci.image, "docker.io/library/busybox:1.36");
}

TEST(ctr_bad_state_refused)
{
	static const char *const bad[] = {
		"", "{", "{\"id\":\"x\"", "[]", "{\"id\":7}", "{\"id\":\"\"}", "null", "{\"id\":\"a\"} trailing",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mw_ctr_info ci = { 0 };
		char bundle[16] = "zz";
		CHECK(mw_ctr_parse_runc_state(S(bad[i]), &ci, bundle, sizeof(bundle)) == -1);
		CHECK_STR(bundle, "");
		CHECK(mw_ctr_parse_docker_config(S(bad[i]), &ci) == -1);
	}
	/* a truncated copy of a good file */
	const char *good = "{\"ID\":\"abc\",\"Name\":\"/n\",\"Config\":{\"Image\":\"i\"}}";
	struct mw_ctr_info ci = { 0 };
	for (size_t n = 0; n < strlen(good); n++)
		CHECK(mw_ctr_parse_docker_config(good, n, &ci) == -1);
	CHECK(mw_ctr_parse_docker_config(S(good), &ci) == 0);
}

TEST(ctr_crio_annotations_and_long_values)
{
	struct mw_ctr_info ci = { 0 };
	char big[2000];
	char text[2300];

	CHECK_INT(mw_ctr_parse_oci_config(S("{\"annotations\":{\"io.kubernetes.container.name\":\"db\","
					    "\"io.kubernetes.pod.name\":\"db-0\",\"io.kubernetes.pod.namespace\":\"data\","
					    "\"io.kubernetes.pod.uid\":\"u-2\",\"io.kubernetes.cri-o.ImageName\":\"quay.io/x/db:1\","
					    "\"other\":\"x\",\"io.kubernetes.pod.name2\":5}}"), &ci), 0);
	CHECK_STR(ci.name, "db");
	CHECK_STR(ci.pod_name, "db-0");
	CHECK_STR(ci.pod_namespace, "data");
	CHECK_STR(ci.pod_uid, "u-2");
	CHECK_STR(ci.image, "quay.io/x/db:1");
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	snprintf(text, sizeof(text), "{\"annotations\":{\"io.kubernetes.pod.name\":\"%s\"}}", big);
	CHECK_INT(mw_ctr_parse_oci_config(S(text), &ci), 0);
	CHECK_INT(strlen(ci.pod_name), MW_CTR_STR_MAX - 1); /* cut, terminated */
}

TEST(ctr_podman_and_docker_stores)
{
	struct mw_ctr_info ci = { 0 };
	char image_id[80];
	const char *cs = "[{\"id\":\"other\",\"names\":[\"no\"]},{\"id\":\"abc123\",\"names\":[\"happy_cat\",\"x\"],"
			 "\"image\":\"img1\",\"metadata\":\"{\\\"image-name\\\":\\\"localhost/bb:latest\\\"}\"}]";

	CHECK_INT(mw_ctr_parse_podman_containers(S(cs), "nothere", &ci, image_id, sizeof(image_id)), -1);
	CHECK_INT(mw_ctr_parse_podman_containers(S(cs), "abc123", &ci, image_id, sizeof(image_id)), 0);
	CHECK_STR(ci.name, "happy_cat");
	CHECK_STR(ci.image, "localhost/bb:latest");
	CHECK_STR(image_id, "img1");
	CHECK_INT(mw_ctr_parse_podman_images(S("[{\"id\":\"img1\",\"digest\":\"sha256:aa\",\"names\":[\"n\"]}]"), "img1", &ci), 0);
	CHECK_STR(ci.image_digest, "sha256:aa");
	CHECK_STR(ci.image, "localhost/bb:latest"); /* the container's own name of it stays */

	memset(&ci, 0, sizeof(ci));
	CHECK_INT(mw_ctr_parse_docker_config(S("{\"ID\":\"d1\",\"Name\":\"/nginx_1\",\"Image\":\"sha256:bb\","
					      "\"Config\":{\"Image\":\"nginx:1.25\",\"Labels\":{\"io.kubernetes.pod.name\":\"p\"}}}"), &ci), 0);
	CHECK_STR(ci.id, "d1");
	CHECK_STR(ci.name, "nginx_1");
	CHECK_STR(ci.image, "nginx:1.25");
	CHECK_STR(ci.image_digest, "sha256:bb");
	CHECK_STR(ci.pod_name, "p");
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Fake runtime roots in a temporary directory: runc (with a bundle holding
 * CRI annotations), docker, podman (vfs), and paths that name each. */
TEST(ctr_resolve_paths_over_fake_roots)
{
	char dir[] = "/tmp/mw-ctr-XXXXXX", p[512], spec[1024], err[256] = "";
	const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *hex2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	const char *hex3 = "1111111111111111111111111111111111111111111111111111111111111111";
	struct mw_ctr_info ci;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(p, sizeof(p), "%s/runc", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/runc/c0ffee1234", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/bundle", dir), mkdir(p, 0700);
	snprintf(spec, sizeof(spec), "{\"id\":\"c0ffee1234\",\"config\":{\"labels\":[\"bundle=%s/bundle\"]}}", dir);
	snprintf(p, sizeof(p), "%s/runc/c0ffee1234/state.json", dir), put_file(p, spec);
	snprintf(p, sizeof(p), "%s/bundle/config.json", dir);
	put_file(p, "{\"annotations\":{\"io.kubernetes.cri.container-name\":\"web\",\"io.kubernetes.cri.sandbox-name\":\"web-pod\","
		    "\"io.kubernetes.cri.sandbox-namespace\":\"shop\"}}");
	snprintf(p, sizeof(p), "%s/runc/broken", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/runc/broken/state.json", dir), put_file(p, "{\"id\":\"bro");
	snprintf(p, sizeof(p), "%s/docker", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/docker/containers", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/docker/containers/%s", dir, hex), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/docker/containers/%s/config.v2.json", dir, hex);
	snprintf(spec, sizeof(spec), "{\"ID\":\"%s\",\"Name\":\"/nginx_1\",\"Config\":{\"Image\":\"nginx:1.25\"}}", hex);
	put_file(p, spec);
	snprintf(p, sizeof(p), "%s/podman", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/podman/vfs-containers", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/podman/vfs-containers/containers.json", dir);
	snprintf(spec, sizeof(spec), "[{\"id\":\"%s\",\"names\":[\"happy_cat\"],\"image\":\"img1\"}]", hex2);
	put_file(p, spec);
	snprintf(p, sizeof(p), "%s/podman/vfs-images", dir), mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/podman/vfs-images/images.json", dir);
	put_file(p, "[{\"id\":\"img1\",\"digest\":\"sha256:cc\",\"names\":[\"localhost/bb:latest\"]}]");
	snprintf(spec, sizeof(spec), "runc=%s/runc,crun=%s/none,containerd=%s/none,moby=%s/none,docker=%s/docker,podman=%s/podman",
		 dir, dir, dir, dir, dir, dir);
	CHECK_INT(mw_ctr_add_roots(spec, err, sizeof(err)), 0);

	struct mw_ctr_stats st0, st1;
	mw_ctr_stats(&st0);
	CHECK_INT(mw_ctr_resolve_path("/sys/fs/cgroup/c0ffee1234", &ci), 1);
	CHECK_STR(ci.id, "c0ffee1234");
	CHECK_STR(ci.runtime, "runc");
	CHECK_STR(ci.name, "web");
	CHECK_STR(ci.pod_name, "web-pod");
	CHECK_STR(ci.pod_namespace, "shop");
	snprintf(p, sizeof(p), "/sys/fs/cgroup/system.slice/docker-%s.scope", hex);
	CHECK_INT(mw_ctr_resolve_path(p, &ci), 1);
	CHECK_STR(ci.name, "nginx_1");
	CHECK_STR(ci.runtime, "docker");
	CHECK_STR(ci.image, "nginx:1.25");
	snprintf(p, sizeof(p), "/sys/fs/cgroup/machine.slice/libpod-%s.scope/container", hex2);
	CHECK_INT(mw_ctr_resolve_path(p, &ci), 1);
	CHECK_STR(ci.id, hex2);
	CHECK_STR(ci.name, "happy_cat");
	CHECK_STR(ci.runtime, "podman");
	CHECK_STR(ci.image, "localhost/bb:latest");
	CHECK_STR(ci.image_digest, "sha256:cc");
	/* conmon watches the container from the host's side */
	snprintf(p, sizeof(p), "/sys/fs/cgroup/machine.slice/libpod-conmon-%s.scope", hex2);
	CHECK_INT(mw_ctr_resolve_path(p, &ci), 0);
	char out[65];
	CHECK_INT(mw_container_id_from_cgroup(p, out), -1);
	/* a container no state describes: its id alone, counted */
	snprintf(p, sizeof(p), "/sys/fs/cgroup/kubepods/besteffort/podx/%s", hex3);
	CHECK_INT(mw_ctr_resolve_path(p, &ci), 1);
	CHECK_STR(ci.id, hex3);
	CHECK_STR(ci.runtime, "");
	/* the host; a malformed state file is counted and names nothing */
	CHECK_INT(mw_ctr_resolve_path("/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope", &ci), 0);
	CHECK_INT(mw_ctr_resolve_path("/sys/fs/cgroup/broken", &ci), 0);
	CHECK_INT(mw_ctr_resolve_path("/sys/fs/cgroup/..", &ci), 0);
	mw_ctr_stats(&st1);
	CHECK_INT(st1.unresolved - st0.unresolved, 1);
	CHECK(st1.state_errors - st0.state_errors >= 1);

	CHECK_INT(mw_ctr_add_roots("oops=/x", err, sizeof(err)), -1);
	CHECK(strstr(err, "KIND=/DIR") != NULL);
	CHECK_INT(mw_ctr_add_roots("runc=relative", err, sizeof(err)), -1);
	mw_ctr_clear();
	snprintf(spec, sizeof(spec), "rm -rf '%s'", dir);
	CHECK_INT(system(spec), 0);
}

TEST(ctr_match_words)
{
	struct mw_container web = { "c0ffee1234", "web", "docker.io/library/busybox:1.36", "", "runc", "web-pod", "shop", "" };
	struct mw_container bare = { "ABCDEF0123", "", "", "", "", "", "", "" };
	struct mw_ctr_match m;

	memset(&m, 0, sizeof(m));
	CHECK(!mw_ctr_match_on(&m));
	CHECK(mw_ctr_match(&m, NULL));
	m.ctr.any = true; /* all */
	CHECK(mw_ctr_match(&m, &web) && !mw_ctr_match(&m, NULL));
	m.ctr.neg = true; /* none */
	CHECK(!mw_ctr_match(&m, &web) && mw_ctr_match(&m, NULL));
	memset(&m, 0, sizeof(m));
	static const char *const yes[] = { "web", "c0f", "C0FFEE", "busybox", "busybox:1.36", "docker.io/library/busybox:1.36" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		m.ctr.n = 1;
		snprintf(m.ctr.w[0], sizeof(m.ctr.w[0]), "%s", yes[i]);
		CHECK(mw_ctr_match(&m, &web));
		CHECK(!mw_ctr_match(&m, NULL));
	}
	static const char *const no[] = { "we", "c0", "busy", "busybox:1.35", "1234" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(m.ctr.w[0], sizeof(m.ctr.w[0]), "%s", no[i]);
		CHECK(!mw_ctr_match(&m, &web));
	}
	snprintf(m.ctr.w[0], sizeof(m.ctr.w[0]), "abcdef");
	CHECK(mw_ctr_match(&m, &bare)); /* upper-case ids match lower-case words */
	memset(&m, 0, sizeof(m));
	m.pod.n = 1;
	strcpy(m.pod.w[0], "web-pod");
	CHECK(mw_ctr_match(&m, &web) && !mw_ctr_match(&m, &bare) && !mw_ctr_match(&m, NULL));
	m.ns.n = 1;
	strcpy(m.ns.w[0], "other");
	CHECK(!mw_ctr_match(&m, &web));
	m.ns.neg = true;
	CHECK(mw_ctr_match(&m, &web));
}

/* The reader's last answer is kept without the lock only while the cache
 * has not changed: a cgroup that names nothing yet is asked again for each
 * new command until it is final, and an entry the resolver adds makes the
 * reader's next call evict down to the cache's size. */
TEST(ctr_get_last_answer_follows_the_cache)
{
	const uint64_t x = 0x7ffffff00001ull, y = 0x7ffffff00002ull;
	struct mw_ctr_stats a, b;
	char comm[16];
	bool tentative, is_ctr;

	mw_ctr_clear();
	mw_ctr_set_cache_size(1);
	mw_ctr_stats(&a);
	for (int i = 0; i < 16; i++) { /* tentative: looked up again for every other command */
		snprintf(comm, sizeof(comm), "prog%d", i);
		CHECK(mw_container_get(x, comm) == NULL);
		CHECK(mw_container_get(x, comm) == NULL); /* the same command: not again */
	}
	mw_ctr_stats(&b);
	CHECK_INT(b.lookups - a.lookups, 16);
	CHECK(mw_container_get(x, "another") == NULL); /* final now: cached */
	CHECK(mw_container_get(x, "another") == NULL);
	mw_ctr_stats(&b);
	CHECK_INT(b.lookups - a.lookups, 16);
	CHECK_INT(b.entries, 1);
	/* the resolver adds y (the cache holds 2 of 1 until the reader's next call) */
	CHECK_INT(mw_container_resolve(y, false, NULL, NULL, &tentative, &is_ctr), -1);
	mw_ctr_stats(&b);
	CHECK_INT(b.entries, 2);
	CHECK(mw_container_get(x, "another") == NULL);
	mw_ctr_stats(&b);
	CHECK_INT(b.entries, 1);
	CHECK_INT(b.lookups - a.lookups, 17);
	/* y was evicted: x is the most recently used; asking for y looks it up again, which evicts x */
	CHECK(mw_container_get(y, "another") == NULL);
	CHECK(mw_container_get(x, "another") == NULL);
	mw_ctr_stats(&b);
	CHECK_INT(b.lookups - a.lookups, 19);
	CHECK_INT(b.entries, 1);
	mw_ctr_set_cache_size(MW_CTR_CACHE_DEFAULT);
	mw_ctr_clear();
}

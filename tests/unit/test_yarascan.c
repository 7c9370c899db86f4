/* test_yarascan.c - --yara without a kernel: an alert held for its scan is written with the container
 * identity it had when it was raised, even after the container cache's entry is gone. */
#include <stdlib.h>
#include <unistd.h>
#include "capture.h"
#include "container.h"
#include "yarascan.h"
#include "t.h"

struct seen {
	int n;
	char id[80], name[80], image[80], pod_ns[80], yara[80];
};

static void keep(void *ctx, const struct mw_view *v, const struct mw_alert *al)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->id, sizeof(s->id), "%s", v->container_id ? v->container_id : "(none)");
	snprintf(s->name, sizeof(s->name), "%s", v->ctr && v->ctr->name ? v->ctr->name : "(none)");
	snprintf(s->image, sizeof(s->image), "%s", v->ctr && v->ctr->image ? v->ctr->image : "(none)");
	snprintf(s->pod_ns, sizeof(s->pod_ns), "%s", v->ctr && v->ctr->pod_namespace ? v->ctr->pod_namespace : "(none)");
	snprintf(s->yara, sizeof(s->yara), "%s", al->yara_text ? al->yara_text : "(none)");
}

TEST(yara_job_keeps_container_identity)
{
	char dir[] = "/tmp/mw-yara-unit.XXXXXX", path[96], err[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/r.yar", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("rule marker { strings: $m = \"UNIT_MARKER\" condition: $m }\n", f);
	fclose(f);
	struct mw_yara *y = mw_yara_open(path, err, sizeof(err));
	CHECK(y != NULL);

	/* the identity as the cache holds it: strings the cache frees or reuses later */
	char id[] = "0123456789abcdef", name[] = "web", image[] = "nginx:1", ns[] = "shop";
	struct mw_container c = { .id = id, .name = name, .image = image, .pod_namespace = ns };
	static uint8_t bytes[4096];
	memcpy(bytes + 100, "UNIT_MARKER", 11);
	struct mw_payload pl = { .bytes = bytes, .len = sizeof(bytes), .region_len = sizeof(bytes), .at = "syscall" };
	struct mw_event e = { .pid = 42, .tid = 42 };
	struct mw_view v = { .e = &e, .container_id = c.id, .ctr = &c, .ts_ns = 1 };
	struct mw_alert al[1];
	int n = 0;
	struct mw_alert *a = mw_alert_add(al, &n, MW_AL_X_AFTER_W);
	a->payload = &pl;
	CHECK_INT(mw_yara_defer(y, &v, a), 0);
	/* the cache's entry evicted and its memory reused before the scan is written */
	memset(id, 'x', sizeof(id) - 1);
	memset(name, 'x', sizeof(name) - 1);
	memset(image, 'x', sizeof(image) - 1);
	memset(ns, 'x', sizeof(ns) - 1);
	struct seen s = { 0 };
	mw_yara_flush(y, keep, &s, 10000);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.id, "0123456789abcdef");
	CHECK_STR(s.name, "web");
	CHECK_STR(s.image, "nginx:1");
	CHECK_STR(s.pod_ns, "shop");
	CHECK_STR(s.yara, "marker");
	mw_yara_close(y);
	unlink(path);
	rmdir(dir);
}

/* fuzz_container.c - libFuzzer harness: the container runtimes' state readers (runc/crun state.json, OCI config.json, podman's containers.json and images.json, docker's config.v2.json) on any bytes, and the identity's text in JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "ctr_state.h"
#include "jsoncheck.h"
#include "strbuf.h"

/* Every field NUL-terminated within its size. */
static void check_terminated(const struct mw_ctr_info *ci)
{
	if (!memchr(ci->id, 0, sizeof(ci->id)) || !memchr(ci->name, 0, sizeof(ci->name)) ||
	    !memchr(ci->image, 0, sizeof(ci->image)) || !memchr(ci->image_digest, 0, sizeof(ci->image_digest)) ||
	    !memchr(ci->runtime, 0, sizeof(ci->runtime)) || !memchr(ci->pod_name, 0, sizeof(ci->pod_name)) ||
	    !memchr(ci->pod_namespace, 0, sizeof(ci->pod_namespace)) || !memchr(ci->pod_uid, 0, sizeof(ci->pod_uid)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct mw_ctr_info ci;
	char bundle[256], image_id[160];
	struct strbuf b = { 0 };

	/* the first byte picks the id the array readers look for ("" too) */
	const char *id = size && (data[0] & 1) ? "c0ffee1234" : size && (data[0] & 2) ? "" : "abc";

	memset(&ci, 0, sizeof(ci));
	memset(bundle, 'x', sizeof(bundle));
	if (mw_ctr_parse_runc_state(text, size, &ci, bundle, sizeof(bundle)) == 0 && !ci.id[0])
		abort(); /* a state without an id is refused */
	if (!memchr(bundle, 0, sizeof(bundle)))
		abort();
	mw_ctr_parse_oci_config(text, size, &ci);
	memset(image_id, 'x', sizeof(image_id));
	mw_ctr_parse_podman_containers(text, size, id, &ci, image_id, sizeof(image_id));
	if (!memchr(image_id, 0, sizeof(image_id)))
		abort();
	mw_ctr_parse_podman_images(text, size, image_id, &ci);
	mw_ctr_parse_docker_config(text, size, &ci);
	check_terminated(&ci);

	/* what the parsers found becomes JSON text: it must be valid */
	sb_puts(&b, "{\"n\":");
	sb_json_str(&b, ci.name, strlen(ci.name));
	sb_puts(&b, ",\"i\":");
	sb_json_str(&b, ci.image, strlen(ci.image));
	sb_puts(&b, ",\"p\":");
	sb_json_str(&b, ci.pod_name, strlen(ci.pod_name));
	sb_putc(&b, '}');
	if (!b.oom && !json_valid(b.p, b.len))
		abort();
	sb_free(&b);
	return 0;
}

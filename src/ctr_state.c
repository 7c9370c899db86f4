/* ctr_state.c - readers of the container runtimes' state files into struct mw_ctr_info (json-c). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "ctr_state.h"

/* Nesting deeper than this is not a runtime's file (and must not recurse far). */
#define MAX_DEPTH 24

/* Parse the whole text; NULL when it is not one JSON value. */
static json_object *parse(const char *text, size_t len)
{
	struct json_tokener *tok;
	json_object *root;

	if (!text || len == 0 || len > INT_MAX)
		return NULL;
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root && json_tokener_get_error(tok) == json_tokener_success) {
		/* one value, nothing after it but white space */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", text[i]) || !text[i]) {
				json_object_put(root);
				root = NULL;
				break;
			}
	} else if (root) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/* The string member key of object o, or NULL (absent, or not a string). */
static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Copy s into a field of n bytes (cut at n - 1), when s is a non-empty string. */
static void put(char *field, size_t n, const char *s)
{
	if (s && *s)
		snprintf(field, n, "%s", s);
}
#define PUT(field, s) put((field), sizeof(field), (s))

void mw_ctr_annotation(struct mw_ctr_info *out, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t off, n;
	} map[] = {
#define F(k, f) { k, offsetof(struct mw_ctr_info, f), sizeof(((struct mw_ctr_info *)0)->f) }
		/* containerd's CRI plugin */
		F("io.kubernetes.cri.container-name", name),
		F("io.kubernetes.cri.image-name", image),
		F("io.kubernetes.cri.sandbox-name", pod_name),
		F("io.kubernetes.cri.sandbox-namespace", pod_namespace),
		F("io.kubernetes.cri.sandbox-uid", pod_uid),
		/* CRI-O, and the kubelet's labels on docker containers */
		F("io.kubernetes.container.name", name),
		F("io.kubernetes.cri-o.ImageName", image),
		F("io.kubernetes.pod.name", pod_name),
		F("io.kubernetes.pod.namespace", pod_namespace),
		F("io.kubernetes.pod.uid", pod_uid),
#undef F
	};

	if (!key || !value || !*value)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(key, map[i].key)) {
			put((char *)out + map[i].off, map[i].n, value);
			return;
		}
}

int mw_ctr_parse_runc_state(const char *text, size_t len, struct mw_ctr_info *out, char *bundle,
			    size_t bundle_len)
{
	json_object *root = parse(text, len), *labels;
	const char *id;
	int rc = -1;

	if (bundle && bundle_len)
		bundle[0] = 0;
	if (!root)
		return -1;
	id = str_of(root, "id");
	if (!id || !*id)
		goto out;
	PUT(out->id, id);
	labels = member(member(root, "config", json_type_object), "labels", json_type_array);
	for (size_t i = 0, n = labels ? json_object_array_length(labels) : 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(labels, i);
		char kv[1024], *eq;

		if (!json_object_is_type(l, json_type_string))
			continue;
		snprintf(kv, sizeof(kv), "%s", json_object_get_string(l));
		eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq = 0;
		if (!strcmp(kv, "bundle")) {
			if (bundle && bundle_len)
				snprintf(bundle, bundle_len, "%s", eq + 1);
		} else {
			mw_ctr_annotation(out, kv, eq + 1);
		}
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

int mw_ctr_parse_oci_config(const char *text, size_t len, struct mw_ctr_info *out)
{
	json_object *root = parse(text, len), *ann;
	int rc;

	if (!root)
		return -1;
	rc = json_object_is_type(root, json_type_object) ? 0 : -1;
	ann = member(root, "annotations", json_type_object);
	if (ann) {
		json_object_object_foreach(ann, k, v)
		{
			if (json_object_is_type(v, json_type_string))
				mw_ctr_annotation(out, k, json_object_get_string(v));
		}
	}
	json_object_put(root);
	return rc;
}

/* The first string of array member key of o, or NULL. */
static const char *first_str(json_object *o, const char *key)
{
	json_object *a = member(o, key, json_type_array), *s;

	if (!a || json_object_array_length(a) == 0)
		return NULL;
	s = json_object_array_get_idx(a, 0);
	return json_object_is_type(s, json_type_string) ? json_object_get_string(s) : NULL;
}

/* The element of array root whose "id" is id. */
static json_object *by_id(json_object *root, const char *id)
{
	if (!root || !json_object_is_type(root, json_type_array) || !id || !*id)
		return NULL;
	for (size_t i = 0, n = json_object_array_length(root); i < n; i++) {
		json_object *c = json_object_array_get_idx(root, i);
		const char *cid = str_of(c, "id");

		if (cid && !strcmp(cid, id))
			return c;
	}
	return NULL;
}

int mw_ctr_parse_podman_containers(const char *text, size_t len, const char *id, struct mw_ctr_info *out,
				   char *image_id, size_t image_id_len)
{
	json_object *root = parse(text, len), *c;
	const char *meta;
	int rc = -1;

	if (image_id && image_id_len)
		image_id[0] = 0;
	if (!root)
		return -1;
	c = by_id(root, id);
	if (!c)
		goto out;
	PUT(out->id, id);
	PUT(out->name, first_str(c, "names"));
	if (image_id && image_id_len)
		put(image_id, image_id_len, str_of(c, "image"));
	meta = str_of(c, "metadata"); /* itself JSON, as a string */
	if (meta) {
		json_object *m = parse(meta, strlen(meta));

		PUT(out->image, str_of(m, "image-name"));
		if (!out->name[0])
			PUT(out->name, str_of(m, "name"));
		json_object_put(m);
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

int mw_ctr_parse_podman_images(const char *text, size_t len, const char *image_id, struct mw_ctr_info *out)
{
	json_object *root = parse(text, len), *img;
	int rc = -1;

	if (!root)
		return -1;
	img = by_id(root, image_id);
	if (img) {
		PUT(out->image_digest, str_of(img, "digest"));
		if (!out->image[0])
			PUT(out->image, first_str(img, "names"));
		rc = 0;
	}
	json_object_put(root);
	return rc;
}

int mw_ctr_parse_docker_config(const char *text, size_t len, struct mw_ctr_info *out)
{
	json_object *root = parse(text, len), *cfg, *labels;
	const char *id, *name;
	int rc = -1;

	if (!root)
		return -1;
	id = str_of(root, "ID");
	if (!id || !*id)
		goto out;
	PUT(out->id, id);
	name = str_of(root, "Name");
	PUT(out->name, name && name[0] == '/' ? name + 1 : name);
	cfg = member(root, "Config", json_type_object);
	PUT(out->image, str_of(cfg, "Image"));
	PUT(out->image_digest, str_of(root, "Image"));
	labels = member(cfg, "Labels", json_type_object);
	if (labels) {
		json_object_object_foreach(labels, k, v)
		{
			if (json_object_is_type(v, json_type_string))
				mw_ctr_annotation(out, k, json_object_get_string(v));
		}
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* ctr_state.h - readers of the container runtimes' state files (runc/crun state.json, OCI config.json, podman's containers.json and images.json, docker's config.v2.json) into one identity. */
#ifndef MW_CTR_STATE_H
#define MW_CTR_STATE_H

#include <stddef.h>

/* Longest id kept (runc accepts any name; containerd's and docker's are 64 hex digits). */
#define MW_CTR_ID_MAX 128
/* Longest name, image, pod name or namespace kept (longer ones are cut). */
#define MW_CTR_STR_MAX 256

/* Who a containerised process is: the JSON's "container" and "kubernetes"
 * objects (Tracee's key names). Empty strings where a runtime does not say. */
struct mw_ctr_info {
	char id[MW_CTR_ID_MAX];
	char name[MW_CTR_STR_MAX];
	char image[MW_CTR_STR_MAX];
	char image_digest[MW_CTR_STR_MAX];
	char runtime[16];          /* "runc", "crun", "docker", "podman", "containerd", "cri-o" */
	char pod_name[MW_CTR_STR_MAX];
	char pod_namespace[MW_CTR_STR_MAX];
	char pod_uid[64];
};

/* Every reader takes a file's whole text (any bytes: a truncated or
 * malformed file is an error, never a crash) and returns 0 when it found
 * what it looks for, -1 otherwise; fields it does not find stay as they were. */

/* runc's or crun's <root>/<id>/state.json: "id", the OCI annotations
 * ("config":{"labels":["key=value",...]}, where runc keeps them) and the
 * bundle directory (the "bundle=" label) into bundle (NUL-terminated, ""
 * when there is none). */
int mw_ctr_parse_runc_state(const char *text, size_t len, struct mw_ctr_info *out, char *bundle,
			    size_t bundle_len);

/* An OCI bundle's config.json: its "annotations" (the CRI ones that
 * containerd and CRI-O write for a Kubernetes pod). */
int mw_ctr_parse_oci_config(const char *text, size_t len, struct mw_ctr_info *out);

/* Podman's overlay-containers/containers.json: the entry whose "id" is id
 * gives the name (first of "names"), the image name (its "metadata"'s
 * "image-name") and the image id (into image_id, for images.json). */
int mw_ctr_parse_podman_containers(const char *text, size_t len, const char *id, struct mw_ctr_info *out,
				   char *image_id, size_t image_id_len);

/* Podman's overlay-images/images.json: the entry whose "id" is image_id
 * gives the digest ("digest") and, when the image is still unnamed, its
 * first name. */
int mw_ctr_parse_podman_images(const char *text, size_t len, const char *image_id, struct mw_ctr_info *out);

/* Docker's /var/lib/docker/containers/<id>/config.v2.json: "ID", "Name"
 * (without its '/'), "Config.Image", "Image" (the image's digest) and the
 * Kubernetes labels in "Config.Labels". */
int mw_ctr_parse_docker_config(const char *text, size_t len, struct mw_ctr_info *out);

/* Apply one OCI annotation or label: the CRI ones (io.kubernetes.cri.*,
 * containerd) and CRI-O's/dockershim's (io.kubernetes.*) name the
 * container, its image and its pod. Others are ignored. */
void mw_ctr_annotation(struct mw_ctr_info *out, const char *key, const char *value);

#endif

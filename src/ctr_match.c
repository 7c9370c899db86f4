/* ctr_match.c - --container, --pod and --k8s-namespace judged on a container's identity (container.h). */
#include <string.h>
#include <strings.h>
#include "container.h"
#include "ctr_match.h"

bool mw_ctr_match_on(const struct mw_ctr_match *m)
{
	return m->ctr.n || m->ctr.any || m->pod.n || m->ns.n;
}

/* image as a user names it: "busybox" for "docker.io/library/busybox:1.36"
 * or "localhost/busybox:latest", "busybox:1.36" too. */
static bool image_is(const char *image, const char *w)
{
	const char *base = strrchr(image, '/');
	size_t n;

	if (!*image)
		return false;
	if (!strcmp(image, w))
		return true;
	base = base ? base + 1 : image;
	if (!strcmp(base, w))
		return true;
	n = strcspn(base, ":@");
	return strlen(w) == n && !strncmp(base, w, n);
}

static bool ctr_word(const struct mw_container *c, const char *w)
{
	size_t n = strlen(w);

	return (n >= 3 && !strncasecmp(c->id, w, n)) || !strcmp(c->name, w) || image_is(c->image, w);
}

static bool any_word(const struct mw_ctr_words *ws, const char *field, const struct mw_container *c)
{
	for (unsigned i = 0; i < ws->n; i++)
		if (c && (field ? !strcmp(field, ws->w[i]) : ctr_word(c, ws->w[i])))
			return true;
	return false;
}

bool mw_ctr_match(const struct mw_ctr_match *m, const struct mw_container *c)
{
	if (m->ctr.n || m->ctr.any) {
		bool hit = m->ctr.any ? c != NULL : any_word(&m->ctr, NULL, c);
		if (hit == m->ctr.neg)
			return false;
	}
	if (m->pod.n && any_word(&m->pod, c ? c->pod_name : NULL, c) == m->pod.neg)
		return false;
	if (m->ns.n && any_word(&m->ns, c ? c->pod_namespace : NULL, c) == m->ns.neg)
		return false;
	return true;
}

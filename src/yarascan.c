/* yarascan.c - --yara RULES: compiled once with libyara, payloads scanned on their own thread, alerts written after their scan. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "yarascan.h"

#ifdef MW_NO_YARA
/* The static builds (make static, make ARCH=arm64: the VM stages' binaries)
 * are linked without libyara: its libjansson and mapwatch's json-c both
 * define json_object_get, which one static link cannot hold. --yara says so. */
struct mw_yara *mw_yara_open(const char *rules, char *err, size_t errlen)
{
	snprintf(err, errlen, "--yara '%s': this mapwatch is a static build without libyara; use the packaged (dynamically linked) mapwatch for --yara", rules);
	return NULL;
}

int mw_yara_defer(struct mw_yara *y, const struct mw_view *v, struct mw_alert *al)
{
	return -1;
}

void mw_yara_flush(struct mw_yara *y, mw_yara_emit_fn emit, void *ctx, int wait_ms)
{
}

void mw_yara_stats(struct mw_yara *y, struct mw_yara_stats *out)
{
	memset(out, 0, sizeof(*out));
}

void mw_yara_close(struct mw_yara *y)
{
}
#else
#include <yara.h>
#include "capture.h"
#include "container.h"
#include "mapwatch.h"
#include "strbuf.h"
#include "thread.h"

#define QUEUE_MAX 256           /* alerts waiting for a scan */
#define QUEUE_BYTES (64u << 20) /* their payload bytes */
#define SCAN_TIMEOUT_S 5        /* libyara's own limit per scan */

/* An alert held for its scan: copies of everything its line needs. */
struct job {
	struct job *next;
	struct mw_event e;      /* the trigger (its path data apart) */
	char *path, *exe, *cid;
	struct mw_container ctr; /* the alert's container identity, its strings owned */
	bool has_ctr;
	uint64_t ts_ns;
	struct mw_alert al;
	struct mw_payload pl;   /* owns its bytes */
	struct strbuf names_json, names_text;
	char exe_sha[65], file_sha[65];
	bool done;
};

struct mw_yara {
	YR_RULES *rules;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv, done_cv;
	struct job *head, *tail; /* in arrival order: scanned from the front, written in this order */
	struct job *next_scan;
	size_t n, bytes;
	bool stop;
	struct mw_yara_stats st;
};

/* ---- compiling ---- */

struct compile_err {
	char *buf;
	size_t n;
	int seen;
};

static void on_compile_msg(int level, const char *file, int line, const YR_RULE *rule, const char *msg, void *user)
{
	struct compile_err *ce = user;

	if (level != YARA_ERROR_LEVEL_ERROR || ce->seen++)
		return;
	snprintf(ce->buf, ce->n, "--yara: %s:%d: %s", file ? file : "?", line, msg ? msg : "error");
}

static int add_file(YR_COMPILER *c, const char *path, struct compile_err *ce)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(ce->buf, ce->n, "--yara: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	int errs = yr_compiler_add_file(c, f, NULL, path);
	fclose(f);
	return errs ? -1 : 0;
}

static int rule_file_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yar")) || (n > 5 && !strcmp(name + n - 5, ".yara")));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule files of dir, sorted (the compile order, and which error comes
 * first, do not depend on the directory's order). */
static int add_dir(YR_COMPILER *c, const char *dir, struct compile_err *ce, uint64_t *files)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		snprintf(ce->buf, ce->n, "--yara: cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!rule_file_name(de->d_name))
			continue;
		if (n == cap) {
			char **x = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
			if (!x) {
				rc = -1;
				break;
			}
			names = x;
		}
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		snprintf(ce->buf, ce->n, "--yara: out of memory");
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = add_file(c, names[i], ce);
		(*files)++;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!rc && n == 0) {
		snprintf(ce->buf, ce->n, "--yara: %s holds no *.yar or *.yara file", dir);
		rc = -1;
	}
	return rc;
}

static void *scanner(void *arg);

struct mw_yara *mw_yara_open(const char *rules, char *err, size_t errlen)
{
	struct compile_err ce = { .buf = err, .n = errlen };
	YR_COMPILER *c = NULL;
	struct mw_yara *y;
	struct stat st;
	struct timespec t0, t1;
	int rc;

	if (stat(rules, &st) != 0) {
		snprintf(err, errlen, "--yara '%s': %s", rules, strerror(errno));
		return NULL;
	}
	y = calloc(1, sizeof(*y));
	if (!y || yr_initialize() != ERROR_SUCCESS) {
		snprintf(err, errlen, "--yara: cannot start libyara");
		free(y);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (yr_compiler_create(&c) != ERROR_SUCCESS) {
		snprintf(err, errlen, "--yara: cannot start the rule compiler");
		goto fail;
	}
	yr_compiler_set_callback(c, on_compile_msg, &ce);
	if (S_ISDIR(st.st_mode)) {
		rc = add_dir(c, rules, &ce, &y->st.files);
	} else {
		rc = add_file(c, rules, &ce);
		y->st.files = 1;
	}
	if (rc)
		goto fail;
	if (yr_compiler_get_rules(c, &y->rules) != ERROR_SUCCESS) {
		snprintf(err, errlen, "--yara: cannot build the rules from %s", rules);
		goto fail;
	}
	yr_compiler_destroy(c);
	c = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	y->st.compile_ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
	YR_RULE *r;
	yr_rules_foreach(y->rules, r)
		y->st.rules++;
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	pthread_cond_init(&y->done_cv, NULL);
	rc = mw_thread_start(&y->thr, scanner, y);
	if (rc) {
		snprintf(err, errlen, "--yara: cannot start the scanner thread: %s", strerror(rc));
		goto fail;
	}
	return y;
fail:
	if (c)
		yr_compiler_destroy(c);
	if (y->rules)
		yr_rules_destroy(y->rules);
	yr_finalize();
	free(y);
	return NULL;
}

/* ---- scanning ---- */

static int on_scan_msg(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	struct job *j = user;

	if (msg == CALLBACK_MSG_RULE_MATCHING) {
		const YR_RULE *r = data;
		const char *id = r->identifier ? r->identifier : "?";
		if (j->names_json.len)
			sb_putc(&j->names_json, ',');
		sb_json_str(&j->names_json, id, strlen(id));
		if (j->names_text.len)
			sb_putc(&j->names_text, ',');
		sb_text_str(&j->names_text, id, strlen(id));
	}
	return CALLBACK_CONTINUE;
}

static void *scanner(void *arg)
{
	struct mw_yara *y = arg;

	pthread_mutex_lock(&y->mu);
	for (;;) {
		while (!y->next_scan && !y->stop)
			pthread_cond_wait(&y->cv, &y->mu);
		if (y->stop)
			break;
		struct job *j = y->next_scan;
		y->next_scan = j->next;
		pthread_mutex_unlock(&y->mu);
		int rc = yr_rules_scan_mem(y->rules, j->pl.bytes, j->pl.len, SCAN_FLAGS_FAST_MODE, on_scan_msg, j,
					   SCAN_TIMEOUT_S);
		pthread_mutex_lock(&y->mu);
		y->st.scanned++;
		if (rc != ERROR_SUCCESS) {
			y->st.errors++;
			j->al.yara_state = MW_YARA_ERROR;
		} else {
			j->al.yara_state = MW_YARA_SCANNED;
		}
		if (j->names_json.len) {
			y->st.matched++;
			j->al.severity = MW_SEV_HIGH;
			j->al.yara_json = j->names_json.p;
			j->al.yara_text = j->names_text.p;
		}
		j->done = true;
		pthread_cond_broadcast(&y->done_cv);
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The strings of a container identity (struct mw_container's fields, in order). */
#define CTR_FIELDS 8
static const char **ctr_field(struct mw_container *c, int i)
{
	const char **f[CTR_FIELDS] = { &c->id, &c->name, &c->image, &c->image_digest, &c->runtime,
				       &c->pod_name, &c->pod_namespace, &c->pod_uid };
	return f[i];
}

/* Keep a copy of c in to (the cache's entry may be evicted before the
 * scan is done): 0, or -1 out of memory (what was copied is freed). */
static int ctr_keep(struct mw_container *to, const struct mw_container *c)
{
	struct mw_container from = *c;

	memset(to, 0, sizeof(*to));
	for (int i = 0; i < CTR_FIELDS; i++) {
		const char *s = *ctr_field(&from, i);
		if (s && !(*ctr_field(to, i) = strdup(s))) {
			for (int k = 0; k < i; k++)
				free((void *)*ctr_field(to, k));
			memset(to, 0, sizeof(*to));
			return -1;
		}
	}
	return 0;
}

static void job_free(struct job *j)
{
	for (int i = 0; j->has_ctr && i < CTR_FIELDS; i++)
		free((void *)*ctr_field(&j->ctr, i));
	free(j->path);
	free(j->exe);
	free(j->cid);
	mw_payload_free(&j->pl);
	sb_free(&j->names_json);
	sb_free(&j->names_text);
	free(j);
}

int mw_yara_defer(struct mw_yara *y, const struct mw_view *v, struct mw_alert *al)
{
	struct job *j;

	if (!al->payload || !al->payload->len)
		return -1;
	pthread_mutex_lock(&y->mu);
	if (y->n >= QUEUE_MAX || y->bytes + al->payload->len > QUEUE_BYTES || !(j = calloc(1, sizeof(*j)))) {
		y->st.dropped++;
		pthread_mutex_unlock(&y->mu);
		al->yara_state = MW_YARA_DROPPED;
		return -1;
	}
	pthread_mutex_unlock(&y->mu);
	memcpy(&j->e, v->e, sizeof(j->e));
	j->e.path_len = 0;
	j->e.flags &= (uint16_t)~MW_F_UDATA; /* its user memory is not kept */
	j->path = dup_or_null(v->path);
	j->exe = dup_or_null(v->exe);
	j->cid = dup_or_null(v->container_id);
	j->has_ctr = v->ctr && ctr_keep(&j->ctr, v->ctr) == 0;
	j->ts_ns = v->ts_ns;
	j->al = *al;
	j->pl = *al->payload;
	j->pl.bytes = malloc(al->payload->len);
	if (!j->pl.bytes || (v->path && !j->path) || (v->exe && !j->exe) || (v->container_id && !j->cid) ||
	    (v->ctr && !j->has_ctr)) {
		job_free(j);
		pthread_mutex_lock(&y->mu);
		y->st.dropped++;
		pthread_mutex_unlock(&y->mu);
		al->yara_state = MW_YARA_DROPPED;
		return -1;
	}
	memcpy(j->pl.bytes, al->payload->bytes, al->payload->len);
	j->al.payload = &j->pl;
	if (al->exe_sha256) {
		snprintf(j->exe_sha, sizeof(j->exe_sha), "%s", al->exe_sha256);
		j->al.exe_sha256 = j->exe_sha;
	}
	if (al->file_sha256) {
		snprintf(j->file_sha, sizeof(j->file_sha), "%s", al->file_sha256);
		j->al.file_sha256 = j->file_sha;
	}
	pthread_mutex_lock(&y->mu);
	if (y->tail)
		y->tail->next = j;
	else
		y->head = j;
	y->tail = j;
	if (!y->next_scan)
		y->next_scan = j;
	y->n++;
	y->bytes += j->pl.len;
	pthread_cond_signal(&y->cv);
	pthread_mutex_unlock(&y->mu);
	return 0;
}

void mw_yara_flush(struct mw_yara *y, mw_yara_emit_fn emit, void *ctx, int wait_ms)
{
	struct timespec until;

	if (!y)
		return;
	mw_deadline_ms(&until, wait_ms);
	pthread_mutex_lock(&y->mu);
	for (;;) {
		struct job *j = y->head;
		if (!j)
			break;
		if (!j->done) {
			if (wait_ms <= 0 || pthread_cond_timedwait(&y->done_cv, &y->mu, &until) == ETIMEDOUT)
				break;
			continue;
		}
		/* in arrival order: an alert scanned early waits for the ones before it */
		y->head = j->next;
		if (!y->head)
			y->tail = NULL;
		y->n--;
		y->bytes -= j->pl.len;
		pthread_mutex_unlock(&y->mu);
		struct mw_view v = { .e = &j->e, .path = j->path, .exe = j->exe, .container_id = j->cid,
				     .ctr = j->has_ctr ? &j->ctr : NULL, .ts_ns = j->ts_ns };
		emit(ctx, &v, &j->al);
		job_free(j);
		pthread_mutex_lock(&y->mu);
	}
	pthread_mutex_unlock(&y->mu);
}

void mw_yara_stats(struct mw_yara *y, struct mw_yara_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!y)
		return;
	pthread_mutex_lock(&y->mu);
	*out = y->st;
	pthread_mutex_unlock(&y->mu);
}

void mw_yara_close(struct mw_yara *y)
{
	if (!y)
		return;
	mw_thread_stop(y->thr, &y->mu, &y->cv, &y->stop);
	while (y->head) {
		struct job *j = y->head;
		y->head = j->next;
		job_free(j);
	}
	yr_rules_destroy(y->rules);
	yr_finalize();
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
	pthread_cond_destroy(&y->done_cv);
	free(y);
}
#endif /* MW_NO_YARA */

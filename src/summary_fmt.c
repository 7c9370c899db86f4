/* summary_fmt.c - the text of a summary report's group: strace -c's table, or a JSON object. */
#include <stdio.h>
#include <string.h>
#include "catalog.h"
#include "decode.h"
#include "proc.h"
#include "summary_int.h"

/* The "container" object (k8s false) or the "kubernetes" one, null for none. */
static void json_ctr(struct strbuf *b, const struct mw_ctr_info *ci, bool k8s)
{
	const char *keys[5], *vals[5];
	int n = 0;

	if (!ci) {
		sb_puts(b, "null");
		return;
	}
	if (k8s) {
		keys[n] = "podName", vals[n++] = ci->pod_name;
		keys[n] = "podNamespace", vals[n++] = ci->pod_namespace;
		keys[n] = "podUID", vals[n++] = ci->pod_uid;
	} else {
		keys[n] = "id", vals[n++] = ci->id;
		keys[n] = "name", vals[n++] = ci->name;
		keys[n] = "image", vals[n++] = ci->image;
		keys[n] = "imageDigest", vals[n++] = ci->image_digest;
		keys[n] = "runtime", vals[n++] = ci->runtime;
	}
	for (int i = 0; i < n; i++) {
		sb_printf(b, "%s\"%s\":", i ? "," : "{", keys[i]);
		sb_json_str(b, vals[i], strlen(vals[i]));
	}
	sb_putc(b, '}');
}

static const char *event_name(uint16_t ev, char *buf, size_t n)
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	if (d)
		return d->name;
	snprintf(buf, n, "event_%u", ev);
	return buf;
}

static void errno_str(char *buf, size_t n, uint16_t err)
{
	const char *name = mw_errno_name(err);

	if (name)
		snprintf(buf, n, "%s", name);
	else
		snprintf(buf, n, "errno_%u", err);
}

static const char *group_exe(const struct mw_sum_group *g)
{
	return g->tgid ? mw_proc_exe(g->tgid) : NULL;
}

/* ---- table ---- */

static void put_bytes_col(struct strbuf *b, uint64_t v)
{
	if (v)
		sb_printf(b, " %12llu", (unsigned long long)v);
	else
		sb_printf(b, " %12s", "");
}

static void table_row(struct strbuf *b, const struct mw_sum_row *r, uint64_t total_ns, const char *name)
{
	double pct = total_ns ? 100.0 * (double)r->time_ns / (double)total_ns : 0.0;

	sb_printf(b, "%6.2f %11.6f %11llu %9llu ", pct, r->time_ns / 1e9,
		  (unsigned long long)(r->calls ? r->time_ns / 1000 / r->calls : 0),
		  (unsigned long long)r->calls);
	if (r->errors)
		sb_printf(b, "%9llu", (unsigned long long)r->errors);
	else
		sb_printf(b, "%9s", "");
	put_bytes_col(b, r->mapped);
	put_bytes_col(b, r->unmapped);
	put_bytes_col(b, r->protected_);
	sb_printf(b, " %s\n", name);
}

static const char rule[] =
	"------ ----------- ----------- --------- --------- ------------ ------------ ------------ ----------------\n";

void mw_sum_table_group(struct strbuf *b, const struct mw_summary *s, const struct mw_sum_group *g, unsigned top_rows)
{
	char nb[32];

	switch (s->o.by) {
	case MW_SUM_EVENT:
		break;
	case MW_SUM_PROCESS:
		sb_printf(b, "process %llu (", (unsigned long long)g->k.group);
		sb_text_str(b, g->k.comm, strnlen(g->k.comm, sizeof(g->k.comm)));
		sb_puts(b, ")\n");
		break;
	case MW_SUM_COMM:
		sb_puts(b, "comm ");
		sb_text_str(b, g->k.comm, strnlen(g->k.comm, sizeof(g->k.comm)));
		sb_putc(b, '\n');
		break;
	case MW_SUM_EXE: {
		const char *exe = group_exe(g);
		if (exe) {
			sb_puts(b, "exe ");
			sb_text_str(b, exe, strlen(exe));
			sb_putc(b, '\n');
		} else {
			sb_printf(b, "exe inode %llu (path unknown)\n", (unsigned long long)g->k.group);
		}
		break;
	}
	case MW_SUM_CONTAINER:
		if (!g->ci) {
			sb_puts(b, "container none (host)\n");
			break;
		}
		sb_puts(b, "container ");
		if (g->ci->name[0]) {
			sb_text_str(b, g->ci->name, strlen(g->ci->name));
			sb_puts(b, " id ");
		}
		sb_text_str(b, g->ci->id, strlen(g->ci->id));
		if (g->ci->image[0]) {
			sb_puts(b, " image ");
			sb_text_str(b, g->ci->image, strlen(g->ci->image));
		}
		if (g->ci->pod_name[0]) {
			sb_puts(b, " pod ");
			sb_text_str(b, g->ci->pod_namespace, strlen(g->ci->pod_namespace));
			sb_putc(b, '/');
			sb_text_str(b, g->ci->pod_name, strlen(g->ci->pod_name));
		}
		sb_putc(b, '\n');
		break;
	case MW_SUM_POD:
		if (!g->ci) {
			sb_puts(b, "pod none (no Kubernetes pod)\n");
			break;
		}
		sb_puts(b, "pod ");
		sb_text_str(b, g->ci->pod_namespace, strlen(g->ci->pod_namespace));
		sb_putc(b, '/');
		sb_text_str(b, g->ci->pod_name, strlen(g->ci->pod_name));
		if (g->ci->pod_uid[0]) {
			sb_puts(b, " uid ");
			sb_text_str(b, g->ci->pod_uid, strlen(g->ci->pod_uid));
		}
		sb_putc(b, '\n');
		break;
	}
	sb_printf(b, "%6s %11s %11s %9s %9s %12s %12s %12s %s\n", "% time", "seconds", "usecs/call", "calls",
		  "errors", "mapped", "unmapped", "protected", "syscall");
	sb_puts(b, rule);
	for (size_t i = 0; i < g->nrows; i++) {
		if (top_rows && i >= top_rows)
			break;
		table_row(b, &g->rows[i], g->total.time_ns, event_name(g->rows[i].event, nb, sizeof(nb)));
	}
	sb_puts(b, rule);
	table_row(b, &g->total, g->total.time_ns, "total");
	if (top_rows && g->nrows > top_rows)
		sb_printf(b, "(%zu more events not shown: --top %u)\n", g->nrows - top_rows, top_rows);
	if (g->nerrs) {
		sb_puts(b, "errors:");
		for (size_t i = 0; i < g->nerrs; i++) {
			char en[32];
			bool first = i == 0 || g->errs[i - 1].event != g->errs[i].event;
			errno_str(en, sizeof(en), g->errs[i].err);
			if (first)
				sb_printf(b, "%s %s:", i ? ";" : "", event_name(g->errs[i].event, nb, sizeof(nb)));
			sb_printf(b, "%s %s %llu", first ? "" : ",", en, (unsigned long long)g->errs[i].n);
		}
		sb_putc(b, '\n');
	}
}

/* ---- JSON ---- */

static void json_counts(struct strbuf *b, const struct mw_sum_row *r, uint64_t total_ns)
{
	sb_printf(b, "\"calls\":%llu,\"errors\":%llu,\"seconds\":%.9f,\"usecsPerCall\":%llu,\"percentTime\":%.2f,"
		  "\"bytesMapped\":%llu,\"bytesUnmapped\":%llu,\"bytesProtected\":%llu",
		  (unsigned long long)r->calls, (unsigned long long)r->errors, r->time_ns / 1e9,
		  (unsigned long long)(r->calls ? r->time_ns / 1000 / r->calls : 0),
		  total_ns ? 100.0 * (double)r->time_ns / (double)total_ns : 0.0,
		  (unsigned long long)r->mapped, (unsigned long long)r->unmapped,
		  (unsigned long long)r->protected_);
}

void mw_sum_json_group(struct strbuf *b, const struct mw_summary *s, const struct mw_sum_group *g, unsigned top_rows)
{
	char nb[32];

	sb_putc(b, '{');
	switch (s->o.by) {
	case MW_SUM_EVENT:
		break;
	case MW_SUM_PROCESS:
		sb_printf(b, "\"hostProcessId\":%llu,\"processName\":", (unsigned long long)g->k.group);
		sb_json_str(b, g->k.comm, strnlen(g->k.comm, sizeof(g->k.comm)));
		sb_putc(b, ',');
		break;
	case MW_SUM_COMM:
		sb_puts(b, "\"processName\":");
		sb_json_str(b, g->k.comm, strnlen(g->k.comm, sizeof(g->k.comm)));
		sb_putc(b, ',');
		break;
	case MW_SUM_EXE: {
		const char *exe = group_exe(g);
		sb_puts(b, "\"executable\":{\"path\":");
		if (exe)
			sb_json_str(b, exe, strlen(exe));
		else
			sb_puts(b, "null");
		sb_printf(b, ",\"inode\":%llu,\"device\":%u},", (unsigned long long)g->k.group, g->k.group2);
		break;
	}
	case MW_SUM_CONTAINER:
		sb_puts(b, "\"containerId\":");
		if (g->ci)
			sb_json_str(b, g->ci->id, strlen(g->ci->id));
		else
			sb_puts(b, "null");
		sb_puts(b, ",\"container\":");
		json_ctr(b, g->ci, false);
		sb_puts(b, ",\"kubernetes\":");
		json_ctr(b, g->ci, true);
		sb_putc(b, ',');
		break;
	case MW_SUM_POD:
		sb_puts(b, "\"kubernetes\":");
		json_ctr(b, g->ci, true);
		sb_putc(b, ',');
		break;
	}
	json_counts(b, &g->total, g->total.time_ns);
	sb_puts(b, ",\"events\":[");
	for (size_t i = 0; i < g->nrows; i++) {
		const struct mw_sum_row *r = &g->rows[i];
		if (top_rows && i >= top_rows)
			break;
		sb_printf(b, "%s{\"syscall\":\"%s\",\"eventId\":\"%u\",", i ? "," : "",
			  event_name(r->event, nb, sizeof(nb)), r->event);
		json_counts(b, r, g->total.time_ns);
		sb_puts(b, ",\"errnos\":{");
		bool any = false;
		for (size_t e = 0; e < g->nerrs; e++) {
			char en[32];
			if (g->errs[e].event != r->event)
				continue;
			errno_str(en, sizeof(en), g->errs[e].err);
			sb_printf(b, "%s\"%s\":%llu", any ? "," : "", en, (unsigned long long)g->errs[e].n);
			any = true;
		}
		sb_puts(b, "}}");
	}
	sb_puts(b, "]}");
}

/* hooks/plan.c - function hooks: the selected calls' entry functions found in the kernel's BTF, and whether fentry may attach there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "btfscan.h"
#include "catalog.h"
#include "proc.h"
#include "hooks/internal.h"


/* Catalogue number of event ev in the native or 32-bit ABI of this machine; -1: none. */
int mw_catalog_nr(int ev, bool compat)
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	if (!d || !d->syscall)
		return -1;
	return compat ? mw_event_nr_compat(d) : mw_event_nr_native(d);
}

/* ---- function hooks: find the syscall entry functions in the kernel's BTF ---- */

/* The names the function that runs event ev in that ABI may have, best
 * first (empty strings after the last). From the catalogue: the native stem
 * (__x64_sys_<stem>, __arm64_sys_<stem>) and, on x86_64, the i386 entry by name. */
static void entry_candidates(int ev, bool compat, char cand[3][64])
{
	const struct mw_event_desc *d = mw_event_desc(ev);

	memset(cand, 0, 3 * sizeof(cand[0]));
#if defined(__x86_64__)
	if (!compat)
		snprintf(cand[0], sizeof(cand[0]), "__x64_sys_%s", d->stem);
	else
		snprintf(cand[0], sizeof(cand[0]), "%s", d->i386_fn);
#elif defined(__aarch64__)
	/* arm EABI entries: the compat wrapper where one exists, else the native function */
	if (!compat) {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_sys_%s", d->stem);
	} else {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_compat_sys_%s%s",
			 ev == MW_EV_MMAP2 ? "aarch32_" : "", d->stem);
		snprintf(cand[1], sizeof(cand[1]), "__arm64_sys_%s", d->stem);
	}
#else
	(void)d;
#endif
}

/* Name of the function that runs event ev in that ABI, found in BTF; NULL: none. */
static const char *find_entry_func(struct btf *vb, int ev, bool compat, char *buf, size_t n)
{
	char cand[3][64];

	entry_candidates(ev, compat, cand);
	for (int i = 0; i < 3; i++) {
		if (!cand[i][0])
			continue;
		if (btf__find_by_name_kind(vb, cand[i], BTF_KIND_FUNC) > 0) {
			snprintf(buf, n, "%.63s", cand[i]);
			return buf;
		}
	}
	return NULL;
}

/* Slots whose functions are one function under two names (x86 defines a
 * call without arguments once, __ia32_sys_munlockall an alias of
 * __x64_sys_munlockall): a second fentry on the same address is refused
 * (EBUSY), so they become one slot that asks the task its ABI. Addresses
 * from /proc/kallsyms; where they are hidden (all zero) nothing merges. */
static void merge_aliases(struct mw_hooks *h)
{
	unsigned long long addr[MW_FN_SLOTS] = { 0 };
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (!strstr(line, "_sys_") || sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		for (int i = 0; i < h->nfn; i++)
			if (!addr[i] && !strcmp(name, h->fn[i].func))
				addr[i] = a;
	}
	fclose(f);
	for (int i = 0; i < h->nfn; i++)
		for (int j = i + 1; j < h->nfn; j++) {
			if (!addr[i] || addr[i] != addr[j] || h->fn[i].event != h->fn[j].event)
				continue;
			h->fn[i].compat = 2;
			memmove(&h->fn[j], &h->fn[j + 1], (size_t)(h->nfn - j - 1) * sizeof(h->fn[0]));
			memmove(&addr[j], &addr[j + 1], (size_t)(h->nfn - j - 1) * sizeof(addr[0]));
			h->nfn--;
			j--;
		}
}

/* Put function name in the first free of cap slots for event in ABI compat
 * (0 native, 1 32-bit); a function already there serves both ABIs (compat
 * 2). A full table is named with the skipped hooks ("no <what> slot left"). */
static void slot_put(struct mw_hooks *h, struct fn_slot *slots, int *n, int cap, int event, int compat,
		     const char *name, const char *what)
{
	int k;

	for (k = 0; k < *n && strcmp(slots[k].func, name); k++)
		;
	if (k < *n) {
		slots[k].compat = 2;
		return;
	}
	if (*n == cap) {
		mw_hooks_append(h->skipped, sizeof(h->skipped), "%s: no %s slot left", name, what);
		return;
	}
	slots[*n].event = event;
	slots[*n].compat = compat;
	snprintf(slots[*n].func, sizeof(slots[*n].func), "%s", name);
	(*n)++;
}

/* Fill h->fn with the selected calls' entry functions; note the missing ones. */
static void plan_functions(struct mw_hooks *h, struct btf *vb)
{
	h->nfn = 0;
	for (int ev = 0; ev < MW_EV_MAX; ev++) {
		if (!(h->cfg.event_mask & MW_EVBIT(ev)))
			continue;
		for (int c = 0; c <= (h->cfg.compat ? 1 : 0); c++) {
			char name[64];

			if (mw_catalog_nr(ev, c) < 0)
				continue;
			if (!find_entry_func(vb, ev, c, name, sizeof(name))) {
				mw_hooks_append(h->skipped, sizeof(h->skipped), "%s%s: no %s function in BTF",
				       mw_event_desc(ev)->name, c ? " (32-bit)" : "", c ? "32-bit entry" : "entry");
				continue;
			}
			slot_put(h, h->fn, &h->nfn, MW_FN_SLOTS, ev, c, name, "function");
		}
	}
#if defined(__x86_64__)
	/* i386 ipc(): shmat and shmdt made through the multiplexer, one slot for both */
	if (h->cfg.compat && (h->cfg.event_mask & (MW_EVBIT(MW_EV_SHMAT) | MW_EVBIT(MW_EV_SHMDT)))) {
		if (btf__find_by_name_kind(vb, MW_I386_IPC_FN, BTF_KIND_FUNC) <= 0) {
			mw_hooks_append(h->skipped, sizeof(h->skipped), "shmat/shmdt through ipc() (32-bit): no %s in BTF",
			       MW_I386_IPC_FN);
		} else {
			slot_put(h, h->fn, &h->nfn, MW_FN_SLOTS, MW_FN_IPC, 1, MW_I386_IPC_FN, "function");
		}
	}
#endif
	merge_aliases(h);
}

/* The entry function of code_write's route in that ABI, found in BTF (the
 * i386 table's choice: its compat wrapper, else its ia32_ variant, else the
 * plain one; arm EABI's likewise), into buf; NULL when none. */
static const char *find_route_func(struct btf *vb, int route, bool compat, char *buf, size_t n)
{
	const char *stem = mw_route_name(route);
	char cand[3][64] = { { 0 } };

#if defined(__x86_64__)
	if (!compat) {
		snprintf(cand[0], sizeof(cand[0]), "__x64_sys_%s", stem);
	} else {
		snprintf(cand[0], sizeof(cand[0]), "__ia32_compat_sys_%s", stem);
		snprintf(cand[1], sizeof(cand[1]), "__ia32_sys_ia32_%s", stem);
		snprintf(cand[2], sizeof(cand[2]), "__ia32_sys_%s", stem);
	}
#elif defined(__aarch64__)
	if (!compat) {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_sys_%s", stem);
	} else {
		snprintf(cand[0], sizeof(cand[0]), "__arm64_compat_sys_aarch32_%s", stem);
		snprintf(cand[1], sizeof(cand[1]), "__arm64_compat_sys_%s", stem);
		snprintf(cand[2], sizeof(cand[2]), "__arm64_sys_%s", stem);
	}
#else
	(void)stem;
#endif
	for (int i = 0; i < 3; i++)
		if (cand[i][0] && btf__find_by_name_kind(vb, cand[i], BTF_KIND_FUNC) > 0) {
			snprintf(buf, n, "%.63s", cand[i]);
			return buf;
		}
	return NULL;
}

/* Fill h->rt with code_write's route functions (alerts in function mode): a
 * missing one is named with the other skipped hooks. */
static void plan_routes(struct mw_hooks *h, struct btf *vb)
{
	h->nrt = 0;
	if (!h->cfg.alerts && !h->cfg.kill_wx)
		return;
	for (int rt = MW_RT_NONE + 1; rt < MW_RT_MAX; rt++)
		for (int c = 0; c <= (h->cfg.compat ? 1 : 0); c++) {
			char name[64];

			if (mw_route_nr(rt, c) < 0)
				continue;
			if (!find_route_func(vb, rt, c, name, sizeof(name))) {
				mw_hooks_append(h->skipped, sizeof(h->skipped), "code_write's %s%s: no entry function in BTF",
						mw_route_name(rt), c ? " (32-bit)" : "");
				continue;
			}
			slot_put(h, h->rt, &h->nrt, MW_RT_SLOTS, rt, c, name, "route");
		}
}

/* Can a fentry program load and attach on func (BTF type id) here? 0, or -1 with why. */
static int probe_fentry_id(int id, const char *func, char *why, size_t n)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	int fd, lfd;

	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mw_fentry_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		snprintf(why, n, "the kernel refused to load fentry on %s: %s", func, strerror(errno));
		return -1;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (lfd < 0) {
		snprintf(why, n, "attaching fentry on %s failed: %s", func, strerror(errno));
		close(fd);
		return -1;
	}
	close(lfd);
	close(fd);
	return 0;
}

/* probe_fentry_id() on func, found in the parsed BTF vb. */
static int probe_fentry(struct btf *vb, const char *func, char *why, size_t n)
{
	int id = btf__find_by_name_kind(vb, func, BTF_KIND_FUNC);

	if (id <= 0) {
		snprintf(why, n, "%s is not in the kernel's BTF", func);
		return -1;
	}
	return probe_fentry_id(id, func, why, n);
}

/* The probe without libbpf's parse of the kernel's BTF (~50 ms): the first
 * selected call's native entry function, its id read from the raw BTF.
 * 1 when fentry is refused there (why says how: the full probe would say
 * the same, it tries the same function first), 0 when that cannot be told
 * this way (then the full probe decides). */
static int fentry_refused_quickly(struct mw_hooks *h, char *why, size_t n)
{
	char cand[3][64];
	size_t len = 0;
	void *raw;
	int ev, id;

	for (ev = 0; ev < MW_EV_MAX; ev++)
		if ((h->cfg.event_mask & MW_EVBIT(ev)) && mw_catalog_nr(ev, 0) >= 0)
			break;
	if (ev == MW_EV_MAX)
		return 0;
	entry_candidates(ev, false, cand);
	if (!cand[0][0] || !(raw = mw_read_file("/sys/kernel/btf/vmlinux", &len)))
		return 0;
	id = mw_btf_func_id(raw, len, cand[0]);
	free(raw);
	return id > 0 && probe_fentry_id(id, cand[0], why, n) != 0;
}

/* Is function mode refused here? 0 (not refused) with h->fn planned, or -1 with why. */
int mw_function_mode_refused(struct mw_hooks *h, char *why, size_t n)
{
	struct btf *vb;
	char save[sizeof(h->skipped)];
	int rc;

	if (fentry_refused_quickly(h, why, n))
		return -1;
	vb = btf__load_vmlinux_btf();

	if (!vb) {
		snprintf(why, n, "cannot read the kernel's BTF: %s", strerror(errno));
		return -1;
	}
	memcpy(save, h->skipped, sizeof(save));
	plan_functions(h, vb);
	plan_routes(h, vb);
	if (h->nfn == 0) {
		snprintf(why, n, "none of the selected calls has an entry function in BTF");
		rc = -1;
	} else {
		rc = probe_fentry(vb, h->fn[0].func, why, n);
	}
	if (rc)
		memcpy(h->skipped, save, sizeof(save)); /* these skips were function mode's */
	btf__free(vb);
	return rc;
}


/* Does this kernel's do_mmap take vm_flags (6.3+)? -1 when BTF has no do_mmap. */
int mw_do_mmap_has_vmflags(void)
{
	struct btf *vb = btf__load_vmlinux_btf();
	int rc = -1;

	if (!vb)
		return -1;
	int id = btf__find_by_name_kind(vb, "do_mmap", BTF_KIND_FUNC);
	if (id > 0) {
		const struct btf_type *fn = btf__type_by_id(vb, id);
		const struct btf_type *proto = btf__type_by_id(vb, fn->type);
		const struct btf_param *par = btf_params(proto);
		rc = btf_vlen(proto) > 5 && !strcmp(btf__name_by_offset(vb, par[5].name_off), "vm_flags");
	}
	btf__free(vb);
	return rc;
}

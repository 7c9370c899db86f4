/* alert.c - one alert (struct mw_alert): its names, how a fresh one is made, and its JSON and table lines. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include "alert.h"

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "capture.h"
#include "catalog.h"
#include "decode.h"
#include "decode_mem.h"
#include "fileid.h"


/* ---- names ---- */

static const char *const kind_names[MW_AL_KIND_MAX] = {
	[MW_AL_WX_MAPPING] = "wx_mapping",
	[MW_AL_WX_MPROTECT] = "wx_mprotect",
	[MW_AL_X_AFTER_W] = "x_after_w",
	[MW_AL_EXEC_FILELESS] = "exec_fileless",
	[MW_AL_DEVICE_MAPPING] = "device_mapping",
	[MW_AL_DROPPED_CODE] = "dropped_code",
	[MW_AL_CALL_FROM_ANON] = "call_from_anon",
	[MW_AL_WX_ALIAS] = "wx_alias",
	[MW_AL_CODE_WRITE] = "code_write",
};

static const char *const sev_names[] = { "info", "medium", "high" };

static const char *const fileless_names[] = { "", "memfd", "deleted", "tmpfs", "region", "sysv_shm" };

static const char *const dropped_names[] = { "", "writtenAfterStart", "changedAfterStart", "recent" };

const char *mw_alert_kind_name(unsigned kind)
{
	return kind < MW_AL_KIND_MAX ? kind_names[kind] : "?";
}

const char *mw_alert_severity_name(unsigned sev)
{
	return sev < sizeof sev_names / sizeof sev_names[0] ? sev_names[sev] : "?";
}

/* ---- construction ---- */

struct mw_alert *mw_alert_add(struct mw_alert *al, int *n, enum mw_alert_kind kind)
{
	struct mw_alert *x = &al[(*n)++];

	memset(x, 0, sizeof *x);
	x->kind = (uint16_t)kind;
	switch (kind) {
	case MW_AL_WX_MAPPING:
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1055";
		x->technique = "Process Injection";
		x->description = "memory mapped writable and executable";
		break;
	case MW_AL_WX_MPROTECT:
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1055";
		x->technique = "Process Injection";
		x->description = "memory made writable and executable";
		break;
	case MW_AL_X_AFTER_W:
		x->severity = MW_SEV_MEDIUM;
		x->mitre = "T1027.002";
		x->technique = "Obfuscated Files or Information: Software Packing";
		x->description = "memory that was writable made executable (JIT, unpacker or staged code)";
		break;
	case MW_AL_EXEC_FILELESS:
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1620";
		x->technique = "Reflective Code Loading";
		x->description = "executable memory from a file with no lasting copy on disk";
		break;
	case MW_AL_DROPPED_CODE:
		/* high when the process wrote (or changed) the file itself after it began; set by the rule */
		x->severity = MW_SEV_MEDIUM;
		x->mitre = "T1129";
		x->technique = "Shared Modules";
		x->description = "a file written while the process ran (or just before) mapped executable: dropped code";
		break;
	case MW_AL_CALL_FROM_ANON:
		/* high: node and Java under load raised none (BENCHMARKS.md): JITs
		 * call mmap through their runtime, never from generated code */
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1620";
		x->technique = "Reflective Code Loading";
		x->description = "a mapping call made from memory no file on disk backs (staged shellcode or a JIT)";
		break;
	case MW_AL_WX_ALIAS:
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1055";
		x->technique = "Process Injection";
		x->description = "executable memory writable through another view of the same pages";
		break;
	case MW_AL_CODE_WRITE:
		/* the rule sets the sub-technique of its route (alert_codewrite.c) */
		x->severity = MW_SEV_HIGH;
		x->mitre = "T1055";
		x->technique = "Process Injection";
		x->description = "executable memory written from outside the mapping calls (ptrace, process_vm_writev, /proc/PID/mem, userfaultfd)";
		break;
	default:
		x->severity = MW_SEV_INFO;
		x->mitre = "T1068";
		x->technique = "Exploitation for Privilege Escalation";
		x->description = "character device mapped (device memory)";
		break;
	}
	return x;
}


void mw_alert_region(struct mw_alert *x, uint64_t start, uint64_t end)
{
	x->has_region = 1;
	x->start = start;
	x->end = end;
}

/* ---- output ---- */

static void prot_text(struct strbuf *b, const struct mw_alert *al)
{
	mw_decode_prot(b, al->prev_prot);
}

void mw_alert_json(struct strbuf *b, const struct mw_view *v, const struct mw_alert *al)
{
	const struct mw_event *e = v->e;
	const struct mw_event_desc *d = mw_event_desc(e->event);
	struct strbuf tmp = { 0 };

	mw_format_json_context(b, v);
	sb_printf(b, ",\"eventId\":\"%d\",\"eventName\":\"alert\",\"syscall\":\"%s\"", MW_ALERT_EVENT_ID,
		  d ? d->name : "?");
	sb_printf(b, ",\"returnValue\":%" PRId64 ",\"argsNum\":0,\"args\":[]", (int64_t)e->ret);
	sb_printf(b, ",\"contextFlags\":{\"isCompat\":%s}", (e->flags & MW_F_COMPAT) ? "true" : "false");
	sb_printf(b, ",\"alert\":{\"kind\":\"%s\",\"severity\":\"%s\",\"mitre\":", mw_alert_kind_name(al->kind),
		  mw_alert_severity_name(al->severity));
	sb_json_str(b, al->mitre ? al->mitre : "", al->mitre ? strlen(al->mitre) : 0);
	sb_puts(b, ",\"technique\":");
	sb_json_str(b, al->technique ? al->technique : "", al->technique ? strlen(al->technique) : 0);
	sb_puts(b, ",\"description\":");
	sb_json_str(b, al->description ? al->description : "",
		    al->description ? strlen(al->description) : 0);
	sb_printf(b, ",\"action\":\"%s\"", (e->flags & MW_F_ENFORCED) ? "killed" : "reported");
	if (e->event != MW_EV_DO_MMAP && e->event != MW_EV_EXEC && e->event != MW_EV_CODE_WRITE) {
		/* what the verdict rests on: the VMA the kernel made, or only the request */
		int ep = mw_effective_prot(e);
		sb_printf(b, ",\"judgedOn\":\"%s\"", al->judged_on_request ? "requestedProt" : "effectiveProt");
		if (ep >= 0) {
			sb_puts(b, ",\"effectiveProt\":\"");
			mw_decode_prot(b, (uint64_t)ep);
			sb_putc(b, '"');
		} else if (mw_eff_error_name(e)) {
			sb_printf(b, ",\"effectiveProtError\":\"%s\"", mw_eff_error_name(e));
		}
		if (e->personality & MW_READ_IMPLIES_EXEC)
			sb_printf(b, ",\"personality\":\"0x%x\",\"readImpliesExec\":true", e->personality);
	}
	if (al->has_region)
		sb_printf(b, ",\"regionStart\":\"0x%" PRIx64 "\",\"regionEnd\":\"0x%" PRIx64 "\"",
			  al->start, al->end);
	if (al->prev_known) {
		prot_text(&tmp, al);
		sb_puts(b, ",\"previousProt\":");
		sb_json_str(b, tmp.p ? tmp.p : "", tmp.len);
		if (al->prev_mixed)
			sb_puts(b, ",\"previousProtMixed\":true");
		sb_printf(b, ",\"wasWritable\":%s", al->was_writable ? "true" : "false");
	}
	if (al->kind == MW_AL_EXEC_FILELESS && al->fileless > MW_FL_NONE && al->fileless <= MW_FL_SYSV_SHM)
		sb_printf(b, ",\"fileless\":\"%s\"", fileless_names[al->fileless]);
	if (al->at_exec)
		sb_puts(b, ",\"judgedAt\":\"exec\"");
	if (al->kind == MW_AL_DROPPED_CODE && al->dropped > MW_DR_NONE && al->dropped <= MW_DR_RECENT)
		sb_printf(b, ",\"dropped\":{\"cause\":\"%s\",\"ageSeconds\":%u}", dropped_names[al->dropped],
			  (unsigned)al->file_age_s);
	if (al->anon_written)
		sb_puts(b, ",\"writtenPages\":true");
	if (al->chain) {
		static const char *const calls[] = { "", "\"memfd_create\",\"mmap\"",
						     "\"memfd_create\",\"execveat\"", "\"execveat\"" };
		sb_printf(b, ",\"chain\":{\"calls\":[%s],\"memfd\":{\"name\":", calls[al->chain & 3]);
		sb_json_str(b, al->chain_name, strnlen(al->chain_name, sizeof al->chain_name));
		if (al->chain_memfd) {
			struct strbuf fl = { 0 };
			mw_decode_mem_arg(&fl, MW_D_MFD_FLAGS, al->chain_flags);
			sb_printf(b, ",\"fd\":%d,\"pid\":%u,\"flags\":", al->chain_fd, al->chain_pid);
			sb_json_str(b, fl.p ? fl.p : "", fl.len);
			sb_free(&fl);
		}
		sb_puts(b, "}}");
	}
	if (al->kind == MW_AL_DEVICE_MAPPING) {
		sb_puts(b, ",\"device\":{\"path\":");
		if (v->path)
			sb_json_str(b, v->path, strlen(v->path));
		else
			sb_puts(b, "null");
		sb_printf(b, ",\"rdev\":\"%u:%u\"}", mw_kdev_major(al->rdev), mw_kdev_minor(al->rdev));
	}
	if (al->rule) {
		sb_puts(b, ",\"rule\":");
		sb_json_str(b, al->rule, strlen(al->rule));
		if (al->tags)
			sb_printf(b, ",\"tags\":%s", al->tags);
		if (al->message) {
			sb_puts(b, ",\"output\":");
			sb_json_str(b, al->message, strlen(al->message));
		}
		if (al->capture)
			sb_puts(b, ",\"captureRequested\":true");
	}
	if (al->payload) {
		const struct mw_payload *p = al->payload;
		sb_printf(b, ",\"payload\":{\"sha256\":\"%s\",\"bytes\":%zu,\"regionBytes\":%" PRIu64
			  ",\"truncated\":%s,\"address\":\"0x%" PRIx64 "\",\"capturedAt\":\"%s\"",
			  p->sha256, p->len, p->region_len, p->truncated ? "true" : "false", p->addr,
			  p->at ? p->at : "syscall");
		if (p->from_proc)
			sb_printf(b, ",\"pagesFromProc\":%u", p->from_proc);
		if (p->unread)
			sb_printf(b, ",\"unreadPages\":%u", p->unread);
		sb_puts(b, ",\"file\":");
		if (p->file[0])
			sb_json_str(b, p->file, strnlen(p->file, sizeof p->file));
		else
			sb_puts(b, "null");
		sb_putc(b, '}');
	}
	if (al->kind == MW_AL_CALL_FROM_ANON)
		sb_printf(b, ",\"calledFrom\":\"%s\"", al->call_via_ret ? "returnAddress" : "instructionPointer");
	if (al->exe_sha256)
		sb_printf(b, ",\"executableSha256\":\"%.64s\"", al->exe_sha256);
	if (al->file_sha256)
		sb_printf(b, ",\"mappedFileSha256\":\"%.64s\"", al->file_sha256);
	if (al->yara_state == MW_YARA_SCANNED) {
		sb_puts(b, ",\"yara\":[");
		if (al->yara_json)
			sb_puts(b, al->yara_json);
		sb_putc(b, ']');
	} else if (al->yara_state == MW_YARA_DROPPED || al->yara_state == MW_YARA_ERROR) {
		sb_printf(b, ",\"yaraScan\":\"%s\"", al->yara_state == MW_YARA_DROPPED ? "dropped" : "failed");
	}
	if (al->kind == MW_AL_WX_ALIAS) {
		static const char *const via[] = { "", "writableView", "executableView", "openFd" };
		sb_printf(b, ",\"alias\":{\"via\":\"%s\"", via[al->alias_via & 3]);
		if (al->alias_via == MW_ALIAS_WRITABLE_VIEW || al->alias_via == MW_ALIAS_EXEC_VIEW)
			sb_printf(b, ",\"pid\":%u,\"address\":\"0x%" PRIx64 "\"", al->alias_pid, al->alias_addr);
		sb_printf(b, ",\"openForWrite\":%s}", al->alias_fd ? "true" : "false");
	}
	if (al->kind == MW_AL_CODE_WRITE) {
		const char *via = mw_cw_via_name(al->cw_via);
		sb_printf(b, ",\"codeWrite\":{\"via\":\"%s\",\"targetPid\":%u,\"address\":\"0x%" PRIx64
			  "\",\"length\":%" PRIu64 ",\"targetProt\":\"", via ? via : "?", al->cw_pid, al->cw_addr, al->cw_len);
		mw_decode_prot(b, al->cw_prot);
		sb_putc(b, '"');
		if (al->cw_ns_pid)
			sb_puts(b, ",\"targetPidView\":\"writer\"");
		if (al->cw_from_proc)
			sb_puts(b, ",\"judgedFrom\":\"/proc/PID/maps\"");
		if ((e->flags & MW_F_HAS_FILE) && v->path) {
			sb_puts(b, ",\"targetFile\":");
			sb_json_str(b, v->path, strlen(v->path));
		}
		sb_putc(b, '}');
	}
	sb_puts(b, "},\"trigger\":");
	mw_format_json(b, v);
	sb_putc(b, '}');
	sb_free(&tmp);
}

void mw_alert_table(struct strbuf *b, const struct mw_view *v, const struct mw_alert *al)
{
	const struct mw_event *e = v->e;

	mw_format_table_prefix(b, v);
	sb_printf(b, " ALERT %s %s %s: ", mw_alert_severity_name(al->severity),
		  mw_alert_kind_name(al->kind), al->mitre ? al->mitre : "");
	mw_format_call(b, v);
	if (al->prev_known) {
		sb_puts(b, " [previous ");
		prot_text(b, al);
		if (al->prev_mixed)
			sb_puts(b, ", partly");
		if (al->was_writable && !(al->prev_prot & PROT_WRITE))
			sb_puts(b, ", was writable");
		sb_putc(b, ']');
	}
	if (al->anon_written)
		sb_puts(b, " [history unknown, pages written]");
	if (al->judged_on_request && mw_eff_error_name(e))
		sb_puts(b, " [judged on the request]"); /* the call says why: effective prot unknown */
	if (al->chain) {
		sb_puts(b, al->chain == MW_CHAIN_MEMFD_MMAP ? " [chain memfd_create(" :
			   al->chain == MW_CHAIN_MEMFD_EXECVEAT ? " [chain memfd_create(" : " [execveat of memfd ");
		sb_putc(b, '"');
		sb_text_str(b, al->chain_name, strnlen(al->chain_name, sizeof al->chain_name));
		sb_putc(b, '"');
		sb_puts(b, al->chain == MW_CHAIN_MEMFD_MMAP ? ") -> mmap]" :
			   al->chain == MW_CHAIN_MEMFD_EXECVEAT ? ") -> execveat]" : "]");
	}
	if (al->at_exec) {
		/* exec_fileless names the kind of file; dropped_code's is a regular file */
		if (al->kind == MW_AL_DROPPED_CODE)
			sb_puts(b, " [at exec: program ");
		else
			sb_printf(b, " [at exec: %s program ", al->fileless < sizeof fileless_names / sizeof fileless_names[0]
								 ? fileless_names[al->fileless] : "?");
		sb_text_str(b, v->path ? v->path : "?", v->path ? strlen(v->path) : 1);
		sb_putc(b, ']');
	}
	if (al->kind == MW_AL_DROPPED_CODE && al->dropped > MW_DR_NONE && al->dropped <= MW_DR_RECENT) {
		sb_printf(b, " [file %s, written ",
			  al->dropped == MW_DR_WRITTEN_AFTER_START ? "written after the process began" :
			  al->dropped == MW_DR_CHANGED_AFTER_START ? "changed after the process began" : "new");
		if (al->file_age_s == 65535)
			sb_puts(b, "18h or more ago]");
		else
			sb_printf(b, "%us ago]", (unsigned)al->file_age_s);
	}
	if (al->call_via_ret)
		sb_puts(b, " [return address in anonymous memory]");
	if (al->payload) {
		/* when it was copied, unless at the call's exit: "before munmap", "at exit" */
		const char *at = al->payload->at ? al->payload->at : "";
		bool at_exit = !strcmp(at, "exit");
		sb_printf(b, " [payload %.16s %zu bytes%s%s%s]", al->payload->sha256, al->payload->len,
			  al->payload->truncated ? ", truncated" : "",
			  al->payload->before ? ", before " : at_exit ? ", at " : "",
			  al->payload->before || at_exit ? at : "");
	}
	if (al->yara_text)
		sb_printf(b, " [yara %s]", al->yara_text);
	if (al->kind == MW_AL_WX_ALIAS) {
		if (al->alias_via == MW_ALIAS_WRITABLE_VIEW || al->alias_via == MW_ALIAS_EXEC_VIEW)
			sb_printf(b, " [alias: %s view in pid %u at 0x%" PRIx64 "%s]",
				  al->alias_via == MW_ALIAS_WRITABLE_VIEW ? "writable" : "executable", al->alias_pid,
				  al->alias_addr, al->alias_fd ? ", file open for writing" : "");
		else
			sb_puts(b, " [alias: file open for writing]");
	}
	if (al->kind == MW_AL_CODE_WRITE) {
		sb_printf(b, " [target pid %u%s ", al->cw_pid, al->cw_ns_pid ? " (writer's namespace)" : "");
		mw_decode_prot(b, al->cw_prot);
		if ((e->flags & MW_F_HAS_FILE) && v->path) {
			sb_putc(b, ' ');
			sb_text_str(b, v->path, strlen(v->path));
		}
		sb_puts(b, al->cw_from_proc ? ", from /proc]" : "]");
	}
	if (e->flags & MW_F_ENFORCED)
		sb_puts(b, " [killed]");
	if (al->rule && al->rule_in_table) {
		sb_puts(b, " [rule ");
		sb_text_str(b, al->rule, strlen(al->rule));
		sb_putc(b, ']');
	}
	if (al->rule && al->message) {
		sb_puts(b, " \"");
		sb_text_str(b, al->message, strlen(al->message));
		sb_putc(b, '"');
	}
}

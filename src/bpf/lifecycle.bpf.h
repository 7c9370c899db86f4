/* lifecycle.bpf.h - fork, exec and exit of processes in scope: followed descendants, exe paths forgotten at exec, fileless and freshly written programs judged at exec, records for the alert engine. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_LIFECYCLE_BPF_H
#define MW_LIFECYCLE_BPF_H

/* ---- process lifecycle: follow descendants, forget exe paths at exec ---- */
static __always_inline void send_task_rec(__u16 type, __u32 pid, __u32 ppid, __u16 flags)
{
	struct mw_task_rec r = { .type = type, .flags = flags, .pid = pid, .ppid = ppid };

	if (!reporting)
		return;
	r.ts = bpf_ktime_get_boot_ns();
	if (bpf_ringbuf_output(&rb, &r, sizeof(r), wake_output(sizeof(r))))
		count(MW_CNT_PROC_RB_FULL);
	else
		count(MW_CNT_SUBMITTED);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (ptgid == ctgid)
		return 0; /* a new thread, not a new process */
	if (follow_only && bpf_map_lookup_elem(&traced, &ptgid) &&
	    bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY))
		count(MW_CNT_TRACED_FULL); /* the child goes untraced: a loss to report */
	compat_on_fork(ptgid, ctgid);
	cw_on_fork(ptgid, ctgid); /* codewrite.bpf.h */
	if (lifecycle_recs && in_scope(ptgid))
		send_task_rec(MW_REC_FORK, ctgid, ptgid, child->mm == parent->mm ? MW_TASK_F_SHARED_MM : 0);
	return 0;
}

/* The program just exec'd, judged before it runs an instruction: when its
 * file is a memfd, on tmpfs, or has no link left (unlinked, O_TMPFILE),
 * send its process record and an "exec" event naming that file (the alert
 * engine raises exec_fileless from it). A program on disk sends the same
 * only when it is freshly written, with its file's age (the engine raises
 * dropped_code: alert_rules.c's rule_dropped_exec); any other sends nothing. */
static __always_inline void exec_file_check(struct task_struct *task, __u32 tgid)
{
	struct scratch *s = get_scratch();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	__u64 id = bpf_get_current_pid_tgid();
	__u16 age_fl = 0, age_s = 0;

	if (!s || !exe || !scope_ok(id))
		return;
	struct mw_event *e = &s->ev;
	describe_file(task, exe, &e->file, &s->pb, NULL);
	/* ---- dropped code at exec (issue #22) ---- */
	if (e->file.kind == MW_FK_REGULAR) {
		/* a regular file of a disk file system (tmpfs is MW_FK_SHM):
		 * dropped_code's causes, as for a mapping (inode_file_age,
		 * effect.bpf.h), against the process that exec'd */
		if (!real_minus_boot_ns)
			return;
		age_fl = inode_file_age(BPF_CORE_READ(exe, f_inode), task, &age_s);
		if (!(age_fl & (MW_EFFF_WRITTEN_AFTER_START | MW_EFFF_CHANGED_AFTER_START)) &&
		    age_s >= MW_DROPPED_WINDOW_S)
			return; /* an old program: nothing to say */
	} else if (e->file.kind != MW_FK_MEMFD && e->file.kind != MW_FK_SHM && e->file.kind != MW_FK_DELETED)
		return;
	/* ---- */
	/* a tmpfs that is the host's root file system (an initramfs, a live
	 * or embedded system booted from RAM: mapwatch's own "/", root_dev) is
	 * where its programs live, not a drop zone: only a program there that
	 * is no longer linked counts. Not a task's own root: anyone who can
	 * chroot (an unprivileged user namespace is enough) could choose it. */
	if (e->file.kind == MW_FK_SHM && root_dev && e->file.dev == root_dev)
		return;
	if (!maybe_send_exe(s, task, tgid))
		return; /* nothing else fits either */
	__u32 len = path_len_clamp(s->pb.len);
	bpf_probe_read_kernel(s->evpath, len, s->pb.data);
	e->file.flags |= s->pb.flags;
	e->type = MW_REC_EVENT;
	e->event = MW_EV_EXEC;
	e->syscall_nr = 0xffff; /* execve or execveat: not known here */
	e->flags = MW_F_HAS_FILE;
	e->ts = bpf_ktime_get_boot_ns();
	__builtin_memset(e->args, 0, sizeof(e->args));
	e->ret = 0;
	e->duration_ns = 0;
	e->file_age_s = age_s;
	e->vm_flags = e->vma_start = e->vma_end = 0;
	e->personality = 0;
	e->eff_status = MW_EFF_NONE;
	e->eff_flags = (exe_allowed(tgid) ? MW_EFFF_ALLOWED : 0) | age_fl;
	copy_context(e, s, id);
	e->path_len = len;
	if (bpf_ringbuf_output(&rb, e, sizeof(*e) + len, wake_output(sizeof(*e) + len)))
		count(MW_CNT_RB_FULL);
	else
		count(MW_CNT_SUBMITTED);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct pending_slots *ps = bpf_task_storage_get(&pending, p, 0, 0);

	bpf_map_delete_elem(&exe_seen, &tgid);
	if (ps) /* the exec'ing thread is the only one left: its flags go with exe_seen */
		ps->sys.exe_sent = ps->dm.exe_sent = 0;
	bpf_map_delete_elem(&allow_cache, &tgid);
	bpf_map_delete_elem(&wx_track, &tgid); /* a new memory */
	compat_on_exec(p, tgid);
	if (lifecycle_recs && in_scope(tgid)) {
		send_task_rec(MW_REC_EXEC, tgid, 0, 0);
		if (reporting)
			exec_file_check(p, tgid);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_task_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	__u64 id = ((__u64)tgid << 32) | (__u32)p->pid;

	/* a thread killed inside a mapping call never reaches sys_exit */
	/* (task storage goes away with the task itself) */
	bpf_map_delete_elem(&pending_path, &id);
	id |= DM_KEY;
	bpf_map_delete_elem(&pending_path, &id);
	if (p->signal->live.counter != 0)
		return 0; /* other threads of the group remain */
	bpf_map_delete_elem(&exe_seen, &tgid);
	bpf_map_delete_elem(&allow_cache, &tgid);
	compat_on_exit(tgid);
	cw_on_exit(tgid); /* codewrite.bpf.h */
	/* evidence: W+X memory still so, copied before its exit record (the
	 * memory is still there where this tracepoint precedes exit_mm) */
	if (capture_max && !summary_on && lifecycle_recs && p->mm && in_scope(tgid))
		mw_capture_exit(tgid, p->pid);
	bpf_map_delete_elem(&wx_track, &tgid);
	if (lifecycle_recs && in_scope(tgid))
		send_task_rec(MW_REC_EXIT, tgid, 0, 0);
	if (follow_only)
		bpf_map_delete_elem(&traced, &tgid);
	return 0;
}

#endif

/* files.bpf.h - the file behind an fd or a mapping, resolved in the kernel: path walk (dentries and mounts up to the task's root), kind, device, inode. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_FILES_BPF_H
#define MW_FILES_BPF_H

/* State of one path walk, carried through bpf_loop. */
struct walk_ctx {
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *mnt;
	__u64 mnt_off;
	__u32 off;
	__u16 flags;
	__u8 which;  /* 0: scratch pb.data, 1: scratch evpath */
	__u8 done;
	__u8 path_hit; /* a visited dentry is one of --path's files or directories */
};

/* One step up the tree: returns 1 to stop the loop. */
static long walk_step(__u32 i, struct walk_ctx *c)
{
	struct scratch *s = get_scratch();
	struct dentry *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *mnt = c->mnt;
	char *buf;

	if (!s)
		return 1;
	buf = c->which ? s->evpath : s->pb.data;
	if (on(MW_FLT_PATH) && !c->which && !c->path_hit) {
		struct mw_inode_key k = inode_key(BPF_CORE_READ(d, d_inode));
		if (bpf_map_lookup_elem(&f_pathdir, &k))
			c->path_hit = 1;
	}
	if (d == c->root_d && vm == c->root_m)
		goto done;
	struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mp == mnt)
			goto done; /* top of this mount tree */
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mp;
		c->vm = (struct vfsmount *)((void *)mp + c->mnt_off);
		return 0;
	}
	if (c->off >= MW_PATH_MAX) {
		c->flags |= MW_FILE_PATH_TRUNC;
		goto done;
	}
	/* the buffer has MW_NAME_MAX bytes of room past MW_PATH_MAX: read, then
	 * keep the component only if it ends within MW_PATH_MAX (data ending
	 * exactly there is a complete path) */
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&buf[c->off & (MW_PATH_MAX - 1)], MW_NAME_MAX, name);
	if (n <= 0)
		goto done;
	if (c->off + n > MW_PATH_MAX) {
		c->flags |= MW_FILE_PATH_TRUNC;
		goto done;
	}
	c->off += n;
	if (d == parent)
		goto done; /* pseudo dentry (memfd, anon inode, socket) */
	c->d = parent;
	return 0;
done:
	c->done = 1;
	return 1;
}

/* Walk dentries and mounts from (dentry, vfsmnt) up to the task's root,
 * writing the components leaf first, each NUL-terminated, into the scratch
 * buffer chosen by which. Returns the number of bytes written; sets
 * MW_FILE_PATH_TRUNC in *flags when the walk had to stop early. */
static __always_inline __u32 walk_path(struct task_struct *task, struct dentry *d,
				       struct vfsmount *vm, __u8 which, __u16 *flags, bool *path_hit)
{
	struct walk_ctx c = {
		.d = d,
		.vm = vm,
		.root_d = BPF_CORE_READ(task, fs, root.dentry),
		.root_m = BPF_CORE_READ(task, fs, root.mnt),
		.mnt_off = bpf_core_field_offset(struct mount, mnt),
		.which = which,
	};

	c.mnt = (struct mount *)((void *)vm - c.mnt_off);
	bpf_loop(MW_PATH_DEPTH, walk_step, &c, 0);
	if (!c.done)
		c.flags |= MW_FILE_PATH_TRUNC;
	*flags |= c.flags;
	if (path_hit)
		*path_hit = c.path_hit;
	return c.off;
}

/* Fill f (and pb's path) for a struct file. */
static __always_inline void describe_file(struct task_struct *task, struct file *file,
					  struct mw_file *f, struct path_buf *pb, bool *path_hit)
{
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct super_block *sb = BPF_CORE_READ(ino, i_sb);
	__u32 mode = BPF_CORE_READ(ino, i_mode);
	__u64 magic = BPF_CORE_READ(sb, s_magic);
	__u32 nlink = BPF_CORE_READ(ino, i_nlink);
	__u16 kind;

	f->ino = BPF_CORE_READ(ino, i_ino);
	f->dev = BPF_CORE_READ(sb, s_dev);
	f->rdev = BPF_CORE_READ(ino, i_rdev);
	f->mode = mode;
	f->fs_magic = magic;
	f->flags = 0;
	if (nlink == 0)
		f->flags |= MW_FILE_DELETED;
	if (magic == MW_TMPFS_MAGIC)
		f->flags |= MW_FILE_TMPFS;
	if (magic == MW_HUGETLBFS_MAGIC)
		f->flags |= MW_FILE_HUGETLBFS;

	pb->flags = 0;
	pb->len = walk_path(task, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			    0, &f->flags, path_hit);

	switch (mode & MW_S_IFMT) {
	case MW_S_IFCHR: kind = MW_FK_CHARDEV; break;
	case MW_S_IFBLK: kind = MW_FK_BLOCKDEV; break;
	case MW_S_IFDIR: kind = MW_FK_DIR; break;
	case MW_S_IFIFO: kind = MW_FK_FIFO; break;
	case MW_S_IFSOCK: kind = MW_FK_SOCKET; break;
	case MW_S_IFLNK: kind = MW_FK_SYMLINK; break;
	case MW_S_IFREG: {
		/* A memfd is a pseudo file: its dentry is its own parent (no
		 * directory holds it) on a shmem or hugetlbfs superblock. Its
		 * "memfd:" name proves nothing: anyone can create
		 * /dev/shm/memfd:x, which is a plain tmpfs file (kind shm). */
		struct dentry *dn = BPF_CORE_READ(file, f_path.dentry);
		if ((f->flags & (MW_FILE_TMPFS | MW_FILE_HUGETLBFS)) && BPF_CORE_READ(dn, d_parent) == dn)
			kind = MW_FK_MEMFD;
		else if (nlink == 0)
			kind = MW_FK_DELETED;
		else if (f->flags & MW_FILE_TMPFS)
			kind = MW_FK_SHM;
		else
			kind = MW_FK_REGULAR;
		break;
	}
	default: kind = MW_FK_UNKNOWN; break;
	}
	if (magic == MW_ANON_INODE_MAGIC)
		kind = MW_FK_ANON_INODE;
	f->kind = kind;
}

/* Resolve fd in the current task. Returns true when a path was written to pb. */
static __always_inline bool resolve_fd(struct task_struct *task, int fd, struct mw_file *f,
				       struct path_buf *pb, bool *path_hit)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= max ||
	    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file) {
		f->kind = MW_FK_BADFD;
		return false;
	}
	describe_file(task, file, f, pb, path_hit);
	return true;
}

#endif

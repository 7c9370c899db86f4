/* symbolize.h - file offsets to function+offset, from ELF symbol tables, with files known by (device, inode). */
#ifndef MW_SYMBOLIZE_H
#define MW_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The BPF unwinder names each frame by the mapped file's (device, inode)
 * and the offset in that file, read from the VMA at the time of the call,
 * so a process that has exited by the time its record is read can still be
 * symbolized: only the path of the file is needed, and it is learnt from
 * the file mappings mapwatch reported, from /proc/PID/maps (read when a
 * process is first seen, and of mapwatch itself at start: the shared
 * libraries), and from executable paths. Files are opened once and their
 * symbols cached, keyed by (device, inode), with the GNU build id kept to
 * name the version. Devices use the kernel encoding (major << 20 | minor).
 */

struct mw_symbolizer;

struct mw_sym {
	const char *symbol;   /* NULL when no symbol covers the address */
	uint64_t offset;      /* from the symbol's start (or the file offset when no symbol) */
	const char *file;     /* path, NULL when the file is not known */
	bool fp_prologue;     /* the symbol's code starts by setting up a frame pointer (x86) */
};

/* A new symbolizer that already knows the files mapped by mapwatch itself. NULL: out of memory. */
struct mw_symbolizer *mw_sym_new(void);

/* Free it and its cache; NULL is a no-op. */
void mw_sym_free(struct mw_symbolizer *s);

/* Remember that (dev, ino) is the file at path (the first name learnt stays). */
void mw_sym_learn(struct mw_symbolizer *s, uint32_t dev, uint64_t ino, const char *path);

/* Learn the file at path by stat()ing it (an executable path). */
void mw_sym_learn_path(struct mw_symbolizer *s, const char *path);

/* Learn every file mapped in /proc/PID/maps, once per pid (later calls for
 * the same pid do nothing; a process already gone teaches nothing). */
void mw_sym_learn_pid(struct mw_symbolizer *s, uint32_t pid);

/* Learn from /proc/PID/maps-format text. */
void mw_sym_learn_maps_text(struct mw_symbolizer *s, const char *text);

/* Symbolize offset off of the file (dev, ino). A return address (ret) is
 * looked up at off - 1, inside the call, while out->offset stays measured
 * from the symbol to off itself. Returns 0 with *out filled (symbol NULL
 * when the file has no symbol there), -1 when the file is not known. */
int mw_sym_lookup(struct mw_symbolizer *s, uint32_t dev, uint64_t ino, uint64_t off, bool ret,
		  struct mw_sym *out);

/* The GNU build id of a known file, in hex ("" when it has none); NULL when unknown. */
const char *mw_sym_build_id(struct mw_symbolizer *s, uint32_t dev, uint64_t ino);

#endif

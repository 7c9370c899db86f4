/* evload.c - shellcode-loader patterns for the evidence tests (test_evidence.py): a page written then
 * flipped RX, a memfd written then mapped RX, a page written then made W+X (--kill-wx), a stub in RX
 * anonymous memory that itself calls mmap. Writes the page it made executable to OUTFILE first.
 * usage: evload MODE OUTFILE [GOFILE [fixed]]   MODE: flip | big (3 pages) | pkey | memfd | wxkill | wxlate | wxlaterx | wxexit | stub | stubmemfd | gadget (64-bit)
 * GOFILE: after the call, wait (up to 120 s) until it exists, so the process still lives when
 * mapwatch reads /proc/PID/mem. "fixed": the same bytes in every run (no pid in them). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

static void fill(uint8_t *p, const char *mode, int fixed, int pages)
{
	uint32_t x = fixed ? 12345u : (uint32_t)getpid() * 2654435761u;

	for (int i = 0; i < PAGE * pages; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
	/* the marker a YARA rule looks for */
	snprintf((char *)p + 64, 64, "MWEVIDENCE_MARKER_%s", mode);
}

static void save(const char *path, const void *p, int pages)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, PAGE, pages, f) != (size_t)pages || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void wait_go(const char *go)
{
	for (int i = 0; go && i < 12000 && access(go, F_OK) != 0; i++)
		usleep(10000);
}

/* mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as machine code, returning
 * the address: the syscall instruction itself lies in the anonymous page. */
#if defined(__x86_64__)
static const uint8_t stub_code[] = {
	0xb8, 0x09, 0x00, 0x00, 0x00,             /* mov eax, 9 (mmap) */
	0x31, 0xff,                               /* xor edi, edi */
	0xbe, 0x00, 0x10, 0x00, 0x00,             /* mov esi, 4096 */
	0xba, 0x03, 0x00, 0x00, 0x00,             /* mov edx, 3 */
	0x41, 0xba, 0x22, 0x00, 0x00, 0x00,       /* mov r10d, 0x22 */
	0x49, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, /* mov r8, -1 */
	0x45, 0x31, 0xc9,                         /* xor r9d, r9d */
	0x0f, 0x05,                               /* syscall */
	0xc3,                                     /* ret */
};
#elif defined(__i386__)
static const uint8_t stub_code[] = {
	0x53, 0x56, 0x57, 0x55,                   /* push ebx, esi, edi, ebp */
	0xb8, 0xc0, 0x00, 0x00, 0x00,             /* mov eax, 192 (mmap2) */
	0x31, 0xdb,                               /* xor ebx, ebx */
	0xb9, 0x00, 0x10, 0x00, 0x00,             /* mov ecx, 4096 */
	0xba, 0x03, 0x00, 0x00, 0x00,             /* mov edx, 3 */
	0xbe, 0x22, 0x00, 0x00, 0x00,             /* mov esi, 0x22 */
	0xbf, 0xff, 0xff, 0xff, 0xff,             /* mov edi, -1 */
	0x31, 0xed,                               /* xor ebp, ebp */
	0xcd, 0x80,                               /* int 0x80 */
	0x5d, 0x5f, 0x5e, 0x5b,                   /* pop ebp, edi, esi, ebx */
	0xc3,                                     /* ret */
};
#elif defined(__arm__) && !defined(__thumb__)
/* 32-bit ARM (EABI, built -marm): mmap2 is 192, arguments r0-r5, the number in r7 */
static const uint8_t stub_code[] = {
	0xb0, 0x40, 0x2d, 0xe9,                   /* push {r4, r5, r7, lr} */
	0x00, 0x00, 0xa0, 0xe3,                   /* mov r0, #0 */
	0x01, 0x1a, 0xa0, 0xe3,                   /* mov r1, #4096 */
	0x03, 0x20, 0xa0, 0xe3,                   /* mov r2, #3 */
	0x22, 0x30, 0xa0, 0xe3,                   /* mov r3, #0x22 */
	0x00, 0x40, 0xe0, 0xe3,                   /* mvn r4, #0 */
	0x00, 0x50, 0xa0, 0xe3,                   /* mov r5, #0 */
	0xc0, 0x70, 0xa0, 0xe3,                   /* mov r7, #192 (mmap2) */
	0x00, 0x00, 0x00, 0xef,                   /* svc #0 */
	0xb0, 0x80, 0xbd, 0xe8,                   /* pop {r4, r5, r7, pc} */
};
#elif defined(__aarch64__)
static const uint8_t stub_code[] = {
	0x00, 0x00, 0x80, 0xd2,                   /* mov x0, #0 */
	0x01, 0x00, 0x82, 0xd2,                   /* mov x1, #4096 */
	0x62, 0x00, 0x80, 0xd2,                   /* mov x2, #3 */
	0x43, 0x04, 0x80, 0xd2,                   /* mov x3, #0x22 */
	0x04, 0x00, 0x80, 0x92,                   /* mov x4, #-1 */
	0x05, 0x00, 0x80, 0xd2,                   /* mov x5, #0 */
	0xc8, 0x1b, 0x80, 0xd2,                   /* mov x8, #222 (mmap) */
	0x01, 0x00, 0x00, 0xd4,                   /* svc #0 */
	0xc0, 0x03, 0x5f, 0xd6,                   /* ret */
};
#else
#error "evload: x86, 32-bit ARM (-marm) and arm64 only"
#endif

/* a function that returns at once: the code wxexit writes and runs */
#if defined(__x86_64__) || defined(__i386__)
static const uint8_t ret_code[] = { 0xc3 };                   /* ret */
#elif defined(__arm__)
static const uint8_t ret_code[] = { 0x1e, 0xff, 0x2f, 0xe1 }; /* bx lr */
#else
static const uint8_t ret_code[] = { 0xc0, 0x03, 0x5f, 0xd6 }; /* ret */
#endif

#if defined(__x86_64__)
/* The attacker's way around a check of the instruction pointer: the stub does not execute a
 * syscall instruction itself, it calls libc's syscall() (whose "syscall; ret" is a file's code)
 * as syscall(SYS_mmap, NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0). */
static const uint8_t gadget_head[] = { 0x48, 0xb8 };     /* mov rax, imm64 (&syscall) */
static const uint8_t gadget_tail[] = {
	0xbf, 0x09, 0x00, 0x00, 0x00,             /* mov edi, 9 (SYS_mmap) */
	0x31, 0xf6,                               /* xor esi, esi */
	0xba, 0x00, 0x10, 0x00, 0x00,             /* mov edx, 4096 */
	0xb9, 0x03, 0x00, 0x00, 0x00,             /* mov ecx, 3 */
	0x41, 0xb8, 0x22, 0x00, 0x00, 0x00,       /* mov r8d, 0x22 */
	0x49, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, /* mov r9, -1 */
	0x6a, 0x00,                               /* push 0 (the 7th argument: offset) */
	0xff, 0xd0,                               /* call rax */
	0x48, 0x83, 0xc4, 0x08,                   /* add rsp, 8 */
	0xc3,                                     /* ret */
};
#endif

int main(int argc, char **argv)
{
	const char *mode, *out, *go;
	int fixed;
	uint8_t *p;

	if (argc < 3) {
		fprintf(stderr, "usage: evload flip|big|pkey|memfd|wxkill|wxlate|wxlaterx|stub|stubmemfd|gadget OUTFILE [GOFILE [fixed]]\n");
		return 2;
	}
	mode = argv[1];
	out = argv[2];
	go = argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL;
	fixed = argc > 4 && !strcmp(argv[4], "fixed");
	if (!strcmp(mode, "memfd") || !strcmp(mode, "stubmemfd")) {
		uint8_t buf[PAGE];
		int fd = memfd_create("evstage", MFD_CLOEXEC);
		fill(buf, mode, fixed, 1);
		if (!strcmp(mode, "stubmemfd")) /* the stub runs from a memfd, not anonymous memory */
			memcpy(buf, stub_code, sizeof(stub_code));
		if (fd < 0 || write(fd, buf, PAGE) != PAGE) {
			perror("memfd");
			return 2;
		}
		save(out, buf, 1);
		p = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap memfd");
			return 2;
		}
		if (!strcmp(mode, "stubmemfd")) {
			void *(*fn)(void) = (void *(*)(void))p;
			void *q = fn();
			if (q == MAP_FAILED || (uintptr_t)q > (uintptr_t)-4096) {
				fprintf(stderr, "stub mmap failed\n");
				return 2;
			}
			printf("stub mapped %p\n", q);
			wait_go(go);
			return 0;
		}
		wait_go(go);
		printf("mapped %p\n", (void *)p);
		return 0;
	}
	int pages = !strcmp(mode, "big") ? 3 : 1;
	p = mmap(NULL, PAGE * pages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	fill(p, mode, fixed, pages);
	if (!strcmp(mode, "stub")) {
		memcpy(p, stub_code, sizeof(stub_code));
		__builtin___clear_cache((char *)p, (char *)p + sizeof(stub_code)); /* ARM: no coherent icache */
	}
#if defined(__x86_64__)
	if (!strcmp(mode, "gadget")) {
		long (*sc)(long, ...) = syscall;
		memcpy(p, gadget_head, sizeof(gadget_head));
		memcpy(p + sizeof(gadget_head), &sc, sizeof(sc));
		memcpy(p + sizeof(gadget_head) + sizeof(sc), gadget_tail, sizeof(gadget_tail));
	}
#endif
	if (!strcmp(mode, "wxexit"))
		memcpy(p, ret_code, sizeof(ret_code));
	save(out, p, pages);
	if (!strcmp(mode, "flip") || !strcmp(mode, "stub") || !strcmp(mode, "big") || !strcmp(mode, "gadget")) {
		if (mprotect(p, PAGE * pages, PROT_READ | PROT_EXEC)) {
			perror("mprotect");
			return 2;
		}
	} else if (!strcmp(mode, "pkey")) {
		/* the same flip through pkey_mprotect (key -1: no key), a route around a watch on mprotect alone */
		if (syscall(SYS_pkey_mprotect, p, PAGE, PROT_READ | PROT_EXEC, -1)) {
			perror("pkey_mprotect");
			return 2;
		}
	} else if (!strcmp(mode, "wxlate") || !strcmp(mode, "wxlaterx")) {
		/* mapped W+X first, the code written afterwards, then unmapped (or made RX):
		 * the copy at the mmap holds zeros; the one before the munmap/mprotect the code */
		uint8_t *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED) {
			perror("mmap wx");
			return 2;
		}
		memcpy(q, p, PAGE);
		if (!strcmp(mode, "wxlate") ? munmap(q, PAGE) : mprotect(q, PAGE, PROT_READ | PROT_EXEC)) {
			perror("munmap/mprotect");
			return 2;
		}
	} else if (!strcmp(mode, "wxexit")) {
		/* mapped W+X, the code written afterwards and run; never unmapped nor protected
		 * again: the process just exits (the copy made as it exits holds the code) */
		uint8_t *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED) {
			perror("mmap wx");
			return 2;
		}
		memcpy(q, p, PAGE);
		__builtin___clear_cache((char *)q, (char *)q + PAGE);
		((void (*)(void))q)();
		if (go) { /* the code is written and ran: say so (OUTFILE.ran), then wait */
			char ran[4096];
			snprintf(ran, sizeof(ran), "%s.ran", out);
			save(ran, p, 0);
		}
	} else if (!strcmp(mode, "wxkill")) {
		if (mprotect(p, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC)) {
			perror("mprotect");
			return 2;
		}
		printf("survived\n");
		return 0;
	} else {
		fprintf(stderr, "evload: unknown mode %s\n", mode);
		return 2;
	}
	if (!strcmp(mode, "stub") || !strcmp(mode, "gadget")) {
		void *(*fn)(void) = (void *(*)(void))p;
		void *q = fn();
		if (q == MAP_FAILED || (uintptr_t)q > (uintptr_t)-4096) {
			fprintf(stderr, "stub mmap failed\n");
			return 2;
		}
		printf("stub mapped %p\n", q);
	}
	wait_go(go);
	return 0;
}

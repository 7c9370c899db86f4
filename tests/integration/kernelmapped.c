/* kernelmapped.c - test program (issue #22): code staged in memory the kernel mapped at exec (no mapping call of the program made it), then made executable and run. */
/* Usage: kernelmapped MODE; the payload (mov eax,42; ret) is copied into a page of
 * the memory MODE names, the page made RX with mprotect and run: exit 42.
 *   bss     a page of the program's .bss
 *   data    a page of the program's .data
 *   stack   a page of the main thread's stack
 * Near miss (exit 0, nothing run): rodata  a page of .rodata (mapped read-only by
 * the kernel, never written) made RX. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PG 4096

static unsigned char bss[3 * PG];
static unsigned char data[3 * PG] = { 1 };
static const unsigned char rodata[3 * PG] = { 1 };
static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax,42; ret */

static unsigned char *page_in(const unsigned char *buf)
{
	return (unsigned char *)(((uintptr_t)buf + PG - 1) & ~(uintptr_t)(PG - 1));
}

static int stage(unsigned char *buf)
{
	unsigned char *p = page_in(buf);

	memcpy(p, code, sizeof code);
	if (mprotect(p, PG, PROT_READ | PROT_EXEC)) {
		perror("kernelmapped: mprotect");
		return 1;
	}
	return ((int (*)(void))p)();
}

int main(int argc, char **argv)
{
	unsigned char stack[3 * PG];
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "bss"))
		return stage(bss);
	if (!strcmp(mode, "data"))
		return stage(data);
	if (!strcmp(mode, "stack"))
		return stage(stack);
	if (!strcmp(mode, "rodata")) {
		if (mprotect(page_in(rodata), PG, PROT_READ | PROT_EXEC)) {
			perror("kernelmapped: mprotect");
			return 1;
		}
		return rodata[0] == 1 ? 0 : 3;
	}
	fprintf(stderr, "usage: kernelmapped bss|data|stack|rodata\n");
	return 2;
}

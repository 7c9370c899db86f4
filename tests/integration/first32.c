/* first32.c - the 32-bit start an attacker races: a no-libc i386 program whose first system call asks mmap2(RWX). */
/* Build: gcc -m32 -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector -O1.
 * Usage: first32 MARKER. Its first instructions load mmap2's arguments and
 * trap (int 0x80): mmap2(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC,
 * MAP_PRIVATE|MAP_ANONYMOUS, -1, 0), before any loader or C library code.
 * Then the "payload": it creates MARKER and exits 0. A run that was killed
 * for the W+X request leaves no MARKER; a run that got through does. With no
 * MARKER argument it exits 0 after the mmap2 (the build test's probe). */

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	movl $192, %eax\n"  /* __NR_mmap2 (i386) */
	"	xorl %ebx, %ebx\n"  /* addr NULL */
	"	movl $4096, %ecx\n" /* length */
	"	movl $7, %edx\n"    /* PROT_READ|PROT_WRITE|PROT_EXEC */
	"	movl $0x22, %esi\n" /* MAP_PRIVATE|MAP_ANONYMOUS */
	"	movl $-1, %edi\n"   /* fd */
	"	xorl %ebp, %ebp\n"  /* pgoffset */
	"	int $0x80\n"
	"	movl %esp, %eax\n"  /* the initial stack: argc, argv[], NULL, envp[] */
	"	andl $-16, %esp\n"
	"	subl $12, %esp\n"
	"	pushl %eax\n"
	"	call first32_main\n"
	"	hlt\n");

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

__attribute__((used, noreturn)) void first32_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);

	if (argc > 1) {
		long fd = sys3(5 /* open */, (long)argv[1], 0101 /* O_WRONLY|O_CREAT */, 0600);
		if (fd < 0)
			sys3(1 /* exit */, 2, 0, 0);
		sys3(6 /* close */, fd, 0, 0);
	}
	for (;;)
		sys3(1 /* exit */, 0, 0, 0);
}

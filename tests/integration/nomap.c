/* nomap.c - a static program with no C library that makes no call but exit(0): the fileless
 * payload test_routes.py runs from a memfd, tmpfs or unlinked file, so that nothing but the
 * exec itself can reveal it. Built with -static -nostdlib. */
void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#else
#error "nomap.c: x86_64 or aarch64"
#endif
	for (;;)
		;
}

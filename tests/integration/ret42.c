/* ret42.c - the program dropexec.c drops and runs (test_routes.py, dropped code at exec): its code
 * is the payload (mov eax, 42; ret), called and its result made the exit status (42). Built two
 * ways: -static -nostdlib -DMW_NOLIBC (no C library: the exec'd image is the only code, and the
 * program makes no call but exit), or plainly (a dynamic program: the loader maps its libraries). */
int payload(void);
#if defined(__x86_64__)
__asm__(".text\n.globl payload\n.type payload,@function\npayload:\n\tmov $42, %eax\n\tret\n");
#elif defined(__aarch64__)
__asm__(".text\n.globl payload\n.type payload,%function\npayload:\n\tmov w0, #42\n\tret\n");
#else
#error "ret42.c: x86_64 or aarch64"
#endif

#ifdef MW_NOLIBC
void _start(void)
{
	long r = payload();
#if defined(__x86_64__)
	__asm__ volatile("mov %0, %%rdi\n\tmov $60, %%eax\n\tsyscall" : : "r"(r) : "rdi", "rax", "memory");
#else
	register long x0 __asm__("x0") = r;
	register long x8 __asm__("x8") = 93;
	__asm__ volatile("svc #0" : : "r"(x0), "r"(x8) : "memory");
#endif
	for (;;)
		;
}
#else
int main(void)
{
	return payload();
}
#endif

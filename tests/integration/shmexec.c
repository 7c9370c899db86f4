/* shmexec.c - attaches a SysV segment executable (SHM_EXEC) and runs code from it: the shm alerts' and --kill-wx's subject. */
/* Usage: shmexec MODE MARKER
 *   wx: one attach SHM_EXEC, writable; copy a "ret" there, call it
 *   elsewhere: attach writable, then a second attach SHM_EXEC|SHM_RDONLY, call through that
 *   ro: only SHM_EXEC|SHM_RDONLY (nothing attached writable): exec_fileless only
 * MARKER is created once the code ran (the payload). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0700);
	if (id < 0)
		return 1;
	unsigned char *w = NULL, *x;
	if (!strcmp(argv[1], "wx")) {
		x = (void *)syscall(SYS_shmat, id, 0, SHM_EXEC);
		w = x;
	} else if (!strcmp(argv[1], "elsewhere")) {
		w = (void *)syscall(SYS_shmat, id, 0, 0);
		x = (void *)syscall(SYS_shmat, id, 0, SHM_EXEC | SHM_RDONLY);
	} else {
		x = (void *)syscall(SYS_shmat, id, 0, SHM_EXEC | SHM_RDONLY);
	}
	shmctl(id, IPC_RMID, NULL);
	if (x == (void *)-1 || w == (void *)-1)
		return 1;
	if (w) {
		w[0] = 0xc3; /* ret (x86) */
		((void (*)(void))x)();
	}
	int fd = open(argv[2], O_CREAT | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	syscall(SYS_shmdt, x);
	return 0;
}

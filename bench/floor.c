/* floor.c - loads one of the benchmark's floor objects (floor.bpf.c), attaches every program, holds them until SIGINT/SIGTERM. */
/* Usage: floor OBJ   Prints "ready" on stdout once attached; drains the object's ring buffer
 * "rb", if it has one, every 10 ms. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static int drop(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	struct ring_buffer *rb = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: floor OBJ\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "floor: cannot attach %s\n", bpf_program__name(p));
			return 1;
		}
	}
	m = bpf_object__find_map_by_name(obj, "rb");
	if (m && !(rb = ring_buffer__new(bpf_map__fd(m), drop, NULL, NULL))) {
		fprintf(stderr, "floor: cannot read the ring buffer\n");
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (rb)
			ring_buffer__poll(rb, 10);
		else
			pause();
	}
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}

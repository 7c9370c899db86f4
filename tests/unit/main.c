/* main.c - runs every registered unit test; last line "N passed, N failed". */
#include <stdlib.h>
#include "t.h"

static struct t_case *t_head, **t_tail = &t_head;
int t_failed_checks;

void t_register(struct t_case *c)
{
	*t_tail = c;
	t_tail = &c->next;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (struct t_case *c = t_head; c; c = c->next) {
		if (argc > 1 && !strstr(c->name, argv[1]))
			continue;
		int before = t_failed_checks;
		c->fn();
		if (t_failed_checks == before) {
			passed++;
			printf("PASS unit/%s\n", c->name);
		} else {
			failed++;
			printf("FAIL unit/%s\n", c->name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

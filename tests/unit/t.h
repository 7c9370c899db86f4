/* t.h - a minimal unit-test harness: TEST(name) registers a test, CHECK* record failures. */
#ifndef MW_T_H
#define MW_T_H

#include <stdio.h>
#include <string.h>

struct t_case { const char *name; void (*fn)(void); struct t_case *next; };
void t_register(struct t_case *c);
extern int t_failed_checks;

#define TEST(n) \
	static void t_fn_##n(void); \
	static struct t_case t_case_##n = { #n, t_fn_##n, NULL }; \
	__attribute__((constructor)) static void t_reg_##n(void) { t_register(&t_case_##n); } \
	static void t_fn_##n(void)

#define CHECK(cond) do { if (!(cond)) { t_failed_checks++; \
	fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
	if (!g_ || strcmp(g_, w_) != 0) { t_failed_checks++; \
	fprintf(stderr, "  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_ ? g_ : "(null)", w_); } } while (0)

#define CHECK_INT(got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { t_failed_checks++; \
	fprintf(stderr, "  %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); } } while (0)

#endif

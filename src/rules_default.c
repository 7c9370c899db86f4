/* rules_default.c - the shipped default rules (dist/rules.d/00-default.yaml), embedded in the binary as text. */
#include "rules.h"

/* .incbin reads the file at build time (the Makefile makes this object
 * depend on it); a NUL follows so the text is a C string too. */
__asm__(".section .rodata\n"
	".global mw_default_rules\n"
	".type mw_default_rules, @object\n"
	"mw_default_rules:\n"
	".incbin \"dist/rules.d/00-default.yaml\"\n"
	"mw_default_rules_end:\n"
	".byte 0\n"
	".global mw_default_rules_len\n"
	".type mw_default_rules_len, @object\n"
	".balign 4\n"
	"mw_default_rules_len:\n"
	".long mw_default_rules_end - mw_default_rules\n"
	".previous\n");

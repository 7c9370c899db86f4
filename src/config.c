/* config.c - reads a --config file line by line and hands each "name = value" to the option parser. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

int mw_config_read(const char *path, mw_config_fn apply, void *ctx, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned no = 0;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: cannot read the config file: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char why[512] = "";
		char *name, *value = NULL, *eq;

		no++;
		if ((size_t)len != strlen(line)) {
			snprintf(why, sizeof(why), "a NUL byte in the line");
			goto bad;
		}
		if (len > 4095) {
			snprintf(why, sizeof(why), "line longer than 4095 bytes");
			goto bad;
		}
		name = trim(line);
		if (!*name || *name == '#')
			continue;
		eq = strchr(name, '=');
		if (eq) {
			*eq = 0;
			value = trim(eq + 1);
			name = trim(name);
			size_t vl = strlen(value);
			if (vl && value[0] == '"') {
				if (vl < 2 || value[vl - 1] != '"') {
					snprintf(why, sizeof(why), "unterminated quote in the value");
					goto bad;
				}
				value[vl - 1] = 0;
				value++;
			}
		}
		if (!strncmp(name, "--", 2))
			name += 2;
		if (!*name) {
			snprintf(why, sizeof(why), "expected 'name = value' (a long option without --) or a bare switch name");
			goto bad;
		}
		for (char *c = name; *c; c++) {
			if (!isalnum((unsigned char)*c) && *c != '-') {
				snprintf(why, sizeof(why), "'%.64s' is not an option name: expected 'name = value'", name);
				goto bad;
			}
		}
		if (!strcmp(name, "config")) {
			snprintf(why, sizeof(why), "a config file cannot name another one (config)");
			goto bad;
		}
		if (apply(ctx, name, value, why, sizeof(why)) == 0)
			continue;
	bad:
		snprintf(err, errlen, "%s:%u: %s", path, no, why[0] ? why : "bad line");
		rc = -1;
		break;
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: reading failed: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

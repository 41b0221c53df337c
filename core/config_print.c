/*
 * config_print.c - printing config: effective values (bh_conf_dump) and config maps
 * (bh_conf_describe, behind `backhaul plugins --describe NAME`).
 *
 * Purpose: bh_conf_dump prints one "key = value" line per map key, marking defaults
 * with "# default" and unset keys with "# key is not set"; a SECRET key that is set in
 * any form prints as "key = [REDACTED]": neither its value nor anything read from its
 * file or variable is ever printed. Values that would not read back the same unquoted
 * (empty, edge spaces, a leading quote) are printed in double quotes.
 * bh_conf_describe prints each row of a map: key, type, required, default,
 * bounds/choices, then its doc line.
 * Ownership: prints to the caller's FILE; allocates nothing.
 * Threading: not thread-safe (stdio on a shared FILE is the caller's business).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

static void print_value(FILE *fp, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || v[0] == '"' || isspace((unsigned char)v[0]) ||
	    isspace((unsigned char)v[n - 1]))
		fprintf(fp, "\"%s\"", v);
	else
		fputs(v, fp);
}

/* Whether a row named like e appears before it (in an earlier map or row). */
static bool printed_before(const struct bh_cfg_entry *const *maps, size_t map,
			   const struct bh_cfg_entry *row)
{
	for (size_t i = 0; i <= map; i++) {
		for (const struct bh_cfg_entry *e = maps[i]; e && e->type != BH_CFG_END; e++) {
			if (i == map && e == row)
				return false;
			if (e->name && strcmp(e->name, row->name) == 0)
				return true;
		}
	}
	return false;
}

static bool secret_set(const struct bh_conf_section *sec, const struct bh_cfg_entry *e)
{
	for (size_t i = 0; sec && i < sec->n_entries; i++) {
		const char *via;
		if (strcmp(sec->entries[i].key, e->name) == 0 ||
		    bh_cfg_secret_key(e, sec->entries[i].key, &via))
			return true;
	}
	return false;
}

void bh_conf_dump(const struct bh_conf_section *sec, const struct bh_cfg_entry *const *maps,
		  size_t n_maps, FILE *fp)
{
	if (!fp || (n_maps > 0 && !maps))
		return;
	for (size_t i = 0; i < n_maps; i++) {
		for (const struct bh_cfg_entry *e = maps[i]; e && e->type != BH_CFG_END; e++) {
			const char *v;
			if (!e->name || printed_before(maps, i, e))
				continue;
			if (e->type == BH_CFG_SECRET) {
				if (secret_set(sec, e))
					fprintf(fp, "%s = [REDACTED]\n", e->name);
				else
					fprintf(fp, "# %s is not set\n", e->name);
			} else if ((v = bh_conf_get(sec, e->name)) != NULL) {
				fprintf(fp, "%s = ", e->name);
				print_value(fp, v);
				fputc('\n', fp);
			} else if (e->def) {
				fprintf(fp, "%s = ", e->name);
				print_value(fp, e->def);
				fputs(" # default\n", fp);
			} else {
				fprintf(fp, "# %s is not set\n", e->name);
			}
		}
	}
}

void bh_conf_describe(const struct bh_cfg_entry *map, FILE *fp)
{
	if (!fp)
		return;
	if (!map || map->type == BH_CFG_END) {
		fputs("(no configuration keys)\n", fp);
		return;
	}
	for (const struct bh_cfg_entry *e = map; e->type != BH_CFG_END; e++) {
		char buf[256];
		if (!e->name)
			continue;
		if (e->type == BH_CFG_SECRET)
			fprintf(fp, "%s_file = PATH | %s_env = VARIABLE", e->name, e->name);
		else
			fputs(e->name, fp);
		fprintf(fp, "  (%s", bh_cfg_type_name(e->type));
		if (e->flags & BH_CFG_REQUIRED)
			fputs(", required", fp);
		if (e->def) {
			fputs(", default: ", fp);
			print_value(fp, e->def);
		}
		if (bh_cfg_has_bounds(e)) {
			bh_cfg_bounds_text(e, buf, sizeof(buf));
			fprintf(fp, ", range: %s", buf);
		}
		if (e->type == BH_CFG_ENUM) {
			bh_cfg_expected(e, buf, sizeof(buf));
			fprintf(fp, ", %s", buf);       /* "one of: soap, rest" */
		}
		fputs(")\n", fp);
		if (e->doc && *e->doc)
			fprintf(fp, "    %s\n", e->doc);
	}
}

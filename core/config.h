/*
 * config.h - conf.d/ parsing and typed values.
 *
 * SYNTAX (INI-like, one file per instance by convention)
 *   # comment            ; comment           (whole lines only)
 *   [engine]                                  engine settings
 *   [endpoint NAME]                           an endpoint instance
 *   [flow NAME]                               a flow instance
 *   key = value                               value trimmed; "double quotes" optional
 *   Files: DIR/ *.conf in sorted (strcmp) order; dotfiles, *~, *.dpkg-*, *.rpmnew and
 *   non-regular files are skipped. Instance names ([a-z0-9][a-z0-9_-]*) are unique
 *   across endpoints and flows; the same key twice in one section is an error.
 *
 * TYPES (enum bh_cfg_type in the SDK): string, int, bool, duration, size, enum, list,
 * secret. A SECRET key `token` is set only as `token_file = PATH` (the file's mode must
 * not grant group or other any access; one trailing newline is stripped) or
 * `token_env = VAR`; a plain `token = ...` is refused. Secret values are registered
 * with the log redactor and printed as [REDACTED] by dumps.
 *
 * ERRORS
 *   Every problem is reported through the caller's callback as "FILE:LINE: message"
 *   naming the key (unknown key, bad value with the expected form, value out of range,
 *   missing required key, duplicate key or instance, unreadable or too-open secret
 *   file). Parsing goes on after an error so that one run reports them all.
 *
 * OWNERSHIP / THREADING
 *   bh_conf and bh_conf_values own all their memory; values handed out (strings,
 *   lists) stay valid until the owning object is freed. Not thread-safe; used at
 *   start-up from the main thread.
 */
#ifndef BH_CONFIG_H
#define BH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <backhaul/plugin.h>

enum bh_sec_kind {
	BH_SEC_ENGINE = 0,
	BH_SEC_ENDPOINT = 1,
	BH_SEC_FLOW = 2,
};

struct bh_conf_entry {
	char *key;
	char *value;
	const char *file;           /**< points into bh_conf's file list */
	int line;
};

struct bh_conf_section {
	enum bh_sec_kind kind;
	char *name;                 /**< NULL for [engine] */
	const char *file;
	int line;
	struct bh_conf_entry *entries;
	size_t n_entries;
};

struct bh_conf {
	struct bh_conf_section *secs;
	size_t n_secs;
	char **files;               /**< every file read, in order */
	size_t n_files;
};

/** Error sink: file may be NULL (then line is 0) for errors not tied to a place. */
typedef void (*bh_conf_err_fn)(void *arg, const char *file, int line, const char *msg);

/**
 * Read every *.conf of dir. Syntax errors are reported through err and counted into
 * *n_errors; the sections that parsed are still returned. Returns 0 (check n_errors),
 * BH_ENOENT when dir does not exist, BH_ENOMEM.
 * Notes: *n_errors is added to, not reset (start it at 0); n_errors may be NULL. err
 * may be NULL: errors are then logged. A dir that exists but cannot be read is one
 * reported error and an empty conf.
 */
int bh_conf_load_dir(const char *dir, struct bh_conf **out, bh_conf_err_fn err, void *arg,
		     unsigned *n_errors);
/** Parse one file (used by load_dir and tests). Same contract; BH_ENOENT when the file
 *  does not exist. */
int bh_conf_load_file(struct bh_conf *conf, const char *path, bh_conf_err_fn err, void *arg,
		      unsigned *n_errors);
struct bh_conf *bh_conf_new(void);
void bh_conf_free(struct bh_conf *conf);

/** The section of the given kind and name (name NULL for engine), or NULL. */
const struct bh_conf_section *bh_conf_find(const struct bh_conf *conf, enum bh_sec_kind kind,
					   const char *name);
/** The raw value of key in sec, or NULL. */
const char *bh_conf_get(const struct bh_conf_section *sec, const char *key);

/** Typed values of one section, owning their memory. */
struct bh_conf_values;

/**
 * Apply a section to n_maps config maps: map i's values are stored at bases[i] +
 * entry.offset. Defaults fill unset keys. A key in none of the maps is an error
 * ("unknown key 'x' in [flow refund]"), as is a bad or out-of-range value or a missing
 * required key. Returns 0 and *vals, or BH_ECONFIG after reporting every problem
 * (then *vals is NULL and nothing must be used).
 * Notes: values are written to the bases only when the whole section is valid. sec may
 * be NULL (nothing set: defaults only); bases[i] may be NULL to check without storing.
 * A key declared by several maps is stored into each. A relative `<key>_file` path is
 * taken from the folder of the config file that names it.
 */
int bh_conf_apply(const struct bh_conf_section *sec, const struct bh_cfg_entry *const *maps,
		  void *const *bases, size_t n_maps, struct bh_conf_values **vals,
		  bh_conf_err_fn err, void *arg);
void bh_conf_values_free(struct bh_conf_values *vals);
/** The value of a SECRET key after apply, or NULL. */
const char *bh_conf_values_secret(const struct bh_conf_values *vals, const char *key);

/** Print the effective values of sec under maps as "key = value" lines, secrets as
 *  [REDACTED], defaults marked "# default". */
void bh_conf_dump(const struct bh_conf_section *sec, const struct bh_cfg_entry *const *maps,
		  size_t n_maps, FILE *fp);
/** Print a config map: key, type, default, bounds/choices, required, doc. */
void bh_conf_describe(const struct bh_cfg_entry *map, FILE *fp);

/* Value parsers, shared with the CLI. Return 0 or BH_EINVAL. */
int bh_parse_bool(const char *s, bool *out);
int bh_parse_int(const char *s, int64_t *out);
int bh_parse_duration(const char *s, int64_t *ms);   /* "250ms" "30s" "90m" "2h" "1d"; bare = s */
int bh_parse_size(const char *s, uint64_t *bytes);   /* "512" "64k" "20M" "2G" (binary) */

#endif

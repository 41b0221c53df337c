/*
 * config_priv.h - helpers shared by the config module's files (core-private).
 *
 * The config module is split by what each file holds:
 *   config.c        reading conf.d/ files into sections (bh_conf)
 *   config_value.c  the value parsers (bh_parse_*) and the per-type texts and formatting
 *   config_apply.c  applying a section to config maps (bh_conf_values, secrets)
 *   config_print.c  bh_conf_dump and bh_conf_describe
 * Everything here is stateless and thread-compatible; no global mutable state.
 */
#ifndef BH_CONFIG_PRIV_H
#define BH_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/** Longest accepted line of a conf file, in bytes (without the newline). */
#define BH_CONF_LINE_MAX 4096
/** Most keys in one section. */
#define BH_CONF_KEYS_MAX 512
/** Longest instance name. */
#define BH_CONF_NAME_MAX 64
/** Largest secret file accepted, in bytes. */
#define BH_CONF_SECRET_MAX 65536

/** "integer", "duration"... the word used in "bad <word> 'v' for key 'k'". */
const char *bh_cfg_type_word(enum bh_cfg_type type);
/** "int", "duration"... the type name printed by describe. */
const char *bh_cfg_type_name(enum bh_cfg_type type);
/** The expected form of a value of e, e.g. "e.g. 30s, 90m, 2h", into buf. */
void bh_cfg_expected(const struct bh_cfg_entry *e, char *buf, size_t len);
/** True when e's min/max bounds apply (INT, DURATION, SIZE with min < max). */
bool bh_cfg_has_bounds(const struct bh_cfg_entry *e);
/** The effective maximum: INT64_MAX when only a minimum is set (max 0, min > 0). */
int64_t bh_cfg_max(const struct bh_cfg_entry *e);
/** "1..64", "1m..1d", "4k..2G" for e's bounds, into buf. */
void bh_cfg_bounds_text(const struct bh_cfg_entry *e, char *buf, size_t len);
/** Index of s among e->choices ("a|b|c"), compared without case, or -1. */
int bh_cfg_choice_index(const struct bh_cfg_entry *e, const char *s);
/** Write ms as the largest exact unit ("90m", "1500ms") into buf. */
void bh_cfg_format_duration(int64_t ms, char *buf, size_t len);
/** Write bytes as the largest exact binary unit ("64k", "2G", "100") into buf. */
void bh_cfg_format_size(uint64_t bytes, char *buf, size_t len);
/** True when key is key_name + "_file" or "_env" for a SECRET row; *via gets "file"/"env". */
bool bh_cfg_secret_key(const struct bh_cfg_entry *e, const char *key, const char **via);
/** Format one error and hand it to err (or log it when err is NULL); count it into
 *  *n_errors when n_errors is not NULL. file may be NULL (then line is 0). */
void bh_conf_report(bh_conf_err_fn err, void *arg, unsigned *n_errors, const char *file,
		    int line, const char *fmt, ...) BH_PRINTF(6, 7);
/** "[engine]", "[flow refund]" into buf. */
void bh_conf_sec_label(const struct bh_conf_section *sec, char *buf, size_t len);

#endif

/*
 * config_apply.c - typing one section's values through config maps (bh_conf_apply).
 *
 * Purpose: check every key of a section against n config maps, parse each value with
 * the shared parsers (config_value.c), check bounds and choices, load secrets from
 * `<key>_file` / `<key>_env`, fill defaults for unset keys and store the C values at
 * bases[i] + offset with the types documented in plugin.h. A key declared by several
 * maps is stored into each of them. Every problem is reported (FILE:LINE and the key)
 * before giving up; identical messages are reported once. Values are staged first and
 * written to the bases only when the whole section is valid, so a refused section
 * leaves the caller's structs untouched.
 *
 * Ownership: bh_conf_values owns every string, list and secret handed out; they stay
 * valid until bh_conf_values_free, which also wipes the secrets. Loaded secrets are
 * registered with the log redactor (bh_log_add_secret); so is a secret written inline
 * by mistake, which is refused.
 * Threading: not thread-safe; start-up code on the main thread. getenv() is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_priv.h"
#include "log.h"

struct conf_secret {
	char *key;
	char *value;
};

struct bh_conf_values {
	void **allocs;                 /* strings and lists handed out */
	size_t n_allocs;
	struct conf_secret *secrets;
	size_t n_secrets;
};

/* A value ready to be written at base + e->offset. */
struct staged {
	const struct bh_cfg_entry *e;
	char *base;
	union {
		const char *s;
		int64_t i;
		uint64_t u;
		bool b;
		int idx;
		const char *const *list;
	} v;
};

/* Errors of one apply call: counted, and identical messages reported once. */
struct apply_err {
	bh_conf_err_fn err;
	void *arg;
	unsigned n;
	char **seen;
	size_t n_seen;
};

static void aerr(struct apply_err *ae, const char *file, int line, const char *fmt, ...)
	BH_PRINTF(4, 5);

static void aerr(struct apply_err *ae, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	char *tag = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&tag, "%s:%d:%s", file ? file : "", line, msg) >= 0) {
		for (size_t i = 0; i < ae->n_seen; i++) {
			if (strcmp(ae->seen[i], tag) == 0) {
				free(tag);
				return;
			}
		}
		char **seen = realloc(ae->seen, (ae->n_seen + 1) * sizeof(*seen));
		if (seen) {
			ae->seen = seen;
			ae->seen[ae->n_seen++] = tag;
		} else {
			free(tag);
		}
	}
	bh_conf_report(ae->err, ae->arg, &ae->n, file, line, "%s", msg);
}

static int keep(struct bh_conf_values *vals, void *p)
{
	void **a = realloc(vals->allocs, (vals->n_allocs + 1) * sizeof(*a));
	if (!a) {
		free(p);
		return BH_ENOMEM;
	}
	vals->allocs = a;
	vals->allocs[vals->n_allocs++] = p;
	return BH_OK;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void bh_conf_values_free(struct bh_conf_values *vals)
{
	if (!vals)
		return;
	for (size_t i = 0; i < vals->n_allocs; i++)
		free(vals->allocs[i]);
	free(vals->allocs);
	for (size_t i = 0; i < vals->n_secrets; i++) {
		free(vals->secrets[i].key);
		wipe_free(vals->secrets[i].value);
	}
	free(vals->secrets);
	free(vals);
}

const char *bh_conf_values_secret(const struct bh_conf_values *vals, const char *key)
{
	if (!vals || !key)
		return NULL;
	for (size_t i = 0; i < vals->n_secrets; i++)
		if (strcmp(vals->secrets[i].key, key) == 0)
			return vals->secrets[i].value;
	return NULL;
}

/* Takes value (wiped and freed on failure). */
static int keep_secret(struct bh_conf_values *vals, const char *key, char *value)
{
	struct conf_secret *s = realloc(vals->secrets, (vals->n_secrets + 1) * sizeof(*s));
	char *k = strdup(key);
	if (!s || !k) {
		if (s)
			vals->secrets = s;
		free(k);
		wipe_free(value);
		return BH_ENOMEM;
	}
	vals->secrets = s;
	s[vals->n_secrets].key = k;
	s[vals->n_secrets].value = value;
	vals->n_secrets++;
	return BH_OK;
}

#define CLIP 64
#define CLIPPED(s) (strlen(s) > CLIP ? CLIP : (int)strlen(s)), (s), (strlen(s) > CLIP ? "..." : "")

/* Split raw on commas into a NULL-terminated list of trimmed items owned by vals. */
static int make_list(struct bh_conf_values *vals, const struct bh_cfg_entry *e, const char *raw,
		     bool is_default, const char *const **out, char *msg, size_t mlen)
{
	size_t n = 1, k = 0;
	char *buf, **items;
	int rc;

	for (const char *p = raw; *p; p++)
		n += *p == ',';
	if (!(buf = strdup(raw)))
		return BH_ENOMEM;
	if ((rc = keep(vals, buf)) != BH_OK)
		return rc;
	if (!(items = calloc(n + 1, sizeof(*items))))
		return BH_ENOMEM;
	if ((rc = keep(vals, items)) != BH_OK)
		return rc;
	/* an all-blank value is the empty list */
	if (raw[strspn(raw, " \t")] == '\0') {
		*out = (const char *const *)items;
		return BH_OK;
	}
	for (char *p = buf, *next; p; p = next, k++) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		size_t len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
		if (len == 0) {
			char exp[128];
			bh_cfg_expected(e, exp, sizeof(exp));
			snprintf(msg, mlen, "empty item %zu in the %slist '%.*s%s' for key '%s'%s "
				 "(expected %s)", k + 1, is_default ? "default " : "", CLIPPED(raw),
				 e->name, is_default ? " in the config map" : "", exp);
			return BH_EINVAL;
		}
		items[k] = p;
	}
	*out = (const char *const *)items;
	return BH_OK;
}

/* Convert raw (file syntax) for the non-secret row e into st. On a bad value returns
 * BH_EINVAL with the message in msg. */
static int convert(struct bh_conf_values *vals, const struct bh_cfg_entry *e, const char *raw,
		   bool is_default, struct staged *st, char *msg, size_t mlen)
{
	const char *dflt = is_default ? "default " : "";
	const char *where = is_default ? " in the config map" : "";
	char exp[256];
	int64_t i64 = 0;
	uint64_t u64 = 0;
	int rc = BH_OK;

	bh_cfg_expected(e, exp, sizeof(exp));
	if (*raw == '\0' && e->type != BH_CFG_STR && e->type != BH_CFG_LIST) {
		snprintf(msg, mlen, "empty %svalue for key '%s'%s (expected %s)", dflt, e->name,
			 where, exp);
		return BH_EINVAL;
	}
	switch (e->type) {
	case BH_CFG_STR: {
		char *s = strdup(raw);
		if (!s || (rc = keep(vals, s)) != BH_OK)
			return BH_ENOMEM;
		st->v.s = s;
		return BH_OK;
	}
	case BH_CFG_LIST:
		return make_list(vals, e, raw, is_default, &st->v.list, msg, mlen);
	case BH_CFG_BOOL:
		rc = bh_parse_bool(raw, &st->v.b);
		break;
	case BH_CFG_INT:
		rc = bh_parse_int(raw, &i64);
		st->v.i = i64;
		break;
	case BH_CFG_DURATION:
		rc = bh_parse_duration(raw, &i64);
		st->v.i = i64;
		break;
	case BH_CFG_SIZE:
		rc = bh_parse_size(raw, &u64);
		st->v.u = u64;
		break;
	case BH_CFG_ENUM:
		st->v.idx = bh_cfg_choice_index(e, raw);
		rc = st->v.idx < 0 ? BH_EINVAL : BH_OK;
		break;
	default:
		snprintf(msg, mlen, "key '%s' has an unknown type %d in the config map", e->name,
			 (int)e->type);
		return BH_EINVAL;
	}
	if (rc != BH_OK) {
		snprintf(msg, mlen, "bad %s%s '%.*s%s' for key '%s'%s (expected %s)", dflt,
			 bh_cfg_type_word(e->type), CLIPPED(raw), e->name, where, exp);
		return BH_EINVAL;
	}
	if (bh_cfg_has_bounds(e)) {
		bool out = e->type == BH_CFG_SIZE
				   ? (u64 > (uint64_t)INT64_MAX || (int64_t)u64 < e->min ||
				      (int64_t)u64 > bh_cfg_max(e))
				   : (i64 < e->min || i64 > bh_cfg_max(e));
		if (out) {
			char b[96];
			bh_cfg_bounds_text(e, b, sizeof(b));
			snprintf(msg, mlen, "%s%s '%.*s%s' for key '%s'%s is out of range "
				 "(expected %s)", dflt, bh_cfg_type_word(e->type), CLIPPED(raw),
				 e->name, where, b);
			return BH_EINVAL;
		}
	}
	return BH_OK;
}

/* The secret file's path: relative paths are taken from the config file's folder. */
static char *secret_path(const struct bh_conf_entry *ce)
{
	char *p = NULL;
	const char *slash = ce->file ? strrchr(ce->file, '/') : NULL;
	if (ce->value[0] == '/' || !slash)
		return strdup(ce->value);
	if (asprintf(&p, "%.*s/%s", (int)(slash - ce->file), ce->file, ce->value) < 0)
		return NULL;
	return p;
}

/* Read the secret named by ce (key_file or key_env). Returns BH_OK and *out (malloc'd),
 * BH_EINVAL with msg, or BH_ENOMEM. */
static int load_secret(const struct bh_conf_entry *ce, const char *via, char **out, char *msg,
		       size_t mlen)
{
	char *path = NULL, *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd = -1, rc = BH_EINVAL;

	*out = NULL;
	if (strcmp(via, "env") == 0) {
		const char *v;
		if (ce->value[0] == '\0') {
			snprintf(msg, mlen, "empty value for key '%s' (expected the name of an "
				 "environment variable)", ce->key);
			return BH_EINVAL;
		}
		v = getenv(ce->value);
		if (!v || !*v) {
			snprintf(msg, mlen, "environment variable '%.*s%s' for key '%s' is unset "
				 "or empty", CLIPPED(ce->value), ce->key);
			return BH_EINVAL;
		}
		return (*out = strdup(v)) ? BH_OK : BH_ENOMEM;
	}

	if (ce->value[0] == '\0') {
		snprintf(msg, mlen, "empty value for key '%s' (expected the path of a file "
			 "holding the secret)", ce->key);
		return BH_EINVAL;
	}
	if (!(path = secret_path(ce)))
		return BH_ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(msg, mlen, "cannot read secret file '%s' for key '%s': %s", path,
			 ce->key, strerror(errno));
		goto cleanup;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' is not a regular file", path,
			 ce->key);
		goto cleanup;
	}
	if (st.st_mode & 077) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' has mode %04o: group and "
			 "others must have no access (chmod 600 %s)", path, ce->key,
			 (unsigned)(st.st_mode & 07777), path);
		goto cleanup;
	}
	if (st.st_size > BH_CONF_SECRET_MAX) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' is too large (%jd bytes, at "
			 "most %d)", path, ce->key, (intmax_t)st.st_size, BH_CONF_SECRET_MAX);
		goto cleanup;
	}
	if (!(buf = malloc(BH_CONF_SECRET_MAX + 2))) {
		rc = BH_ENOMEM;
		goto cleanup;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, BH_CONF_SECRET_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(msg, mlen, "cannot read secret file '%s' for key '%s': %s", path,
				 ce->key, strerror(errno));
			goto cleanup;
		}
		if (r == 0 || (len += (size_t)r) > BH_CONF_SECRET_MAX)
			break;
	}
	if (len > BH_CONF_SECRET_MAX) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' is too large (at most %d "
			 "bytes)", path, ce->key, BH_CONF_SECRET_MAX);
		goto cleanup;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')      /* one trailing newline, LF or CRLF */
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (strlen(buf) != len) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' contains a NUL byte", path,
			 ce->key);
		goto cleanup;
	}
	if (len == 0) {
		snprintf(msg, mlen, "secret file '%s' for key '%s' is empty", path, ce->key);
		goto cleanup;
	}
	if (!(*out = strdup(buf))) {
		rc = BH_ENOMEM;
		goto cleanup;
	}
	rc = BH_OK;
cleanup:
	if (buf) {
		explicit_bzero(buf, BH_CONF_SECRET_MAX + 2);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static void write_value(const struct staged *st)
{
	char *dst = st->base + st->e->offset;
	switch (st->e->type) {
	case BH_CFG_STR:
	case BH_CFG_SECRET:
		memcpy(dst, &st->v.s, sizeof(st->v.s));
		break;
	case BH_CFG_INT:
	case BH_CFG_DURATION:
		memcpy(dst, &st->v.i, sizeof(st->v.i));
		break;
	case BH_CFG_SIZE:
		memcpy(dst, &st->v.u, sizeof(st->v.u));
		break;
	case BH_CFG_BOOL:
		memcpy(dst, &st->v.b, sizeof(st->v.b));
		break;
	case BH_CFG_ENUM:
		memcpy(dst, &st->v.idx, sizeof(st->v.idx));
		break;
	case BH_CFG_LIST:
		memcpy(dst, &st->v.list, sizeof(st->v.list));
		break;
	default:
		break;
	}
}

/* A usable map row; bad rows are reported once and skipped. */
static bool row_ok(struct apply_err *ae, size_t map, size_t row, const struct bh_cfg_entry *e)
{
	if (!e->name || !*e->name) {
		aerr(ae, NULL, 0, "config map %zu: row %zu has no key name", map, row);
		return false;
	}
	if (e->type < BH_CFG_STR || e->type > BH_CFG_SECRET) {
		aerr(ae, NULL, 0, "config map: key '%s' has an unknown type %d", e->name,
		     (int)e->type);
		return false;
	}
	if (e->type == BH_CFG_ENUM && (!e->choices || !*e->choices)) {
		aerr(ae, NULL, 0, "config map: enum key '%s' has no choices", e->name);
		return false;
	}
	if (e->type == BH_CFG_SECRET && e->def) {
		aerr(ae, NULL, 0, "config map: secret key '%s' cannot have a default", e->name);
		return false;
	}
	return true;
}

static const struct bh_conf_entry *find_entry(const struct bh_conf_section *sec, const char *key)
{
	for (size_t i = 0; sec && i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			return &sec->entries[i];
	return NULL;
}

/* Check every key of sec against the maps: unknown keys and inline secrets. */
static void check_keys(struct apply_err *ae, const struct bh_conf_section *sec,
		       const struct bh_cfg_entry *const *maps, size_t n_maps, const char *label)
{
	for (size_t k = 0; sec && k < sec->n_entries; k++) {
		const struct bh_conf_entry *ce = &sec->entries[k];
		bool known = false;
		for (size_t i = 0; i < n_maps && !known; i++) {
			for (const struct bh_cfg_entry *e = maps[i]; e && e->type != BH_CFG_END; e++) {
				const char *via;
				if (!e->name)
					continue;
				if (strcmp(e->name, ce->key) == 0 && e->type == BH_CFG_SECRET) {
					bh_log_add_secret(ce->value);
					aerr(ae, ce->file, ce->line,
					     "secret key '%s' cannot be written inline in %s (use "
					     "%s_file = PATH or %s_env = VARIABLE)",
					     ce->key, label, ce->key, ce->key);
					known = true;
					break;
				}
				if (strcmp(e->name, ce->key) == 0 || bh_cfg_secret_key(e, ce->key, &via)) {
					known = true;
					break;
				}
			}
		}
		if (!known)
			aerr(ae, ce->file, ce->line, "unknown key '%s' in %s", ce->key, label);
	}
}

/* Stage the value of one SECRET row. Returns BH_OK (staged or reported) or BH_ENOMEM;
 * *fail is set when an error was reported. */
static int stage_secret(struct apply_err *ae, struct bh_conf_values *vals,
			const struct bh_conf_section *sec, const struct bh_cfg_entry *e,
			const char *label, struct staged *st, bool *fail)
{
	char key_file[160], key_env[160], msg[1024];
	const struct bh_conf_entry *cf, *cv, *ce;
	const char *existing;
	char *value = NULL;
	int rc;

	snprintf(key_file, sizeof(key_file), "%s_file", e->name);
	snprintf(key_env, sizeof(key_env), "%s_env", e->name);
	cf = find_entry(sec, key_file);
	cv = find_entry(sec, key_env);
	if (cf && cv) {
		const struct bh_conf_entry *first = cf->line <= cv->line ? cf : cv;
		const struct bh_conf_entry *second = first == cf ? cv : cf;
		aerr(ae, second->file, second->line,
		     "secret '%s' is set twice in %s: '%s' here and '%s' at %s:%d (use one)",
		     e->name, label, second->key, first->key, first->file, first->line);
		*fail = true;
		return BH_OK;
	}
	ce = cf ? cf : cv;
	if (!ce) {
		if (e->flags & BH_CFG_REQUIRED) {
			aerr(ae, sec ? sec->file : NULL, sec ? sec->line : 0,
			     "missing required secret '%s' in %s (set %s_file = PATH or %s_env = "
			     "VARIABLE)", e->name, label, e->name, e->name);
			*fail = true;
		}
		st->v.s = NULL;
		return BH_OK;
	}
	/* a section kept with `enabled = false` does not run: its secrets are not read
	 * (a shipped sample names files that do not exist yet) */
	const struct bh_conf_entry *en = find_entry(sec, "enabled");
	bool on = true;
	if (en && bh_parse_bool(en->value, &on) == BH_OK && !on) {
		st->v.s = NULL;
		return BH_OK;
	}
	/* the same secret declared by two maps: load it once */
	if ((existing = bh_conf_values_secret(vals, e->name)) != NULL) {
		st->v.s = existing;
		return BH_OK;
	}
	rc = load_secret(ce, cf ? "file" : "env", &value, msg, sizeof(msg));
	if (rc == BH_EINVAL) {
		aerr(ae, ce->file, ce->line, "%s", msg);
		*fail = true;
		return BH_OK;
	}
	if (rc != BH_OK)
		return rc;
	bh_log_add_secret(value);
	st->v.s = value;
	return keep_secret(vals, e->name, value);
}

int bh_conf_apply(const struct bh_conf_section *sec, const struct bh_cfg_entry *const *maps,
		  void *const *bases, size_t n_maps, struct bh_conf_values **vals_out,
		  bh_conf_err_fn err, void *arg)
{
	struct apply_err ae = {.err = err, .arg = arg};
	struct bh_conf_values *vals = NULL;
	struct staged *staged = NULL;
	size_t n_staged = 0, n_rows = 0;
	char label[128], msg[1024];
	int rc = BH_OK;

	if (!vals_out || (n_maps > 0 && (!maps || !bases)))
		return BH_EINVAL;
	*vals_out = NULL;
	if (sec)
		bh_conf_sec_label(sec, label, sizeof(label));
	else
		snprintf(label, sizeof(label), "(no section)");
	for (size_t i = 0; i < n_maps; i++)
		for (const struct bh_cfg_entry *e = maps[i]; e && e->type != BH_CFG_END; e++)
			n_rows++;
	if (!(vals = calloc(1, sizeof(*vals))) ||
	    !(staged = calloc(n_rows ? n_rows : 1, sizeof(*staged)))) {
		rc = BH_ENOMEM;
		goto cleanup;
	}

	check_keys(&ae, sec, maps, n_maps, label);

	for (size_t i = 0; i < n_maps; i++) {
		size_t row = 0;
		for (const struct bh_cfg_entry *e = maps[i]; e && e->type != BH_CFG_END;
		     e++, row++) {
			struct staged *st = &staged[n_staged];
			const struct bh_conf_entry *ce;
			bool fail = false;

			if (!row_ok(&ae, i, row, e))
				continue;
			st->e = e;
			st->base = bases[i];
			if (e->type == BH_CFG_SECRET) {
				if ((rc = stage_secret(&ae, vals, sec, e, label, st, &fail)) != BH_OK)
					goto cleanup;
			} else if ((ce = find_entry(sec, e->name)) != NULL) {
				rc = convert(vals, e, ce->value, false, st, msg, sizeof(msg));
				if (rc == BH_EINVAL) {
					aerr(&ae, ce->file, ce->line, "%s", msg);
					fail = true;
				} else if (rc != BH_OK) {
					goto cleanup;
				}
			} else if (e->flags & BH_CFG_REQUIRED) {
				aerr(&ae, sec ? sec->file : NULL, sec ? sec->line : 0,
				     "missing required key '%s' in %s", e->name, label);
				fail = true;
			} else if (e->def) {
				rc = convert(vals, e, e->def, true, st, msg, sizeof(msg));
				if (rc == BH_EINVAL) {
					aerr(&ae, NULL, 0, "%s", msg);
					fail = true;
				} else if (rc != BH_OK) {
					goto cleanup;
				}
			} else {
				memset(&st->v, 0, sizeof(st->v));   /* NULL, 0, false, index 0 */
			}
			rc = BH_OK;
			if (!fail)
				n_staged++;
		}
	}
	if (ae.n > 0) {
		rc = BH_ECONFIG;
		goto cleanup;
	}
	for (size_t i = 0; i < n_staged; i++)
		if (staged[i].base)
			write_value(&staged[i]);
	*vals_out = vals;
	vals = NULL;
cleanup:
	for (size_t i = 0; i < ae.n_seen; i++)
		free(ae.seen[i]);
	free(ae.seen);
	free(staged);
	bh_conf_values_free(vals);
	return rc;
}

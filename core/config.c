/*
 * config.c - reading conf.d/ into sections (see config.h for the syntax).
 *
 * Purpose: list DIR/ *.conf in strcmp order, skipping dotfiles, backups (*~), package
 * manager leftovers (*.dpkg-*, *.rpmnew, *.rpmsave, *.rpmorig) and non-regular files,
 * and parse each file into bh_conf_section / bh_conf_entry rows. Every problem is
 * reported as FILE:LINE through the caller's callback and parsing goes on, so one run
 * shows them all. Values are kept as text here; config_apply.c types them.
 *
 * Line syntax: "# comment" and "; comment" (whole lines), "[engine]",
 * "[endpoint NAME]", "[flow NAME]", "key = value". The key is lower_snake_case; the
 * value is trimmed and may be wrapped in one pair of double quotes (kept verbatim
 * inside, no escapes), which is how leading or trailing spaces are written. A section
 * ends at the next header or at the end of its file. Keys below a refused header
 * (unknown kind, bad or duplicate name) are not stored; only their syntax is checked.
 *
 * Ownership: bh_conf owns every string; entries point at their file's name in
 * conf->files. Section pointers (bh_conf_find) stay valid until the next load into
 * the same bh_conf or bh_conf_free.
 * Threading: not thread-safe; start-up code on the main thread. No global state.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_priv.h"
#include "log.h"

/* State while parsing one file. */
struct conf_parse {
	struct bh_conf *conf;
	const char *file;       /* the name stored in conf->files */
	bh_conf_err_fn err;
	void *arg;
	unsigned *n_errors;
	long cur;               /* index of the open section in conf->secs, -1 when none */
	bool skipping;          /* below a refused header: ignore keys */
};

void bh_conf_report(bh_conf_err_fn err, void *arg, unsigned *n_errors, const char *file,
		    int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n_errors)
		(*n_errors)++;
	if (!file)
		line = 0;
	if (err)
		err(arg, file, line, msg);
	else if (file)
		bh_log(BH_LOG_ERR, "config", "%s:%d: %s", file, line, msg);
	else
		bh_log(BH_LOG_ERR, "config", "%s", msg);
}

/* The array arr (elements of size sz) made large enough for index n: capacity is implied
 * by n, max(4, 2n) after growing at n == 0 or a power of two. Returns arr itself when no
 * growth is needed, the moved array, or NULL when out of memory (arr is then intact). */
static void *grow(void *arr, size_t n, size_t sz)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	return realloc(arr, (n < 2 ? 4 : 2 * n) * sz);
}

struct bh_conf *bh_conf_new(void)
{
	return calloc(1, sizeof(struct bh_conf));
}

void bh_conf_free(struct bh_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_secs; i++) {
		struct bh_conf_section *s = &conf->secs[i];
		for (size_t j = 0; j < s->n_entries; j++) {
			free(s->entries[j].key);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(conf->secs);
	for (size_t i = 0; i < conf->n_files; i++)
		free(conf->files[i]);
	free(conf->files);
	free(conf);
}

const struct bh_conf_section *bh_conf_find(const struct bh_conf *conf, enum bh_sec_kind kind,
					   const char *name)
{
	if (!conf)
		return NULL;
	for (size_t i = 0; i < conf->n_secs; i++) {
		const struct bh_conf_section *s = &conf->secs[i];
		if (s->kind != kind)
			continue;
		if (kind == BH_SEC_ENGINE || (name && s->name && strcmp(s->name, name) == 0))
			return s;
	}
	return NULL;
}

const char *bh_conf_get(const struct bh_conf_section *sec, const char *key)
{
	if (!sec || !key)
		return NULL;
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			return sec->entries[i].value;
	return NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > BH_CONF_NAME_MAX)
		return false;
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!islower(c) && !isdigit(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}

static bool valid_key(const char *s)
{
	if (!islower((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

#define PERR(ps, line, ...) \
	bh_conf_report((ps)->err, (ps)->arg, (ps)->n_errors, (ps)->file, (line), __VA_ARGS__)

static const char sec_forms[] = "expected [engine], [endpoint NAME] or [flow NAME]";

/* "[...]" line: open a new section, or report why not and skip its keys. */
static int parse_header(struct conf_parse *ps, char *line, int lineno)
{
	size_t n = strlen(line);
	enum bh_sec_kind kind;
	char *inner, *word, *name;
	char label[128];

	ps->skipping = true;
	ps->cur = -1;
	if (n < 2 || line[n - 1] != ']') {
		PERR(ps, lineno, "malformed section header: missing ']' (%s)", sec_forms);
		return BH_OK;
	}
	line[n - 1] = '\0';
	inner = trim(line + 1);
	word = inner;
	name = inner;
	while (*name && !isspace((unsigned char)*name))
		name++;
	if (*name)
		*name++ = '\0';
	name = trim(name);

	if (strcmp(word, "engine") == 0) {
		kind = BH_SEC_ENGINE;
		if (*name) {
			PERR(ps, lineno, "section [engine] takes no name (got '%s')", name);
			return BH_OK;
		}
	} else if (strcmp(word, "endpoint") == 0 || strcmp(word, "flow") == 0) {
		kind = word[0] == 'e' ? BH_SEC_ENDPOINT : BH_SEC_FLOW;
		if (!*name) {
			PERR(ps, lineno, "section [%s] needs an instance name: [%s NAME]", word, word);
			return BH_OK;
		}
		if (!valid_name(name)) {
			PERR(ps, lineno,
			     "bad instance name '%s' in [%s] (expected up to %d characters from "
			     "a-z, 0-9, '-' and '_', starting with a letter or digit)",
			     name, word, BH_CONF_NAME_MAX);
			return BH_OK;
		}
	} else {
		PERR(ps, lineno, "unknown section kind '%s' (%s)", word, sec_forms);
		return BH_OK;
	}

	for (size_t i = 0; i < ps->conf->n_secs; i++) {
		const struct bh_conf_section *o = &ps->conf->secs[i];
		if (kind == BH_SEC_ENGINE && o->kind == BH_SEC_ENGINE) {
			PERR(ps, lineno, "duplicate section [engine] (first at %s:%d)", o->file,
			     o->line);
			return BH_OK;
		}
		if (kind != BH_SEC_ENGINE && o->name && strcmp(o->name, name) == 0) {
			bh_conf_sec_label(o, label, sizeof(label));
			PERR(ps, lineno, "duplicate instance name '%s': [%s %s] here and %s at %s:%d",
			     name, word, name, label, o->file, o->line);
			return BH_OK;
		}
	}

	void *secs = grow(ps->conf->secs, ps->conf->n_secs, sizeof(*ps->conf->secs));
	if (!secs)
		return BH_ENOMEM;
	ps->conf->secs = secs;
	struct bh_conf_section *s = &ps->conf->secs[ps->conf->n_secs];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->file = ps->file;
	s->line = lineno;
	if (kind != BH_SEC_ENGINE && !(s->name = strdup(name)))
		return BH_ENOMEM;
	ps->cur = (long)ps->conf->n_secs++;
	ps->skipping = false;
	return BH_OK;
}

/* "key = value" line. */
static int parse_entry(struct conf_parse *ps, char *line, int lineno)
{
	char *eq = strchr(line, '=');
	char *key, *value;
	char label[128];

	if (!eq) {
		PERR(ps, lineno,
		     "malformed line (expected 'key = value', a [section] header or a # comment)");
		return BH_OK;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!*key) {
		PERR(ps, lineno, "malformed line: no key before '=' (expected 'key = value')");
		return BH_OK;
	}
	if (!valid_key(key)) {
		PERR(ps, lineno,
		     "bad key '%s' (expected lower_snake_case: a-z, 0-9 and '_', starting with a "
		     "letter)",
		     key);
		return BH_OK;
	}
	if (value[0] == '"') {
		size_t vl = strlen(value);
		if (vl < 2 || value[vl - 1] != '"') {
			PERR(ps, lineno, "unterminated double quote in the value of key '%s'", key);
			return BH_OK;
		}
		value[vl - 1] = '\0';
		value++;
	}
	if (ps->skipping)
		return BH_OK;
	if (ps->cur < 0) {
		PERR(ps, lineno,
		     "key '%s' is outside of any section (add [engine], [endpoint NAME] or "
		     "[flow NAME] above it)",
		     key);
		return BH_OK;
	}

	struct bh_conf_section *s = &ps->conf->secs[ps->cur];
	bh_conf_sec_label(s, label, sizeof(label));
	for (size_t i = 0; i < s->n_entries; i++) {
		if (strcmp(s->entries[i].key, key) == 0) {
			PERR(ps, lineno, "duplicate key '%s' in %s (first set at %s:%d)", key, label,
			     s->entries[i].file, s->entries[i].line);
			return BH_OK;
		}
	}
	if (s->n_entries >= BH_CONF_KEYS_MAX) {
		PERR(ps, lineno, "too many keys in %s at key '%s' (at most %d)", label, key,
		     BH_CONF_KEYS_MAX);
		return BH_OK;
	}
	void *entries = grow(s->entries, s->n_entries, sizeof(*s->entries));
	if (!entries)
		return BH_ENOMEM;
	s->entries = entries;
	struct bh_conf_entry *e = &s->entries[s->n_entries];
	e->key = strdup(key);
	e->value = strdup(value);
	e->file = ps->file;
	e->line = lineno;
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return BH_ENOMEM;
	}
	s->n_entries++;
	return BH_OK;
}

static int parse_stream(struct conf_parse *ps, FILE *fp)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = BH_OK;

	while ((len = getline(&buf, &cap, fp)) >= 0) {
		char *line = buf;
		lineno++;
		if ((size_t)len != strlen(buf)) {
			PERR(ps, lineno, "malformed line: contains a NUL byte");
			continue;
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len > BH_CONF_LINE_MAX) {
			PERR(ps, lineno, "line too long (%zd bytes, at most %d)", len,
			     BH_CONF_LINE_MAX);
			continue;
		}
		if (lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3;      /* UTF-8 byte order mark */
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		rc = *line == '[' ? parse_header(ps, line, lineno) : parse_entry(ps, line, lineno);
		if (rc != BH_OK)
			break;
	}
	if (rc == BH_OK && ferror(fp))
		PERR(ps, lineno, "read error after this line: %s", strerror(errno));
	free(buf);
	return rc;
}

int bh_conf_load_file(struct bh_conf *conf, const char *path, bh_conf_err_fn err, void *arg,
		      unsigned *n_errors)
{
	struct conf_parse ps = {.conf = conf, .err = err, .arg = arg, .n_errors = n_errors,
				.cur = -1};
	struct stat st;
	FILE *fp;
	int fd, rc;

	if (!conf || !path)
		return BH_EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return BH_ENOENT;
		bh_conf_report(err, arg, n_errors, path, 0, "cannot open: %s", strerror(errno));
		return BH_OK;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		bh_conf_report(err, arg, n_errors, path, 0, "not a regular file");
		close(fd);
		return BH_OK;
	}
	/* the file's name is kept for the life of conf: entries point at it */
	void *files = grow(conf->files, conf->n_files, sizeof(*conf->files));
	if (files)
		conf->files = files;
	if (!files || !(conf->files[conf->n_files] = strdup(path))) {
		close(fd);
		return BH_ENOMEM;
	}
	ps.file = conf->files[conf->n_files++];
	fp = fdopen(fd, "r");
	if (!fp) {
		close(fd);
		return BH_ENOMEM;
	}
	rc = parse_stream(&ps, fp);
	fclose(fp);
	return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether a directory entry is a candidate config file by its name alone. */
static bool wanted_name(const char *name)
{
	if (name[0] == '.' || has_suffix(name, "~") || strstr(name, ".dpkg-") ||
	    has_suffix(name, ".rpmnew") || has_suffix(name, ".rpmsave") ||
	    has_suffix(name, ".rpmorig"))
		return false;
	return has_suffix(name, ".conf");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bh_conf_load_dir(const char *dir, struct bh_conf **out, bh_conf_err_fn err, void *arg,
		     unsigned *n_errors)
{
	struct bh_conf *conf = NULL;
	char **names = NULL;
	size_t n_names = 0, dl;
	char *base = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int rc = BH_OK;

	if (!dir || !out)
		return BH_EINVAL;
	*out = NULL;
	d = opendir(dir);
	if (!d && errno == ENOENT)
		return BH_ENOENT;
	if (!(conf = bh_conf_new())) {
		rc = BH_ENOMEM;
		goto cleanup;
	}
	if (!d) {
		bh_conf_report(err, arg, n_errors, dir, 0, "cannot read the directory: %s",
			       strerror(errno));
		goto done;
	}
	/* "dir/" and "dir" give the same file names in messages */
	if (!(base = strdup(dir))) {
		rc = BH_ENOMEM;
		goto cleanup;
	}
	dl = strlen(base);
	while (dl > 1 && base[dl - 1] == '/')
		base[--dl] = '\0';

	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		void *grown = grow(names, n_names, sizeof(*names));
		if (grown)
			names = grown;
		if (!grown || !(names[n_names] = strdup(de->d_name))) {
			rc = BH_ENOMEM;
			goto cleanup;
		}
		n_names++;
	}
	if (errno != 0)
		bh_conf_report(err, arg, n_errors, dir, 0, "cannot list the directory: %s",
			       strerror(errno));
	qsort(names, n_names, sizeof(*names), cmp_names);

	for (size_t i = 0; i < n_names; i++) {
		struct stat st;
		char *path;
		if (asprintf(&path, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/",
			     names[i]) < 0) {
			rc = BH_ENOMEM;
			goto cleanup;
		}
		if (fstatat(dirfd(d), names[i], &st, 0) != 0) {
			bh_conf_report(err, arg, n_errors, path, 0, "cannot read: %s",
				       strerror(errno));
		} else if (!S_ISREG(st.st_mode)) {
			bh_log(BH_LOG_DEBUG, "config", "%s: skipped, not a regular file", path);
		} else {
			rc = bh_conf_load_file(conf, path, err, arg, n_errors);
			if (rc == BH_ENOENT)    /* vanished since listing */
				rc = BH_OK;
		}
		free(path);
		if (rc != BH_OK)
			goto cleanup;
	}
done:
	*out = conf;
	conf = NULL;
cleanup:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	free(base);
	bh_conf_free(conf);
	return rc;
}

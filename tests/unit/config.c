/*
 * tests/unit/config.c - the conf.d module: parsers, file loading, typed values,
 * secrets, errors with FILE:LINE, dump redaction and describe.
 *
 * Fixtures are written at run time into a mkdtemp(3) folder (exact permissions, no
 * stored files) and removed at the end. Single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "tap.h"

/* ---------------------------------------------------------------- fixtures */

static char root[256];

static void put(const char *rel, mode_t mode, const char *text)
{
	char path[512];
	FILE *fp;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "w");
	if (!fp) {
		diag("cannot write %s: %s", path, strerror(errno));
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	if (chmod(path, mode) != 0) {
		diag("chmod %s: %s", path, strerror(errno));
		exit(1);
	}
}

static void mkdir_in(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (mkdir(path, 0700) != 0) {
		diag("mkdir %s: %s", path, strerror(errno));
		exit(1);
	}
}

/* root/rel as a string owned by a static ring of buffers */
static const char *P(const char *rel)
{
	static char ring[8][512];
	static int k;
	char *b = ring[k++ % 8];
	snprintf(b, sizeof(ring[0]), "%s/%s", root, rel);
	return b;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---------------------------------------------------------------- error sink */

struct errs {
	char *msg[128];
	size_t n;
};

static void collect(void *arg, const char *file, int line, const char *msg)
{
	struct errs *e = arg;
	char *s = NULL;
	if (e->n >= sizeof(e->msg) / sizeof(e->msg[0]))
		return;
	if (file) {
		if (asprintf(&s, "%s:%d: %s", file, line, msg) < 0)
			s = NULL;
	} else {
		s = strdup(msg);
	}
	if (s)
		e->msg[e->n++] = s;
}

static void errs_clear(struct errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	e->n = 0;
}

static void errs_show(const struct errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		diag("  error: %s", e->msg[i]);
}

/* Assert that one reported error equals the formatted text exactly. */
__attribute__((format(printf, 2, 3))) static int has_err(const struct errs *e, const char *fmt,
							 ...)
{
	char want[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->msg[i], want) == 0)
			return ok(1, "error: %s", want);
	ok(0, "error: %s", want);
	errs_show(e);
	return 0;
}

/* diag() a multi-line text one line at a time, so TAP sees only comments */
static void diag_lines(const char *title, const char *text)
{
	diag("%s", title);
	while (text && *text) {
		int n = (int)strcspn(text, "\n");
		diag("  %.*s", n, text);
		text += n + (text[n] == '\n');
	}
}

static bool any_err_contains(const struct errs *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle))
			return true;
	return false;
}

/* ---------------------------------------------------------------- a sample plugin */

struct sample {
	const char *label;
	int64_t workers;
	bool dry_run;
	int64_t poll_ms;
	uint64_t max_body;
	int api;
	const char *const *topics;
	const char *token;
	const char *account;
	const char *note;
};

#define OFF(f) offsetof(struct sample, f)

static const struct bh_cfg_entry sample_map[] = {
	{BH_CFG_STR, "label", "none", 0, OFF(label), 0, 0, NULL, "A free label."},
	{BH_CFG_INT, "workers", "4", 0, OFF(workers), 1, 64, NULL, "Worker threads."},
	{BH_CFG_BOOL, "dry_run", "false", 0, OFF(dry_run), 0, 0, NULL, "Compute, write nothing."},
	{BH_CFG_DURATION, "poll_interval", "90m", 0, OFF(poll_ms), 60000, 86400000, NULL,
	 "How often to poll the source."},
	{BH_CFG_SIZE, "max_body", "1M", 0, OFF(max_body), 1024, INT64_C(1) << 30, NULL,
	 "Largest request body."},
	{BH_CFG_ENUM, "api", "soap", 0, OFF(api), 0, 0, "soap|rest", "NetSuite transport."},
	{BH_CFG_LIST, "topics", "x.one, x.two", 0, OFF(topics), 0, 0, NULL, "Topics to follow."},
	{BH_CFG_SECRET, "token", NULL, BH_CFG_REQUIRED, OFF(token), 0, 0, NULL, "API token."},
	{BH_CFG_STR, "account", NULL, BH_CFG_REQUIRED, OFF(account), 0, 0, NULL, "Account id."},
	{BH_CFG_STR, "note", NULL, 0, OFF(note), 0, 0, NULL, "Optional note."},
	{0},
};

/* What the core itself reads from every instance section. */
struct core_inst {
	const char *plugin;
	int64_t workers;
};

static const struct bh_cfg_entry core_map[] = {
	{BH_CFG_STR, "plugin", NULL, BH_CFG_REQUIRED, offsetof(struct core_inst, plugin), 0, 0,
	 NULL, "Plugin name."},
	{BH_CFG_INT, "workers", "2", 0, offsetof(struct core_inst, workers), 1, 64, NULL,
	 "Delivery threads."},
	{0},
};

static const char sentinel[] = "sentinel";

static void sample_poison(struct sample *s)
{
	s->label = sentinel;
	s->workers = -99;
	s->dry_run = true;
	s->poll_ms = -99;
	s->max_body = 99;
	s->api = 99;
	s->topics = NULL;
	s->token = sentinel;
	s->account = sentinel;
	s->note = sentinel;
}

static int apply_sample(const struct bh_conf_section *sec, struct sample *s,
			struct bh_conf_values **vals, struct errs *e)
{
	const struct bh_cfg_entry *maps[] = {sample_map};
	void *bases[] = {s};
	return bh_conf_apply(sec, maps, bases, 1, vals, collect, e);
}

/* Load one file (root/rel) into a fresh conf; errors into e. */
static struct bh_conf *load_one(const char *rel, struct errs *e, unsigned *n_err)
{
	struct bh_conf *conf = bh_conf_new();
	*n_err = 0;
	int rc = bh_conf_load_file(conf, P(rel), collect, e, n_err);
	if (rc != BH_OK)
		diag("load_file %s: %d", rel, rc);
	return conf;
}

static char *capture_dump(const struct bh_conf_section *sec, const struct bh_cfg_entry *const *maps,
			  size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	bh_conf_dump(sec, maps, n, fp);
	fclose(fp);
	return buf;
}

/* ---------------------------------------------------------------- tests */

static void test_parsers(void)
{
	bool b = false;
	int64_t i = 0;
	uint64_t u = 0;
	static const char *const trues[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
	static const char *const falses[] = {"false", "no", "off", "0", "OFF"};
	static const char *const bad_bools[] = {"", "maybe", "2", "yes ", " no", "tru", "y"};

	for (size_t k = 0; k < sizeof(trues) / sizeof(*trues); k++)
		ok(bh_parse_bool(trues[k], &b) == 0 && b, "bool '%s' is true", trues[k]);
	for (size_t k = 0; k < sizeof(falses) / sizeof(*falses); k++)
		ok(bh_parse_bool(falses[k], &b) == 0 && !b, "bool '%s' is false", falses[k]);
	for (size_t k = 0; k < sizeof(bad_bools) / sizeof(*bad_bools); k++)
		is_int(bh_parse_bool(bad_bools[k], &b), BH_EINVAL, "bool '%s' refused", bad_bools[k]);

	static const struct {
		const char *s;
		int64_t v;
	} ints[] = {{"42", 42}, {"-7", -7}, {"+5", 5}, {"0", 0},
		    {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN}};
	for (size_t k = 0; k < sizeof(ints) / sizeof(*ints); k++)
		ok(bh_parse_int(ints[k].s, &i) == 0 && i == ints[k].v, "int '%s'", ints[k].s);
	static const char *const bad_ints[] = {"", "-", "+", "12a", " 1", "1 ", "0x10", "1.5",
					       "9223372036854775808", "-9223372036854775809",
					       "99999999999999999999999"};
	for (size_t k = 0; k < sizeof(bad_ints) / sizeof(*bad_ints); k++)
		is_int(bh_parse_int(bad_ints[k], &i), BH_EINVAL, "int '%s' refused", bad_ints[k]);

	static const struct {
		const char *s;
		int64_t ms;
	} durs[] = {{"250ms", 250}, {"30s", 30000}, {"90m", 5400000}, {"2h", 7200000},
		    {"1d", 86400000}, {"45", 45000}, {"0", 0}, {"1h30m", 5400000},
		    {"2H", 7200000}, {"1m500ms", 60500}};
	for (size_t k = 0; k < sizeof(durs) / sizeof(*durs); k++)
		ok(bh_parse_duration(durs[k].s, &i) == 0 && i == durs[k].ms, "duration '%s' = %" PRId64
		   " ms", durs[k].s, durs[k].ms);
	static const char *const bad_durs[] = {"", "9x", "-5s", "+5s", "1.5h", "s", "30s ",
					       " 30s", "1m30", "ms", "106751991167301d",
					       "99999999999999999999s", "9223372036854775808ms"};
	for (size_t k = 0; k < sizeof(bad_durs) / sizeof(*bad_durs); k++)
		is_int(bh_parse_duration(bad_durs[k], &i), BH_EINVAL, "duration '%s' refused",
		       bad_durs[k]);

	static const struct {
		const char *s;
		uint64_t v;
	} sizes[] = {{"512", 512}, {"64k", 65536}, {"64K", 65536}, {"20M", 20u << 20},
		     {"2G", UINT64_C(2) << 30}, {"1T", UINT64_C(1) << 40}, {"64KiB", 65536},
		     {"64kB", 65536}, {"8B", 8}, {"0", 0},
		     {"18446744073709551615", UINT64_MAX}};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++)
		ok(bh_parse_size(sizes[k].s, &u) == 0 && u == sizes[k].v, "size '%s'", sizes[k].s);
	static const char *const bad_sizes[] = {"", "-1", "+1", "2X", "1.5M", "k", "64 k", "64kk",
						"64iB", "18446744073709551616", "17179869184G",
						"16777216T"};
	for (size_t k = 0; k < sizeof(bad_sizes) / sizeof(*bad_sizes); k++)
		is_int(bh_parse_size(bad_sizes[k], &u), BH_EINVAL, "size '%s' refused", bad_sizes[k]);
}

static void test_dir_order_and_skips(void)
{
	struct errs e = {0};
	struct bh_conf *conf = NULL;
	unsigned n_err = 0;

	mkdir_in("order");
	put("order/20-b.conf", 0644, "[flow b]\nplugin = refund\n");
	put("order/10-a.conf", 0644, "# first\n[flow a]\nplugin = refund\n");
	put("order/5-z.conf", 0644, "[endpoint z]\nplugin = loop\n");
	put("order/30-c.conf", 0644, "[engine]\nstate_dir = /var/lib/backhaul\n");
	/* every one of these must be skipped */
	put("order/.hidden.conf", 0644, "[flow hidden]\n");
	put("order/40-d.conf~", 0644, "[flow backup]\n");
	put("order/50-e.conf.dpkg-old", 0644, "[flow dpkg-old]\n");
	put("order/51-e.conf.dpkg-dist", 0644, "[flow dpkg-dist]\n");
	put("order/60-f.conf.rpmnew", 0644, "[flow rpmnew]\n");
	put("order/61-f.conf.rpmsave", 0644, "[flow rpmsave]\n");
	put("order/README", 0644, "not a config\n");
	mkdir_in("order/70-dir.conf");
	ok(mkfifo(P("order/80-fifo.conf"), 0644) == 0, "made a FIFO named 80-fifo.conf");
	/* a symlink to a regular file is read like a file */
	put("outside.conf", 0644, "[flow linked]\nplugin = refund\n");
	ok(symlink("../outside.conf", P("order/90-link.conf")) == 0, "made a symlink 90-link.conf");

	int rc = bh_conf_load_dir(P("order"), &conf, collect, &e, &n_err);
	is_int(rc, 0, "load_dir ok");
	is_int(n_err, 0, "no errors: skipped files are not read, the FIFO is not opened");
	errs_show(&e);
	if (!ok(conf != NULL, "conf returned"))
		return;
	static const char *const order[] = {"10-a.conf", "20-b.conf", "30-c.conf", "5-z.conf",
					    "90-link.conf"};
	is_int((long long)conf->n_files, 5, "five files read (skipped the other nine)");
	for (size_t i = 0; i < 5 && i < conf->n_files; i++) {
		char want[512];
		snprintf(want, sizeof(want), "%s/order/%s", root, order[i]);
		is_str(conf->files[i], want, "file %zu is %s (strcmp order)", i + 1, order[i]);
	}
	static const char *const secs[] = {"a", "b", NULL, "z", "linked"};
	is_int((long long)conf->n_secs, 5, "five sections");
	for (size_t i = 0; i < 5 && i < conf->n_secs; i++)
		is_str(conf->secs[i].name, secs[i], "section %zu in file order", i + 1);
	for (size_t i = 0; i < conf->n_secs; i++)
		if (conf->secs[i].name && (strstr(conf->secs[i].name, "dpkg") ||
					   strstr(conf->secs[i].name, "rpm") ||
					   strcmp(conf->secs[i].name, "hidden") == 0 ||
					   strcmp(conf->secs[i].name, "backup") == 0))
			ok(0, "skipped file's section %s was loaded", conf->secs[i].name);

	const struct bh_conf_section *z = bh_conf_find(conf, BH_SEC_ENDPOINT, "z");
	ok(z && z->kind == BH_SEC_ENDPOINT, "find endpoint z");
	is_str(bh_conf_get(z, "plugin"), "loop", "get plugin of z");
	is_str(bh_conf_get(z, "missing"), NULL, "get of an absent key is NULL");
	ok(bh_conf_find(conf, BH_SEC_FLOW, "z") == NULL, "z is not a flow");
	const struct bh_conf_section *eng = bh_conf_find(conf, BH_SEC_ENGINE, NULL);
	ok(eng && eng->name == NULL, "find engine");
	is_str(bh_conf_get(eng, "state_dir"), "/var/lib/backhaul", "engine state_dir");
	is_int(eng ? eng->line : 0, 1, "engine section line");
	is_str(eng ? eng->file : NULL, P("order/30-c.conf"), "engine section file");
	bh_conf_free(conf);

	/* a trailing slash gives the same names */
	conf = NULL;
	n_err = 0;
	rc = bh_conf_load_dir(P("order/"), &conf, collect, &e, &n_err);
	is_int(rc, 0, "load_dir with a trailing slash");
	is_str(conf && conf->n_files ? conf->files[0] : NULL, P("order/10-a.conf"),
	       "no double slash in file names");
	bh_conf_free(conf);

	conf = (struct bh_conf *)1;
	rc = bh_conf_load_dir(P("no-such-dir"), &conf, collect, &e, &n_err);
	is_int(rc, BH_ENOENT, "load_dir of a missing folder is BH_ENOENT");
	ok(conf == NULL, "and gives no conf");
	conf = bh_conf_new();
	is_int(bh_conf_load_file(conf, P("order/none.conf"), collect, &e, &n_err), BH_ENOENT,
	       "load_file of a missing file is BH_ENOENT");
	bh_conf_free(conf);

	/* a path that is not a folder: one error, an empty conf */
	n_err = 0;
	rc = bh_conf_load_dir(P("outside.conf"), &conf, collect, &e, &n_err);
	is_int(rc, 0, "load_dir of a file returns 0");
	is_int(n_err, 1, "and counts one error");
	has_err(&e, "%s:0: cannot read the directory: Not a directory", P("outside.conf"));
	ok(conf && conf->n_secs == 0, "with an empty conf");
	bh_conf_free(conf);

	/* an unreadable file is one error, and the others are still read */
	if (geteuid() != 0) {
		mkdir_in("unread");
		put("unread/10-a.conf", 0000, "[flow a]\n");
		put("unread/20-b.conf", 0644, "[flow b]\n");
		n_err = 0;
		rc = bh_conf_load_dir(P("unread"), &conf, collect, &e, &n_err);
		is_int(n_err, 1, "unreadable file: one error");
		has_err(&e, "%s: cannot open: Permission denied", P("unread/10-a.conf"));
		ok(conf && bh_conf_find(conf, BH_SEC_FLOW, "b"), "the next file is still read");
		bh_conf_free(conf);
	} else {
		ok(1, "# SKIP unreadable-file check: running as root");
	}
	errs_clear(&e);
}

static void test_parse_errors(void)
{
	struct errs e = {0};
	struct bh_conf *conf = NULL;
	unsigned n_err = 0;
	char long_line[5200];

	mkdir_in("errs");
	put("errs/10-parse.conf", 0644,
	    "key_before = 1\n"                  /* 1 */
	    "[flow refund]\n"                   /* 2 */
	    "plugin = refund\n"                 /* 3 */
	    "workers = 2\n"                     /* 4 */
	    "workers = 3\n"                     /* 5 */
	    "this line is malformed\n"          /* 6 */
	    "Bad_Key = 1\n"                     /* 7 */
	    "= 5\n"                             /* 8 */
	    "label = \"unterminated\n"          /* 9 */
	    "[widget w]\n"                      /* 10 */
	    "colour = blue\n"                   /* 11 */
	    "[flow]\n"                          /* 12 */
	    "[flow Bad]\n"                      /* 13 */
	    "[engine extra]\n"                  /* 14 */
	    "[flow broken\n"                    /* 15 */
	    "[engine]\n"                        /* 16 */
	    "state_dir = /tmp\n");              /* 17 */
	put("errs/20-dup.conf", 0644,
	    "[endpoint refund]\n"               /* 1 */
	    "plugin = x\n"                      /* 2 */
	    "[engine]\n"                        /* 3 */
	    "[flow ok-2]\n"                     /* 4 */
	    "plugin = y\n");                    /* 5 */
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	memcpy(long_line, "note = ", 7);
	{
		char text[5300];
		snprintf(text, sizeof(text), "[flow long]\n%s\nplugin = z\n", long_line);
		put("errs/30-long.conf", 0644, text);
	}

	int rc = bh_conf_load_dir(P("errs"), &conf, collect, &e, &n_err);
	is_int(rc, 0, "load_dir returns 0 with errors counted");
	char f10[512], f20[512];
	snprintf(f10, sizeof(f10), "%s", P("errs/10-parse.conf"));
	snprintf(f20, sizeof(f20), "%s", P("errs/20-dup.conf"));
	has_err(&e, "%s:1: key 'key_before' is outside of any section (add [engine], "
		"[endpoint NAME] or [flow NAME] above it)", f10);
	has_err(&e, "%s:5: duplicate key 'workers' in [flow refund] (first set at %s:4)", f10, f10);
	has_err(&e, "%s:6: malformed line (expected 'key = value', a [section] header or a "
		"# comment)", f10);
	has_err(&e, "%s:7: bad key 'Bad_Key' (expected lower_snake_case: a-z, 0-9 and '_', "
		"starting with a letter)", f10);
	has_err(&e, "%s:8: malformed line: no key before '=' (expected 'key = value')", f10);
	has_err(&e, "%s:9: unterminated double quote in the value of key 'label'", f10);
	has_err(&e, "%s:10: unknown section kind 'widget' (expected [engine], [endpoint NAME] "
		"or [flow NAME])", f10);
	has_err(&e, "%s:12: section [flow] needs an instance name: [flow NAME]", f10);
	has_err(&e, "%s:13: bad instance name 'Bad' in [flow] (expected up to 64 characters "
		"from a-z, 0-9, '-' and '_', starting with a letter or digit)", f10);
	has_err(&e, "%s:14: section [engine] takes no name (got 'extra')", f10);
	has_err(&e, "%s:15: malformed section header: missing ']' (expected [engine], "
		"[endpoint NAME] or [flow NAME])", f10);
	has_err(&e, "%s:1: duplicate instance name 'refund': [endpoint refund] here and "
		"[flow refund] at %s:2", f20, f10);
	has_err(&e, "%s:3: duplicate section [engine] (first at %s:16)", f20, f10);
	has_err(&e, "%s:2: line too long (%zu bytes, at most 4096)", P("errs/30-long.conf"),
		strlen(long_line));
	ok(!any_err_contains(&e, "colour"), "keys under a refused header are not reported again");
	is_int(n_err, 14, "14 errors counted, all in one run");
	is_int((long long)e.n, 14, "14 errors reported through the callback");

	/* what parsed is still there */
	const struct bh_conf_section *r = bh_conf_find(conf, BH_SEC_FLOW, "refund");
	is_str(bh_conf_get(r, "workers"), "2", "the first of a duplicate key is kept");
	is_str(bh_conf_get(r, "plugin"), "refund", "flow refund parsed");
	ok(bh_conf_find(conf, BH_SEC_ENDPOINT, "refund") == NULL,
	   "the duplicate instance is not loaded");
	ok(bh_conf_find(conf, BH_SEC_FLOW, "ok-2") != NULL, "a later section still loads");
	is_str(bh_conf_get(bh_conf_find(conf, BH_SEC_FLOW, "long"), "plugin"), "z",
	       "the line after a too-long line is read");
	is_str(bh_conf_get(bh_conf_find(conf, BH_SEC_ENGINE, NULL), "state_dir"), "/tmp",
	       "the first [engine] is kept");
	is_int((long long)(conf ? conf->n_secs : 0), 4, "four sections (refund, engine, ok-2, long)");
	bh_conf_free(conf);
	errs_clear(&e);

	/* a NUL byte in a line */
	{
		static const char nul[] = "[flow nul]\nplugin = a\0b\nlabel = ok\n";
		FILE *fp = fopen(P("nul.conf"), "w");
		fwrite(nul, 1, sizeof(nul) - 1, fp);
		fclose(fp);
	}
	conf = load_one("nul.conf", &e, &n_err);
	is_int(n_err, 1, "a NUL byte is one error");
	has_err(&e, "%s:2: malformed line: contains a NUL byte", P("nul.conf"));
	is_str(bh_conf_get(bh_conf_find(conf, BH_SEC_FLOW, "nul"), "label"), "ok",
	       "the next line is read");
	bh_conf_free(conf);
	errs_clear(&e);

	/* CRLF line ends, a byte order mark and ; comments */
	put("crlf.conf", 0644, "\xEF\xBB\xBF[flow crlf]\r\n; a comment\r\nplugin = refund\r\n"
	    "  # indented comment\r\n\r\nlabel = \"a # b\"\r\n");
	conf = load_one("crlf.conf", &e, &n_err);
	is_int(n_err, 0, "CRLF, BOM and comments parse");
	errs_show(&e);
	const struct bh_conf_section *c = bh_conf_find(conf, BH_SEC_FLOW, "crlf");
	is_str(bh_conf_get(c, "plugin"), "refund", "CRLF value without the CR");
	is_str(bh_conf_get(c, "label"), "a # b", "quotes removed, '#' inside a value kept");
	is_int(c ? c->entries[1].line : 0, 6, "line numbers count blank and comment lines");
	bh_conf_free(conf);
	errs_clear(&e);
}

static void test_apply_errors(void)
{
	struct errs e = {0};
	struct bh_conf_values *vals = (struct bh_conf_values *)1;
	struct sample s;
	unsigned n_err;

	mkdir_in("apply");
	put("apply/10-values.conf", 0644,
	    "[endpoint ns]\n"               /* 1 */
	    "colour = blue\n"               /* 2 */
	    "poll_interval = 9x\n"          /* 3 */
	    "workers = 0\n"                 /* 4 */
	    "dry_run = maybe\n"             /* 5 */
	    "max_body = 2X\n"               /* 6 */
	    "api = graphql\n"               /* 7 */
	    "topics = a,,b\n"               /* 8 */
	    "token = hunter2-inline\n"      /* 9 */
	    "tokens_file = x\n");           /* 10 */
	struct bh_conf *conf = load_one("apply/10-values.conf", &e, &n_err);
	is_int(n_err, 0, "values file parses");
	const struct bh_conf_section *sec = bh_conf_find(conf, BH_SEC_ENDPOINT, "ns");
	sample_poison(&s);
	int rc = apply_sample(sec, &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "apply refuses the section");
	ok(vals == NULL, "no values on failure");
	char f[512];
	snprintf(f, sizeof(f), "%s", P("apply/10-values.conf"));
	has_err(&e, "%s:2: unknown key 'colour' in [endpoint ns]", f);
	has_err(&e, "%s:3: bad duration '9x' for key 'poll_interval' (expected e.g. 30s, 90m, 2h)", f);
	has_err(&e, "%s:4: integer '0' for key 'workers' is out of range (expected 1..64)", f);
	has_err(&e, "%s:5: bad boolean 'maybe' for key 'dry_run' (expected true/false, yes/no, "
		"on/off or 1/0)", f);
	has_err(&e, "%s:6: bad size '2X' for key 'max_body' (expected e.g. 512, 64k, 20M, 2G)", f);
	has_err(&e, "%s:7: bad value 'graphql' for key 'api' (expected one of: soap, rest)", f);
	has_err(&e, "%s:8: empty item 2 in the list 'a,,b' for key 'topics' (expected "
		"comma-separated values, e.g. a, b, c)", f);
	has_err(&e, "%s:9: secret key 'token' cannot be written inline in [endpoint ns] (use "
		"token_file = PATH or token_env = VARIABLE)", f);
	has_err(&e, "%s:10: unknown key 'tokens_file' in [endpoint ns]", f);
	has_err(&e, "%s:1: missing required key 'account' in [endpoint ns]", f);
	has_err(&e, "%s:1: missing required secret 'token' in [endpoint ns] (set token_file = "
		"PATH or token_env = VARIABLE)", f);
	is_int((long long)e.n, 11, "11 errors, all reported in one call");
	ok(!any_err_contains(&e, "hunter2-inline"), "the inline secret is not echoed");
	ok(s.workers == -99 && s.label == sentinel && s.api == 99 && s.poll_ms == -99,
	   "a refused section leaves the struct untouched");

	/* dump of a section with an inline secret: still redacted */
	const struct bh_cfg_entry *maps[] = {sample_map};
	char *dump = capture_dump(sec, maps, 1);
	ok(dump && strstr(dump, "token = [REDACTED]\n"), "inline secret dumps as [REDACTED]");
	ok(dump && !strstr(dump, "hunter2-inline"), "inline secret value not in the dump");
	free(dump);
	bh_conf_free(conf);
	errs_clear(&e);

	/* empty values: only STR and LIST may be empty */
	setenv("BH_TEST_EMPTY_VAR", "", 1);
	put("apply/20-empty.conf", 0644,
	    "[endpoint e]\n"                        /* 1 */
	    "workers =\n"                           /* 2 */
	    "label =\n"                             /* 3 */
	    "topics = \"\"\n"                       /* 4 */
	    "account = acct\n"                      /* 5 */
	    "token_env = BH_TEST_EMPTY_VAR\n"       /* 6 */
	    "dry_run = \"\"\n"                      /* 7 */
	    "api =\n"                               /* 8 */
	    "poll_interval =\n"                     /* 9 */
	    "max_body =\n");                        /* 10 */
	conf = load_one("apply/20-empty.conf", &e, &n_err);
	snprintf(f, sizeof(f), "%s", P("apply/20-empty.conf"));
	rc = apply_sample(bh_conf_find(conf, BH_SEC_ENDPOINT, "e"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "empty values refused");
	has_err(&e, "%s:2: empty value for key 'workers' (expected a whole number, e.g. 42)", f);
	has_err(&e, "%s:6: environment variable 'BH_TEST_EMPTY_VAR' for key 'token_env' is "
		"unset or empty", f);
	has_err(&e, "%s:7: empty value for key 'dry_run' (expected true/false, yes/no, on/off "
		"or 1/0)", f);
	has_err(&e, "%s:8: empty value for key 'api' (expected one of: soap, rest)", f);
	has_err(&e, "%s:9: empty value for key 'poll_interval' (expected e.g. 30s, 90m, 2h)", f);
	has_err(&e, "%s:10: empty value for key 'max_body' (expected e.g. 512, 64k, 20M, 2G)", f);
	is_int((long long)e.n, 6, "label and topics may be empty: six errors");
	bh_conf_free(conf);
	errs_clear(&e);

	/* a bad default in a map names the map key; it has no file:line */
	struct bad {
		int64_t poll, workers;
		int api, mode;
		bool dry;
		const char *token;
	} b;
	static const struct bh_cfg_entry bad_map[] = {
		{BH_CFG_DURATION, "poll_interval", "9x", 0, offsetof(struct bad, poll), 0, 0, NULL,
		 NULL},
		{BH_CFG_INT, "workers", "100", 0, offsetof(struct bad, workers), 1, 64, NULL, NULL},
		{BH_CFG_ENUM, "api", "grpc", 0, offsetof(struct bad, api), 0, 0, "soap|rest", NULL},
		{BH_CFG_BOOL, "dry_run", "", 0, offsetof(struct bad, dry), 0, 0, NULL, NULL},
		{BH_CFG_ENUM, "mode", "a", 0, offsetof(struct bad, mode), 0, 0, NULL, NULL},
		{BH_CFG_SECRET, "token", "x", 0, offsetof(struct bad, token), 0, 0, NULL, NULL},
		{0},
	};
	const struct bh_cfg_entry *bmaps[] = {bad_map};
	void *bbases[] = {&b};
	rc = bh_conf_apply(NULL, bmaps, bbases, 1, &vals, collect, &e);
	is_int(rc, BH_ECONFIG, "bad defaults refused");
	has_err(&e, "bad default duration '9x' for key 'poll_interval' in the config map "
		"(expected e.g. 30s, 90m, 2h)");
	has_err(&e, "default integer '100' for key 'workers' in the config map is out of range "
		"(expected 1..64)");
	has_err(&e, "bad default value 'grpc' for key 'api' in the config map (expected one of: "
		"soap, rest)");
	has_err(&e, "empty default value for key 'dry_run' in the config map (expected "
		"true/false, yes/no, on/off or 1/0)");
	has_err(&e, "config map: enum key 'mode' has no choices");
	has_err(&e, "config map: secret key 'token' cannot have a default");
	is_int((long long)e.n, 6, "six map errors");
	errs_clear(&e);
}

static void test_bounds(void)
{
	struct errs e = {0};
	struct bh_conf_values *vals = NULL;
	struct sample s;
	unsigned n_err;

	setenv("BH_TEST_TOKEN", "env-secret-value", 1);
	put("bounds.conf", 0644,
	    "[flow lo]\n"                          /* 1 */
	    "workers = 1\npoll_interval = 1m\nmax_body = 1k\n"
	    "account = a\ntoken_env = BH_TEST_TOKEN\n"
	    "[flow hi]\n"                          /* 7 */
	    "workers = 64\npoll_interval = 24h\nmax_body = 1G\n"
	    "account = a\ntoken_env = BH_TEST_TOKEN\n"
	    "[flow below]\n"                       /* 13 */
	    "workers = -1\n"                       /* 14 */
	    "poll_interval = 59s\n"                /* 15 */
	    "max_body = 1023\n"                    /* 16 */
	    "account = a\ntoken_env = BH_TEST_TOKEN\n"
	    "[flow above]\n"                       /* 19 */
	    "workers = 65\n"                       /* 20 */
	    "poll_interval = 1d1ms\n"              /* 21 */
	    "max_body = 1025M\n"                   /* 22 */
	    "account = a\ntoken_env = BH_TEST_TOKEN\n"
	    "[flow huge]\n"                        /* 25 */
	    "workers = 99999999999999999999\n"     /* 26 */
	    "max_body = 18446744073709551615\n"    /* 27 */
	    "account = a\ntoken_env = BH_TEST_TOKEN\n");
	struct bh_conf *conf = load_one("bounds.conf", &e, &n_err);
	char f[512];
	snprintf(f, sizeof(f), "%s", P("bounds.conf"));

	sample_poison(&s);
	int rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "lo"), &s, &vals, &e);
	is_int(rc, 0, "values at the lower bounds accepted");
	ok(s.workers == 1 && s.poll_ms == 60000 && s.max_body == 1024, "lower bounds stored");
	bh_conf_values_free(vals);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "hi"), &s, &vals, &e);
	is_int(rc, 0, "values at the upper bounds accepted");
	ok(s.workers == 64 && s.poll_ms == 86400000 && s.max_body == (UINT64_C(1) << 30),
	   "upper bounds stored");
	bh_conf_values_free(vals);
	errs_show(&e);
	is_int((long long)e.n, 0, "no errors at the bounds");

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "below"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "below the bounds refused");
	has_err(&e, "%s:14: integer '-1' for key 'workers' is out of range (expected 1..64)", f);
	has_err(&e, "%s:15: duration '59s' for key 'poll_interval' is out of range (expected "
		"1m..1d)", f);
	has_err(&e, "%s:16: size '1023' for key 'max_body' is out of range (expected 1k..1G)", f);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "above"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "above the bounds refused");
	has_err(&e, "%s:20: integer '65' for key 'workers' is out of range (expected 1..64)", f);
	has_err(&e, "%s:21: duration '1d1ms' for key 'poll_interval' is out of range (expected "
		"1m..1d)", f);
	has_err(&e, "%s:22: size '1025M' for key 'max_body' is out of range (expected 1k..1G)", f);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "huge"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "overflowing values refused");
	has_err(&e, "%s:26: bad integer '99999999999999999999' for key 'workers' (expected a "
		"whole number, e.g. 42)", f);
	has_err(&e, "%s:27: size '18446744073709551615' for key 'max_body' is out of range "
		"(expected 1k..1G)", f);
	is_int((long long)e.n, 8, "eight bound errors");
	ok(s.workers == 64, "refused sections did not overwrite the struct");
	bh_conf_free(conf);
	errs_clear(&e);
}

static void test_typed_values(void)
{
	struct errs e = {0};
	struct bh_conf_values *vals = NULL;
	struct sample s;
	unsigned n_err;

	mkdir_in("typed");
	put("typed/secret.txt", 0600, "s3cr3t-value\n");
	put("typed/10-ns.conf", 0644,
	    "[endpoint ns]\n"
	    "label = \"  spaced # not a comment  \"\n"
	    "workers = 8\n"
	    "dry_run = yes\n"
	    "poll_interval = 1h30m\n"
	    "max_body = 20M\n"
	    "api = REST\n"
	    "topics = a.b , c.d,e\n"
	    "token_file = secret.txt\n"
	    "account = \"123_SB1\"\n");
	struct bh_conf *conf = load_one("typed/10-ns.conf", &e, &n_err);
	const struct bh_conf_section *sec = bh_conf_find(conf, BH_SEC_ENDPOINT, "ns");
	sample_poison(&s);
	int rc = apply_sample(sec, &s, &vals, &e);
	is_int(rc, 0, "typed section applies");
	errs_show(&e);
	is_str(s.label, "  spaced # not a comment  ", "STR: quoted value kept verbatim");
	is_int(s.workers, 8, "INT at its offset (int64_t)");
	ok(s.dry_run == true, "BOOL at its offset (bool)");
	is_int(s.poll_ms, 5400000, "DURATION at its offset (int64_t ms)");
	ok(s.max_body == (UINT64_C(20) << 20), "SIZE at its offset (uint64_t bytes)");
	is_int(s.api, 1, "ENUM stores the index of the choice (REST -> 1)");
	ok(s.topics != NULL, "LIST stored");
	if (s.topics) {
		is_str(s.topics[0], "a.b", "LIST item 1 trimmed");
		is_str(s.topics[1], "c.d", "LIST item 2 trimmed");
		is_str(s.topics[2], "e", "LIST item 3");
		ok(s.topics[3] == NULL, "LIST is NULL-terminated");
	}
	is_str(s.token, "s3cr3t-value", "SECRET from a 0600 file, trailing newline stripped");
	is_str(bh_conf_values_secret(vals, "token"), "s3cr3t-value", "values_secret(token)");
	is_str(bh_conf_values_secret(vals, "account"), NULL, "values_secret of a non-secret");
	is_str(s.account, "123_SB1", "STR: quotes removed");
	ok(s.note == NULL, "STR without default and unset is NULL");

	/* the values belong to vals: they outlive the parsed conf */
	bh_conf_free(conf);
	is_str(s.label, "  spaced # not a comment  ", "strings survive bh_conf_free");
	is_str(s.topics ? s.topics[0] : NULL, "a.b", "lists survive bh_conf_free");

	/* dump: secret redacted, values and defaults shown */
	conf = load_one("typed/10-ns.conf", &e, &n_err);
	const struct bh_cfg_entry *maps1[] = {sample_map};
	char *dump = capture_dump(bh_conf_find(conf, BH_SEC_ENDPOINT, "ns"), maps1, 1);
	ok(dump != NULL, "dump captured");
	if (dump) {
		diag_lines("dump:", dump);
		ok(strstr(dump, "token = [REDACTED]\n") != NULL, "dump: token = [REDACTED]");
		ok(strstr(dump, "s3cr3t-value") == NULL, "dump: the secret value never appears");
		ok(strstr(dump, "workers = 8\n") != NULL, "dump: workers = 8");
		ok(strstr(dump, "label = \"  spaced # not a comment  \"\n") != NULL,
		   "dump: edge spaces quoted");
		ok(strstr(dump, "# note is not set\n") != NULL, "dump: unset key marked");
	}
	free(dump);
	bh_conf_free(conf);
	bh_conf_values_free(vals);

	/* defaults */
	put("typed/20-defaults.conf", 0644,
	    "[flow d]\naccount = a\ntoken_env = BH_TEST_TOKEN\n");
	conf = load_one("typed/20-defaults.conf", &e, &n_err);
	sec = bh_conf_find(conf, BH_SEC_FLOW, "d");
	sample_poison(&s);
	rc = apply_sample(sec, &s, &vals, &e);
	is_int(rc, 0, "defaults section applies");
	is_str(s.label, "none", "STR default");
	is_int(s.workers, 4, "INT default");
	ok(s.dry_run == false, "BOOL default");
	is_int(s.poll_ms, 5400000, "DURATION default 90m");
	ok(s.max_body == (UINT64_C(1) << 20), "SIZE default 1M");
	is_int(s.api, 0, "ENUM default index");
	ok(s.topics && s.topics[0] && s.topics[1] && !s.topics[2] &&
	   strcmp(s.topics[0], "x.one") == 0 && strcmp(s.topics[1], "x.two") == 0,
	   "LIST default parsed with the same parser");
	is_str(s.token, "env-secret-value", "SECRET from the environment");
	ok(s.note == NULL, "unset STR without default overwritten with NULL");
	dump = capture_dump(sec, maps1, 1);
	ok(dump && strstr(dump, "workers = 4 # default\n"), "dump marks defaults");
	ok(dump && strstr(dump, "topics = x.one, x.two # default\n"), "dump shows list default");
	ok(dump && strstr(dump, "token = [REDACTED]\n") && !strstr(dump, "env-secret-value"),
	   "env secret redacted in the dump");
	free(dump);
	bh_conf_values_free(vals);
	bh_conf_free(conf);

	/* empty STR and LIST */
	put("typed/30-empty.conf", 0644,
	    "[flow em]\nlabel =\ntopics = \"\"\naccount = \"\"\ntoken_env = BH_TEST_TOKEN\n");
	conf = load_one("typed/30-empty.conf", &e, &n_err);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "em"), &s, &vals, &e);
	is_int(rc, 0, "empty STR and LIST accepted");
	is_str(s.label, "", "empty STR is \"\"");
	is_str(s.account, "", "empty quoted STR is \"\"");
	ok(s.topics && s.topics[0] == NULL, "empty LIST is an empty NULL-terminated array");
	bh_conf_values_free(vals);
	bh_conf_free(conf);

	/* two maps: the core's and the plugin's; a key in both is stored in both */
	put("typed/40-two.conf", 0644,
	    "[flow two]\nplugin = refund\nworkers = 7\naccount = a\ntoken_env = BH_TEST_TOKEN\n");
	conf = load_one("typed/40-two.conf", &e, &n_err);
	struct core_inst ci = {0};
	sample_poison(&s);
	const struct bh_cfg_entry *maps2[] = {core_map, sample_map};
	void *bases2[] = {&ci, &s};
	rc = bh_conf_apply(bh_conf_find(conf, BH_SEC_FLOW, "two"), maps2, bases2, 2, &vals,
			   collect, &e);
	is_int(rc, 0, "two maps apply");
	is_str(ci.plugin, "refund", "core map key stored in the core struct");
	is_int(ci.workers, 7, "shared key stored in the core struct");
	is_int(s.workers, 7, "shared key stored in the plugin struct");
	is_str(s.account, "a", "plugin key stored in the plugin struct");
	dump = capture_dump(bh_conf_find(conf, BH_SEC_FLOW, "two"), maps2, 2);
	ok(dump && strstr(dump, "workers = 7\n") && !strstr(strstr(dump, "workers = 7\n") + 1,
							   "workers ="),
	   "a key in two maps is dumped once");
	free(dump);
	bh_conf_values_free(vals);
	/* validation only: NULL bases store nothing */
	void *nobases[] = {NULL, NULL};
	rc = bh_conf_apply(bh_conf_find(conf, BH_SEC_FLOW, "two"), maps2, nobases, 2, &vals,
			   collect, &e);
	is_int(rc, 0, "apply with NULL bases validates only");
	bh_conf_values_free(vals);
	bh_conf_free(conf);
	is_int((long long)e.n, 0, "no errors in the typed tests");
	errs_show(&e);
	errs_clear(&e);
}

static void test_secrets(void)
{
	struct errs e = {0};
	struct bh_conf_values *vals = NULL;
	struct sample s;
	unsigned n_err;
	char text[2048];
	int rc;

	mkdir_in("sec");
	put("sec/tok600", 0600, "abc-secret-600\n");
	put("sec/tok644", 0644, "leaky-secret-644\n");
	put("sec/tok640", 0640, "leaky-secret-640\n");
	put("sec/tok604", 0604, "leaky-secret-604\n");
	put("sec/tokcrlf", 0600, "crlf-secret\r\n");
	put("sec/tokempty", 0600, "\n");
	put("sec/tok2nl", 0600, "two-newlines\n\n");
	snprintf(text, sizeof(text),
		 "[flow f600]\naccount = a\ntoken_file = tok600\n"        /* 1-3 */
		 "[flow f644]\naccount = a\ntoken_file = tok644\n"        /* 4-6 */
		 "[flow f640]\naccount = a\ntoken_file = %s\n"            /* 7-9 */
		 "[flow f604]\naccount = a\ntoken_file = tok604\n"        /* 10-12 */
		 "[flow crlf]\naccount = a\ntoken_file = tokcrlf\n"       /* 13-15 */
		 "[flow empty]\naccount = a\ntoken_file = tokempty\n"     /* 16-18 */
		 "[flow nofile]\naccount = a\ntoken_file = nope\n"        /* 19-21 */
		 "[flow env]\naccount = a\ntoken_env = BH_TEST_TOKEN\n"   /* 22-24 */
		 "[flow unset]\naccount = a\ntoken_env = BH_TEST_UNSET\n" /* 25-27 */
		 "[flow both]\naccount = a\ntoken_file = tok600\n"        /* 28-30 */
		 "token_env = BH_TEST_TOKEN\n"                            /* 31 */
		 "[flow twonl]\naccount = a\ntoken_file = tok2nl\n",      /* 32-34 */
		 P("sec/tok640"));
	put("sec/10.conf", 0644, text);
	unsetenv("BH_TEST_UNSET");
	struct bh_conf *conf = load_one("sec/10.conf", &e, &n_err);
	is_int(n_err, 0, "secrets file parses");
	char f[512];
	snprintf(f, sizeof(f), "%s", P("sec/10.conf"));

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "f600"), &s, &vals, &e);
	is_int(rc, 0, "secret from a 0600 file (relative to the config file)");
	is_str(s.token, "abc-secret-600", "secret value read");
	bh_conf_values_free(vals);

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "f644"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "secret from a 0644 file refused");
	has_err(&e, "%s:6: secret file '%s' for key 'token_file' has mode 0644: group and others "
		"must have no access (chmod 600 %s)", f, P("sec/tok644"), P("sec/tok644"));
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "f640"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "secret from a 0640 file (absolute path) refused");
	has_err(&e, "%s:9: secret file '%s' for key 'token_file' has mode 0640: group and others "
		"must have no access (chmod 600 %s)", f, P("sec/tok640"), P("sec/tok640"));
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "f604"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "secret from a 0604 file refused");
	has_err(&e, "%s:12: secret file '%s' for key 'token_file' has mode 0604: group and "
		"others must have no access (chmod 600 %s)", f, P("sec/tok604"), P("sec/tok604"));
	ok(!any_err_contains(&e, "leaky-secret"), "a refused file's content is never echoed");

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "crlf"), &s, &vals, &e);
	is_int(rc, 0, "secret with CRLF");
	is_str(s.token, "crlf-secret", "CRLF stripped");
	bh_conf_values_free(vals);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "twonl"), &s, &vals, &e);
	is_int(rc, 0, "secret with two newlines");
	is_str(s.token, "two-newlines\n", "only one trailing newline stripped");
	bh_conf_values_free(vals);

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "empty"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "empty secret file refused");
	has_err(&e, "%s:18: secret file '%s' for key 'token_file' is empty", f, P("sec/tokempty"));
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "nofile"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "missing secret file refused");
	has_err(&e, "%s:21: cannot read secret file '%s' for key 'token_file': No such file or "
		"directory", f, P("sec/nope"));

	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "env"), &s, &vals, &e);
	is_int(rc, 0, "secret from the environment");
	is_str(s.token, "env-secret-value", "env secret value");
	is_str(bh_conf_values_secret(vals, "token"), "env-secret-value", "values_secret");
	bh_conf_values_free(vals);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "unset"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "unset variable refused");
	has_err(&e, "%s:27: environment variable 'BH_TEST_UNSET' for key 'token_env' is unset or "
		"empty", f);
	rc = apply_sample(bh_conf_find(conf, BH_SEC_FLOW, "both"), &s, &vals, &e);
	is_int(rc, BH_ECONFIG, "file and env together refused");
	has_err(&e, "%s:31: secret 'token' is set twice in [flow both]: 'token_env' here and "
		"'token_file' at %s:30 (use one)", f, f);
	bh_conf_free(conf);

	/* loaded secrets are registered with the log redactor */
	ok(bh_log_open(P("log.txt")) == 0, "log to a file");
	bh_log(BH_LOG_ERR, "test", "file=%s env=%s inline=%s", "abc-secret-600",
	       "env-secret-value", "hunter2-inline");
	char buf[1024] = {0};
	FILE *fp = fopen(P("log.txt"), "r");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = '\0';
	diag_lines("log:", buf);
	ok(strstr(buf, "file=[REDACTED] env=[REDACTED] inline=[REDACTED]") != NULL,
	   "file, env and refused inline secrets are redacted from logs");
	ok(!strstr(buf, "abc-secret") && !strstr(buf, "env-secret") && !strstr(buf, "hunter2"),
	   "no secret reaches the log");
	bh_log_clear_secrets();
	errs_clear(&e);
}

static void test_describe(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	bh_conf_describe(sample_map, fp);
	fclose(fp);
	ok(buf != NULL, "describe printed");
	if (!buf)
		return;
	diag_lines("describe:", buf);
	static const char *const want[] = {
		"label  (string, default: none)\n    A free label.\n",
		"workers  (int, default: 4, range: 1..64)\n    Worker threads.\n",
		"dry_run  (bool, default: false)\n    Compute, write nothing.\n",
		("poll_interval  (duration, default: 90m, range: 1m..1d)\n"
		 "    How often to poll the source.\n"),
		"max_body  (size, default: 1M, range: 1k..1G)\n    Largest request body.\n",
		"api  (enum, default: soap, one of: soap, rest)\n    NetSuite transport.\n",
		"topics  (list, default: x.one, x.two)\n    Topics to follow.\n",
		"token_file = PATH | token_env = VARIABLE  (secret, required)\n    API token.\n",
		"account  (string, required)\n    Account id.\n",
		"note  (string)\n    Optional note.\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		ok(strstr(buf, want[i]) != NULL, "describe has: %.*s", (int)strcspn(want[i], "\n"),
		   want[i]);
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	bh_conf_describe(NULL, fp);
	fclose(fp);
	is_str(buf, "(no configuration keys)\n", "describe of an empty map");
	free(buf);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/bh-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		skip_all("cannot create a temporary folder: %s", strerror(errno));
	umask(022);

	test_parsers();
	test_dir_order_and_skips();
	test_parse_errors();
	test_apply_errors();
	test_bounds();
	test_typed_values();
	test_secrets();
	test_describe();

	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}

/*
 * netsuite_rest_units.c - standalone tests of the NetSuite REST simulator's building
 * blocks: OAuth 1.0a (TBA) signatures against Oracle's published vectors
 * (shared/reference/netsuite-suitetalk/tba-signature-vectors.json, read in place) and
 * the SuiteQL engine over small in-test tables.
 *
 * Owned by the NetSuite REST helper. Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim_ns_oauth.h"
#include "sim_ns_suiteql.h"
#include "tap.h"

/* ------------------------------------------------------------------ OAuth */

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* Split "scheme://host/path?query" into base ("scheme://host"), path and query. */
static void split_url(const char *url, char *base, size_t bl, char *path, size_t pl, char *query,
		      size_t ql)
{
	const char *h = strstr(url, "://");
	const char *slash = strchr(h + 3, '/');
	const char *q = strchr(url, '?');
	snprintf(base, bl, "%.*s", (int)(slash - url), url);
	snprintf(path, pl, "%.*s", (int)((q ? q : url + strlen(url)) - slash), slash);
	snprintf(query, ql, "%s", q ? q + 1 : "");
}

static void test_vectors(void)
{
	const char *dir = tap_shared_dir();
	char file[8192];
	struct json_object *root, *vecs, *first_rest = NULL;

	if (!dir) {
		diag("shared reference data absent: OAuth vector tests skipped");
		return;
	}
	snprintf(file, sizeof(file), "%s/reference/netsuite-suitetalk/tba-signature-vectors.json", dir);
	root = json_object_from_file(file);
	if (!ok(root != NULL, "tba-signature-vectors.json parses")) {
		return;
	}
	json_object_object_get_ex(root, "vectors", &vecs);
	for (size_t i = 0; i < json_object_array_length(vecs); i++) {
		struct json_object *v = json_object_array_get_idx(vecs, i);
		const char *name = jstr(v, "name"), *kind = jstr(v, "kind");
		const char *key = jstr(v, "key"), *want = jstr(v, "signatureBase64");
		const char *bs = jstr(v, "baseString");
		char cs[256], ts[256];
		const char *amp = strchr(key, '&');
		char *sig;

		/* the key is pct(cs)&pct(ts); the vector secrets are hex, so no escapes */
		snprintf(cs, sizeof(cs), "%.*s", (int)(amp - key), key);
		snprintf(ts, sizeof(ts), "%s", amp + 1);
		sig = bh_sim_ns_oauth_sign(bs, cs, ts);
		is_str(sig, want, "HMAC-SHA256 of %s", name);
		free(sig);

		if (strstr(kind, "OAuth") == NULL)
			continue;
		if (jstr(v, "consumerKey"))
			first_rest = first_rest ? first_rest : v;
		/* Rebuild the base string from the request as the server sees it. */
		{
			struct json_object *src = jstr(v, "consumerKey") ? v : first_rest;
			struct bh_sim_ns_oauth p = { 0 };
			char base[256], path[512], query[512];
			char *got;
			split_url(jstr(v, "url"), base, sizeof(base), path, sizeof(path), query,
				  sizeof(query));
			p.consumer_key = (char *)jstr(src, "consumerKey");
			p.token = (char *)jstr(src, "token");
			p.nonce = (char *)jstr(v, "nonce");
			p.timestamp = (char *)jstr(v, "timestamp");
			p.signature_method = "HMAC-SHA256";
			p.version = "1.0";
			if (!p.nonce) {
				p.nonce = (char *)jstr(src, "nonce");
				p.timestamp = (char *)jstr(src, "timestamp");
			}
			got = bh_sim_ns_oauth_base_string(jstr(v, "method"), base, path, query, &p);
			is_str(got, bs, "base string of %s (query parameters signed)", name);
			free(got);
		}
		if (jstr(v, "authorizationHeader")) {
			struct bh_sim_ns_oauth p;
			int rc = bh_sim_ns_oauth_parse(jstr(v, "authorizationHeader"), &p);
			is_int(rc, 0, "Authorization header of %s parses", name);
			is_str(p.realm, jstr(v, "realm"), "realm of %s", name);
			is_str(p.signature, want, "signature of %s percent-decodes to the base64", name);
			is_str(p.signature_method, "HMAC-SHA256", "method of %s", name);
			bh_sim_ns_oauth_clear(&p);
		}
	}
	json_object_put(root);
}

static void test_oauth_misc(void)
{
	struct bh_sim_ns_oauth p = { 0 };
	char *s;

	s = bh_sim_ns_oauth_pct("a b+c/~._-%", 11);
	is_str(s, "a%20b%2Bc%2F~._-%25", "RFC 3986 percent-encoding");
	free(s);

	/* host is lower-cased, default port dropped, query form-decoded then re-encoded */
	p.consumer_key = "ck";
	p.token = "tk";
	p.nonce = "abcdef";
	p.timestamp = "1";
	p.signature_method = "HMAC-SHA256";
	p.version = "1.0";
	s = bh_sim_ns_oauth_base_string("post", "HTTPS://Example.COM:443", "/a/b", "z=1&a=x+y&a=%21", &p);
	is_str(s,
	       "POST&https%3A%2F%2Fexample.com%2Fa%2Fb&a%3D%2521%26a%3Dx%2520y%26"
	       "oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdef%26oauth_signature_method%3D"
	       "HMAC-SHA256%26oauth_timestamp%3D1%26oauth_token%3Dtk%26oauth_version%3D1.0%26z%3D1",
	       "base string: normalised URI, params sorted by name then value");
	free(s);
	s = bh_sim_ns_oauth_base_string("GET", "http://127.0.0.1:8080", "/x", "", &p);
	ok(s && strstr(s, "http%3A%2F%2F127.0.0.1%3A8080%2Fx&") != NULL, "non-default port kept");
	free(s);

	is_int(bh_sim_ns_oauth_parse("Bearer abc", &p), BH_EINVAL, "Bearer is not OAuth 1.0a");
	is_int(bh_sim_ns_oauth_parse("OAuth realm=\"1\", realm=\"2\"", &p), BH_EINVAL,
	       "duplicate parameter refused");
	is_int(bh_sim_ns_oauth_parse("OAuth oauth_nonce=abc", &p), BH_EINVAL,
	       "unquoted value refused");
	is_int(bh_sim_ns_oauth_parse("OAuth oauth_signature=\"%G1\"", &p), BH_EINVAL,
	       "bad escape refused");
	ok(bh_sim_ns_oauth_equal("abc", "abc") && !bh_sim_ns_oauth_equal("abc", "abd") &&
		   !bh_sim_ns_oauth_equal("abc", "ab"),
	   "constant-time comparison");
}

/* ------------------------------------------------------------------ SuiteQL mock */

struct trow {
	const char *id, *tranid, *externalid, *type, *status, *createdfrom, *total, *flag;
	int64_t modified;       /* seconds UTC */
};

struct lrow {
	const char *transaction, *id, *item, *quantity, *amount;
};

static const struct trow trows[] = {
	{ "100", "SO1001", "shopify-1001", "SalesOrd", "F", NULL, "43.20", NULL, 1700000000 },
	{ "101", "RMA1", "loop-ra-1", "RtnAuth", "B", "100", "43.20", "T", 1700000100 },
	{ "102", "RMA2", "loop-ra-2", "RtnAuth", "F", "100", "23.32", "F", 1700000200 },
	{ "103", "IR1", "loop-ir-1", "ItemRcpt", "Y", "101", "0", NULL, 1700000300 },
	{ "104", "CR1", "loop-cr-1", "CashRfnd", "Y", "101", "43.2", NULL, 1700000400 },
	{ "105", "IR2", NULL, "ItemRcpt", "Y", "102", "0", NULL, 1700086400 },
};

static const struct lrow lrows[] = {
	{ "100", "1", "7", "-1", "-40.00" },
	{ "100", "2", "8", "-3", "-32.40" },
	{ "101", "1", "7", "1", "40.00" },
	{ "102", "1", "8", "2", "21.60" },
};

static int n_scans, n_lookups;

static int t_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	(void)src;
	n_scans++;
	for (size_t i = 0; i < sizeof(trows) / sizeof(trows[0]); i++) {
		int rc = fn((void *)&trows[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int t_lookup(void *src, const char *col, const struct bh_sim_sql_val *v,
		    bh_sim_sql_row_fn fn, void *arg)
{
	(void)src;
	if (strcmp(col, "id") != 0 || v->type == BH_SQL_DATE)
		return BH_ENOTSUP;
	n_lookups++;
	for (size_t i = 0; i < sizeof(trows) / sizeof(trows[0]); i++)
		if (strcmp(trows[i].id, v->s) == 0)
			return fn((void *)&trows[i], arg);
	return 0;
}

static int t_column(void *src, void *row, const char *col, bool display,
		    struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	const struct trow *r = row;
	(void)src;
	memset(v, 0, sizeof(*v));
	if (strcmp(col, "id") == 0 || strcmp(col, "createdfrom") == 0 ||
	    strcmp(col, "foreigntotal") == 0) {
		const char *s = col[0] == 'i' ? r->id : col[0] == 'c' ? r->createdfrom : r->total;
		if (s) {
			v->type = BH_SQL_NUM;
			v->s = s;
		}
	} else if (strcmp(col, "lastmodifieddate") == 0) {
		v->type = BH_SQL_DATE;
		v->t = r->modified;
	} else {
		const char *s = strcmp(col, "tranid") == 0 ? r->tranid
				: strcmp(col, "externalid") == 0 ? r->externalid
				: strcmp(col, "type") == 0 ? r->type
				: strcmp(col, "status") == 0 ? r->status
				: strcmp(col, "custbody_flag") == 0 ? r->flag
				: NULL;
		if (display && strcmp(col, "type") == 0)
			s = bh_sim_sql_printf(ctx, "Type %s", r->type);
		if (s) {
			v->type = BH_SQL_STR;
			v->s = s;
		}
	}
	return 0;
}

static int l_scan(void *src, bh_sim_sql_row_fn fn, void *arg)
{
	(void)src;
	for (size_t i = 0; i < sizeof(lrows) / sizeof(lrows[0]); i++) {
		int rc = fn((void *)&lrows[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int l_column(void *src, void *row, const char *col, bool display,
		    struct bh_sim_sql_ctx *ctx, struct bh_sim_sql_val *v)
{
	const struct lrow *r = row;
	const char *s = strcmp(col, "transaction") == 0 ? r->transaction
			: strcmp(col, "id") == 0 ? r->id
			: strcmp(col, "item") == 0 ? r->item
			: strcmp(col, "quantity") == 0 ? r->quantity
			: strcmp(col, "foreignamount") == 0 ? r->amount : NULL;
	(void)src;
	(void)display;
	(void)ctx;
	memset(v, 0, sizeof(*v));
	if (s) {
		v->type = BH_SQL_NUM;
		v->s = s;
	}
	return 0;
}

static const char *const t_cols[] = { "id", "tranid", "externalid", "type", "status",
				      "createdfrom", "foreigntotal", "lastmodifieddate", NULL };
static const char *const t_pre[] = { "custbody", NULL };
static const char *const l_cols[] = { "transaction", "id", "item", "quantity", "foreignamount",
				      NULL };

static const struct bh_sim_sql_table mock_tables[] = {
	{ "transaction", "transaction", t_cols, t_pre, t_scan, t_lookup, t_column },
	{ "transactionline", "transactionLine", l_cols, NULL, l_scan, NULL, l_column },
};

/* Run q; returns the items (caller puts) or NULL with err filled. */
static struct json_object *run(const char *q, const char *params, int64_t offset, int64_t limit,
			       int64_t *total, char *err, size_t errlen)
{
	struct bh_sim_sql *stmt = NULL;
	struct json_object *items = NULL, *p = params ? json_tokener_parse(params) : NULL;
	struct bh_sim_sql_run r = { .tables = mock_tables, .n_tables = 2, .params = p,
				    .now = 1700000500, .offset = offset, .limit = limit };
	*total = -1;
	if (bh_sim_sql_parse(q, &stmt, err, errlen) == 0)
		bh_sim_sql_execute(stmt, &r, &items, total, err, errlen);
	bh_sim_sql_free(stmt);
	json_object_put(p);
	return items;
}

/* The items rendered compactly: "a=1,b=2;a=3" (links dropped). */
static char *flat(struct json_object *items)
{
	static char buf[4096];
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; items && i < json_object_array_length(items); i++) {
		bool first = true;
		json_object_object_foreach(json_object_array_get_idx(items, i), k, v) {
			if (strcmp(k, "links") == 0)
				continue;
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s=%s", first ? "" : ",", k,
					      json_object_get_string(v));
			first = false;
		}
		if (i + 1 < json_object_array_length(items))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, ";");
	}
	return buf;
}

static void check(const char *q, const char *params, const char *want, const char *what)
{
	char err[512] = "";
	int64_t total;
	struct json_object *items = run(q, params, 0, 1000, &total, err, sizeof(err));
	if (!items)
		diag("error: %s", err);
	is_str(items ? flat(items) : err, want, "%s", what);
	json_object_put(items);
}

static void check_err(const char *q, const char *params, const char *want_sub, const char *what)
{
	char err[512] = "";
	int64_t total;
	struct json_object *items = run(q, params, 0, 1000, &total, err, sizeof(err));
	ok(!items && strstr(err, want_sub) != NULL, "%s", what);
	if (items || !strstr(err, want_sub))
		diag("  got: %s", items ? flat(items) : err);
	json_object_put(items);
}

static void test_suiteql(void)
{
	char err[512];
	int64_t total;
	struct json_object *items;
	int scans;

	/* the engine's own queries */
	n_scans = n_lookups = 0;
	check("SELECT id, tranid, status, createdfrom FROM transaction WHERE type = 'RtnAuth' AND "
	      "externalid = ?",
	      "[\"loop-ra-1\"]", "id=101,tranid=RMA1,status=B,createdfrom=100",
	      "find an RA by external id with a bound parameter");
	check("select t.id as ra, t.custbody_flag flag from transaction t where t.type='RtnAuth' "
	      "and t.custbody_flag = 'T'",
	      NULL, "ra=101,flag=T", "RAs with the flag custom field set (aliases, lower case)");
	check("SELECT ir.id, ir.createdfrom, TO_CHAR(ir.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') "
	      "AS modified FROM transaction ir INNER JOIN transaction ra ON ra.id = ir.createdfrom "
	      "WHERE ir.type = 'ItemRcpt' AND ra.type = 'RtnAuth' AND ir.lastmodifieddate > "
	      "TO_DATE('2023-11-14 22:16:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY ir.lastmodifieddate DESC",
	      NULL,
	      "id=105,createdfrom=102,modified=2023-11-15 22:13:20;"
	      "id=103,createdfrom=101,modified=2023-11-14 22:18:20",
	      "item receipts from RAs modified since T (join, dates, order)");
	ok(n_lookups >= 2, "the join used the id index (%d lookups)", n_lookups);

	/* operators, NULLs, decimals */
	check("SELECT id FROM transaction WHERE foreigntotal = 43.2 ORDER BY id", NULL,
	      "id=100;id=101;id=104", "decimal equality is exact (43.20 = 43.2)");
	check("SELECT id FROM transaction WHERE foreigntotal > 23.319 AND foreigntotal < '43.201' "
	      "ORDER BY 1",
	      NULL, "id=100;id=101;id=102;id=104", "decimal ranges, string coerced to number");
	check("SELECT id FROM transaction WHERE externalid IS NULL", NULL, "id=105", "IS NULL");
	check("SELECT id FROM transaction WHERE custbody_flag IS NOT NULL AND NOT custbody_flag = 'T'",
	      NULL, "id=102", "IS NOT NULL and NOT");
	check("SELECT id FROM transaction WHERE externalid <> 'loop-ra-1' AND type IN ('RtnAuth', "
	      "'ItemRcpt')",
	      NULL, "id=102;id=103", "<> and IN skip NULL external ids");
	check("SELECT id FROM transaction WHERE createdfrom NOT IN (100, NULL)", NULL, "",
	      "NOT IN with a NULL is never true");
	check("SELECT id FROM transaction WHERE tranid LIKE 'RMA_' OR tranid LIKE '%R2'", NULL,
	      "id=101;id=102;id=105", "LIKE with _ and %");
	check("SELECT id FROM transaction WHERE id BETWEEN 102 AND 104 AND NOT (type = 'ItemRcpt')",
	      NULL, "id=102;id=104", "BETWEEN and parentheses");
	check("SELECT BUILTIN.DF(type), UPPER(tranid) u, NVL(externalid, 'none') e FROM transaction "
	      "WHERE id = 105",
	      NULL, "expr1=Type ItemRcpt,u=IR2,e=none", "BUILTIN.DF, UPPER, NVL, exprN names");
	check("SELECT DISTINCT type FROM transaction ORDER BY type", NULL,
	      "type=CashRfnd;type=ItemRcpt;type=RtnAuth;type=SalesOrd", "DISTINCT with ORDER BY");
	check("SELECT t.tranid, l.quantity, l.foreignamount FROM transaction t JOIN transactionline l "
	      "ON l.transaction = t.id WHERE t.id = 100 ORDER BY l.id",
	      NULL, "tranid=SO1001,quantity=-1,foreignamount=-40;tranid=SO1001,quantity=-3,"
		    "foreignamount=-32.4",
	      "join to lines; numbers rendered without trailing zeros");
	check("SELECT t.id, l.id AS line FROM transaction t LEFT OUTER JOIN transactionline l ON "
	      "l.transaction = t.id WHERE t.type = 'ItemRcpt' ORDER BY t.id",
	      NULL, "id=103;id=105", "LEFT JOIN keeps rows without lines (NULL column omitted)");
	check("SELECT id FROM transaction WHERE lastmodifieddate >= '11/15/2023'", NULL, "id=105",
	      "date compared with a M/D/YYYY literal");
	check("SELECT id, lastmodifieddate FROM transaction WHERE id = 101", NULL,
	      "id=101,lastmodifieddate=11/14/2023", "dates shown as M/D/YYYY");
	check("SELECT id FROM transaction WHERE lastmodifieddate < SYSDATE AND id > 103 ORDER BY id",
	      NULL, "id=104", "SYSDATE");
	check("SELECT tranid FROM transaction WHERE type = ? AND createdfrom = ? ORDER BY tranid DESC",
	      "[\"RtnAuth\", 100]", "tranid=RMA2;tranid=RMA1", "numeric parameter, ORDER BY DESC");
	check("SELECT id FROM transaction WHERE tranid = 'it''s' -- comment\n", NULL, "",
	      "quoted quote and a line comment");
	check("SELECT * FROM transactionline WHERE transaction = 102", NULL,
	      "transaction=102,id=1,item=8,quantity=2,foreignamount=21.6", "SELECT *");

	/* paging */
	items = run("SELECT id FROM transaction ORDER BY id", NULL, 2, 2, &total, err, sizeof(err));
	is_str(items ? flat(items) : err, "id=102;id=103", "offset/limit page");
	is_int(total, 6, "total counts every row");
	json_object_put(items);

	/* lookups instead of scans */
	n_scans = n_lookups = 0;
	items = run("SELECT id FROM transaction WHERE type = 'RtnAuth' AND id = ?", "[\"102\"]", 0,
		    10, &total, err, sizeof(err));
	scans = n_scans;
	ok(items && n_lookups == 1 && scans == 0, "id equality uses the index, no scan");
	json_object_put(items);

	/* errors */
	check_err("SELECT id FROM transactions", NULL, "Invalid search type: transactions.",
		  "unknown table");
	check_err("SELECT foo FROM transaction", NULL,
		  "Search error occurred: Field 'foo' for record 'transaction' was not found.",
		  "unknown column");
	check_err("SELECT x.id FROM transaction t", NULL,
		  "Unknown identifier 'x'. Available identifiers are: {t=transaction}.",
		  "unknown qualifier");
	check_err("SELECT l.foo FROM transaction t JOIN transactionline l ON l.transaction = t.id",
		  NULL, "Field 'foo' for record 'transactionLine' was not found.",
		  "unknown column of a joined table");
	check_err("SELECT id FROM transaction t JOIN transactionline l ON l.transaction = t.id",
		  NULL, "Column 'id' is ambiguously defined.", "ambiguous column");
	check_err("SELECT id FROM transaction WHERE", NULL, "Syntax error", "syntax error");
	check_err("SELECT id FROM transaction WHERE id = ? AND tranid = ?", "[1]",
		  "Missing value for bind parameter 2", "missing bind parameter");
	check_err("SELECT id FROM transaction WHERE lastmodifieddate > '2023-11-15'", NULL,
		  "Parse of date/time \"2023-11-15\" failed with date format \"M/d/yyyy\"",
		  "a date literal in the wrong format");
	check_err("SELECT COUNT(*) FROM transaction", NULL, "aggregate",
		  "aggregates are refused clearly");
	check_err("SELECT id FROM transaction WHERE tranid = 5", NULL, "Invalid number",
		  "comparing text with a number that is not one");

	/* helpers */
	ok(bh_sim_sql_dec_cmp("-0.10", "-0.1") == 0 && bh_sim_sql_dec_cmp("10", "9.99") > 0 &&
		   bh_sim_sql_dec_cmp("-2", "-10") > 0 && bh_sim_sql_dec_cmp("0.05", ".5") < 0,
	   "decimal comparison");
	{
		int64_t t;
		char buf[64];
		ok(bh_sim_sql_parse_date("2024-02-29 13:05:09", "YYYY-MM-DD HH24:MI:SS", &t) == 0 &&
			   bh_sim_sql_format_date(t, "MM/DD/YYYY HH:MI:SS AM", buf, sizeof(buf)) == 0 &&
			   strcmp(buf, "02/29/2024 01:05:09 PM") == 0,
		   "date parse/format round trip (%s)", buf);
		ok(bh_sim_sql_parse_date("2023-02-29", "YYYY-MM-DD", &t) != 0, "invalid date refused");
		ok(bh_sim_sql_parse_date("3/7/2024 9:30 pm", NULL, &t) == 0 &&
			   bh_sim_sql_format_date(t, "YYYY-MM-DD HH24:MI", buf, sizeof(buf)) == 0 &&
			   strcmp(buf, "2024-03-07 21:30") == 0,
		   "default M/D/YYYY h:mm am format");
	}
}

int main(void)
{
	test_vectors();
	test_oauth_misc();
	test_suiteql();
	return done_testing();
}

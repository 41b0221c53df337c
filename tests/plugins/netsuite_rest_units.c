/*
 * netsuite_rest_units.c - unit tests of the netsuite-rest plugin's pure parts: the
 * OAuth 1.0a signer against Oracle's published vectors (shared/reference/
 * netsuite-suitetalk/tba-signature-vectors.json), the account host rules, the error
 * classification against the REST error samples (rest-samples/error.*.json), exact
 * money in and out, and nonces. Reference data is read in place; its checks are
 * skipped when it is absent.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nsr.h"
#include "tap.h"

static const char *vstr(struct json_object *v, const char *k)
{
	struct json_object *x;
	return json_object_object_get_ex(v, k, &x) ? json_object_get_string(x) : NULL;
}

/* Parse 'OAuth a="b", c="d"' into a sorted "a=b\nc=d\n" text for set comparison. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *header_set(const char *h)
{
	char *parts[32];
	size_t n = 0;
	char *copy = strdup(h + 6), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t && n < 32; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		parts[n++] = t;
	}
	qsort(parts, n, sizeof(parts[0]), cmp_str);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	char *out = malloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(out, parts[i]);
		strcat(out, "\n");
	}
	free(copy);
	return out;
}

static void vectors(const char *shared)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/tba-signature-vectors.json",
		 shared);
	struct json_object *root = json_object_from_file(path), *vs;
	if (!root || !json_object_object_get_ex(root, "vectors", &vs)) {
		ok(0, "read %s", path);
		return;
	}
	/* the Oracle example credentials (vectors that omit them use the same key) */
	const char *ck = NULL, *cs = NULL, *tok = NULL, *ts = NULL;
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		struct json_object *v = json_object_array_get_idx(vs, i);
		if (vstr(v, "consumerKey") && vstr(v, "tokenSecret") && !ck) {
			ck = vstr(v, "consumerKey");
			cs = vstr(v, "consumerSecret");
			tok = vstr(v, "token");
			ts = vstr(v, "tokenSecret");
		}
	}
	int checked = 0;
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		struct json_object *v = json_object_array_get_idx(vs, i);
		const char *kind = vstr(v, "kind"), *name = vstr(v, "name");
		if (!kind || !strstr(kind, "OAuth 1.0a"))
			continue;   /* SOAP tokenPassport vectors belong to netsuite-soap */
		struct bh_nsr_cred cred = {
			.realm = vstr(v, "realm"),
			.consumer_key = vstr(v, "consumerKey") ? vstr(v, "consumerKey") : ck,
			.consumer_secret = vstr(v, "consumerSecret") ? vstr(v, "consumerSecret") : cs,
			.token = vstr(v, "token") ? vstr(v, "token") : tok,
			.token_secret = vstr(v, "tokenSecret") ? vstr(v, "tokenSecret") : ts,
		};
		char key[512];
		snprintf(key, sizeof(key), "%s&%s", cred.consumer_secret, cred.token_secret);
		is_str(key, vstr(v, "key"), "%s: key is pct(cs)&pct(ts)", name);
		char *base = bh_nsr_oauth_base_string(vstr(v, "method"), vstr(v, "url"), &cred,
						      vstr(v, "nonce") ? vstr(v, "nonce")
								       : "fjaLirsIcCGVZWzBX0pg",
						      vstr(v, "timestamp") ? vstr(v, "timestamp")
									   : "1508242306");
		is_str(base, vstr(v, "baseString"), "%s: base string (query parameters signed)", name);
		char *sig = base ? bh_nsr_oauth_signature(base, cred.consumer_secret,
							   cred.token_secret) : NULL;
		is_str(sig, vstr(v, "signatureBase64"), "%s: HMAC-SHA256 signature", name);
		if (vstr(v, "authorizationHeader")) {
			char *h = bh_nsr_oauth_header(vstr(v, "method"), vstr(v, "url"), &cred,
						      "fjaLirsIcCGVZWzBX0pg", "1508242306");
			char *a = h ? header_set(h) : NULL, *b = header_set(vstr(v, "authorizationHeader"));
			is_str(a, b, "%s: Authorization header parameters", name);
			if (strcmp(name, "rest-suiteql-sandbox") == 0)
				is_str(h, vstr(v, "authorizationHeader"),
				       "%s: Authorization header, byte for byte", name);
			free(a);
			free(b);
			free(h);
		}
		free(sig);
		free(base);
		checked++;
	}
	ok(checked >= 3, "%d REST/RESTlet vectors checked", checked);
	json_object_put(root);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void samples(const char *shared)
{
	static const struct {
		const char *file;
		long status;
		int rc;
		const char *code;
	} cases[] = {
		{"error.concurrency-limit.response.json", 429, BH_ERETRY, "CONCURRENCY_LIMIT_EXCEEDED"},
		{"error.invalid-login.response.json", 401, BH_EAUTH, "INVALID_LOGIN"},
		{"error.not-found.response.json", 404, BH_ENOENT, "NONEXISTENT_ID"},
		{"error.invalid-field-value.response.json", 400, BH_EREJECT, "INVALID_CONTENT"},
		{"error.idempotency-conflict.response.json", 400, BH_EREJECT, "IDEMPOTENCY_ERROR"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[4300];
		struct bh_status st;
		memset(&st, 0, sizeof(st));
		snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/rest-samples/%s", shared,
			 cases[i].file);
		char *body = slurp(path);
		if (!body) {
			ok(0, "read %s", path);
			continue;
		}
		int rc = bh_nsr_classify(cases[i].status, 0, NULL, body, 2000, &st);
		is_int(rc, cases[i].rc, "%s: classified", cases[i].file);
		is_str(st.code, cases[i].code, "%s: o:errorCode in bh_status", cases[i].file);
		ok(st.message[0] != '\0', "%s: detail in bh_status (%s)", cases[i].file, st.message);
		is_int(st.http_status, cases[i].status, "%s: HTTP status kept", cases[i].file);
		if (cases[i].rc == BH_ERETRY)
			is_int(st.retry_after_ms, 2000, "%s: Retry-After kept", cases[i].file);
		free(body);
	}
}

int main(void)
{
	struct bh_status st;
	char buf[256];
	int64_t cents = 0;

	/* account host rules */
	ok(bh_nsr_account_base_url("1234567_SB1", buf, sizeof(buf)) == 0, "sandbox host");
	is_str(buf, "https://1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1 -> 1234567-sb1");
	bh_nsr_account_base_url("123456", buf, sizeof(buf));
	is_str(buf, "https://123456.suitetalk.api.netsuite.com", "production host");
	ok(bh_nsr_account_id_valid("1234567") && bh_nsr_account_id_valid("1234567_SB1") &&
	   bh_nsr_account_id_valid("TSTDRV1234567") && bh_nsr_account_id_valid("1234567_RP"),
	   "valid account ids");
	ok(!bh_nsr_account_id_valid("1234567_sb1") && !bh_nsr_account_id_valid("") &&
	   !bh_nsr_account_id_valid("1234567-SB1") && !bh_nsr_account_id_valid("12 34"),
	   "lower-case _sb1, empty, hyphen and spaces refused");

	/* base string details */
	struct bh_nsr_cred cred = {"REALM", "ck", "cs", "tk", "ts"};
	char *b = bh_nsr_oauth_base_string("get", "HTTP://127.0.0.1:8080/a/b?z=1&a=x%20y&a=b+c", &cred,
					   "nonce123", "100");
	is_str(b, "GET&http%3A%2F%2F127.0.0.1%3A8080%2Fa%2Fb&a%3Db%2520c%26a%3Dx%2520y"
		  "%26oauth_consumer_key%3Dck%26oauth_nonce%3Dnonce123%26oauth_signature_method"
		  "%3DHMAC-SHA256%26oauth_timestamp%3D100%26oauth_token%3Dtk%26oauth_version%3D1.0"
		  "%26z%3D1",
	       "base string: port kept, scheme lower-cased, query decoded, re-encoded and sorted");
	free(b);
	b = bh_nsr_oauth_base_string("POST", "https://Host.Example:443/p/!transform/x", &cred, "n0nce1",
				     "1");
	ok(b && strncmp(b, "POST&https%3A%2F%2Fhost.example%2Fp%2F%21transform%2Fx&", 55) == 0,
	   "base string: default port dropped, host lower-cased, '!' encoded (%s)", b);
	free(b);

	/* nonces */
	char n1[21], n2[21];
	ok(bh_nsr_oauth_nonce(n1, sizeof(n1)) == 0 && bh_nsr_oauth_nonce(n2, sizeof(n2)) == 0,
	   "nonces made");
	int alnum = strlen(n1) == 20;
	for (const char *p = n1; *p; p++)
		alnum &= isalnum((unsigned char)*p) != 0;
	ok(alnum, "a nonce is 20 alphanumerics (%s)", n1);
	ok(strcmp(n1, n2) != 0, "two nonces differ");

	/* classification without a body */
	memset(&st, 0, sizeof(st));
	is_int(bh_nsr_classify(0, 1, "Timeout was reached", NULL, 0, &st), BH_ERETRY, "timeout: retry");
	is_str(st.code, "TIMEOUT", "timeout code");
	is_int(bh_nsr_classify(0, 0, "Connection refused", NULL, 0, &st), BH_ERETRY, "refused: retry");
	is_int(bh_nsr_classify(503, 0, NULL, "<html>", 0, &st), BH_ERETRY, "503: retry");
	is_str(st.code, "UNEXPECTED_ERROR", "5xx without a body -> UNEXPECTED_ERROR");
	is_int(bh_nsr_classify(403, 0, NULL, NULL, 0, &st), BH_EAUTH, "403: auth");
	is_int(bh_nsr_classify(204, 0, NULL, NULL, 0, &st), BH_OK, "204: ok");
	is_int(bh_nsr_classify(400, 0, NULL,
			       "{\"o:errorDetails\":[{\"detail\":\"Record has been changed\","
			       "\"o:errorCode\":\"USER_ERROR\"}]}", 0, &st),
	       BH_ERETRY, "400 record-has-been-changed: retry (optimistic lock)");

	/* exact money */
	is_int(bh_nsr_money_text("43.2", &cents), 0, "43.2 parses");
	is_int(cents, 4320, "43.2 -> 4320 cents");
	bh_nsr_money_text("13.335", &cents);
	is_int(cents, 1334, "13.335 rounds half away from zero -> 1334");
	bh_nsr_money_text("-13.335", &cents);
	is_int(cents, -1334, "-13.335 -> -1334");
	ok(bh_nsr_money_text("1e2", &cents) != 0, "exponents refused");
	struct json_object *m = bh_nsr_money_json(4320);
	is_str(json_object_to_json_string(m), "43.20", "4320 cents serialise as the number 43.20");
	json_object_put(m);
	m = bh_nsr_money_json(-500);
	is_str(json_object_to_json_string(m), "-5.00", "-500 cents serialise as -5.00");
	json_object_put(m);
	struct json_object *j = json_tokener_parse("{\"a\":40.0,\"b\":\"3.20\",\"c\":99999999999999999999.01}");
	ok(bh_nsr_jmoney(j, "a", &cents) == 0 && cents == 4000, "JSON number 40.0 -> 4000");
	ok(bh_nsr_jmoney(j, "b", &cents) == 0 && cents == 320, "JSON string 3.20 -> 320");
	ok(bh_nsr_jmoney(j, "c", &cents) != 0, "an amount past int64 cents is refused, not rounded");
	json_object_put(j);

	const char *shared = tap_shared_dir();
	if (shared) {
		vectors(shared);
		samples(shared);
	} else {
		ok(1, "# SKIP shared reference data (BH_SHARED_DIR) absent: Oracle vectors and "
		      "REST error samples not checked");
	}
	return done_testing();
}

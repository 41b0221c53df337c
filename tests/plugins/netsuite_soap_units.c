/*
 * netsuite_soap_units.c - unit tests of the netsuite-soap plugin's pure parts, linked
 * directly from its sources: the tokenPassport signature against Oracle's published
 * vectors (shared/reference/netsuite-suitetalk/tba-signature-vectors.json), nonces,
 * account-id rules and hosts, exact decimals from xsd:double text, xsd:dateTime,
 * canonical statuses, and a passport header built by the request builder validating
 * against Oracle's XSD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "../../plugins/common/text.h"
#include "../../plugins/netsuite_soap/nssoap.h"
#include "../../plugins/netsuite_soap/nssoap_tba.h"
#include "tap.h"

static void vectors(void)
{
	const char *sd = tap_shared_dir();
	char path[4096];
	if (!sd) {
		ok(1, "# SKIP reference data absent: no TBA vectors");
		return;
	}
	snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/tba-signature-vectors.json", sd);
	json_object *o = json_object_from_file(path), *vs;
	ok(o && json_object_object_get_ex(o, "vectors", &vs), "read %s", path);
	if (!o)
		return;
	int soap = 0;
	for (size_t i = 0; i < json_object_array_length(vs); i++) {
		json_object *v = json_object_array_get_idx(vs, i), *k;
		if (!json_object_object_get_ex(v, "kind", &k) ||
		    strcmp(json_object_get_string(k), "SOAP tokenPassport") != 0)
			continue;
#define F(name) (json_object_object_get_ex(v, name, &k) ? json_object_get_string(k) : NULL)
		/* some vectors give the inputs only as base string and key: split them (the
		 * values contain no '&' and percent-encoding leaves them unchanged) */
		char base[1024] = "", key[512] = "", *bp[5] = {0}, *kp[2] = {0}, *save = NULL;
		snprintf(base, sizeof(base), "%s", F("baseString") ? F("baseString") : "");
		snprintf(key, sizeof(key), "%s", F("key") ? F("key") : "");
		bp[0] = strtok_r(base, "&", &save);
		for (int j = 1; j < 5 && bp[j - 1]; j++)
			bp[j] = strtok_r(NULL, "&", &save);
		kp[0] = strtok_r(key, "&", &save);
		kp[1] = kp[0] ? strtok_r(NULL, "&", &save) : NULL;
		const char *acct = F("account") ? F("account") : bp[0];
		const char *ck = F("consumerKey") ? F("consumerKey") : bp[1];
		const char *tok = F("token") ? F("token") : bp[2];
		const char *nonce = F("nonce") ? F("nonce") : bp[3];
		const char *ts = F("timestamp") ? F("timestamp") : bp[4];
		const char *cs = F("consumerSecret") ? F("consumerSecret") : kp[0];
		const char *tsec = F("tokenSecret") ? F("tokenSecret") : kp[1];
		char sig[64] = "";
		int rc = bh_nss_tba_signature(acct, ck, cs, tok, tsec, nonce, ts, sig, sizeof(sig));
		is_int(rc, 0, "vector %s: signs", F("name"));
		is_str(sig, F("signatureBase64"), "vector %s: signature equals Oracle's", F("name"));
		soap++;
#undef F
	}
	ok(soap >= 1, "%d SOAP tokenPassport vector(s) checked", soap);
	json_object_put(o);
}

static void nonces(void)
{
	char a[32], b[32];
	is_int(bh_nss_tba_nonce(a, sizeof(a)), 0, "nonce");
	is_int(bh_nss_tba_nonce(b, sizeof(b)), 0, "another nonce");
	is_int((long long)strlen(a), 20, "nonce is 20 characters");
	bool alnum = true;
	for (const char *p = a; *p; p++)
		alnum = alnum && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
	ok(alnum, "nonce is alphanumeric (%s)", a);
	ok(strcmp(a, b) != 0, "two nonces differ");
	is_int(bh_nss_tba_nonce(a, 10), BH_ETOOBIG, "a short buffer is refused");
}

static void accounts(void)
{
	char h[128], why[256];
	is_int(bh_nss_account_host("1234567_SB1", h, sizeof(h)), 0, "host of a sandbox");
	is_str(h, "1234567-sb1.suitetalk.api.netsuite.com", "1234567_SB1 -> 1234567-sb1 host");
	bh_nss_account_host("1234567", h, sizeof(h));
	is_str(h, "1234567.suitetalk.api.netsuite.com", "production host");
	is_int(bh_nss_account_check("1234567", why, sizeof(why)), 0, "1234567 is an account id");
	is_int(bh_nss_account_check("1234567_SB1", why, sizeof(why)), 0, "1234567_SB1 is an account id");
	is_int(bh_nss_account_check("1234567_RP2", why, sizeof(why)), 0, "1234567_RP2 is an account id");
	is_int(bh_nss_account_check("TSTDRV1234567", why, sizeof(why)), 0, "TSTDRV1234567 is an account id");
	is_int(bh_nss_account_check("1234567_sb1", why, sizeof(why)), BH_EINVAL, "lower-case _sb1 is refused");
	ok(strstr(why, "upper case") != NULL, "  and the reason says upper case (%s)", why);
	is_int(bh_nss_account_check("1234567-sb1", why, sizeof(why)), BH_EINVAL, "the host form is refused");
	is_int(bh_nss_account_check("acme", why, sizeof(why)), BH_EINVAL, "a name is refused");
	ok(strstr(why, "1234567_SB1") != NULL, "  the reason shows the form (%s)", why);
	is_int(bh_nss_account_check("", why, sizeof(why)), BH_EINVAL, "empty is refused");
}

static void decimals(void)
{
	static const struct {
		const char *s;
		long long c;
	} t[] = {
		{"43.2", 4320}, {"-64.8", -6480}, {"25.0", 2500}, {"40.00", 4000}, {"0", 0},
		{"1.23456789E7", 1234567890}, {"1.0E-2", 1}, {"0.005", 1}, {"-0.005", -1},
		{"0.004", 0}, {"19.999", 2000}, {"12345678901234.56", 1234567890123456LL},
		{"3.2000000000000001776", 320}, {"+5", 500}, {"1e2", 10000},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t c = -42;
		int rc = bh_nss_dec_cents(t[i].s, &c);
		ok(rc == 0 && c == t[i].c, "dec %s -> %lld cents (got %lld)", t[i].s, t[i].c, (long long)c);
	}
	static const char *const bad[] = {"", "abc", "1.2.3", "12a", "--1", "1e", NULL};
	for (size_t i = 0; bad[i]; i++) {
		int64_t c;
		is_int(bh_nss_dec_cents(bad[i], &c), BH_EINVAL, "dec '%s' is refused", bad[i]);
	}
	int64_t q;
	ok(bh_nss_dec_qty("2.0", &q) == 0 && q == 2, "quantity 2.0 -> 2");
	is_int(bh_nss_dec_qty("1.5", &q), BH_EINVAL, "quantity 1.5 is refused");
}

static void times(void)
{
	int64_t ms;
	char buf[40];
	is_int(bh_nss_time_parse("2024-01-01T00:00:00.000-08:00", &ms), 0, "NetSuite dateTime parses");
	is_str(bh_nss_time_fmt(ms, false, buf, sizeof(buf)), "2024-01-01T08:00:00Z", "  in UTC");
	is_int(bh_nss_time_parse("2026-11-01T10:00:00.123Z", &ms), 0, "UTC with millis parses");
	is_str(bh_nss_time_fmt(ms, true, buf, sizeof(buf)), "2026-11-01T10:00:00.123Z", "  round trip");
	is_int(bh_nss_time_parse("2026-11-01", &ms), 0, "a date parses");
	is_int(bh_nss_time_parse("yesterday", &ms), BH_EINVAL, "garbage is refused");
	char st[80];
	bh_plug_snake("Pending Refund/Partially Received", st, sizeof(st));
	is_str(st, "pending_refund_partially_received", "canonical status of a compound one");
	bh_plug_snake("Closed", st, sizeof(st));
	is_str(st, "closed", "canonical status closed");
}

static int64_t fake_now(void)
{
	return 1508242306000LL;
}

/* A request with a passport, built by the plugin's builder, validates against the XSD. */
static void envelope(void)
{
	struct bh_host host = {.now_ms = fake_now};
	struct bh_nss c;
	memset(&c, 0, sizeof(c));
	c.host = &host;
	c.account = "123456";
	c.consumer_key = "ck";
	c.consumer_secret = "cs";
	c.token_id = "tok";
	c.token_secret = "ts";
	c.page_size = 50;
	bh_nss_ns_init(&c.ns, "2023_2");
	struct bh_nss_req q;
	is_int(bh_nss_req_new(&q, &c, "getServerTime", BH_NSS_PREFS_NONE, false), 0, "request built");
	is_int(bh_nss_req_passport(&q, &c), 0, "passport added");
	is_int(bh_nss_req_passport(&q, &c), 0, "passport replaced for a second attempt");
	int passports = 0;
	for (xmlNodePtr n = q.header->children; n; n = n->next)
		passports += n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "tokenPassport");
	is_int(passports, 1, "exactly one tokenPassport after two attempts");
	char *ts = bh_nss_child_text(bh_nss_child(q.header, "tokenPassport"), "timestamp");
	is_str(ts, "1508242306", "timestamp in Unix seconds from the host clock");
	free(ts);
	const char *sd = tap_shared_dir();
	if (!sd) {
		ok(1, "# SKIP reference data absent: no XSD validation");
	} else {
		char path[4096];
		snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/2023_2/validate-all.xsd", sd);
		xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
		xmlSchemaPtr s = pc ? xmlSchemaParse(pc) : NULL;
		xmlSchemaValidCtxtPtr vc = s ? xmlSchemaNewValidCtxt(s) : NULL;
		ok(vc && xmlSchemaValidateDoc(vc, q.doc) == 0, "the envelope validates against validate-all.xsd");
		if (vc)
			xmlSchemaFreeValidCtxt(vc);
		if (s)
			xmlSchemaFree(s);
		if (pc)
			xmlSchemaFreeParserCtxt(pc);
	}
	bh_nss_req_free(&q);
}

int main(void)
{
	vectors();
	nonces();
	accounts();
	decimals();
	times();
	envelope();
	return done_testing();
}

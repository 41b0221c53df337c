/*
 * nsr_oauth.c - OAuth 1.0a (NetSuite TBA, HMAC-SHA256) signing and account host rules.
 * See nsr_oauth.h. Owned by the netsuite-rest plugin; pure functions, thread-safe.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "nsr_oauth.h"

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static char *pct_n(const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *o = malloc(n * 3 + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}

char *bh_nsr_pct(const char *s)
{
	return pct_n(s ? s : "", s ? strlen(s) : 0);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form-decode n bytes ('+' is a space, %XX an octet) into a malloc'd string. */
static char *form_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			*p++ = (char)(hexval((unsigned char)s[i + 1]) * 16 +
				      hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '+') {
			*p++ = ' ';
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return o;
}

struct param {
	char *name;   /* percent-encoded */
	char *value;  /* percent-encoded */
};

static int param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static int param_add(struct param **v, size_t *n, size_t *cap, const char *name, size_t nl,
		     const char *value, size_t vl, bool decode)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct param *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	char *dn = decode ? form_decode(name, nl) : strndup(name, nl);
	char *dv = decode ? form_decode(value, vl) : strndup(value, vl);
	struct param *p = &(*v)[*n];
	p->name = dn ? bh_nsr_pct(dn) : NULL;
	p->value = dv ? bh_nsr_pct(dv) : NULL;
	free(dn);
	free(dv);
	if (!p->name || !p->value) {
		free(p->name);
		free(p->value);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Append to a growing string; returns -1 on allocation failure. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static int sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = (b->n + n + 1) * 2;
		char *np = realloc(b->p, nc);
		if (!np)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int sb_str(struct sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

/* Normalised base URI (RFC 5849 3.4.1.2) of url, and where its query starts (or NULL). */
static char *base_uri(const char *url, const char **query)
{
	const char *sep = strstr(url, "://");
	struct sbuf b = {0};
	if (!sep)
		return NULL;
	size_t sl = (size_t)(sep - url);
	const char *auth = sep + 3;
	size_t al = strcspn(auth, "/?#");
	const char *path = auth + al;
	size_t pl = strcspn(path, "?#");
	char scheme[16];
	if (sl == 0 || sl >= sizeof(scheme) || al == 0)
		return NULL;
	for (size_t i = 0; i < sl; i++)
		scheme[i] = (char)tolower((unsigned char)url[i]);
	scheme[sl] = '\0';
	/* host[:port]; drop the default port of the scheme */
	const char *colon = memchr(auth, ':', al);
	size_t hl = colon ? (size_t)(colon - auth) : al;
	const char *port = colon ? colon + 1 : NULL;
	size_t portl = colon ? al - hl - 1 : 0;
	if (port && ((strcmp(scheme, "http") == 0 && portl == 2 && strncmp(port, "80", 2) == 0) ||
		     (strcmp(scheme, "https") == 0 && portl == 3 && strncmp(port, "443", 3) == 0)))
		port = NULL;
	int rc = sb_str(&b, scheme);
	rc |= sb_str(&b, "://");
	for (size_t i = 0; i < hl && rc == 0; i++) {
		char ch = (char)tolower((unsigned char)auth[i]);
		rc |= sb_add(&b, &ch, 1);
	}
	if (port && rc == 0) {
		rc |= sb_str(&b, ":");
		rc |= sb_add(&b, port, portl);
	}
	if (rc == 0)
		rc |= pl ? sb_add(&b, path, pl) : sb_str(&b, "/");
	if (rc) {
		free(b.p);
		return NULL;
	}
	*query = path[pl] == '?' ? path + pl + 1 : NULL;
	return b.p;
}

char *bh_nsr_oauth_base_string(const char *method, const char *url,
			       const struct bh_nsr_cred *cred, const char *nonce,
			       const char *timestamp)
{
	const char *query = NULL;
	struct param *v = NULL;
	size_t n = 0, cap = 0;
	struct sbuf params = {0}, out = {0};
	char *base = NULL, *ebase = NULL, *eparams = NULL, *result = NULL;
	int rc = 0;

	if (!method || !url || !cred || !nonce || !timestamp)
		return NULL;
	base = base_uri(url, &query);
	if (!base)
		return NULL;
	const struct {
		const char *k, *v;
	} oauth[] = {
		{"oauth_consumer_key", cred->consumer_key}, {"oauth_nonce", nonce},
		{"oauth_signature_method", "HMAC-SHA256"},  {"oauth_timestamp", timestamp},
		{"oauth_token", cred->token},               {"oauth_version", "1.0"},
	};
	for (size_t i = 0; i < sizeof(oauth) / sizeof(oauth[0]) && rc == 0; i++) {
		const char *val = oauth[i].v ? oauth[i].v : "";
		rc = param_add(&v, &n, &cap, oauth[i].k, strlen(oauth[i].k), val, strlen(val),
			       false);
	}
	/* every query parameter is signed too */
	for (const char *q = query; q && *q && rc == 0;) {
		size_t len = strcspn(q, "&#");
		if (len > 0) {
			const char *eq = memchr(q, '=', len);
			size_t nl = eq ? (size_t)(eq - q) : len;
			rc = param_add(&v, &n, &cap, q, nl, eq ? eq + 1 : "", eq ? len - nl - 1 : 0,
				       true);
		}
		if (q[len] != '&')
			break;
		q += len + 1;
	}
	if (rc)
		goto out;
	qsort(v, n, sizeof(*v), param_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i)
			rc |= sb_str(&params, "&");
		rc |= sb_str(&params, v[i].name);
		rc |= sb_str(&params, "=");
		rc |= sb_str(&params, v[i].value);
	}
	if (rc)
		goto out;
	ebase = bh_nsr_pct(base);
	eparams = bh_nsr_pct(params.p ? params.p : "");
	if (!ebase || !eparams)
		goto out;
	for (const char *m = method; *m && rc == 0; m++) {
		char ch = (char)toupper((unsigned char)*m);
		rc |= sb_add(&out, &ch, 1);
	}
	rc |= sb_str(&out, "&");
	rc |= sb_str(&out, ebase);
	rc |= sb_str(&out, "&");
	rc |= sb_str(&out, eparams);
	if (rc == 0) {
		result = out.p;
		out.p = NULL;
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	free(params.p);
	free(out.p);
	free(base);
	free(ebase);
	free(eparams);
	return result;
}

char *bh_nsr_oauth_signature(const char *base, const char *consumer_secret,
			     const char *token_secret)
{
	char *ecs = bh_nsr_pct(consumer_secret), *ets = bh_nsr_pct(token_secret);
	char *key = NULL, *sig = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!ecs || !ets || !base)
		goto out;
	size_t kl = strlen(ecs) + strlen(ets) + 2;
	key = malloc(kl);
	if (!key)
		goto out;
	snprintf(key, kl, "%s&%s", ecs, ets);
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)base, strlen(base),
		  mac, &maclen))
		goto out;
	sig = malloc(4 * ((maclen + 2) / 3) + 1);
	if (sig)
		EVP_EncodeBlock((unsigned char *)sig, mac, (int)maclen);
out:
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	free(ecs);
	free(ets);
	return sig;
}

char *bh_nsr_oauth_header(const char *method, const char *url, const struct bh_nsr_cred *cred,
			  const char *nonce, const char *timestamp)
{
	char *base = bh_nsr_oauth_base_string(method, url, cred, nonce, timestamp);
	char *sig = base ? bh_nsr_oauth_signature(base, cred->consumer_secret, cred->token_secret)
			 : NULL;
	char *esig = sig ? bh_nsr_pct(sig) : NULL;
	char *realm = bh_nsr_pct(cred->realm), *ck = bh_nsr_pct(cred->consumer_key);
	char *tok = bh_nsr_pct(cred->token), *en = bh_nsr_pct(nonce), *ets = bh_nsr_pct(timestamp);
	char *hdr = NULL;

	if (esig && realm && ck && tok && en && ets) {
		size_t len = strlen(esig) + strlen(realm) + strlen(ck) + strlen(tok) + strlen(en) +
			     strlen(ets) + 256;
		hdr = malloc(len);
		if (hdr)
			snprintf(hdr, len,
				 "OAuth realm=\"%s\", oauth_consumer_key=\"%s\", oauth_token=\"%s\", "
				 "oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"%s\", "
				 "oauth_nonce=\"%s\", oauth_version=\"1.0\", oauth_signature=\"%s\"",
				 realm, ck, tok, ets, en, esig);
	}
	free(base);
	free(sig);
	free(esig);
	free(realm);
	free(ck);
	free(tok);
	free(en);
	free(ets);
	return hdr;
}

int bh_nsr_oauth_nonce(char *buf, size_t len)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[64];
	if (len < 7 || len - 1 > sizeof(rnd))
		return -1;
	if (RAND_bytes(rnd, (int)(len - 1)) != 1)
		return -1;
	for (size_t i = 0; i + 1 < len; i++)
		buf[i] = alnum[rnd[i] % 62];  /* bias of 4/256 is harmless for a nonce */
	buf[len - 1] = '\0';
	return 0;
}

int bh_nsr_account_base_url(const char *account, char *buf, size_t len)
{
	static const char pre[] = "https://", post[] = ".suitetalk.api.netsuite.com";
	size_t al = account ? strlen(account) : 0;
	if (al == 0 || len < sizeof(pre) + al + sizeof(post))
		return -1;
	char *p = buf;
	memcpy(p, pre, sizeof(pre) - 1);
	p += sizeof(pre) - 1;
	for (size_t i = 0; i < al; i++)
		*p++ = account[i] == '_' ? '-' : (char)tolower((unsigned char)account[i]);
	memcpy(p, post, sizeof(post));
	return 0;
}

int bh_nsr_account_id_valid(const char *a)
{
	size_t i = 0;
	if (!a)
		return 0;
	while ((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9'))
		i++;
	if (i == 0)
		return 0;
	if (a[i] == '\0')
		return 1;
	if (strncmp(a + i, "_SB", 3) != 0 && strncmp(a + i, "_RP", 3) != 0)
		return 0;
	i += 3;
	while (a[i] >= '0' && a[i] <= '9')
		i++;
	return a[i] == '\0';
}

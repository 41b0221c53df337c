/*
 * sim_ns_oauth.c - OAuth 1.0a (NetSuite TBA, HMAC-SHA256) verification helpers for the
 * NetSuite REST simulator.
 *
 * Owned by the NetSuite REST helper. Implements RFC 5849: header parsing (§3.5.1),
 * the signature base string (§3.4.1, query parameters included, JSON body excluded),
 * the HMAC-SHA256 signature with key pct(consumerSecret)&pct(tokenSecret) as NetSuite
 * documents. Nonce replay and timestamp windows are the store's (sim_ns_store.h,
 * shared with SOAP tokenPassport).
 *
 * Threading: every function is pure. No global state.
 */
#include "sim_ns_oauth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#include "backhaul/errors.h"

/* ---- percent encoding ---- */

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *bh_sim_ns_oauth_pct(const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
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

/* Decode len bytes of s; plus_space turns '+' into ' ' (form encoding). NULL on a bad
 * escape or allocation failure. */
static char *pct_decode(const char *s, size_t len, bool plus_space)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= len) {
				free(out);
				return NULL;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (plus_space && s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- header parsing ---- */

void bh_sim_ns_oauth_clear(struct bh_sim_ns_oauth *p)
{
	free(p->realm);
	free(p->consumer_key);
	free(p->token);
	free(p->nonce);
	free(p->timestamp);
	free(p->signature_method);
	free(p->version);
	free(p->signature);
	memset(p, 0, sizeof(*p));
}

static char **oauth_slot(struct bh_sim_ns_oauth *p, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} slots[] = {
		{ "realm", offsetof(struct bh_sim_ns_oauth, realm) },
		{ "oauth_consumer_key", offsetof(struct bh_sim_ns_oauth, consumer_key) },
		{ "oauth_token", offsetof(struct bh_sim_ns_oauth, token) },
		{ "oauth_nonce", offsetof(struct bh_sim_ns_oauth, nonce) },
		{ "oauth_timestamp", offsetof(struct bh_sim_ns_oauth, timestamp) },
		{ "oauth_signature_method", offsetof(struct bh_sim_ns_oauth, signature_method) },
		{ "oauth_version", offsetof(struct bh_sim_ns_oauth, version) },
		{ "oauth_signature", offsetof(struct bh_sim_ns_oauth, signature) },
	};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (strlen(slots[i].name) == n && memcmp(slots[i].name, name, n) == 0)
			return (char **)((char *)p + slots[i].off);
	return NULL;
}

int bh_sim_ns_oauth_parse(const char *header, struct bh_sim_ns_oauth *out)
{
	const char *s = header;
	int rc = BH_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!s)
		return BH_EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncasecmp(s, "OAuth", 5) != 0 || (s[5] != ' ' && s[5] != '\t'))
		return BH_EINVAL;
	s += 5;
	for (;;) {
		const char *name, *val;
		size_t nlen, vlen;
		char **slot, *dec;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		name = s;
		while (*s && *s != '=' && *s != ' ' && *s != ',')
			s++;
		nlen = (size_t)(s - name);
		if (*s != '=' || nlen == 0)
			goto fail;
		s++;
		if (*s != '"')
			goto fail;
		val = ++s;
		while (*s && *s != '"')
			s++;
		if (*s != '"')
			goto fail;
		vlen = (size_t)(s - val);
		s++;
		if (*s && *s != ',' && *s != ' ' && *s != '\t')
			goto fail;
		slot = oauth_slot(out, name, nlen);
		if (!slot)
			continue;       /* unknown parameters are ignored (not signed here) */
		if (*slot)
			goto fail;      /* duplicate */
		dec = pct_decode(val, vlen, false);
		if (!dec) {
			rc = BH_EINVAL;
			goto fail;
		}
		*slot = dec;
	}
	return 0;
fail:
	bh_sim_ns_oauth_clear(out);
	return rc;
}

/* ---- base string ---- */

struct kv {
	char *k;        /* percent-encoded */
	char *v;
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

static int kv_push(struct kv **arr, size_t *n, size_t *cap, const char *k, size_t klen,
		   const char *v, size_t vlen)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct kv *na = realloc(*arr, nc * sizeof(*na));
		if (!na)
			return BH_ENOMEM;
		*arr = na;
		*cap = nc;
	}
	(*arr)[*n].k = bh_sim_ns_oauth_pct(k, klen);
	(*arr)[*n].v = bh_sim_ns_oauth_pct(v, vlen);
	if (!(*arr)[*n].k || !(*arr)[*n].v) {
		free((*arr)[*n].k);
		free((*arr)[*n].v);
		return BH_ENOMEM;
	}
	(*n)++;
	return 0;
}

/* Normalise "scheme://host[:port]" + path into a malloc'd base string URI. */
static char *base_uri(const char *base_url, const char *path)
{
	const char *p = strstr(base_url, "://");
	const char *host, *end, *colon;
	char scheme[16];
	size_t slen, hlen, plen = strlen(path ? path : "");
	char *out, *o;

	if (!p)
		return NULL;
	slen = (size_t)(p - base_url);
	if (slen == 0 || slen >= sizeof(scheme))
		return NULL;
	for (size_t i = 0; i < slen; i++)
		scheme[i] = (char)tolower((unsigned char)base_url[i]);
	scheme[slen] = '\0';
	host = p + 3;
	end = host + strcspn(host, "/?#");
	colon = NULL;
	for (const char *q = host; q < end; q++)
		if (*q == ':')
			colon = q;
	hlen = (size_t)(end - host);
	if (colon) {
		const char *port = colon + 1;
		size_t portlen = (size_t)(end - port);
		if ((strcmp(scheme, "http") == 0 && portlen == 2 && memcmp(port, "80", 2) == 0) ||
		    (strcmp(scheme, "https") == 0 && portlen == 3 && memcmp(port, "443", 3) == 0))
			hlen = (size_t)(colon - host);
	}
	out = malloc(slen + 3 + hlen + plen * 3 + 2);
	if (!out)
		return NULL;
	o = out;
	memcpy(o, scheme, slen);
	o += slen;
	memcpy(o, "://", 3);
	o += 3;
	for (size_t i = 0; i < hlen; i++)
		*o++ = (char)tolower((unsigned char)host[i]);
	if (plen) {
		/* The path arrives decoded: re-encode what a URI path cannot hold as is, so
		 * the URI is the one the client sent (RFC 3986 pchar and '/' kept). */
		static const char hex[] = "0123456789ABCDEF";
		for (size_t i = 0; i < plen; i++) {
			unsigned char ch = (unsigned char)path[i];
			if (unreserved(ch) || strchr("!$&'()*+,;=:@/", ch)) {
				*o++ = (char)ch;
			} else {
				*o++ = '%';
				*o++ = hex[ch >> 4];
				*o++ = hex[ch & 15];
			}
		}
	} else {
		*o++ = '/';
	}
	*o = '\0';
	return out;
}

char *bh_sim_ns_oauth_base_string(const char *method, const char *base_url, const char *path,
				  const char *query, const struct bh_sim_ns_oauth *p)
{
	struct kv *arr = NULL;
	size_t n = 0, cap = 0, total = 0;
	char *uri = NULL, *uri_enc = NULL, *params = NULL, *params_enc = NULL, *out = NULL;
	char meth[16];
	const struct {
		const char *name;
		const char *val;
	} oa[] = {
		{ "oauth_consumer_key", p->consumer_key },
		{ "oauth_nonce", p->nonce },
		{ "oauth_signature_method", p->signature_method },
		{ "oauth_timestamp", p->timestamp },
		{ "oauth_token", p->token },
		{ "oauth_version", p->version },
	};
	size_t mlen = strlen(method);

	if (mlen == 0 || mlen >= sizeof(meth))
		return NULL;
	for (size_t i = 0; i <= mlen; i++)
		meth[i] = (char)toupper((unsigned char)method[i]);
	for (size_t i = 0; i < sizeof(oa) / sizeof(oa[0]); i++)
		if (oa[i].val && kv_push(&arr, &n, &cap, oa[i].name, strlen(oa[i].name), oa[i].val,
					 strlen(oa[i].val)) < 0)
			goto out;
	if (query && *query) {
		const char *q = query;
		while (*q) {
			const char *amp = strchr(q, '&');
			const char *end = amp ? amp : q + strlen(q);
			const char *eq = memchr(q, '=', (size_t)(end - q));
			if (end > q) {
				char *k = pct_decode(q, (size_t)((eq ? eq : end) - q), true);
				char *v = eq ? pct_decode(eq + 1, (size_t)(end - eq - 1), true)
					     : strdup("");
				int rc = (k && v) ? kv_push(&arr, &n, &cap, k, strlen(k), v, strlen(v))
						  : BH_EINVAL;
				free(k);
				free(v);
				if (rc < 0)
					goto out;
			}
			q = amp ? amp + 1 : end;
		}
	}
	qsort(arr, n, sizeof(*arr), kv_cmp);
	for (size_t i = 0; i < n; i++)
		total += strlen(arr[i].k) + strlen(arr[i].v) + 2;
	params = malloc(total + 1);
	if (!params)
		goto out;
	params[0] = '\0';
	{
		char *o = params;
		for (size_t i = 0; i < n; i++) {
			size_t kl = strlen(arr[i].k), vl = strlen(arr[i].v);
			if (i)
				*o++ = '&';
			memcpy(o, arr[i].k, kl);
			o += kl;
			*o++ = '=';
			memcpy(o, arr[i].v, vl);
			o += vl;
		}
		*o = '\0';
	}
	uri = base_uri(base_url, path);
	if (!uri)
		goto out;
	uri_enc = bh_sim_ns_oauth_pct(uri, strlen(uri));
	params_enc = bh_sim_ns_oauth_pct(params, strlen(params));
	if (!uri_enc || !params_enc)
		goto out;
	out = malloc(mlen + strlen(uri_enc) + strlen(params_enc) + 3);
	if (out)
		sprintf(out, "%s&%s&%s", meth, uri_enc, params_enc);
out:
	for (size_t i = 0; i < n; i++) {
		free(arr[i].k);
		free(arr[i].v);
	}
	free(arr);
	free(uri);
	free(uri_enc);
	free(params);
	free(params_enc);
	return out;
}

char *bh_sim_ns_oauth_sign(const char *base, const char *consumer_secret,
			   const char *token_secret)
{
	char *cs = bh_sim_ns_oauth_pct(consumer_secret, strlen(consumer_secret));
	char *ts = bh_sim_ns_oauth_pct(token_secret, strlen(token_secret));
	char *key = NULL, *out = NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (!cs || !ts)
		goto done;
	key = malloc(strlen(cs) + strlen(ts) + 2);
	if (!key)
		goto done;
	sprintf(key, "%s&%s", cs, ts);
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)base, strlen(base),
		  mac, &maclen))
		goto done;
	out = malloc(4 * ((maclen + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
done:
	free(cs);
	free(ts);
	free(key);
	return out;
}

bool bh_sim_ns_oauth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

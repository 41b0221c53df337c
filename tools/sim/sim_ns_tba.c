/*
 * sim_ns_tba.c - tokenPassport signatures and their verification (see sim_ns_tba.h).
 *
 * Ownership: NetSuite service helper. Threading: see the header.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "sim.h"
#include "sim_ns_tba.h"

char *bh_sim_ns_pct(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(3 * n + 1), *w = o;
	if (!o)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			*w++ = (char)*p;
		} else {
			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	*w = 0;
	return o;
}

static char *join_pct(const char *const *parts, size_t n)
{
	size_t len = 1;
	char **enc = calloc(n, sizeof(char *));
	char *out = NULL;
	if (!enc)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(enc[i] = bh_sim_ns_pct(parts[i] ? parts[i] : "")))
			goto done;
		len += strlen(enc[i]) + 1;
	}
	if (!(out = malloc(len)))
		goto done;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "&");
		strcat(out, enc[i]);
	}
done:
	for (size_t i = 0; i < n; i++)
		free(enc[i]);
	free(enc);
	return out;
}

char *bh_sim_ns_tba_base(const char *account, const char *consumer_key, const char *token,
			 const char *nonce, const char *timestamp)
{
	const char *parts[] = {account, consumer_key, token, nonce, timestamp};
	return join_pct(parts, 5);
}

char *bh_sim_ns_tba_sign(const char *account, const char *consumer_key,
			 const char *consumer_secret, const char *token, const char *token_secret,
			 const char *nonce, const char *timestamp)
{
	const char *kp[] = {consumer_secret, token_secret};
	char *base = bh_sim_ns_tba_base(account, consumer_key, token, nonce, timestamp);
	char *key = join_pct(kp, 2);
	char *sig = NULL;
	if (base && key)
		sig = bh_sim_hmac_b64(key, base, strlen(base));
	free(base);
	free(key);
	return sig;
}

static bool nonce_ok(const char *n)
{
	size_t len = strlen(n);
	if (len < 6 || len > 64)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n))
			return false;
	return true;
}

int bh_sim_ns_tba_verify(struct bh_sim_ns *ns, const struct bh_sim_ns_passport *p,
			 const struct bh_sim_ns_cred **cred, const char **reason)
{
	const struct bh_sim_ns_cred *c = NULL;
	char *end = NULL, *sig;
	long long ts;
	bool known_account = false, known_consumer = false;

	*cred = NULL;
	if (!p->account || !*p->account || !p->consumer_key || !*p->consumer_key || !p->token ||
	    !*p->token || !p->nonce || !*p->nonce || !p->timestamp || !*p->timestamp ||
	    !p->signature || !*p->signature) {
		*reason = "MissingTokenPassportRequiredFields";
		return BH_EAUTH;
	}
	if (!p->algorithm || strcmp(p->algorithm, "HMAC-SHA256") != 0) {
		*reason = "UnknownAlgorithm";
		return BH_EAUTH;
	}
	if (!nonce_ok(p->nonce)) {
		*reason = "InvalidNonce";
		return BH_EAUTH;
	}
	for (size_t i = 0; i < bh_sim_ns_cred_count(ns); i++) {
		const struct bh_sim_ns_cred *k = bh_sim_ns_cred_at(ns, i);
		if (strcmp(k->account, p->account) != 0)
			continue;
		known_account = true;
		if (strcmp(k->consumer_key, p->consumer_key) != 0)
			continue;
		known_consumer = true;
		if (strcmp(k->token_id, p->token) == 0)
			c = k;
	}
	if (!c) {
		*reason = !known_account ? "InvalidAccount"
			  : !known_consumer ? "consumer_key_unknown" : "token_rejected";
		return BH_EAUTH;
	}
	ts = strtoll(p->timestamp, &end, 10);
	if (!end || *end || !bh_sim_ns_tba_time_ok(ns, ts)) {
		*reason = "InvalidTimestamp";
		return BH_EAUTH;
	}
	sig = bh_sim_ns_tba_sign(p->account, p->consumer_key, c->consumer_secret, p->token,
				 c->token_secret, p->nonce, p->timestamp);
	if (!sig || !bh_sim_str_eq_ct(sig, p->signature)) {
		free(sig);
		*reason = "InvalidSignature";
		return BH_EAUTH;
	}
	free(sig);
	if (bh_sim_ns_nonce_use(ns, p->consumer_key, p->token, p->nonce, ts) != BH_OK) {
		*reason = "NonceUsed";
		return BH_EAUTH;
	}
	*cred = c;
	return BH_OK;
}

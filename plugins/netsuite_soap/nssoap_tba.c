/*
 * nssoap_tba.c - tokenPassport signature, nonce and account-id rules (see nssoap_tba.h).
 *
 * Ownership: netsuite-soap plugin. Threading: stateless, thread-safe.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <backhaul/errors.h>

#include "nssoap_tba.h"

/* Append pct(s) to a growing buffer; returns the new length or -1 on overflow. */
static int pct_append(char *buf, size_t cap, size_t at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool keep = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~';
		size_t need = keep ? 1 : 3;
		if (at + need >= cap)
			return -1;
		if (keep) {
			buf[at++] = (char)*p;
		} else {
			buf[at++] = '%';
			buf[at++] = hex[*p >> 4];
			buf[at++] = hex[*p & 15];
		}
	}
	buf[at] = '\0';
	return (int)at;
}

/* pct(parts[0])&pct(parts[1])&... into a malloc'd string. */
static char *join_pct(const char *const *parts, size_t n)
{
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += 3 * strlen(parts[i]) + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			out[at++] = '&';
		int r = pct_append(out, cap, at, parts[i]);
		if (r < 0) {
			free(out);
			return NULL;
		}
		at = (size_t)r;
	}
	out[at] = '\0';
	return out;
}

int bh_nss_tba_signature(const char *account, const char *consumer_key,
			 const char *consumer_secret, const char *token, const char *token_secret,
			 const char *nonce, const char *timestamp, char *out, size_t len)
{
	if (!account || !consumer_key || !consumer_secret || !token || !token_secret || !nonce ||
	    !timestamp || !out)
		return BH_EINVAL;
	const char *bp[] = {account, consumer_key, token, nonce, timestamp};
	const char *kp[] = {consumer_secret, token_secret};
	char *base = join_pct(bp, 5), *key = join_pct(kp, 2);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	int rc = BH_OK;

	if (!base || !key) {
		rc = BH_ENOMEM;
		goto out;
	}
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)base, strlen(base),
		  mac, &mac_len)) {
		rc = BH_EIO;
		goto out;
	}
	/* Base64 of 32 bytes is 44 characters plus the terminator */
	if (len < 4 * ((mac_len + 2) / 3) + 1) {
		rc = BH_ETOOBIG;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
out:
	if (key) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	free(base);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int bh_nss_tba_nonce(char *out, size_t len)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[BH_NSS_NONCE_LEN * 2];
	size_t w = 0;

	if (len < BH_NSS_NONCE_LEN + 1)
		return BH_ETOOBIG;
	while (w < BH_NSS_NONCE_LEN) {
		if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
			return BH_EIO;
		/* 62 * 4 = 248: reject bytes >= 248 so every character is equally likely */
		for (size_t i = 0; i < sizeof(rnd) && w < BH_NSS_NONCE_LEN; i++)
			if (rnd[i] < 248)
				out[w++] = alnum[rnd[i] % 62];
	}
	out[w] = '\0';
	return BH_OK;
}

int bh_nss_account_check(const char *account, char *why, size_t len)
{
	const char *p = account;
	if (!p || !*p) {
		snprintf(why, len, "account id is empty: it must look like 1234567 or 1234567_SB1");
		return BH_EINVAL;
	}
	if (strncmp(p, "TSTDRV", 6) == 0)
		p += 6;
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p))
		p++;
	if (!*p)
		return BH_OK;
	if (*p == '-' || ((p[0] == '_') && (p[1] == 's' || p[1] == 'r'))) {
		snprintf(why, len,
			 "account id '%s' must use NetSuite's realm form: upper case with an underscore (e.g. 1234567_SB1)",
			 account);
		return BH_EINVAL;
	}
	if (*p != '_' || !((p[1] == 'S' && p[2] == 'B') || (p[1] == 'R' && p[2] == 'P')))
		goto bad;
	p += 3;
	while (isdigit((unsigned char)*p))
		p++;
	if (!*p)
		return BH_OK;
bad:
	snprintf(why, len, "account id '%s' must look like 1234567 or 1234567_SB1", account);
	return BH_EINVAL;
}

int bh_nss_account_host(const char *account, char *out, size_t len)
{
	static const char suffix[] = ".suitetalk.api.netsuite.com";
	size_t n = account ? strlen(account) : 0;
	if (!n)
		return BH_EINVAL;
	if (n + sizeof(suffix) > len)
		return BH_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		char ch = account[i];
		out[i] = ch == '_' ? '-' : (char)tolower((unsigned char)ch);
	}
	memcpy(out + n, suffix, sizeof(suffix));
	return BH_OK;
}

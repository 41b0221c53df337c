/*
 * sim_crypto.c - small crypto and encoding helpers shared by the simulators.
 *
 * Purpose: HMAC-SHA256 (webhook signatures, TBA), base64 without newlines, hex, SHA-256
 * and random UUIDs, all through OpenSSL libcrypto.
 * Ownership: every returned string is malloc'd and owned by the caller.
 * Threading: stateless; safe from any thread (OpenSSL 3 is thread-safe by default).
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

int bh_sim_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		       unsigned char out[32])
{
	unsigned int out_len = 0;

	if (key_len > INT32_MAX)
		return -1;
	if (!HMAC(EVP_sha256(), key ? key : "", (int)key_len, data ? data : (const void *)"",
		  len, out, &out_len) || out_len != 32)
		return -1;
	return 0;
}

char *bh_sim_hmac_b64(const char *key, const void *data, size_t len)
{
	unsigned char mac[32];

	if (bh_sim_hmac_sha256(key, key ? strlen(key) : 0, data, len, mac) != 0)
		return NULL;
	return bh_sim_b64(mac, sizeof(mac));
}

char *bh_sim_b64(const void *data, size_t len)
{
	size_t out_len = 4 * ((len + 2) / 3);
	char *out = malloc(out_len + 1);

	if (!out)
		return NULL;
	if (len > INT32_MAX) {
		free(out);
		return NULL;
	}
	/* EVP_EncodeBlock writes no newlines and NUL-terminates. */
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	out[out_len] = '\0';
	return out;
}

unsigned char *bh_sim_b64_decode(const char *text, size_t *out_len)
{
	size_t len = text ? strlen(text) : 0;
	unsigned char *out;
	int n;
	size_t pad = 0;

	if (!text || len % 4 != 0 || len > INT32_MAX)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock keeps the bytes produced by '=' padding: drop them. */
	if (len >= 1 && text[len - 1] == '=')
		pad++;
	if (len >= 2 && text[len - 2] == '=')
		pad++;
	n -= (int)pad;
	out[n] = '\0';
	if (out_len)
		*out_len = (size_t)n;
	return out;
}

char *bh_sim_hex(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	char *out = malloc(2 * len + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

char *bh_sim_sha256_hex(const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data ? data : (const void *)"", len, md);
	return bh_sim_hex(md, sizeof(md));
}

bool bh_sim_str_eq_ct(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char diff = 0;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

void bh_sim_uuid(char out[37])
{
	unsigned char b[16];
	char *hex;

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex = bh_sim_hex(b, sizeof(b));
	if (!hex) {
		snprintf(out, 37, "00000000-0000-4000-8000-000000000000");
		return;
	}
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
	free(hex);
}

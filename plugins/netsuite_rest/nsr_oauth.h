/*
 * nsr_oauth.h - OAuth 1.0a request signing for NetSuite token-based authentication
 * (REST record API, SuiteQL, RESTlets) and the account-specific host name.
 *
 * Purpose: the Authorization header NetSuite expects on every REST call:
 *   OAuth realm="<ACCOUNT>", oauth_consumer_key=..., oauth_token=...,
 *   oauth_signature_method="HMAC-SHA256", oauth_timestamp=..., oauth_nonce=...,
 *   oauth_version="1.0", oauth_signature="<pct(base64(HMAC-SHA256(key, base)))>"
 * with the RFC 5849 section 3.4.1 base string UPPER(method) & pct(scheme://host[:port]/path)
 * & pct(sorted parameters), where the parameters are the oauth_* ones (not realm, not
 * the signature) plus EVERY query parameter of the URL; the JSON body is not signed.
 * Key = pct(consumer secret) & pct(token secret). A fresh nonce and timestamp are used
 * for every attempt (NetSuite refuses a reused nonce, also on retries).
 *
 * Ownership: owned by the netsuite-rest plugin; exposed (in the plugin's objects, not
 * exported from the .so) so the tests can check Oracle's published vectors.
 * Threading: every function is pure or uses only thread-safe OpenSSL calls; no global
 * state. Secrets are never logged here; returned strings containing a signature are
 * the caller's to free (and not to log).
 */
#ifndef BH_NSR_OAUTH_H
#define BH_NSR_OAUTH_H

#include <stddef.h>

/** The credential and realm of one integration token. */
struct bh_nsr_cred {
	const char *realm;            /**< account id, e.g. "1234567_SB1" (not signed) */
	const char *consumer_key;
	const char *consumer_secret;
	const char *token;
	const char *token_secret;
};

/** RFC 3986 percent-encoding (unreserved kept, upper-case hex) of s, malloc'd. */
char *bh_nsr_pct(const char *s);

/**
 * The RFC 5849 signature base string for a request to url (absolute, may carry a query)
 * with the given nonce and timestamp (decimal Unix seconds). The scheme and host are
 * lower-cased and a default port (80 for http, 443 for https) is dropped. Returns a
 * malloc'd string, or NULL on a malformed URL or allocation failure.
 */
char *bh_nsr_oauth_base_string(const char *method, const char *url,
			       const struct bh_nsr_cred *cred, const char *nonce,
			       const char *timestamp);

/** base64(HMAC-SHA256(pct(consumer_secret) & pct(token_secret), base)), malloc'd. */
char *bh_nsr_oauth_signature(const char *base, const char *consumer_secret,
			     const char *token_secret);

/** The whole Authorization header value ("OAuth realm=..."), malloc'd, or NULL. */
char *bh_nsr_oauth_header(const char *method, const char *url, const struct bh_nsr_cred *cred,
			  const char *nonce, const char *timestamp);

/** A fresh random nonce of len - 1 alphanumerics (len >= 7) into buf. Returns 0 or -1
 *  when the random source failed. */
int bh_nsr_oauth_nonce(char *buf, size_t len);

/**
 * The REST base URL of an account per NetSuite's host rules: "1234567_SB1" ->
 * "https://1234567-sb1.suitetalk.api.netsuite.com" (lower case, '_' -> '-'). Writes into
 * buf; returns 0, or -1 when the account id is empty or buf is too small.
 */
int bh_nsr_account_base_url(const char *account, char *buf, size_t len);

/** Whether an account id has NetSuite's form: upper-case letters and digits, optionally
 *  followed by "_SB<n>" (sandbox) or "_RP<n>" (release preview). */
int bh_nsr_account_id_valid(const char *account);

#endif

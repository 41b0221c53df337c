/*
 * nssoap_tba.h - Token-Based Authentication pieces of the netsuite-soap plugin, and the
 * account-id rules (pure functions; also linked directly into the plugin's tests).
 *
 * The SOAP tokenPassport signature is Base64(HMAC-SHA256(key, base)) with
 *   base = pct(account)&pct(consumerKey)&pct(token)&pct(nonce)&pct(timestamp)
 *   key  = pct(consumerSecret)&pct(tokenSecret)
 * where pct is RFC 3986 percent-encoding (unreserved characters kept). No method, no URL.
 * A nonce + timestamp pair is single-use: callers build a new passport for every attempt.
 *
 * Ownership: netsuite-soap plugin. Threading: every function is thread-safe (no state;
 * the nonce comes from OpenSSL's RAND_bytes).
 */
#ifndef BH_NSSOAP_TBA_H
#define BH_NSSOAP_TBA_H

#include <stddef.h>

/** Nonce length used by the plugin (Oracle: 6-64 alphanumerics, 20 is ideal). */
#define BH_NSS_NONCE_LEN 20

/** The signature (Base64 text) into out (>= 48 bytes). Returns 0, BH_EINVAL (NULL
 *  input), BH_ENOMEM, BH_ETOOBIG (out too small) or BH_EIO (HMAC failure). */
int bh_nss_tba_signature(const char *account, const char *consumer_key,
			 const char *consumer_secret, const char *token, const char *token_secret,
			 const char *nonce, const char *timestamp, char *out, size_t len);

/** A fresh alphanumeric nonce of BH_NSS_NONCE_LEN characters into out (>= 21 bytes).
 *  Returns 0 or BH_EIO when the random generator failed. */
int bh_nss_tba_nonce(char *out, size_t len);

/** Check an account id: digits, optionally followed by _SB<n> / _RP<n> (sandbox, release
 *  preview), or a TSTDRV test-drive id; upper case. Returns 0, or BH_EINVAL with an
 *  operator-readable reason in why. */
int bh_nss_account_check(const char *account, char *why, size_t len);

/** The SuiteTalk host of an account: lower case, '_' -> '-', plus
 *  ".suitetalk.api.netsuite.com" ("1234567_SB1" -> "1234567-sb1.suitetalk.api.netsuite.com").
 *  Returns 0 or BH_ETOOBIG / BH_EINVAL. */
int bh_nss_account_host(const char *account, char *out, size_t len);

#endif

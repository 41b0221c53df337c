/*
 * sim_ns_oauth.h - OAuth 1.0a (NetSuite token-based authentication) for the REST
 * simulator: Authorization header parsing, RFC 5849 signature base string, HMAC-SHA256
 * signature. (Nonce replay and the timestamp window are checked by the store.)
 *
 * Owned by the NetSuite REST helper. Every function is pure and thread-safe.
 */
#ifndef BH_SIM_NS_OAUTH_H
#define BH_SIM_NS_OAUTH_H

#include <stdbool.h>
#include <stddef.h>

/** The parameters of an "Authorization: OAuth ..." header, percent-decoded, malloc'd
 *  (NULL when absent). */
struct bh_sim_ns_oauth {
	char *realm;
	char *consumer_key;
	char *token;
	char *nonce;
	char *timestamp;
	char *signature_method;
	char *version;
	char *signature;            /* base64 text after percent-decoding */
};

/** Parse an Authorization header value. Returns 0, BH_EINVAL when it is not an OAuth
 *  header or is malformed (duplicate parameter, unquoted value, bad escape), BH_ENOMEM. */
int bh_sim_ns_oauth_parse(const char *header, struct bh_sim_ns_oauth *out);
/** Free the strings of a parsed header and zero it. */
void bh_sim_ns_oauth_clear(struct bh_sim_ns_oauth *p);

/** RFC 3986 percent-encoding of len bytes (unreserved kept, "%XX" upper-case
 *  otherwise) into a malloc'd string, or NULL. */
char *bh_sim_ns_oauth_pct(const char *s, size_t len);

/**
 * RFC 5849 §3.4.1 signature base string: UPPER(method) & pct(base URL) & pct(normalised
 * parameters). base_url is "scheme://host[:port]" (scheme and host are lower-cased, a
 * default port 80/443 is dropped), path the decoded URL path without the query (bytes a
 * URI path cannot carry literally are percent-encoded again); query is the raw
 * query string (form-decoded: '+' is a space), may be NULL or "". The parameters are the
 * oauth_* ones of p except realm and signature, plus every query parameter, sorted by
 * encoded name then value. Returns a malloc'd string or NULL.
 */
char *bh_sim_ns_oauth_base_string(const char *method, const char *base_url, const char *path,
				  const char *query, const struct bh_sim_ns_oauth *p);

/** base64(HMAC-SHA256(pct(consumer_secret) & pct(token_secret), base)), malloc'd. */
char *bh_sim_ns_oauth_sign(const char *base, const char *consumer_secret,
			   const char *token_secret);

/** Constant-time comparison of two NUL-terminated strings. */
bool bh_sim_ns_oauth_equal(const char *a, const char *b);

#endif

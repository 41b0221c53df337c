/*
 * sim_ns_tba.h - NetSuite Token-Based Authentication for SOAP (tokenPassport).
 *
 * Base string = pct(account)&pct(consumerKey)&pct(token)&pct(nonce)&pct(timestamp),
 * key = pct(consumerSecret)&pct(tokenSecret), signature = Base64(HMAC-SHA256(key, base))
 * (research/netsuite.md section 2). Verification checks, in order: all fields present
 * (MissingTokenPassportRequiredFields), algorithm HMAC-SHA256 (UnknownAlgorithm), the
 * nonce shape (6-64 alphanumerics: InvalidNonce), the account + consumer key + token
 * (InvalidAccount / consumer_key_unknown / token_rejected), the timestamp within
 * +-5 minutes (InvalidTimestamp), the signature (InvalidSignature), and the nonce not used
 * before (NonceUsed). The client only ever sees "Invalid login attempt."; the reason is
 * kept in the account's login audit trail (control GET /login_audit).
 *
 * Ownership: NetSuite service helper. Threading: the pure functions are thread-safe;
 * bh_sim_ns_tba_verify needs the store lock (it reads credentials and records nonces).
 */
#ifndef BH_SIM_NS_TBA_H
#define BH_SIM_NS_TBA_H

#include "sim_ns_store.h"

/** The tokenPassport fields as received (any may be NULL when absent). */
struct bh_sim_ns_passport {
	const char *account;
	const char *consumer_key;
	const char *token;
	const char *nonce;
	const char *timestamp;
	const char *signature;
	const char *algorithm;   /* the signature's algorithm attribute */
};

/** pure. RFC 3986 percent-encoding (unreserved kept), malloc'd; NULL on ENOMEM. */
char *bh_sim_ns_pct(const char *s);
/** pure. The SOAP base string (malloc'd). */
char *bh_sim_ns_tba_base(const char *account, const char *consumer_key, const char *token,
			 const char *nonce, const char *timestamp);
/** pure. Base64 HMAC-SHA256 signature of a tokenPassport (malloc'd), NULL on ENOMEM. */
char *bh_sim_ns_tba_sign(const char *account, const char *consumer_key,
			 const char *consumer_secret, const char *token, const char *token_secret,
			 const char *nonce, const char *timestamp);
/**
 * Verify a passport against the account (store lock held). Returns 0 and *cred on
 * success; BH_EAUTH with *reason (a static Login Audit Trail string) otherwise.
 */
int bh_sim_ns_tba_verify(struct bh_sim_ns *ns, const struct bh_sim_ns_passport *p,
			 const struct bh_sim_ns_cred **cred, const char **reason);

#endif

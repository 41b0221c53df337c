/**
 * @file capability.h
 * @brief Common types of the capability interfaces (storefront, portal, erp).
 *
 * Capability operations take and return canonical JSON text (documented in
 * sdk/RECORDS.md) so that the ABI stays stable while record shapes grow. Each
 * operation returns 0 on success or a negative BH_E* code, and fills a bh_status:
 *
 *   BH_ERETRY   transient (timeout, 429, 5xx, concurrency limit); retry_after_ms is the
 *               remote side's advice (0 = none). The flow returns a retry outcome.
 *   BH_EREJECT  permanent (validation, duplicate, bad reference, user error); code and
 *               message carry the remote side's words. The flow rejects the record.
 *   BH_EAUTH    authentication or permission refused (permanent until reconfigured).
 *   BH_ENOENT   the looked-up object does not exist (not an error for find_* calls).
 *
 * Ownership: `*out` (when set) is malloc'd by the endpoint and freed by the caller
 * with free(3). Inputs are borrowed for the duration of the call.
 * Thread safety: every operation may be called concurrently from worker threads.
 */
#ifndef BACKHAUL_CAPABILITY_H
#define BACKHAUL_CAPABILITY_H

#include <stdint.h>
#include <backhaul/errors.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bh_status {
	int64_t retry_after_ms;  /**< BH_ERETRY: earliest retry advised by the remote side */
	int http_status;         /**< last HTTP status seen, 0 if none */
	char code[64];           /**< remote error code, e.g. "DUP_RCRD", "THROTTLED" */
	char message[512];       /**< remote error message, secrets removed */
};

#ifdef __cplusplus
}
#endif
#endif

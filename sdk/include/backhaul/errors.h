/**
 * @file errors.h
 * @brief Backhaul error codes, shared by the core and plugins.
 *
 * Every fallible function returns int: 0 (BH_OK) on success, a negative BH_E* code on
 * failure. Codes are stable across ABI minor versions; new ones are only appended.
 * Delivery outcomes (ok / retry / reject) are a separate enum, see plugin.h.
 */
#ifndef BACKHAUL_ERRORS_H
#define BACKHAUL_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

enum bh_err {
	BH_OK = 0,
	BH_ENOMEM = -1001,      /**< out of memory */
	BH_EINVAL = -1002,      /**< invalid argument or value */
	BH_EIO = -1003,         /**< I/O error (file, socket, storage) */
	BH_ENOENT = -1004,      /**< no such record, key, file or instance */
	BH_EEXIST = -1005,      /**< already exists (duplicate name or key) */
	BH_EBUSY = -1006,       /**< temporarily unable: outbox full, source paused; try later */
	BH_ECONFIG = -1007,     /**< configuration error (message logged with file:line) */
	BH_EPLUGIN = -1008,     /**< plugin refused or misbehaved */
	BH_EABI = -1009,        /**< ABI mismatch */
	BH_ECORRUPT = -1010,    /**< stored data cannot be decoded */
	BH_ESPACE = -1011,      /**< storage map full at its configured maximum */
	BH_ETIMEOUT = -1012,    /**< timed out */
	BH_ERETRY = -1013,      /**< transient remote failure: retry later */
	BH_EREJECT = -1014,     /**< permanent remote failure: do not retry */
	BH_EAUTH = -1015,       /**< authentication or permission refused */
	BH_EPROTO = -1016,      /**< malformed remote response */
	BH_ENOTSUP = -1017,     /**< operation not supported by this plugin */
	BH_ESTOPPED = -1018,    /**< engine is stopping */
	BH_ETOOBIG = -1019,     /**< value larger than allowed */
};

#ifdef __cplusplus
}
#endif
#endif

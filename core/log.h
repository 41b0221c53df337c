/*
 * log.h - the core's logging: one line per event, "LEVEL subsystem: message".
 *
 * Lines go to stderr (or the file given to bh_log_open). Levels are syslog priorities
 * (enum bh_log_level in the SDK). Thread-safe: each line is written with one write(2).
 * Never pass a secret to these functions; plugin lines pass through bh_log_redact().
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>
#include <backhaul/plugin.h>

void bh_log_set_level(int level);
int bh_log_get_level(void);
/** Send lines to a file (append) instead of stderr. Returns 0 or BH_EIO. */
int bh_log_open(const char *path);
void bh_log(int level, const char *subsys, const char *fmt, ...) BH_PRINTF(3, 4);
void bh_vlog(int level, const char *subsys, const char *fmt, va_list ap) BH_PRINTF(3, 0);
/** Register a secret value to be replaced by "[REDACTED]" in every later line. */
void bh_log_add_secret(const char *value);
/** Forget all registered secrets (at shutdown). */
void bh_log_clear_secrets(void);

#define BH_LOG_ERROR(sub, ...) do { bh_log(BH_LOG_ERR, (sub), __VA_ARGS__); } while (0)
#define BH_LOG_WARN(sub, ...) do { bh_log(BH_LOG_WARN, (sub), __VA_ARGS__); } while (0)
#define BH_LOG_INFO(sub, ...) do { bh_log(BH_LOG_INFO, (sub), __VA_ARGS__); } while (0)
#define BH_LOG_DEBUG(sub, ...) do { bh_log(BH_LOG_DEBUG, (sub), __VA_ARGS__); } while (0)

#endif

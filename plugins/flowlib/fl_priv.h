/*
 * fl_priv.h - flowlib internals shared between its files (not for flows).
 *
 * Ownership: flowlib. Threading: pure functions.
 */
#ifndef BH_FL_PRIV_H
#define BH_FL_PRIV_H

#include <stdarg.h>

#include "flowlib.h"

/** Parse JSON text of len bytes (0 = strlen) into an object; NULL with err set. */
struct json_object *bh_fl_parse_object(const char *text, size_t len, char *err, size_t errlen);
/** snprintf into err (when err is not NULL); returns BH_EINVAL for convenience. */
int bh_fl_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Member key as an array, or NULL. */
struct json_object *bh_fl_jarr(struct json_object *o, const char *key);
/** Member key as an object, or NULL. */
struct json_object *bh_fl_jobj(struct json_object *o, const char *key);

#endif

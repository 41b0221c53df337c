/*
 * money.h - exact money for plugins: decimal strings <-> integer minor units (cents).
 *
 * Amounts never pass through binary floating point. Parsing accepts an optional sign,
 * digits, and at most two decimals ("43.2" -> 4320, "-5" -> -500, "0.05" -> 5); more
 * decimals, exponents or garbage are refused. Formatting always writes two decimals.
 * Pure functions; thread-safe.
 */
#ifndef BH_PLUG_MONEY_H
#define BH_PLUG_MONEY_H

#include <stddef.h>
#include <stdint.h>

/** Parse s into cents. Returns 0 or BH_EINVAL (also on overflow). */
int bh_money_parse(const char *s, int64_t *cents);
/** Write cents as "-12.34" into buf (at least 24 bytes). Returns buf. */
char *bh_money_format(int64_t cents, char *buf, size_t len);
/** Split total cents into n parts that differ by at most one cent and sum exactly to
 *  total; the first (|total| mod n) parts get the extra cent. */
void bh_money_split(int64_t total, size_t n, int64_t *parts);

#endif

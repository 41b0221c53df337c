/*
 * err.h - error texts and the one mapping per library into BH_E* codes.
 */
#ifndef BH_ERR_H
#define BH_ERR_H

#include <backhaul/errors.h>

/** Text of a BH_E* code (or of a positive errno). Never NULL; static storage. */
const char *bh_strerror(int code);
/** Map an LMDB return code (0, MDB_* or errno) to BH_OK / BH_E*. */
int bh_err_from_mdb(int rc);
/** Map an errno value to a BH_E* code. */
int bh_err_from_errno(int e);

#endif

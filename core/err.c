/*
 * err.c - error texts and library error mappings (see err.h).
 */
#include <errno.h>
#include <string.h>
#include <lmdb.h>

#include "err.h"

const char *bh_strerror(int code)
{
	switch (code) {
	case BH_OK: return "success";
	case BH_ENOMEM: return "out of memory";
	case BH_EINVAL: return "invalid argument";
	case BH_EIO: return "I/O error";
	case BH_ENOENT: return "not found";
	case BH_EEXIST: return "already exists";
	case BH_EBUSY: return "busy (outbox full or source paused); try later";
	case BH_ECONFIG: return "configuration error";
	case BH_EPLUGIN: return "plugin error";
	case BH_EABI: return "plugin ABI mismatch";
	case BH_ECORRUPT: return "stored data is corrupt";
	case BH_ESPACE: return "storage full at its configured maximum";
	case BH_ETIMEOUT: return "timed out";
	case BH_ERETRY: return "transient failure; will retry";
	case BH_EREJECT: return "permanent failure; rejected";
	case BH_EAUTH: return "authentication or permission refused";
	case BH_EPROTO: return "malformed response";
	case BH_ENOTSUP: return "not supported";
	case BH_ESTOPPED: return "engine is stopping";
	case BH_ETOOBIG: return "value too large";
	default:
		if (code > 0)
			return strerror(code);
		return "unknown error";
	}
}

int bh_err_from_errno(int e)
{
	switch (e) {
	case 0: return BH_OK;
	case ENOMEM: return BH_ENOMEM;
	case ENOENT: return BH_ENOENT;
	case EEXIST: return BH_EEXIST;
	case EINVAL: return BH_EINVAL;
	case EBUSY: case EAGAIN: return BH_EBUSY;
	case ETIMEDOUT: return BH_ETIMEOUT;
	case ENOSPC: return BH_ESPACE;
	case EACCES: case EPERM: return BH_EAUTH;
	default: return BH_EIO;
	}
}

int bh_err_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return BH_OK;
	case MDB_NOTFOUND: return BH_ENOENT;
	case MDB_KEYEXIST: return BH_EEXIST;
	case MDB_MAP_FULL: return BH_ESPACE;
	case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID:
	case MDB_VERSION_MISMATCH: return BH_ECORRUPT;
	case MDB_READERS_FULL: case MDB_TXN_FULL: case MDB_MAP_RESIZED: return BH_EBUSY;
	case MDB_BAD_VALSIZE: return BH_ETOOBIG;
	default:
		if (rc > 0)
			return bh_err_from_errno(rc);
		return BH_EIO;
	}
}

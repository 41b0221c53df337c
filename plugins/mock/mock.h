/*
 * mock.h - the `mock` capability shared by mock-source (provider) and mock-sink.
 */
#ifndef BH_MOCK_H
#define BH_MOCK_H

#include <stdint.h>

#define BH_CAP_MOCK "mock"

struct bh_mock_ops {
	uint32_t size;
	/** Count a call, hold it for hold_ms (busy, bounded) and return the highest number
	 *  of calls seen in flight at once. */
	int (*hit)(void *ctx, int64_t hold_ms);
};

#endif

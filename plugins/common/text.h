/*
 * text.h - small text helpers shared by the endpoint plugins.
 *
 * Ownership: the caller's buffers. Threading: pure functions.
 */
#ifndef BH_PLUG_TEXT_H
#define BH_PLUG_TEXT_H

#include <stddef.h>

/** A display word in lower_snake case: "Pending Receipt" -> "pending_receipt",
 *  "Partially Received/Billed" -> "partially_received_billed"; NULL -> "". Runs of
 *  non-alphanumerics become one '_'; truncated to fit len (len 0: nothing written). */
void bh_plug_snake(const char *text, char *buf, size_t len);

#endif

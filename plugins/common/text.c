/*
 * text.c - small text helpers shared by the endpoint plugins (see text.h).
 *
 * Ownership and threading: see text.h.
 */
#include "text.h"

#include <ctype.h>
#include <stdbool.h>

void bh_plug_snake(const char *text, char *buf, size_t len)
{
	size_t w = 0;
	bool sep = false;
	if (!len)
		return;
	for (const char *p = text ? text : ""; *p && w + 1 < len; p++) {
		if (isalnum((unsigned char)*p)) {
			if (sep && w > 0 && w + 2 < len)
				buf[w++] = '_';
			sep = false;
			buf[w++] = (char)tolower((unsigned char)*p);
		} else {
			sep = true;
		}
	}
	buf[w] = '\0';
}

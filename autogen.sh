#!/bin/sh
# Regenerate the build system (configure, Makefile.in, libtool and aux files).
set -e
cd "$(dirname "$0")"
autoreconf -fi

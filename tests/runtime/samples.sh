#!/bin/sh
# samples.sh - every shipped conf.d sample (*.conf and *.conf.example) passes
# `backhaul check-config`. TAP output.
set -u
: "${BH_TOP_BUILDDIR:?run through make check}" "${BH_TOP_SRCDIR:?}"
T=$(mktemp -d /tmp/bh-samples-XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0; failed=0
for f in "$BH_TOP_SRCDIR"/conf.d/*.conf "$BH_TOP_SRCDIR"/conf.d/*.conf.example; do
	[ -f "$f" ] || continue
	rm -rf "$T/c"; mkdir -p "$T/c"
	cp "$f" "$T/c/$(basename "$f" .example)"
	n=$((n+1))
	if "$BH_TOP_BUILDDIR/backhaul" -c "$T/c" --state-dir "$T/state" check-config >"$T/out" 2>&1; then
		echo "ok $n - $(basename "$f") passes check-config"
	else
		echo "not ok $n - $(basename "$f") passes check-config"; sed 's/^/# /' "$T/out"; failed=$((failed+1))
	fi
done
echo "1..$n"
[ $failed -eq 0 ]

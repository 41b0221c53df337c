#!/bin/sh
# example.sh - the SDK example plugin builds out of tree with only `pkg-config
# backhaul-sdk` (headers and .pc installed into a scratch root), then the engine loads it
# and delivers records to it. TAP output.
set -u
: "${BH_TOP_BUILDDIR:?run through make check}" "${BH_TOP_SRCDIR:?}"
T=$(mktemp -d /tmp/bh-sdk-XXXXXX)
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
cleanup() { [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

make -s -C "$BH_TOP_BUILDDIR" DESTDIR="$T/root" install-backhaulincludeHEADERS install-pkgconfigDATA >"$T/inst.log" 2>&1
ok $? "SDK headers and backhaul-sdk.pc install into a scratch root"
pcdir=$(dirname "$(find "$T/root" -name backhaul-sdk.pc | head -1)")
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$T/root"
pkg-config --cflags backhaul-sdk | grep -q -- "-I$T/root"; ok $? "pkg-config --cflags backhaul-sdk points at the installed headers"
mkdir -p "$T/plugins"
make -s -f "$BH_TOP_SRCDIR/sdk/examples/hello/Makefile" SRCDIR="$BH_TOP_SRCDIR/sdk/examples/hello" \
	OUT="$T/plugins" CFLAGS="-O1 -Werror" >"$T/build.log" 2>&1
rc=$?; [ $rc -ne 0 ] && sed 's/^/# /' "$T/build.log"
ok $rc "the example plugin builds out of tree with only the SDK"
[ -f "$T/plugins/hello.so" ]; ok $? "hello.so exists"

export BH_PLUGIN_PATH="$BH_PLUGIN_PATH:$T/plugins"
"$BH_TOP_BUILDDIR/backhaul" plugins --describe hello > "$T/desc.out" 2>&1
grep -q "example flow" "$T/desc.out" && grep -q "path" "$T/desc.out"; ok $? "the engine loads it and describes its settings"

mkdir -p "$T/conf.d"
cat > "$T/conf.d/10.conf" <<EOC
[engine]
state_dir = $T/state
http_enabled = false

[endpoint src]
plugin = mock-source
per_poll = 25
total = 25

[flow hello]
plugin = hello
subscribe = mock.*
path = $T/hello.out
EOC
"$BH_TOP_BUILDDIR/backhaul" -c "$T/conf.d" run > "$T/run.log" 2>&1 &
PID=$!
i=0; while [ $i -lt 400 ]; do
	[ -f "$T/hello.out" ] && [ "$(wc -l < "$T/hello.out")" -ge 25 ] && break
	i=$((i+1)); sleep 0.05
done
[ "$(wc -l < "$T/hello.out" 2>/dev/null || echo 0)" -eq 25 ]; ok $? "the example flow received the 25 records"
grep -q "^mock.record rec-25 " "$T/hello.out"; ok $? "with topic and key"
kill -TERM "$PID"; wait "$PID"; ok $? "the daemon stopped cleanly"; PID=

echo "1..$n"
[ $failed -eq 0 ]

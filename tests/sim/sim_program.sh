#!/bin/sh
# sim_program.sh - TAP test of the backhaul-sim program end to end.
#
# Covers: --print-seed determinism, start-up on free ports (stdout line == ports file,
# distinct ports, under a second), the control API over HTTP (health, ports, seed data
# visible in Shopify and NetSuite, a one-shot fault), a busy port refused, option errors,
# and a clean exit on SIGTERM. Needs the curl command-line tool (skips without it).
# Waits poll a condition with a deadline (short pauses between checks), never a fixed sleep.
set -u

top_builddir=${BH_TOP_BUILDDIR:-.}
SIM=$top_builddir/backhaul-sim
n=0
failed=0

ok() { # ok <status> <description>
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { echo "# $*"; }
now_ms() { date +%s%3N; }

if ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP the curl command-line tool is not installed"
	exit 0
fi
if [ ! -x "$SIM" ]; then
	echo "1..0 # SKIP $SIM not built"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bh-sim-test.XXXXXX")
pid=
pid2=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$pid2" ] && kill "$pid2" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- options and the seed printer (no servers) ---
"$SIM" --help >"$tmp/help" 2>&1
ok $? "--help exits 0"
grep -q -- "--print-seed" "$tmp/help"
ok $? "--help documents the options"
"$SIM" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "an unknown option exits 2"
"$SIM" --shopify-port 70000 >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "a bad port value exits 2"

"$SIM" --print-seed 42 >"$tmp/s42a" && "$SIM" --print-seed 42 >"$tmp/s42b"
ok $? "--print-seed runs"
cmp -s "$tmp/s42a" "$tmp/s42b"
ok $? "--print-seed 42 twice: byte-identical output"
"$SIM" --print-seed 43 >"$tmp/s43"
! cmp -s "$tmp/s42a" "$tmp/s43"
ok $? "--print-seed 43 differs from 42"
grep -q '"sku":"TEE-BLK-M"' "$tmp/s42a" && grep -q '"name":"#1001"' "$tmp/s42a"
ok $? "the printed seed holds the catalog and the orders"

# --- bare start-up time: process start to ports file, then a clean stop ---
t0=$(now_ms)
"$SIM" --ports-file "$tmp/ports0.json" >/dev/null 2>"$tmp/stderr0" &
pid=$!
deadline=$((t0 + 10000))
while [ ! -s "$tmp/ports0.json" ] && [ "$(now_ms)" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.01
done
t1=$(now_ms)
[ -s "$tmp/ports0.json" ] && [ $((t1 - t0)) -lt 1000 ]
ok $? "start-up under one second ($((t1 - t0)) ms)"
kill -TERM "$pid"
wait "$pid"
ok $? "stops with status 0 on SIGTERM right after start-up"
pid=

# --- start on free ports, with seed data ---
t0=$(now_ms)
"$SIM" --ports-file "$tmp/ports.json" --seed 7 --no-xsd >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
deadline=$((t0 + 10000))
while [ ! -s "$tmp/ports.json" ] && [ "$(now_ms)" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.01
done
t1=$(now_ms)
[ -s "$tmp/ports.json" ]
ok $? "the ports file appears"
diag "start-up with --seed 7 (200 orders applied before the ports line): $((t1 - t0)) ms"
while [ ! -s "$tmp/stdout" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
cmp -s "$tmp/stdout" "$tmp/ports.json"
ok $? "stdout carries the same ports line"
line=$(cat "$tmp/ports.json")
diag "ports: $line"
port_of() { echo "$line" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
sp=$(port_of shopify)
lp=$(port_of loop)
np=$(port_of netsuite)
cp=$(port_of control)
[ -n "$sp" ] && [ -n "$lp" ] && [ -n "$np" ] && [ -n "$cp" ] && [ "$sp" -gt 0 ] && [ "$lp" -gt 0 ] &&
	[ "$np" -gt 0 ] && [ "$cp" -gt 0 ]
ok $? "four ports reported"
[ "$(printf '%s\n%s\n%s\n%s\n' "$sp" "$lp" "$np" "$cp" | sort -u | wc -l)" -eq 4 ]
ok $? "the ports are distinct"

ctl="http://127.0.0.1:$cp/control"
get() { curl -s -m 10 "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' -m 10 "$@"; }

get "$ctl/health" | grep -q '"status":"ok"'
ok $? "GET /control/health"
[ "$(get "$ctl/ports")" = "$line" ]
ok $? "GET /control/ports equals the ports line"
get "$ctl/shopify/orders?name=%231001" | grep -q '"name":"#1001"'
ok $? "seed 7 applied: Shopify has order #1001"
get "$ctl/netsuite/items?sku=TEE-BLK-M" | grep -q '"TEE-BLK-M"'
ok $? "seed 7 applied: NetSuite has item TEE-BLK-M"

# A one-shot fault on Shopify's REST orders, seen over HTTP.
url="http://127.0.0.1:$sp/admin/api/2026-10/orders.json"
[ "$(code -X POST -d '{"service":"shopify","rate_5xx":1,"count":1}' "$ctl/faults")" = 200 ]
ok $? "POST /control/faults"
c1=$(code "$url")
c2=$(code "$url")
[ "${c1#5}" != "$c1" ] && [ "${c2#5}" = "$c2" ]
ok $? "count 1: one 5xx ($c1), then the service's normal answer ($c2)"
[ "$(code "$ctl/nosuch/x")" = 404 ]
ok $? "unknown control route -> 404"

# A second instance on the same control port fails cleanly.
"$SIM" --control-port "$cp" >/dev/null 2>"$tmp/err2" &
pid2=$!
deadline=$(($(now_ms) + 10000))
while kill -0 "$pid2" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
wait "$pid2"
rc2=$?
pid2=
[ "$rc2" -ne 0 ] && grep -q "cannot listen" "$tmp/err2"
ok $? "a busy port: exit $rc2 with a message"

# SIGTERM: clean and prompt exit.
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ]
ok $? "exit status 0 after SIGTERM"

# --- a config file: seed options, initial faults, per-service options, webhooks ---
cat >"$tmp/config.json" <<'CFG'
{"seed":{"seed":3,"orders":3,"items":8,"order_name_start":7001},
 "faults":[{"service":"loop","operation":"*","rate_429":1}],
 "fault_seed":99,
 "webhooks":{"max_attempts":2,"backoff_initial_ms":10},
 "shopify":{"access_token":"shpat_from_config"}}
CFG
"$SIM" --config "$tmp/config.json" --ports-file "$tmp/ports2.json" --no-xsd >/dev/null 2>"$tmp/stderr2" &
pid=$!
deadline=$(($(now_ms) + 10000))
while [ ! -s "$tmp/ports2.json" ] && [ "$(now_ms)" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.01
done
line=$(cat "$tmp/ports2.json" 2>/dev/null)
sp=$(port_of shopify)
lp=$(port_of loop)
cp=$(port_of control)
ctl="http://127.0.0.1:$cp/control"
get "$ctl/faults" | grep -q '"service":"loop"'
ok $? "config: initial fault rules installed"
[ "$(code "http://127.0.0.1:$lp/api/v1/warehouse/return/list")" = 429 ]
ok $? "config: the loop rule answers 429"
orders=$(get "$ctl/shopify/orders")
echo "$orders" | grep -q '"name":"#7003"' && ! echo "$orders" | grep -q '"name":"#7004"'
ok $? "config: seed options applied (3 orders from #7001)"
[ "$(code -H 'X-Shopify-Access-Token: shpat_from_config' "http://127.0.0.1:$sp/admin/api/2026-10/orders.json?status=any")" = 200 ]
ok $? "config: per-service options reach create() (Shopify access token)"
get "$ctl/webhooks" | grep -q '"pending":0'
ok $? "GET /control/webhooks"
echo '{"seed":' >"$tmp/bad.json"
"$SIM" --config "$tmp/bad.json" >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "a malformed config file exits 2"
kill -TERM "$pid"
deadline=$(($(now_ms) + 5000))
while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
! kill -0 "$pid" 2>/dev/null
ok $? "SIGTERM stops it within 5 s"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ]
ok $? "exit status 0 after SIGTERM"
for f in "$tmp/stderr0" "$tmp/stderr" "$tmp/stderr2"; do
	[ ! -s "$f" ] || diag "stderr: $(head -c 500 "$f")"
done

echo "1..$n"
[ "$failed" -eq 0 ]

#!/bin/sh
# demo.sh - `backhaul demo` end to end on a smaller day (40 orders, 12 returns): it
# exits 0, every return reaches its end state, every return's ledger balances, the
# unknown SKU is dead-lettered with its replay command and the replay writes the order,
# and the rendered demo conf.d passes check-config. TAP output.
set -u
: "${BH_TOP_BUILDDIR:?run through make check}" "${BH_TOP_SRCDIR:?}"
T=$(mktemp -d /tmp/bh-demo-test-XXXXXX)
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
has() { grep -q -- "$1" "$T/out"; }
"$BH_TOP_BUILDDIR/backhaul" demo --orders 40 --returns 12 --dir "$T/day" \
	--demo-dir "$BH_TOP_SRCDIR/conf.d/demo" >"$T/out" 2>&1
rc=$?
ok $rc "backhaul demo exits 0"
has "REPORT"; ok $? "it prints the report"
has "12 of 12 returns reached their end"; ok $? "every return reached its end state"
! has "NOT at its end"; ok $? "no return is left half way"
! has "UNBALANCED"; ok $? "every ledger balances"
has "SCARF-RED"; ok $? "the unknown SKU is named in a dead letter"
has "replay: backhaul -c $T/day/conf.d dead replay sales-order/"; ok $? "with the exact replay command"
has "is now sales order"; ok $? "the replay writes the order"
"$BH_TOP_BUILDDIR/backhaul" -c "$T/day/conf.d" check-config >"$T/check" 2>&1
ok $? "the rendered demo conf.d passes check-config"
if [ $failed -ne 0 ]; then sed 's/^/# /' "$T/out"; else rm -rf "$T"; fi
echo "1..$n"
[ $failed -eq 0 ]

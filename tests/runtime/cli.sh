#!/bin/sh
# cli.sh - the `backhaul` command as an operator uses it: --help everywhere, exit codes,
# check-config errors with file:line, secrets never shown, the daemon with its control
# socket (status, sync --now), dead letters (list/show/replay/drop), the sync log,
# SIGTERM. TAP output. Waits poll a condition with a deadline.
set -u
BIN="${BH_TOP_BUILDDIR:?run through make check}/backhaul"
T=$(mktemp -d /tmp/bh-cli-XXXXXX)
n=0; failed=0
ok() { n=$((n+1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
is() { n=$((n+1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got '$1', want '$2'"; failed=$((failed+1)); fi; }
wait_for() { # wait_for SECONDS COMMAND...
	limit=$1; shift; i=0
	while [ $i -lt $((limit * 20)) ]; do "$@" >/dev/null 2>&1 && return 0; i=$((i+1)); sleep 0.05; done
	"$@" >/dev/null 2>&1
}
cleanup() { [ -n "${PID:-}" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

mkdir -p "$T/conf.d" "$T/bad.d"
printf 'very-secret-value-123\n' > "$T/token"; chmod 600 "$T/token"
cat > "$T/conf.d/00-engine.conf" <<EOC
[engine]
state_dir = $T/state
http_port = 0
log_level = info
log_file = $T/daemon.log
EOC
cat > "$T/conf.d/10-mock.conf" <<EOC
[endpoint src]
plugin = mock-source
per_poll = 40
total = 40
poll_interval = 1h
webhook_path = /hook
token_file = $T/token

[flow sink]
plugin = mock-sink
subscribe = mock.record
out_file = $T/sink.out
reject_prefix = rec-3
EOC

for c in run check-config sync status log dead plugins version test-connection; do
	"$BIN" $c --help > "$T/help.out" 2>&1; rc=$?
	is "$rc" 0 "backhaul $c --help exits 0"
	grep -q "usage: backhaul" "$T/help.out"; ok $? "backhaul $c --help prints usage"
done
"$BIN" --help | grep -q "dead" ; ok $? "backhaul --help lists the commands"
"$BIN" frobnicate >/dev/null 2>&1; is $? 64 "unknown command: exit 64 (EX_USAGE)"

"$BIN" -c "$T/conf.d" check-config > "$T/cc.out" 2>&1; is $? 0 "check-config accepts the sample"
"$BIN" -c "$T/conf.d" check-config --dump > "$T/dump.out" 2>&1
grep -q 'token = \[REDACTED\]' "$T/dump.out"; ok $? "check-config --dump redacts the secret"
grep -q 'very-secret-value-123' "$T/dump.out"; ok $((! $?)) "the secret value never appears in the dump"

cat > "$T/bad.d/10-bad.conf" <<EOC
[engine]
state_dir = $T/state2

[flow sink]
plugin = mock-sink
subscribe = mock.record
max_attempts = lots
colour = blue
EOC
"$BIN" -c "$T/bad.d" check-config > "$T/bad.out" 2>&1; is $? 78 "check-config with errors: exit 78 (EX_CONFIG)"
grep -q "10-bad.conf:7:.*max_attempts" "$T/bad.out"; ok $? "bad value reported with file:line and key"
grep -q "10-bad.conf:8:.*colour" "$T/bad.out"; ok $? "unknown key reported with file:line and key"

cp "$T/token" "$T/token-open"; chmod 644 "$T/token-open"
sed "s#token_file = .*#token_file = $T/token-open#" "$T/conf.d/10-mock.conf" > "$T/bad.d/10-bad.conf"
"$BIN" -c "$T/bad.d" check-config > "$T/bad2.out" 2>&1; is $? 78 "a secret file readable by others is refused"
grep -q "token-open" "$T/bad2.out"; ok $? "the refusal names the file"

"$BIN" -c "$T/conf.d" sync --now > /dev/null 2>&1; is $? 69 "sync --now without a daemon: exit 69 (EX_UNAVAILABLE)"
"$BIN" -c "$T/conf.d" plugins > "$T/plugins.out" 2>&1
grep -q "mock-source" "$T/plugins.out" && grep -q "mock-sink" "$T/plugins.out"; ok $? "plugins lists the installed plugins"
"$BIN" plugins --describe mock-sink > "$T/desc.out" 2>&1
grep -q "reject_prefix" "$T/desc.out" && grep -q "max_attempts" "$T/desc.out"; ok $? "plugins --describe prints the typed config map with docs"

"$BIN" -c "$T/conf.d" test-connection src > "$T/tc.out" 2>&1; is $? 0 "test-connection of a healthy endpoint exits 0"
grep -q "all checks passed" "$T/tc.out"; ok $? "and says every check passed"
"$BIN" -c "$T/conf.d" test-connection nosuch > /dev/null 2>&1; is $? 78 "test-connection of an unknown endpoint: exit 78"
mkdir -p "$T/tc.d"; sed 's/^plugin = mock-source/plugin = mock-source\nrefuse_login = true/' "$T/conf.d/10-mock.conf" > "$T/tc.d/10.conf"
cp "$T/conf.d/00-engine.conf" "$T/tc.d/"
"$BIN" -c "$T/tc.d" test-connection src > "$T/tc2.out" 2>&1; is $? 77 "a refused login: exit 77 (EX_NOPERM)"
grep -q "FAIL authentication" "$T/tc2.out" && grep -q "refused" "$T/tc2.out"; ok $? "the failing check says what is wrong"

"$BIN" -c "$T/conf.d" run > "$T/run.out" 2>&1 &
PID=$!
wait_for 20 test -S "$T/state/control.sock"; ok $? "the daemon opened its control socket"
mode=$(stat -c %a "$T/state/control.sock" 2>/dev/null)
is "$mode" 600 "the control socket is owner-only"
lines() { [ -f "$T/sink.out" ] && wc -l < "$T/sink.out" || echo 0; }
has_lines() { [ "$(lines)" -ge "$1" ]; }
wait_for 20 has_lines 29; ok $? "the first poll's records were delivered"
"$BIN" -c "$T/conf.d" status > "$T/status.out" 2>&1; is $? 0 "status exits 0"
grep -q "daemon: running" "$T/status.out" && grep -q "flow sink" "$T/status.out"; ok $? "status shows the running daemon and the flow"
"$BIN" -c "$T/conf.d" sync --now > /dev/null 2>&1; is $? 0 "sync --now reaches the daemon"
"$BIN" -c "$T/conf.d" sync --now --source nosuch > /dev/null 2>&1; is $? 65 "sync --now of an unknown source: exit 65"
dead_n() { "$BIN" -c "$T/conf.d" dead list 2>/dev/null | grep -c '^sink/'; }
has_dead() { [ "$(dead_n)" -ge "$1" ]; }
wait_for 20 has_dead 11; ok $? "rejected records are listed as dead letters (rec-3, rec-30..39)"
id=$("$BIN" -c "$T/conf.d" dead list | grep '^sink/' | head -1 | awk '{print $1}')
"$BIN" -c "$T/conf.d" dead show "$id" > "$T/show.out" 2>&1; is $? 0 "dead show $id"
grep -q "reject_prefix" "$T/show.out" && grep -q "replay: backhaul dead replay" "$T/show.out"; ok $? "dead show prints the reason and the replay command"
"$BIN" -c "$T/conf.d" dead drop "$id" > /dev/null 2>&1; is $? 0 "dead drop"
"$BIN" -c "$T/conf.d" dead show "$id" > /dev/null 2>&1; is $? 65 "a dropped dead letter is gone"
"$BIN" -c "$T/conf.d" dead replay --all > "$T/replay.out" 2>&1; is $? 0 "dead replay --all"
grep -q "replayed 10 dead letters" "$T/replay.out"; ok $? "ten replayed"
wait_for 20 has_dead 10; ok $? "they were rejected again and are back"
"$BIN" -c "$T/conf.d" log --cycles 50 > "$T/log.out" 2>&1; is $? 0 "log exits 0"
grep -q "source src" "$T/log.out" && grep -q "flow   sink" "$T/log.out"; ok $? "the sync log shows source polls and flow cycles"
grep -q "very-secret-value-123" "$T/daemon.log" "$T/run.out"; ok $((! $?)) "the secret never reaches the logs"

kill -TERM "$PID"
i=0; while kill -0 "$PID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
kill -0 "$PID" 2>/dev/null; ok $((! $?)) "SIGTERM stops the daemon within 10 s"
wait "$PID"; is $? 0 "and it exits 0"
PID=
"$BIN" -c "$T/conf.d" status > "$T/status2.out" 2>&1; is $? 0 "status works without a daemon"
grep -q "daemon: not running" "$T/status2.out"; ok $? "and says so"

echo "1..$n"
[ $failed -eq 0 ]

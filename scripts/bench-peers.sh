#!/usr/bin/env bash
# Side by side, in one run on this machine: the floor (bare net/http),
# sealbox's GET /healthz, local-kms's KMS calls (when LOCAL_KMS names its
# binary) and sealbox's, each server started fresh here and driven by
# `sealbox bench` with --server-pid, so that every cell reports the server
# process's CPU per request beside ops/s and p99. Prints a markdown table:
# for each figure the range over the passes.
#
#   scripts/bench-peers.sh                        # sealbox and the floor
#   LOCAL_KMS=/path/to/local-kms scripts/bench-peers.sh
#   PIN=1 scripts/bench-peers.sh                  # servers on CPU 1, load on CPU 0
#
# Settings (environment): LOCAL_KMS (a local-kms binary you built; it is
# never built here), CONCURRENCY (8,32), DURATION (8s), WARMUP (1s),
# PASSES (2), PIN (0), SEALBOX_OPS (the sealbox operations beside the
# ceiling), SEALBOX_BIN (a built sealbox; default: go build into a
# temporary folder), BENCH_BIN (the sealbox that serves the floor and drives
# the load; default SEALBOX_BIN: set it to measure an older server build),
# KEEP (1: keep the temporary folder).
#
# Disk: sealbox audits every request (about 1 KB in its files and as much
# in its store), so a full run writes several GB into the temporary
# folder, removed at the end unless KEEP=1.
set -euo pipefail

CONCURRENCY=${CONCURRENCY:-8,32}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-1s}
PASSES=${PASSES:-2}
PIN=${PIN:-0}
SEALBOX_OPS=${SEALBOX_OPS:-encrypt,decrypt,generate-data-key,get-parameter,get-secure-parameter,get-secret-value,batch-get-secret-value}
KMS_OPS=encrypt,decrypt,generate-data-key

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

server_cpu=() load_cpu=()
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || { echo "PIN=1 needs taskset (util-linux)" >&2; exit 2; }
	server_cpu=(taskset -c 1) load_cpu=(taskset -c 0)
fi

bin=${SEALBOX_BIN:-}
if [ -z "$bin" ]; then
	bin=$tmp/sealbox
	(cd "$here" && go build -o "$bin" ./cmd/sealbox)
fi
load=${BENCH_BIN:-$bin}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # url
	for _ in $(seq 1 200); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.05
	done
	echo "no answer from $1" >&2
	return 1
}

# The floor.
floor_port=$(free_port)
"${server_cpu[@]}" "$load" bench --serve-floor "127.0.0.1:$floor_port" 2>"$tmp/floor.log" &
floor_pid=$!
pids+=("$floor_pid")

# sealbox on its embedded default, audit to file,store.
sb_port=$(free_port)
"${server_cpu[@]}" "$bin" server --listen "127.0.0.1:$sb_port" --data "$tmp/sealbox-data" --log-level warn >"$tmp/sealbox.log" 2>&1 &
sb_pid=$!
pids+=("$sb_pid")

# local-kms, as built: its port from PORT, its keys under KMS_DATA_PATH.
kms_pid=
if [ -n "${LOCAL_KMS:-}" ]; then
	kms_port=$(free_port)
	PORT=$kms_port KMS_DATA_PATH=$tmp/local-kms-data "${server_cpu[@]}" "$LOCAL_KMS" >"$tmp/local-kms.log" 2>&1 &
	kms_pid=$!
	pids+=("$kms_pid")
fi

wait_for "http://127.0.0.1:$floor_port/"
wait_for "http://127.0.0.1:$sb_port/healthz"
[ -n "$kms_pid" ] && wait_for "http://127.0.0.1:$kms_port/"
for _ in $(seq 1 100); do [ -s "$tmp/sealbox-data/admin-credentials" ] && break; sleep 0.05; done

results=$tmp/results.tsv
: >"$results"
failed=0
bench() { # label pid endpoint ops [extra env...]
	local label=$1 pid=$2 endpoint=$3 ops=$4
	shift 4
	# A failed run still prints what it measured; the table says so below.
	if ! env "$@" "${load_cpu[@]}" "$load" bench --endpoint "$endpoint" --ops "$ops" --concurrency "$CONCURRENCY" \
		--duration "$DURATION" --warmup "$WARMUP" --server-pid "$pid" --format tsv \
		--ssm-tree 100 --ssm-total 100 2>>"$tmp/bench.log" >"$tmp/cell.tsv"; then
		echo "$label $ops: sealbox bench failed:" >&2
		grep -F '!!!' "$tmp/bench.log" | tail -5 >&2 || true
		failed=1
	fi
	awk -v label="$label" 'NR > 1 { print label "\t" $0 }' "$tmp/cell.tsv" >>"$results"
}

for pass in $(seq 1 "$PASSES"); do
	echo "pass $pass of $PASSES" >&2
	bench floor "$floor_pid" "http://127.0.0.1:$floor_port" ceiling
	bench sealbox "$sb_pid" "http://127.0.0.1:$sb_port" ceiling SEALBOX_DATA="$tmp/sealbox-data"
	if [ -n "$kms_pid" ]; then
		bench local-kms "$kms_pid" "http://127.0.0.1:$kms_port" "$KMS_OPS" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
	fi
	bench sealbox "$sb_pid" "http://127.0.0.1:$sb_port" "$SEALBOX_OPS" SEALBOX_DATA="$tmp/sealbox-data"
done

if [ "$failed" = 1 ] || grep -qv $'\t0$' "$results"; then
	echo "requests failed; see $tmp/bench.log (kept)" >&2
	KEEP=1
	failed=1
fi

pinned="load generator and servers sharing both cores"
[ "$PIN" = 1 ] && pinned="servers pinned to CPU 1, load generator to CPU 0 (taskset)"
echo "$(date -u +%Y-%m-%d) $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), $PASSES passes of $DURATION per cell after $WARMUP warm-up, $pinned; ranges over the passes"
echo
awk -F'\t' '
function key(l, o, c) { return l SUBSEP o SUBSEP c }
{
	k = key($1, $2, $3)
	if (!(k in seen)) { seen[k] = 1; order[++n] = k; label[k] = $1; op[k] = $2; conc[k] = $3 }
	upd(k, "ops", $4); upd(k, "p99", $6); upd(k, "cpu", $7); errs[k] += $8
}
function upd(k, f, v) {
	if (!((k, f, "lo") in r) || v + 0 < r[k, f, "lo"]) r[k, f, "lo"] = v + 0
	if (!((k, f, "hi") in r) || v + 0 > r[k, f, "hi"]) r[k, f, "hi"] = v + 0
}
function rng(k, f, fmt, scale,   lo, hi) {
	lo = sprintf(fmt, r[k, f, "lo"] / scale); hi = sprintf(fmt, r[k, f, "hi"] / scale)
	return lo == hi ? lo : lo "-" hi
}
END {
	print "| server, op | concurrency | ops/s | server CPU per op | p99 |"
	print "|---|--:|--:|--:|--:|"
	for (i = 1; i <= n; i++) {
		k = order[i]
		name = op[k] == "ceiling" ? (label[k] == "floor" ? "floor: bare net/http, GET /" : label[k] " GET /healthz") : label[k] " " op[k]
		if (errs[k] > 0) name = name " (" errs[k] " requests FAILED)"
		printf "| %s | %s | %s | %s µs | %s ms |\n", name, conc[k], rng(k, "ops", "%d", 1), rng(k, "cpu", "%.0f", 1), rng(k, "p99", "%.2f", 1000)
	}
}' "$results"
exit "$failed"

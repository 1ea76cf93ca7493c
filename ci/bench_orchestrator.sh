#!/usr/bin/env bash
# ci/bench_orchestrator.sh: wall time of `testbed run pingpair` and of up/down of a generated 50-node chain (not a test).
# Usage: ci/bench_orchestrator.sh [ROUNDS] (default 5); prints each round and the median. Needs root and /dev/kvm.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
nodes=${CHAIN_NODES:-50}
work=$(mktemp -d)
export TESTBED_STATE_DIR="$work/state"
trap 'python3 -m testbed.cli down --all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tb() { python3 -m testbed.cli "$@"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

python3 ci/gen_chain.py "$nodes" -o "$work/chain.yaml"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (this machine is shared: compare, don't trust one number)"
: >"$work/run"; : >"$work/run_short"; : >"$work/up"; : >"$work/down"; : >"$work/inproc"
for round in $(seq "$rounds"); do
  t0=$(now); tb run topologies/pingpair.yaml >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/run"
  # The same lab with the pings at a short interval (the goal's "pings included with a short interval").
  t0=$(now); tb run topologies/pingpair.yaml --set checks.0.ping.count=20 --set checks.0.ping.interval=0.002 \
    --json "$work/short.json" >/dev/null
  t1=$(now); echo "$t1 - $t0" | bc >>"$work/run_short"
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timings_s"]; print(t["up"], t["checks"], t["down"])' \
    "$work/short.json" >>"$work/inproc"
  t0=$(now); run_id=$(tb up "$work/chain.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
  t1=$(now); tb down "$run_id" >/dev/null; t2=$(now)
  echo "$t1 - $t0" | bc >>"$work/up"; echo "$t2 - $t1" | bc >>"$work/down"
  printf 'round %d: run pingpair %.3f s, run pingpair (20 pings @2 ms) %.3f s, up %d-node chain %.3f s, down %.3f s\n' \
    "$round" "$(tail -1 "$work/run")" "$(tail -1 "$work/run_short")" "$nodes" "$(tail -1 "$work/up")" "$(tail -1 "$work/down")"
done
echo "median over $rounds rounds:"
echo "  testbed run topologies/pingpair.yaml           $(median <"$work/run") s   (as written: 100 pings at 0.5 ms)"
echo "  testbed run pingpair, 20 pings at 2 ms         $(median <"$work/run_short") s   (goal <= 1 s)"
echo "    of which in-process up $(cut -d' ' -f1 <"$work/inproc" | median) s, checks $(cut -d' ' -f2 <"$work/inproc" | median) s, down $(cut -d' ' -f3 <"$work/inproc" | median) s (the rest: Python start-up and imports)"
echo "  testbed up   ${nodes}-node chain                    $(median <"$work/up") s   (goal <= 5 s)"
echo "  testbed down ${nodes}-node chain                    $(median <"$work/down") s   (goal <= 3 s)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

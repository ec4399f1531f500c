#!/usr/bin/env bash
# README commands 1 and 2 on a fresh clone, each in a fresh virtual environment, without pip's
# cache (as on a new machine), timed wall-clock. Usage: bash benchmarks/fresh_install.sh [REV]
# (default HEAD). Prints one line per command and the machine; see benchmarks/README.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/chipclass"
cd "$work/chipclass"
git checkout -q "$rev"
unset PYTHONPATH VIRTUAL_ENV
export PIP_NO_CACHE_DIR=1
now() { date +%s.%N; }
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(python3 --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# README command 1: install what scoring needs, score the shipped catalogue
t0=$(now)
( python3 -m venv .venv && . .venv/bin/activate && pip install -q -e . && chipclass score data/chips.csv ) > "$work/one.log" 2>&1 \
  || { cat "$work/one.log"; exit 1; }
t1=$(now)
echo "command 1 (venv, pip install -e ., chipclass score data/chips.csv): $(echo "$t1 - $t0" | bc) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf .venv

# README command 2: install the test extra, run the default test set
t0=$(now)
( python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' && tp=$(now) \
  && echo "install: $(echo "$tp - $t0" | bc) s" && python -m pytest -q -p no:cacheprovider ) > "$work/two.log" 2>&1 \
  || { tail -30 "$work/two.log"; exit 1; }
t1=$(now)
grep '^install:' "$work/two.log"
tail -1 "$work/two.log"
echo "command 2 (venv, pip install -e '.[test]', python -m pytest): $(echo "$t1 - $t0" | bc) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

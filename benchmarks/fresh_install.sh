#!/usr/bin/env bash
# README commands 1 and 2 on a fresh clone, each in a fresh virtual environment, without pip's
# cache (as on a new machine), timed: wall clock, and the CPU time (user + system) of the
# command and its children, which is what the wall time approaches on an otherwise idle
# machine. Usage: bash benchmarks/fresh_install.sh [REV [1|2]] (default HEAD, both commands).
# See benchmarks/README.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
only=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/chipclass"
cd "$work/chipclass"
git checkout -q "$rev"
unset PYTHONPATH VIRTUAL_ENV
export PIP_NO_CACHE_DIR=1
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(python3 --version), commit $(git rev-parse --short HEAD)"

timed() {  # timed LABEL COMMAND: wall and CPU seconds of a bash -c COMMAND, with the load average
  local label=$1 cmd=$2 start end
  echo "$label: load average before $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(date +%s.%N)
  /usr/bin/env time -f "%U %S" -o "$work/cpu" bash -c "$cmd" > "$work/log" 2>&1 || { tail -30 "$work/log"; exit 1; }
  end=$(date +%s.%N)
  read -r user sys < "$work/cpu"
  tail -1 "$work/log"
  echo "$label: wall $(echo "$end - $start" | bc) s, CPU $(echo "$user + $sys" | bc) s (user $user, system $sys)"
}

# README command 1: install what scoring needs, score the shipped catalogue
[ "$only" = 2 ] || timed "command 1 (venv, pip install -e ., chipclass score data/chips.csv)" \
  "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e . && chipclass score data/chips.csv"
rm -rf .venv
# README command 2: install the test extra, run the default test set
[ "$only" = 1 ] || timed "command 2 (venv, pip install -e '.[test]', python -m pytest)" \
  "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e '.[test]' && python -m pytest -q -p no:cacheprovider"

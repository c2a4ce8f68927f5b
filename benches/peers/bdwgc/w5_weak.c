/* W5 "weak", the bdwgc peer (Go twin: benches/peers/go/w5_weak/main.go; Tricolor:
 * benches/src/w5.rs), with bdwgc's disappearing links as weak pointers: a weak pointer is a
 * word holding GC_HIDE_POINTER(obj) (so the collector does not see it as a pointer),
 * registered with GC_general_register_disappearing_link(&word, obj); the collector clears the
 * word when obj becomes unreachable. Reading it safely is bdwgc's documented way: under the
 * allocation lock (GC_call_with_alloc_lock), test for 0, then GC_REVEAL_POINTER; otherwise the
 * collector could decide obj is dead between the read and the use.
 *
 * The same four phases as the Go peer, with the same counts and metric names:
 *  1. create: 1,000,000 objects {id, canary} (16 bytes, GC_MALLOC_ATOMIC: no pointers),
 *     allocated untimed and held by a GC_MALLOC'd array a global points at; then, timed, one
 *     link each in a GC_MALLOC_ATOMIC array of hidden pointers (store + register). create
 *     (ns per link).
 *  2. after an untimed GC_gcollect(): upgrade_hot, 100,000,000 locked reads of the same link;
 *     upgrade_walk, 10 passes over the 1,000,000 links in order. Every result used (id summed,
 *     canary compared), sums checked; each loop first runs untimed (1/100 of the hot count,
 *     one walk pass).
 *  3. clear: the global is cleared (the objects' only reference), one GC_gcollect() timed,
 *     then every link must read 0: clear_gc (ms), not_cleared (count; stacks and registers are
 *     scanned conservatively, so a stale word may keep an object).
 *  4. concurrent, 5 s: 4,096 slots (a global array of atomic entry pointers), each entry
 *     {id, hidden link} in atomic memory; even slots' objects are also held strongly (a
 *     global array), odd ones only through their link. 2 reader threads walk the set (from
 *     slots 0 and 2,048) reading each entry's link under the lock and checking the object
 *     (id and canary), a collector thread calls GC_gcollect() back to back, a replacer thread
 *     puts a new object and entry into the next slot, round and round. Every loop looks at
 *     the stop flag once per 64 operations. upgrades_per_s, bad_upgrades (must be 0),
 *     gcs_per_s, replaces_per_s.
 *
 * Processors: markers = procs (GC_MARKERS, peer_init) as in every bdwgc peer; and since this
 * program has 4 threads of its own in phase 4, it also confines itself to `procs` CPUs (the
 * first ones of its affinity mask, set before the collector starts, so marker threads inherit
 * it): the 4 threads then share `procs` CPUs as the 4 goroutines share `procs` Ps.
 *
 * Usage: w5_weak [--quick] [--seconds S]   (phase 4 lasts S seconds, default 5; --quick: 1 s,
 * 10,000,000 hot upgrades, 2 walk passes) */
#define _GNU_SOURCE
#include "peer.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

enum { kN = 1000000, kSet = 4096 /* a power of two */, kBatch = 64 };

typedef struct {
  uint64_t id, canary;
} obj;

static inline uint64_t canary(uint64_t id) { return id * 0x9E3779B97F4A7C15ULL ^ 0x5BD1E9955BD1E995ULL; }

static void oom(void) {
  fprintf(stderr, "w5: out of memory\n");
  exit(1);
}

static obj *new_obj(uint64_t id) {
  obj *o = GC_MALLOC_ATOMIC(sizeof *o);
  if (!o) oom();
  o->id = id;
  o->canary = canary(id);
  return o;
}

/* A weak pointer: a hidden pointer registered as a disappearing link. */
typedef GC_hidden_pointer weak;

static void weak_make(weak *w, obj *o) {
  *w = GC_HIDE_POINTER(o);
  if (GC_general_register_disappearing_link((void **)w, o) != GC_SUCCESS) oom();
}

static void *GC_CALLBACK reveal(void *w) {
  weak h = *(weak *)w;
  return h ? GC_REVEAL_POINTER(h) : NULL;
}

/* The object, or NULL once the collector found it dead. */
static inline obj *weak_upgrade(weak *w) { return GC_call_with_alloc_lock(reveal, w); }

typedef struct {
  double ms;
  uint64_t ops, id_sum, bad;
} upgrades;

static __attribute__((noinline)) upgrades upgrade_hot(weak *w, uint64_t id, uint64_t iters) {
  uint64_t sum = 0, bad = 0, c = canary(id);
  double start = peer_now_ms();
  for (uint64_t i = 0; i < iters; i++) {
    obj *o = weak_upgrade(w);
    if (!o) {
      bad++;
      continue;
    }
    sum += o->id;
    bad += o->canary != c;
  }
  return (upgrades){peer_now_ms() - start, iters, sum, bad};
}

static __attribute__((noinline)) upgrades upgrade_walk(weak *ws, uint64_t passes) {
  uint64_t sum = 0, bad = 0;
  double start = peer_now_ms();
  for (uint64_t p = 0; p < passes; p++)
    for (uint64_t i = 0; i < kN; i++) {
      obj *o = weak_upgrade(&ws[i]);
      if (!o) {
        bad++;
        continue;
      }
      sum += o->id;
      bad += o->canary != canary(i);
    }
  return (upgrades){peer_now_ms() - start, passes * kN, sum, bad};
}

/* Phases 1-3's roots: the objects (dropped before phase 3) and the links. */
obj **volatile objs;
weak *volatile links;

static __attribute__((noinline)) void live_phases(uint64_t hot_iters, uint64_t passes) {
  double t0 = peer_now_ms();
  objs = GC_MALLOC(kN * sizeof(obj *));
  if (!objs) oom();
  for (uint64_t i = 0; i < kN; i++) objs[i] = new_obj(i);
  links = GC_MALLOC_ATOMIC(kN * sizeof(weak));
  if (!links) oom();
  memset(links, 0, kN * sizeof(weak));
  printf("info alloc of %d objects and weak slots (untimed): %.0f ms\n", kN, peer_now_ms() - t0);

  double start = peer_now_ms();
  for (uint64_t i = 0; i < kN; i++) weak_make(&links[i], objs[i]);
  peer_metric("create", (peer_now_ms() - start) * 1e6 / kN, "ns/op");

  GC_gcollect(); /* untimed: start the upgrade loops from a finished collection */
  uint64_t mid = kN / 2;
  upgrade_hot(&links[mid], mid, hot_iters / 100); /* warm-up */
  upgrades hot = upgrade_hot(&links[mid], mid, hot_iters);
  if (hot.bad || hot.id_sum != mid * hot_iters) {
    fprintf(stderr, "w5: upgrade_hot: %lu bad upgrades of a live object\n", (unsigned long)hot.bad);
    exit(1);
  }
  upgrade_walk(links, 1); /* warm-up */
  upgrades walk = upgrade_walk(links, passes);
  if (walk.bad || walk.id_sum != (uint64_t)kN * (kN - 1) / 2 * passes) {
    fprintf(stderr, "w5: upgrade_walk: %lu bad upgrades of live objects\n", (unsigned long)walk.bad);
    exit(1);
  }
  peer_metric("upgrade_hot", hot.ms * 1e6 / (double)hot.ops, "ns/op");
  peer_metric("upgrade_walk", walk.ms * 1e6 / (double)walk.ops, "ns/op");
}

static __attribute__((noinline)) void clear_phase(void) {
  objs = NULL;
  double start = peer_now_ms();
  GC_gcollect();
  double ms = peer_now_ms() - start;
  uint64_t not_cleared = 0;
  for (uint64_t i = 0; i < kN; i++) not_cleared += weak_upgrade(&links[i]) != NULL;
  peer_metric("clear_gc", ms, "ms");
  peer_metric("not_cleared", (double)not_cleared, "count");
  if (not_cleared)
    printf("info %lu of %d weak pointers still upgrade after the clearing collection\n", (unsigned long)not_cleared,
           kN);
  links = NULL;
}

/* Phase 4. */
typedef struct {
  uint64_t id;
  weak w;
} entry;

entry *_Atomic entries[kSet];
obj *volatile strong[kSet]; /* even slots' objects; written by the replacer only */
static atomic_bool stop;

static void put(uint64_t j, uint64_t id) {
  obj *o = new_obj(id);
  entry *e = GC_MALLOC_ATOMIC(sizeof *e); /* no pointers the collector should see */
  if (!e) oom();
  e->id = id;
  weak_make(&e->w, o);
  strong[j] = j % 2 == 0 ? o : NULL;
  atomic_store_explicit(&entries[j], e, memory_order_release);
}

typedef struct {
  uint64_t start, upgrades, hits, bad;
} reader_stats;

static void *reader(void *arg) {
  reader_stats *st = arg;
  uint64_t j = st->start & (kSet - 1);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    for (int k = 0; k < kBatch; k++) {
      entry *e = atomic_load_explicit(&entries[j], memory_order_acquire);
      obj *o = weak_upgrade(&e->w);
      if (o) {
        st->hits++;
        st->bad += o->id != e->id || o->canary != canary(e->id);
      }
      j = (j + 1) & (kSet - 1);
    }
    st->upgrades += kBatch;
  }
  return NULL;
}

static void *collector(void *arg) {
  uint64_t *n = arg;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    GC_gcollect();
    ++*n;
  }
  return NULL;
}

static void *replacer(void *arg) {
  uint64_t *n = arg, id = kSet;
  while (!atomic_load_explicit(&stop, memory_order_relaxed))
    for (int k = 0; k < kBatch; k++, id++) put(id & (kSet - 1), id);
  *n = id - kSet;
  return NULL;
}

static void concurrent(double seconds) {
  for (uint64_t j = 0; j < kSet; j++) put(j, j);
  reader_stats rs[2] = {{.start = 0}, {.start = kSet / 2}};
  uint64_t collections = 0, replaced = 0;
  pthread_t th[4];
  GC_word gc0 = GC_get_gc_no();
  double start = peer_now_ms();
  for (int r = 0; r < 2; r++)
    if (pthread_create(&th[r], NULL, reader, &rs[r])) exit(1);
  if (pthread_create(&th[2], NULL, collector, &collections) || pthread_create(&th[3], NULL, replacer, &replaced))
    exit(1);
  struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  while (nanosleep(&ts, &ts)) {
  }
  atomic_store(&stop, 1);
  for (int t = 0; t < 4; t++) pthread_join(th[t], NULL);
  double secs = (peer_now_ms() - start) / 1e3;
  uint64_t ups = rs[0].upgrades + rs[1].upgrades, hits = rs[0].hits + rs[1].hits, bad = rs[0].bad + rs[1].bad;
  peer_metric("upgrades_per_s", ups / secs, "ops/s");
  peer_metric("bad_upgrades", (double)bad, "count");
  peer_metric("gcs_per_s", collections / secs, "ops/s");
  peer_metric("replaces_per_s", replaced / secs, "ops/s");
  printf("info concurrent: %.2f s, %lu upgrades (%.1f%% returned an object), %lu bad, %lu GC_gcollect calls (%lu "
         "collections in all), %lu replacements\n",
         secs, (unsigned long)ups, 100.0 * hits / (ups ? ups : 1), (unsigned long)bad, (unsigned long)collections,
         (unsigned long)(GC_get_gc_no() - gc0), (unsigned long)replaced);
  if (bad) {
    fprintf(stderr, "w5: %lu bad upgrades: a link revealed a freed or reused object\n", (unsigned long)bad);
    exit(1);
  }
}

/* Confines the process to the first GC_MARKERS CPUs of its affinity mask (see the top);
 * returns the CPU count it now has. */
static int pin_to_procs(void) {
  cpu_set_t cur, want;
  if (sched_getaffinity(0, sizeof cur, &cur)) return -1;
  const char *m = getenv("GC_MARKERS");
  int p = m ? atoi(m) : 0;
  if (p <= 0) return CPU_COUNT(&cur);
  CPU_ZERO(&want);
  for (int c = 0, k = 0; c < CPU_SETSIZE && k < p; c++)
    if (CPU_ISSET(c, &cur)) {
      CPU_SET(c, &want);
      k++;
    }
  if (sched_setaffinity(0, sizeof want, &want)) return -1;
  return CPU_COUNT(&want);
}

int main(int argc, char **argv) {
  int quick = peer_quick(argc, argv);
  uint64_t hot = quick ? 10000000 : 100000000, passes = quick ? 2 : 10;
  double seconds = quick ? 1 : 5;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "-seconds") == 0 || strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[i + 1]);
  int cpus = pin_to_procs();
  peer_init();
  peer_info_version("w5");
  printf(" cpus=%d n=%d hot=%lu walk_passes=%lu set=%d seconds=%g\n", cpus, kN, (unsigned long)hot,
         (unsigned long)passes, kSet, seconds);
  live_phases(hot, passes);
  clear_phase();
  concurrent(seconds);
  return 0;
}

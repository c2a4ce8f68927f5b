/* W3 "alloc", the bdwgc peer (Go twin: benches/peers/go/w3_alloc/main.go): 100 million
 * allocations of a 16-byte object (two pointers) in a loop that keeps only the last 1,000
 * live, each new object stored into the next slot of a ring of 1,000 roots; the same with
 * 64-byte (8 pointers) and 512-byte (64 pointers) objects, all GC_MALLOC'd (scanned).
 *
 * The rings are global arrays of volatile pointers: real roots (bdwgc scans the data
 * segment), every store kept by the compiler, and read at the end (every slot must hold an
 * object whose first field points at itself). A root array the compiler could prove unread
 * would have its stores removed and measure allocation with nothing live. Each object's first
 * field points at itself, as in the Go peer. Each size first runs 1,000,000 allocations
 * untimed (warm-up), then the measured loop.
 *
 * Metrics: alloc_16b, alloc_64b, alloc_512b in ns per allocation (loop, index update and root
 * store included; collections triggered by the loop included).
 *
 * Usage: w3_alloc [--quick] [-n N]   (N per size, default 100,000,000; --quick: 10,000,000) */
#include "peer.h"

enum { kRing = 1000, kWarmup = 1000000 };

void *volatile ring16[kRing], *volatile ring64[kRing], *volatile ring512[kRing];

/* Allocates n objects of `size` bytes into `ring`; returns the elapsed ms. */
static double alloc_loop(void *volatile *ring, size_t size, long n) {
  double start = peer_now_ms();
  int j = 0;
  for (long i = 0; i < n; i++) {
    void **o = GC_MALLOC(size); /* zeroed */
    if (!o) {
      fprintf(stderr, "w3: out of memory\n");
      exit(1);
    }
    o[0] = o;
    ring[j] = o;
    if (++j == kRing) j = 0;
  }
  return peer_now_ms() - start;
}

static void check_ring(void *volatile *ring, const char *name) {
  for (int j = 0; j < kRing; j++) {
    void **o = ring[j];
    if (!o || o[0] != (void *)o) {
      fprintf(stderr, "w3: %s ring slot %d lost its object\n", name, j);
      exit(1);
    }
  }
}

static void measure(const char *name, void *volatile *ring, size_t size, long n) {
  alloc_loop(ring, size, kWarmup);
  double ms = alloc_loop(ring, size, n);
  peer_metric(name, ms * 1e6 / (double)n, "ns/op");
}

int main(int argc, char **argv) {
  long n = peer_quick(argc, argv) ? 10000000L : 100000000L;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--n") == 0) n = atol(argv[i + 1]);
  if (n < kRing) {
    fprintf(stderr, "w3: n must be at least the ring size %d\n", kRing);
    return 2;
  }
  peer_init();
  peer_info_version("w3");
  printf(" n=%ld ring=%d\n", n, kRing);
  GC_word gc0 = GC_get_gc_no();

  measure("alloc_16b", ring16, 16, n);
  measure("alloc_64b", ring64, 64, n);
  measure("alloc_512b", ring512, 512, n);
  check_ring(ring16, "16-byte");
  check_ring(ring64, "64-byte");
  check_ring(ring512, "512-byte");
  printf("info gc_count=%lu\n", (unsigned long)(GC_get_gc_no() - gc0));
  return 0;
}

/* W7 "mark", the bdwgc peer (Go twin: benches/peers/go/w7_mark/main.go, which describes the
 * two heap shapes): 256 MiB live of 4-pointer nodes (32 bytes each, GC_MALLOC'd), then 5
 * explicit full collections (GC_gcollect: stop the world, mark with GC_MARKERS threads,
 * reclaim) timed; reported as MB (10^6 bytes) of live nodes marked per second.
 *
 *   - random: links 0 and 1 form a binary tree over a random permutation of the nodes (tree
 *     position t has its children at 2t+1 and 2t+2), links 2 and 3 point to uniformly random
 *     nodes.
 *   - local: links 0 and 1 form a binary tree in pre-order allocation order, links 2 and 3
 *     point to a random node within 32 nodes either side in allocation order.
 *
 * The same xorshift64* generator and seed as the Go peer, so both build the same graph. While
 * linking, the nodes are held by an uncollectable (scanned, never collected) array, freed
 * before the timing; afterwards the tree's root, in the volatile global `root`, is the only
 * root. After the timing the tree is walked and its nodes counted.
 *
 * mark_rate = the nodes' bytes (nodes * 32, the same figure on every side) * 5 / time of the
 * 5 collections. live_<shape> is the live heap as the collector sees it after a collection:
 * heap size minus free and unmapped bytes (GC_get_heap_usage_safe). It is about 1.5 times the
 * nodes' bytes: with bdwgc's default all-interior-pointers mode every object gets one extra
 * byte at its end, so a 32-byte request takes a 48-byte slot (and the marker scans it).
 * Metrics per shape: mark_rate_<shape> (MB/s), gc_<shape> (ms per collection), live_<shape>
 * (MB, as measured).
 *
 * Usage: w7_mark [--quick] [--mib M]   (M MiB of nodes, default 256; --quick: 32) */
#include <stdint.h>

#include "peer.h"

enum { kCollections = 5, kNodeSize = 32, kWindow = 32 };
static const uint64_t kSeed = 0x9E3779B97F4A7C15ULL;

typedef struct Node Node;
struct Node {
  Node *link[4];
};

Node *volatile root; /* the graph's only root once it is built */

static uint64_t rng_x;

/* xorshift64* (Vigna), as in the Go peer. */
static uint64_t rng_next(void) {
  rng_x ^= rng_x >> 12;
  rng_x ^= rng_x << 25;
  rng_x ^= rng_x >> 27;
  return rng_x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rng_below(uint64_t n) { return rng_next() % n; }

static void *xalloc(void *p) {
  if (!p) {
    fprintf(stderr, "w7: out of memory\n");
    exit(1);
  }
  return p;
}

static Node **alloc_nodes(long n) {
  Node **nodes = xalloc(GC_MALLOC_UNCOLLECTABLE(sizeof(Node *) * (size_t)n));
  for (long i = 0; i < n; i++) nodes[i] = xalloc(GC_MALLOC(sizeof(Node)));
  return nodes;
}

static Node *build_random(Node **nodes, long n) {
  uint32_t *perm = xalloc(malloc(sizeof(uint32_t) * (size_t)n));
  for (long i = 0; i < n; i++) perm[i] = (uint32_t)i;
  for (long i = n - 1; i > 0; i--) {
    long j = (long)rng_below((uint64_t)i + 1);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (long t = 0; t < n; t++) {
    Node *node = nodes[perm[t]];
    if (2 * t + 1 < n) node->link[0] = nodes[perm[2 * t + 1]];
    if (2 * t + 2 < n) node->link[1] = nodes[perm[2 * t + 2]];
  }
  for (long i = 0; i < n; i++) {
    nodes[i]->link[2] = nodes[rng_below((uint64_t)n)];
    nodes[i]->link[3] = nodes[rng_below((uint64_t)n)];
  }
  Node *r = nodes[perm[0]];
  free(perm);
  return r;
}

/* nodes[lo] becomes the root of a tree of size n laid out in pre-order. */
static void link_preorder(Node **nodes, long lo, long n) {
  long left = (n - 1) / 2, right = n - 1 - left;
  if (left > 0) {
    nodes[lo]->link[0] = nodes[lo + 1];
    link_preorder(nodes, lo + 1, left);
  }
  if (right > 0) {
    nodes[lo]->link[1] = nodes[lo + 1 + left];
    link_preorder(nodes, lo + 1 + left, right);
  }
}

static Node *build_local(Node **nodes, long n) {
  link_preorder(nodes, 0, n);
  for (long i = 0; i < n; i++)
    for (int k = 2; k < 4; k++) {
      long off = (long)rng_below(2 * kWindow + 1) - kWindow;
      nodes[i]->link[k] = nodes[((i + off) % n + n) % n];
    }
  return nodes[0];
}

static long count_tree(const Node *r) {
  if (!r) return 0;
  return 1 + count_tree(r->link[0]) + count_tree(r->link[1]);
}

static size_t live_bytes(void) {
  GC_word heap, free_bytes, unmapped, since_gc, total;
  GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since_gc, &total);
  return (size_t)(heap - free_bytes - unmapped);
}

static void measure(const char *shape, long n, Node *(*build)(Node **, long)) {
  rng_x = kSeed;
  double t0 = peer_now_ms();
  Node **nodes = alloc_nodes(n);
  root = build(nodes, n);
  GC_FREE(nodes);
  nodes = NULL;
  printf("info %s: built %ld nodes in %.0f ms\n", shape, n, peer_now_ms() - t0);

  GC_gcollect(); /* settles the heap: the graph is all that is left */
  GC_gcollect();
  size_t live = live_bytes();

  double start = peer_now_ms();
  for (int i = 0; i < kCollections; i++) GC_gcollect();
  double elapsed = peer_now_ms() - start;

  long got = count_tree(root);
  if (got != n) {
    fprintf(stderr, "w7 %s: the tree has %ld nodes after the collections, want %ld\n", shape, got, n);
    exit(1);
  }
  double nodes_mb = (double)n * kNodeSize / 1e6;
  printf("info %s: live %zu bytes (nodes alone: %ld), %d collections in %.0f ms\n", shape, live,
         n * kNodeSize, kCollections, elapsed);
  char name[64];
  snprintf(name, sizeof name, "mark_rate_%s", shape);
  peer_metric(name, nodes_mb * kCollections / (elapsed / 1e3), "MB/s");
  snprintf(name, sizeof name, "gc_%s", shape);
  peer_metric(name, elapsed / kCollections, "ms");
  snprintf(name, sizeof name, "live_%s", shape);
  peer_metric(name, (double)live / 1e6, "MB");
  root = NULL;
}

int main(int argc, char **argv) {
  long mib = peer_quick(argc, argv) ? 32 : 256;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--mib") == 0 || strcmp(argv[i], "-mib") == 0) mib = atol(argv[i + 1]);
  long n = (mib << 20) / kNodeSize;
  peer_init();
  peer_info_version("w7");
  printf(" mib=%ld nodes=%ld collections=%d\n", mib, n, kCollections);
  measure("random", n, build_random);
  GC_gcollect();
  measure("local", n, build_local);
  return 0;
}

/* W1 "GCBench", the bdwgc peer (Go twin: benches/peers/go/w1_gcbench/main.go): Hans Boehm's
 * GCBench. A temporary stretch tree of depth 18; a long-lived tree of depth 16 and an array of
 * 500,000 doubles kept live to the end; then for depths d = 4, 6, ..., 16,
 * NumIters(d) = 2*TreeSize(18)/TreeSize(d) temporary trees built top-down (Populate: parent
 * first, then children stored into it) and as many bottom-up (MakeTree: children first),
 * TreeSize(i) = 2^(i+1) - 1.
 *
 * Nodes are GC_MALLOC'd (two pointers and two ints, 24 bytes, as in the original), the array
 * GC_MALLOC_ATOMIC'd (no pointers, not scanned). Each temporary tree is held by the volatile
 * global temp_tree while it is built: a real root the compiler must keep storing to, as the
 * original's local variable is in Java and the Go peer's package-level root.
 *
 * Metrics: total (ms, everything after GC_INIT), peak_rss (VmHWM, KiB), gc_count (collections,
 * GC_get_gc_no minus its value at the start). --quick is accepted and changes nothing. */
#include "peer.h"

enum { kStretchTreeDepth = 18, kLongLivedTreeDepth = 16, kArraySize = 500000, kMinTreeDepth = 4, kMaxTreeDepth = 16 };

typedef struct Node Node;
struct Node {
  Node *left, *right;
  int i, j;
};

Node *volatile temp_tree; /* the root of the temporary tree being built */

static int tree_size(int i) { return (1 << (i + 1)) - 1; }

static int num_iters(int i) { return 2 * tree_size(kStretchTreeDepth) / tree_size(i); }

static Node *new_node(Node *l, Node *r) {
  Node *n = GC_MALLOC(sizeof(Node)); /* zeroed */
  if (!n) {
    fprintf(stderr, "w1: out of memory\n");
    exit(1);
  }
  n->left = l;
  n->right = r;
  return n;
}

/* Top-down: the node exists first, its children are stored into it. */
static void populate(int depth, Node *n) {
  if (depth <= 0) return;
  depth--;
  n->left = new_node(NULL, NULL);
  n->right = new_node(NULL, NULL);
  populate(depth, n->left);
  populate(depth, n->right);
}

/* Bottom-up: children first, then the parent pointing at them. */
static Node *make_tree(int depth) {
  if (depth <= 0) return new_node(NULL, NULL);
  Node *left = make_tree(depth - 1);
  Node *right = make_tree(depth - 1);
  return new_node(left, right);
}

static void time_construction(int depth) {
  int iters = num_iters(depth);
  printf("info creating %d trees of depth %d\n", iters, depth);

  double start = peer_now_ms();
  for (int i = 0; i < iters; i++) {
    temp_tree = new_node(NULL, NULL);
    populate(depth, temp_tree);
    temp_tree = NULL;
  }
  printf("info top-down construction took %.0f ms\n", peer_now_ms() - start);

  start = peer_now_ms();
  for (int i = 0; i < iters; i++) {
    temp_tree = make_tree(depth);
    temp_tree = NULL;
  }
  printf("info bottom-up construction took %.0f ms\n", peer_now_ms() - start);
}

int main(int argc, char **argv) {
  (void)peer_quick(argc, argv); /* W1 is small enough to smoke-test at full size */
  peer_init();
  peer_info_version("w1");
  printf(" stretch=%d long_lived=%d depths=%d..%d array=%d\n", kStretchTreeDepth, kLongLivedTreeDepth,
         kMinTreeDepth, kMaxTreeDepth, kArraySize);
  GC_word gc0 = GC_get_gc_no();

  double start = peer_now_ms();

  printf("info stretching memory with a binary tree of depth %d\n", kStretchTreeDepth);
  temp_tree = make_tree(kStretchTreeDepth);
  temp_tree = NULL;

  printf("info creating a long-lived binary tree of depth %d\n", kLongLivedTreeDepth);
  Node *volatile long_lived = new_node(NULL, NULL);
  populate(kLongLivedTreeDepth, long_lived);

  printf("info creating a long-lived array of %d doubles\n", kArraySize);
  double *volatile array = GC_MALLOC_ATOMIC(sizeof(double) * kArraySize);
  if (!array) {
    fprintf(stderr, "w1: out of memory\n");
    return 1;
  }
  for (int i = 0; i < kArraySize / 2; i++) array[i] = 1.0 / i;

  for (int d = kMinTreeDepth; d <= kMaxTreeDepth; d += 2) time_construction(d);

  if (long_lived == NULL || array[1000] != 1.0 / 1000) {
    fprintf(stderr, "w1: failed: the long-lived data did not survive\n");
    return 1;
  }
  double elapsed = peer_now_ms() - start;
  GC_word gcs = GC_get_gc_no() - gc0;

  printf("info completed in %.0f ms\n", elapsed);
  peer_metric("total", elapsed, "ms");
  peer_peak_rss();
  peer_metric("gc_count", (double)gcs, "GCs");
  return 0;
}

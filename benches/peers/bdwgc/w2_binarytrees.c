/* W2 "binary-trees", the bdwgc peer (Go twin: benches/peers/go/w2_binarytrees/main.go): the
 * Benchmarks Game program, single-threaded version. maxDepth = max(6, N); a stretch tree of
 * depth maxDepth+1 is built, checked and dropped; a long-lived tree of depth maxDepth is kept;
 * then for depth = 4, 6, ..., maxDepth, 2^(maxDepth-depth+4) trees of that depth are built and
 * checked one after another; finally the long-lived tree is checked. A tree of depth 0 is one
 * node; check counts the nodes. Nodes are two pointers (16 bytes), GC_MALLOC'd.
 *
 * Every tree is read (checked) after it is built, so no store can be dropped; the long-lived
 * tree sits in a volatile local, a root on the stack until its check at the end.
 *
 * The standard output lines are the correctness check (run.sh compares them with
 * benches/peers/expected/w2_binarytrees-<N>.txt), then the metrics: total (ms, from the
 * stretch tree to the last line) and peak_rss (VmHWM, KiB).
 *
 * Usage: w2_binarytrees [--quick] [N]   (N defaults to 21, W2's size; --quick is N = 16) */
#include "peer.h"

enum { kMinDepth = 4 };

typedef struct Node Node;
struct Node {
  Node *left, *right;
};

static Node *new_node(Node *left, Node *right) {
  Node *n = GC_MALLOC(sizeof(Node)); /* zeroed */
  if (!n) {
    fprintf(stderr, "w2: out of memory\n");
    exit(1);
  }
  n->left = left;
  n->right = right;
  return n;
}

/* Children first, then the parent, as Go's &Node{bottomUpTree(d), bottomUpTree(d)}. */
static Node *bottom_up_tree(int depth) {
  if (depth <= 0) return new_node(NULL, NULL);
  depth--;
  Node *left = bottom_up_tree(depth);
  Node *right = bottom_up_tree(depth);
  return new_node(left, right);
}

static long item_check(const Node *n) {
  if (n->left == NULL) return 1;
  return 1 + item_check(n->left) + item_check(n->right);
}

int main(int argc, char **argv) {
  int n = peer_quick(argc, argv) ? 16 : 21;
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-') n = atoi(argv[i]);
  peer_init();
  peer_info_version("w2");
  printf(" n=%d\n", n);

  double start = peer_now_ms();
  int max_depth = n > kMinDepth + 2 ? n : kMinDepth + 2;
  int stretch_depth = max_depth + 1;

  printf("stretch tree of depth %d\t check: %ld\n", stretch_depth, item_check(bottom_up_tree(stretch_depth)));

  Node *volatile long_lived = bottom_up_tree(max_depth);

  for (int depth = kMinDepth; depth <= max_depth; depth += 2) {
    long iterations = 1L << (max_depth - depth + kMinDepth);
    long check = 0;
    for (long i = 1; i <= iterations; i++) check += item_check(bottom_up_tree(depth));
    printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
  }
  printf("long lived tree of depth %d\t check: %ld\n", max_depth, item_check(long_lived));
  double elapsed = peer_now_ms() - start;

  peer_metric("total", elapsed, "ms");
  peer_peak_rss();
  return 0;
}

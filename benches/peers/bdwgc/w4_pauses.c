/* W4 "pauses", the bdwgc peer (Go twin: benches/peers/go/w4_pauses; Tricolor side:
 * benches/src/w4.rs): about 1 GiB of 32-byte two-pointer nodes in complete binary trees of
 * depth 14 (1 MiB each), then for 10 s replace random depth-10 subtrees (64 KiB) with fresh
 * ones while the collector runs. bdwgc stops the world for each whole collection (parallel
 * markers, no incremental mode): a pause is the time from GC_EVENT_PRE_STOP_WORLD to
 * GC_EVENT_POST_START_WORLD, recorded exactly; p99 is over the replacement phase's pauses.
 *
 * Usage: w4_pauses [--quick] [--mib M] [--secs S] (default 1024 MiB, 10 s; quick: 64 MiB, 2 s) */
#include "peer.h"

enum { DEPTH = 14, SUB_DEPTH = 10, MAX_PAUSES = 1 << 16 };

typedef struct Node {
  struct Node *left, *right;
  long v, pad;
} Node;

static Node *build(int d) {
  Node *n = GC_MALLOC(sizeof(Node));
  n->v = d;
  if (d > 0) {
    n->left = build(d - 1);
    n->right = build(d - 1);
  }
  return n;
}

static long count(Node *n) { return n ? 1 + count(n->left) + count(n->right) : 0; }

static double stop_at, pauses[MAX_PAUSES];
static int npauses, recording;

static void on_event(GC_EventType e) {
  if (e == GC_EVENT_PRE_STOP_WORLD) stop_at = peer_now_ms();
  if (e == GC_EVENT_POST_START_WORLD && recording && npauses < MAX_PAUSES) pauses[npauses++] = peer_now_ms() - stop_at;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static unsigned long long rng = 0x9E3779B97F4A7C15ull;
static unsigned long long next(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1Dull;
}

int main(int argc, char **argv) {
  long mib = 1024;
  double secs = 10;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick") || !strcmp(argv[i], "-quick")) mib = 64, secs = 2;
    else if (!strcmp(argv[i], "--mib") && i + 1 < argc) mib = atol(argv[++i]);
    else if (!strcmp(argv[i], "--secs") && i + 1 < argc) secs = atof(argv[++i]);
  }
  peer_init();
  GC_set_on_collection_event(on_event);
  peer_info_version("w4");
  printf(" mib=%ld secs=%g\n", mib, secs);
  Node **trees = GC_MALLOC(mib * sizeof(Node *));
  double t0 = peer_now_ms();
  for (long i = 0; i < mib; i++) trees[i] = build(DEPTH);
  printf("info built %ld trees in %.0f ms\n", mib, peer_now_ms() - t0);
  GC_gcollect();
  long gc0 = (long)GC_get_gc_no();
  recording = 1;
  long ops = 0;
  double worst = 0, start = peer_now_ms();
  while (peer_now_ms() - start < secs * 1e3) {
    double t = peer_now_ms();
    unsigned long long r = next();
    Node *n = trees[r % (unsigned long long)mib];
    for (int level = 0; level < DEPTH - SUB_DEPTH - 1; level++) n = ((r >> (20 + level)) & 1) == 0 ? n->left : n->right;
    Node *fresh = build(SUB_DEPTH);
    if (((r >> 40) & 1) == 0) n->left = fresh;
    else n->right = fresh;
    double d = peer_now_ms() - t;
    if (d > worst) worst = d;
    ops++;
  }
  double elapsed = peer_now_ms() - start;
  recording = 0;
  long gcs = (long)GC_get_gc_no() - gc0;
  long want = (1L << (DEPTH + 1)) - 1;
  for (long i = 0; i < mib; i++)
    if (count(trees[i]) != want) {
      fprintf(stderr, "w4: a tree lost nodes\n");
      return 1;
    }
  qsort(pauses, npauses, sizeof pauses[0], cmp);
  double maxp = npauses ? pauses[npauses - 1] : 0;
  int k = npauses ? (int)((0.99 * npauses) + 0.999999) - 1 : 0;
  double p99 = npauses ? pauses[k < 0 ? 0 : k] : 0;
  printf("info %d pauses in the replacement phase\n", npauses);
  peer_metric("gc_count", (double)gcs, "count");
  peer_metric("max_pause", maxp, "ms");
  peer_metric("p99_pause", p99, "ms");
  peer_metric("worst_stall", worst, "ms");
  peer_metric("ops", ops / (elapsed / 1e3), "ops/s");
  peer_peak_rss();
  return 0;
}

/* What every bdwgc peer program shares: collector start-up with the marker count run.sh asks
 * for, the `procs <n>` line, `metric <name> <value> <unit>` lines (the format of
 * benches/src/report.rs), a monotonic clock and the peak resident set size.
 *
 * Processors: bdwgc's only parallelism is its marker threads (allocation and sweeping run on
 * the mutator's thread). run.sh sets GC_MARKERS=<procs>, which bdwgc reads at GC_INIT; the
 * marker threads only start when a program creates a thread or calls GC_start_mark_threads,
 * so peer_init calls it, and `procs` reports the markers actually running (GC_get_parallel()
 * is the count minus the initiating thread). GC_MARKERS=1 means no marker threads. */
#ifndef TRICOLOR_PEER_H
#define TRICOLOR_PEER_H

#define GC_THREADS /* for GC_start_mark_threads and GC_get_parallel */
#include <gc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline void peer_init(void) {
  GC_INIT();
  GC_start_mark_threads();
  printf("procs %d\n", GC_get_parallel() + 1);
}

static inline void peer_info_version(const char *workload) {
  unsigned v = GC_get_version();
  printf("info %s bdwgc %u.%u.%u markers=%d", workload, v >> 16, (v >> 8) & 0xff, v & 0xff,
         GC_get_parallel() + 1);
}

static inline double peer_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline void peer_metric(const char *name, double value, const char *unit) {
  printf("metric %s %.2f %s\n", name, value, unit);
}

/* VmHWM from /proc/self/status in KiB (0 if unreadable). */
static inline long peer_peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtol(line + 6, NULL, 10);
      break;
    }
  fclose(f);
  return kib;
}

static inline void peer_peak_rss(void) { peer_metric("peak_rss", (double)peer_peak_rss_kib(), "KiB"); }

/* True if argv holds --quick (or -quick, as Go's flag package spells it). */
static inline int peer_quick(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--quick") == 0 || strcmp(argv[i], "-quick") == 0) return 1;
  return 0;
}

#endif

//! The page allocator: free runs of pages inside the heap reservation, first-fit by lowest
//! address, with coalescing and scavenging bookkeeping (reference §1.3 `mheap`/`pageAlloc`).
//! Only the bookkeeping lives here: pages are numbers (address / `PAGE_SIZE` inside the
//! reservation); committing, zeroing and `madvise` are the caller's (`os.rs` via the heap), and
//! spans are `span.rs`'s. Single-threaded: the caller holds the heap lock for every call.
//!
//! # Page states
//!
//! | state | how it is entered | memory | who may leave it |
//! |---|---|---|---|
//! | not grown | — | reserved only, not ours | `grow` → free scavenged |
//! | free, scavenged | `grow`, `scavenge` | released: reads as zero, re-commit before use | `alloc` |
//! | free, dirty (epoch) | `free` | committed, may hold old data | `alloc`, `scavenge` |
//! | in use | `alloc` | the caller's | `free` → free dirty |
//!
//! Freshly grown pages count as scavenged (as in Go's `mheap.grow`): they are clean and not yet
//! backed, so `alloc` reports them in `PageRun::scavenged` and the caller commits them exactly as
//! it re-commits released pages. Scavenged pages are always clean; only dirty pages make
//! `needs_zero` true.
//!
//! # Representation and invariants
//!
//! Two views of the same free pages:
//! - `segs`, by start page: *segments*, maximal free ranges of one kind (scavenged or dirty).
//!   Invariant S1: segments are non-empty and disjoint. Invariant S2: two touching segments
//!   differ in kind (touching dirty segments merge, keeping the later epoch; touching scavenged
//!   segments merge), so along a free range the kinds alternate.
//! - `extents`, a treap by start page: *extents*, maximal free ranges regardless of kind.
//!   Invariant E1: the extents are exactly the unions of chains of touching segments (so they
//!   never touch each other), and every tree node knows the longest extent in its subtree.
//!
//! `alloc` searches extents (so it finds contiguous space across segments of different kinds)
//! and then consumes the segments tiling the front of the chosen extent, which gives the exact
//! scavenged count. Invariant C1: `free_pages`, `scavenged_pages` and `total_pages` equal the
//! sums over segments, scavenged segments and grown ranges. `check_invariants` checks them all;
//! every mutation `debug_assert`s S1/S2 around the place it touched.
//!
//! A dirty segment's epoch is the latest epoch of any free merged into it, even after part of
//! it is allocated: scavenging is conservative (a page may be kept longer than asked, never
//! released sooner than `older_than_epoch` allows).
//!
//! # Complexity (R = number of free segments, at least the number of free extents)
//!
//! `grow`, `free`: O(log R). `alloc`: one O(log R) walk down the treap finds and shrinks the
//! extent, plus O(log R) per segment consumed; each consumed segment was created by an earlier
//! `grow`/`free`/`scavenge` (at most two each), so amortised O(log R). Treap bounds are
//! expected ones: priorities come from a fixed xorshift sequence, independent of the requests.
//! `scavenge`: O(log R) per segment visited, walking down from the highest address and skipping
//! ineligible ones, so O(R log R) worst case; it is the background scavenger's cold path,
//! bounded by `max_pages` in pages released, not in visits. Measured (release, about 1,500
//! fragmented segments, 1-8 page requests, best of 5 on a shared 2-core machine): alloc
//! ≈ 210 ns, free ≈ 340 ns (test `timing`).

use super::extents::ExtentTree;
use std::cmp::{max, min};
use std::collections::BTreeMap;

/// A run handed out by [`PageAlloc::alloc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRun {
    /// First page of the run.
    pub start: usize,
    /// Length in pages.
    pub npages: usize,
    /// Some page of the run may hold old data (was freed and not scavenged since). When false,
    /// every page reads as zero once committed.
    pub needs_zero: bool,
    /// How many pages of the run are scavenged (released or never committed): the caller must
    /// commit them before use. They read as zero.
    pub scavenged: usize,
}

/// Kind of a free segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Released to the OS or never used since `grow`: clean; the caller re-commits on alloc.
    Scavenged,
    /// Committed, may hold old data; `epoch` is the latest free epoch merged into it.
    Dirty { epoch: u64 },
}

/// A maximal free range of one kind (invariants S1, S2).
#[derive(Clone, Copy, Debug)]
struct Seg {
    npages: usize,
    kind: Kind,
}

/// The free pages of the heap. See the module doc for states, invariants and complexity.
///
/// Protection: every field is reached through `&mut PageAlloc`, i.e. under the heap lock.
#[derive(Debug, Default)]
pub struct PageAlloc {
    /// Free segments by start page (S1, S2).
    segs: BTreeMap<usize, Seg>,
    /// Free extents, first-fit searchable (E1).
    extents: ExtentTree,
    /// Grown ranges by start page, coalesced; read only by checks.
    grown: BTreeMap<usize, usize>,
    /// Σ segment lengths (C1).
    free_pages: usize,
    /// Σ scavenged segment lengths (C1).
    scavenged_pages: usize,
    /// Σ grown lengths (C1).
    total_pages: usize,
}

impl PageAlloc {
    /// An allocator with no pages.
    pub fn new() -> PageAlloc {
        PageAlloc::default()
    }

    /// Pages `[start, start + npages)` become part of the heap: free, clean and scavenged (not
    /// yet backed; `alloc` reports them in `scavenged`). They coalesce with free pages of
    /// touching grown ranges, so the caller must give page numbers whose neighbours are
    /// neighbours in memory (numbers inside one reservation).
    ///
    /// Panics if `npages` is 0 or the range overlaps pages already grown.
    pub fn grow(&mut self, start: usize, npages: usize) {
        assert!(npages > 0, "pages: grow of 0 pages at {start}");
        let end = start + npages;
        let (mut s, mut e) = (start, end);
        if let Some((&ps, &pn)) = self.grown.range(..=start).next_back() {
            assert!(ps + pn <= start, "pages: grow [{start}, {end}) overlaps grown [{ps}, {})", ps + pn);
            if ps + pn == start {
                self.grown.remove(&ps);
                s = ps;
            }
        }
        if let Some((&ns, &nn)) = self.grown.range(start..).next() {
            assert!(ns >= end, "pages: grow [{start}, {end}) overlaps grown [{ns}, {})", ns + nn);
            if ns == end {
                self.grown.remove(&ns);
                e = ns + nn;
            }
        }
        self.grown.insert(s, e - s);
        self.total_pages += npages;
        self.insert_free(start, npages, Kind::Scavenged);
    }

    /// Allocates `npages` contiguous pages at the lowest address where they fit (first fit,
    /// address-ordered like Go, to keep the heap compact). Returns `None` when no free range
    /// is long enough (the caller grows the heap and retries). The run reports whether any
    /// page may be dirty (`needs_zero`) and exactly how many pages are scavenged.
    ///
    /// Panics if `npages` is 0.
    ///
    /// 1. Find the lowest extent with at least `npages` pages.
    /// 2. Shrink it from the front (or remove it).
    /// 3. Consume the segments tiling `[start, start + npages)`, counting kinds; the last one may
    ///    be split, its remainder keeping its kind.
    pub fn alloc(&mut self, npages: usize) -> Option<PageRun> {
        assert!(npages > 0, "pages: alloc of 0 pages");
        // Steps 1 and 2, in one walk down the extent tree.
        let start = self.extents.take_first_fit(npages)?;
        // Step 3: by E1 the extent is tiled by segments, the first starting at `start`.
        let end = start + npages;
        let (mut at, mut scavenged, mut needs_zero) = (start, 0, false);
        while at < end {
            let seg = self.segs.remove(&at).expect("pages: extent not tiled by segments");
            let take = min(seg.npages, end - at);
            match seg.kind {
                Kind::Scavenged => scavenged += take,
                Kind::Dirty { .. } => needs_zero = true,
            }
            if take < seg.npages {
                self.segs.insert(at + take, Seg { npages: seg.npages - take, kind: seg.kind });
            }
            at += take;
        }
        self.free_pages -= npages;
        self.scavenged_pages -= scavenged;
        self.debug_check_around(start, end);
        Some(PageRun { start, npages, needs_zero, scavenged })
    }

    /// Returns pages `[start, start + npages)` to the free set as dirty (they hold old data),
    /// coalescing with free neighbours. `epoch` is the caller's clock now (the heap uses
    /// milliseconds since the collector started, `scavenger::now_ms`); `scavenge`
    /// leaves these pages alone until asked for pages freed at or before it.
    ///
    /// Panics if `npages` is 0 or any page is already free (a double free). In debug builds,
    /// also if a page was never grown.
    pub fn free(&mut self, start: usize, npages: usize, epoch: u64) {
        assert!(npages > 0, "pages: free of 0 pages at {start}");
        debug_assert!(
            self.grown.range(..=start).next_back().is_some_and(|(&s, &n)| start + npages <= s + n),
            "pages: free [{start}, {}) outside the grown heap",
            start + npages
        );
        self.insert_free(start, npages, Kind::Dirty { epoch });
    }

    /// Picks free dirty pages freed at or before `older_than_epoch`, up to `max_pages` in
    /// total, highest addresses first (first fit allocates low, so high pages are the least
    /// likely to be reused soon), marks them scavenged and returns the ranges
    /// `(start, npages)` in descending address order.
    ///
    /// The caller must release them (`madvise(MADV_DONTNEED)`) before anyone next allocates
    /// from this allocator, i.e. under the same hold of the heap lock: from now on they are
    /// reported as scavenged, hence clean. Releasing after unlocking races with `alloc`, which
    /// could hand the pages out with `needs_zero == false` while they still hold old data, and
    /// the late `madvise` would then wipe the new owner's writes. (`MADV_FREE`, which may keep
    /// old data, would not do either.)
    pub fn scavenge(&mut self, older_than_epoch: u64, max_pages: usize) -> Vec<(usize, usize)> {
        let mut released = Vec::new();
        let (mut budget, mut upper) = (max_pages, usize::MAX);
        while budget > 0 {
            let Some((&s, &seg)) = self.segs.range(..upper).next_back() else { break };
            upper = s;
            let Kind::Dirty { epoch } = seg.kind else { continue };
            if epoch > older_than_epoch {
                continue;
            }
            // Release the top `take` pages of the segment; by S2 its touching neighbours are
            // scavenged, so the released part merges with them.
            let (end, take) = (s + seg.npages, min(budget, seg.npages));
            let (mut ns, mut ne) = (end - take, end);
            if take < seg.npages {
                self.segs.insert(s, Seg { npages: seg.npages - take, kind: seg.kind });
            } else {
                self.segs.remove(&s);
                if let Some((&ps, &p)) = self.segs.range(..s).next_back() {
                    if ps + p.npages == s {
                        debug_assert_eq!(p.kind, Kind::Scavenged, "pages: S2 broken below {s}");
                        self.segs.remove(&ps);
                        ns = ps;
                    }
                }
            }
            if let Some(next) = self.segs.get(&end).copied() {
                debug_assert_eq!(next.kind, Kind::Scavenged, "pages: S2 broken at {end}");
                self.segs.remove(&end);
                ne = end + next.npages;
            }
            self.segs.insert(ns, Seg { npages: ne - ns, kind: Kind::Scavenged });
            self.scavenged_pages += take;
            budget -= take;
            released.push((end - take, take));
            self.debug_check_around(ns, ne);
        }
        released
    }

    /// The oldest epoch of any free dirty (not yet released) segment, if there is one.
    pub fn oldest_dirty(&self) -> Option<u64> {
        self.segs
            .values()
            .filter_map(|seg| match seg.kind {
                Kind::Dirty { epoch } => Some(epoch),
                _ => None,
            })
            .min()
    }

    /// Free pages, scavenged or not.
    pub fn free_pages(&self) -> usize {
        self.free_pages
    }

    /// Free pages currently released to the OS (including grown pages never used).
    pub fn scavenged_pages(&self) -> usize {
        self.scavenged_pages
    }

    /// Every page ever grown.
    pub fn total_pages(&self) -> usize {
        self.total_pages
    }

    /// Makes `[start, start + npages)` free with `kind` (shared by `grow` and `free`).
    ///
    /// 1. Check the neighbouring segments do not overlap the range (double free).
    /// 2. Insert the segment, merging with touching segments of the same kind (S2).
    /// 3. Insert the extent, merging with the extents ending at `start` and starting at `end`.
    fn insert_free(&mut self, start: usize, npages: usize, kind: Kind) {
        let end = start + npages;
        // Step 1.
        let prev = self.segs.range(..start).next_back().map(|(&s, &g)| (s, g));
        let next = self.segs.range(start..).next().map(|(&s, &g)| (s, g));
        if let Some((ps, p)) = prev {
            let pe = ps + p.npages;
            assert!(pe <= start, "pages: [{start}, {end}) overlaps free [{ps}, {pe})");
        }
        if let Some((ns, n)) = next {
            assert!(ns >= end, "pages: [{start}, {end}) overlaps free [{ns}, {})", ns + n.npages);
        }
        let touches_prev = prev.is_some_and(|(ps, p)| ps + p.npages == start);
        let touches_next = next.is_some_and(|(ns, _)| ns == end);
        // Step 2.
        let (mut s, mut e, mut k) = (start, end, kind);
        if let Some((ps, p)) = prev.filter(|_| touches_prev) {
            if let Some(merged) = merge_kinds(p.kind, k) {
                self.segs.remove(&ps);
                (s, k) = (ps, merged);
            }
        }
        if let Some((ns, n)) = next.filter(|_| touches_next) {
            if let Some(merged) = merge_kinds(k, n.kind) {
                self.segs.remove(&ns);
                (e, k) = (ns + n.npages, merged);
            }
        }
        self.segs.insert(s, Seg { npages: e - s, kind: k });
        // Step 3. Extents never touch (E1), so a touching segment belongs to the extent that
        // ends exactly at `start` (the predecessor) or starts exactly at `end`.
        match (touches_prev, touches_next) {
            (false, false) => self.extents.insert(start, npages),
            (false, true) => {
                let after = self.extents.get(end).expect("pages: E1 broken: no extent after");
                self.extents.extend(end, start, npages + after);
            }
            (true, _) => {
                let after = if touches_next { self.extents.remove(end) } else { 0 };
                let (ps, pn) = self.extents.pred(start).expect("pages: E1 broken: no extent before");
                debug_assert_eq!(ps + pn, start, "pages: E1 broken: extent does not end at {start}");
                self.extents.extend(ps, ps, pn + npages + after);
            }
        }
        self.free_pages += npages;
        if kind == Kind::Scavenged {
            self.scavenged_pages += npages;
        }
        self.debug_check_around(start, end);
    }

    /// Debug builds: S1/S2 among the segments around `[lo, hi)`, and counter sanity.
    fn debug_check_around(&self, lo: usize, hi: usize) {
        if !cfg!(debug_assertions) {
            return;
        }
        let from = self.segs.range(..lo).next_back().map_or(0, |(&s, _)| s);
        let mut last: Option<(usize, Seg)> = None;
        for (&s, &g) in self.segs.range(from..).take_while(|(&s, _)| s <= hi) {
            assert!(g.npages > 0, "pages: S1 broken: empty segment at {s}");
            if let Some((ls, l)) = last {
                assert!(ls + l.npages <= s, "pages: S1 broken: [{ls}, +{}) overlaps {s}", l.npages);
                let apart = ls + l.npages < s || merge_kinds(l.kind, g.kind).is_none();
                assert!(apart, "pages: S2 broken: unmerged segments at {s}");
            }
            last = Some((s, g));
        }
        let (scav, free, total) = (self.scavenged_pages, self.free_pages, self.total_pages);
        let ok = scav <= free && free <= total;
        assert!(ok, "pages: C1 broken: {scav} scavenged, {free} free, {total} total");
    }

    /// Checks every invariant (S1, S2, E1, C1, segments inside grown ranges, treap shape) in
    /// O(R + G); panics with the broken invariant's name and the values seen.
    pub fn check_invariants(&self) {
        let (mut free, mut scav, mut extents) = (0, 0, Vec::<(usize, usize)>::new());
        let mut last: Option<(usize, Seg)> = None;
        for (&s, &g) in &self.segs {
            assert!(g.npages > 0, "pages: S1 broken: empty segment at {s}");
            let inside = self.grown.range(..=s).next_back().is_some_and(|(&gs, &gn)| s + g.npages <= gs + gn);
            assert!(inside, "pages: segment [{s}, +{}) outside the grown heap", g.npages);
            match last {
                Some((ls, l)) if ls + l.npages == s => {
                    assert!(merge_kinds(l.kind, g.kind).is_none(), "pages: S2 broken at {s}: {l:?} {g:?}");
                    extents.last_mut().expect("pages: extent list").1 += g.npages;
                }
                Some((ls, l)) => {
                    assert!(ls + l.npages < s, "pages: S1 broken: [{ls}, +{}) overlaps {s}", l.npages);
                    extents.push((s, g.npages));
                }
                None => extents.push((s, g.npages)),
            }
            free += g.npages;
            if g.kind == Kind::Scavenged {
                scav += g.npages;
            }
            last = Some((s, g));
        }
        let grown: usize = self.grown.values().sum();
        let counters = (self.free_pages, self.scavenged_pages, self.total_pages);
        assert_eq!((free, scav, grown), counters, "pages: C1 broken (free, scavenged, total)");
        assert_eq!(self.extents.check(), extents, "pages: E1 broken: extents differ from segment chains");
    }
}

/// The kind of two touching segments merged into one, or `None` if they stay apart (S2).
fn merge_kinds(a: Kind, b: Kind) -> Option<Kind> {
    match (a, b) {
        (Kind::Scavenged, Kind::Scavenged) => Some(Kind::Scavenged),
        (Kind::Dirty { epoch: x }, Kind::Dirty { epoch: y }) => Some(Kind::Dirty { epoch: max(x, y) }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: usize, npages: usize, needs_zero: bool, scavenged: usize) -> Option<PageRun> {
        Some(PageRun { start, npages, needs_zero, scavenged })
    }

    #[test]
    fn grown_pages_are_scavenged_and_clean() {
        let mut pa = PageAlloc::new();
        pa.grow(100, 10);
        assert_eq!((pa.free_pages(), pa.scavenged_pages(), pa.total_pages()), (10, 10, 10));
        assert_eq!(pa.alloc(4), run(100, 4, false, 4));
        assert_eq!(pa.alloc(7), None);
        assert_eq!(pa.alloc(6), run(104, 6, false, 6));
        assert_eq!((pa.free_pages(), pa.scavenged_pages()), (0, 0));
        pa.check_invariants();
    }

    #[test]
    fn first_fit_spans_kinds_and_grows() {
        let mut pa = PageAlloc::new();
        pa.grow(0, 8);
        pa.grow(8, 8); // touching: one extent of 16
        let a = pa.alloc(4).unwrap();
        let b = pa.alloc(4).unwrap();
        assert_eq!((a.start, b.start), (0, 4));
        pa.free(4, 4, 1); // [4, 8) dirty, [8, 16) scavenged
        assert_eq!(pa.alloc(6), run(4, 6, true, 2));
        pa.free(0, 4, 2); // [0, 4) dirty epoch 2
        pa.free(4, 6, 3); // merges: [0, 10) dirty epoch 3, then [10, 16) scavenged
        pa.check_invariants();
        assert_eq!(pa.alloc(2), run(0, 2, true, 0));
        assert_eq!(pa.alloc(14), run(2, 14, true, 6));
        assert_eq!(pa.alloc(1), None);
        pa.check_invariants();
    }

    #[test]
    fn scavenge_takes_old_dirty_pages_from_the_top() {
        let mut pa = PageAlloc::new();
        pa.grow(0, 30);
        pa.alloc(30).unwrap();
        pa.free(0, 10, 1);
        pa.free(20, 10, 5);
        pa.free(10, 5, 2); // [0, 15) dirty epoch 2, [20, 30) epoch 5
        assert_eq!(pa.scavenge(1, 100), vec![]);
        assert_eq!(pa.scavenge(4, 3), vec![(12, 3)]);
        assert_eq!(pa.scavenge(4, 100), vec![(0, 12)]);
        assert_eq!(pa.scavenged_pages(), 15);
        assert_eq!(pa.scavenge(9, 0), vec![]);
        assert_eq!(pa.scavenge(9, 100), vec![(20, 10)]);
        pa.check_invariants();
        // Dirty pages between scavenged ones, then released: one scavenged segment again.
        pa.free(15, 5, 6);
        assert_eq!(pa.scavenge(6, 100), vec![(15, 5)]);
        assert_eq!(pa.segs.len(), 1);
        assert_eq!(pa.alloc(30), run(0, 30, false, 30));
    }

    #[test]
    #[should_panic(expected = "overlaps free")]
    fn double_free_panics() {
        let mut pa = PageAlloc::new();
        pa.grow(0, 8);
        pa.alloc(8).unwrap();
        pa.free(2, 2, 0);
        pa.free(3, 1, 0);
    }

    #[test]
    #[should_panic(expected = "overlaps grown")]
    fn overlapping_grow_panics() {
        let mut pa = PageAlloc::new();
        pa.grow(10, 8);
        pa.grow(4, 7);
    }

    /// Per-page oracle state.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum P {
        Absent,
        Used,
        Scav,
        /// `run` mirrors the segment epoch (max over merges); `own` is when the page was freed.
        Dirty {
            run: u64,
            own: u64,
        },
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    fn oracle_free(pages: &mut [P], start: usize, n: usize, epoch: u64) {
        pages[start..start + n].fill(P::Dirty { run: epoch, own: epoch });
        let is_dirty = |p: &P| matches!(p, P::Dirty { .. });
        let lo = pages[..start].iter().rposition(|p| !is_dirty(p)).map_or(0, |i| i + 1);
        let hi = pages[start..].iter().position(|p| !is_dirty(p)).map_or(pages.len(), |i| start + i);
        let epoch_of = |p: &P| if let P::Dirty { run, .. } = p { *run } else { 0 };
        let run = pages[lo..hi].iter().map(epoch_of).max().unwrap();
        for p in &mut pages[lo..hi] {
            if let P::Dirty { own, .. } = *p {
                *p = P::Dirty { run, own };
            }
        }
    }

    fn oracle_scavenge(pages: &mut [P], older_than: u64, mut budget: usize) -> Vec<(usize, usize)> {
        let (mut out, mut hi) = (Vec::new(), pages.len());
        while budget > 0 && hi > 0 {
            let P::Dirty { run, .. } = pages[hi - 1] else {
                hi -= 1;
                continue;
            };
            let lo = pages[..hi].iter().rposition(|p| !matches!(p, P::Dirty { .. })).map_or(0, |i| i + 1);
            if run <= older_than {
                let take = min(budget, hi - lo);
                for p in &mut pages[hi - take..hi] {
                    let P::Dirty { own, .. } = *p else { unreachable!() };
                    assert!(own <= older_than, "scavenge would release a page freed at {own}");
                    *p = P::Scav;
                }
                out.push((hi - take, take));
                budget -= take;
            }
            hi = lo;
        }
        out
    }

    fn oracle_alloc(pages: &mut [P], n: usize) -> Option<PageRun> {
        let mut len = 0;
        for i in 0..pages.len() {
            len = if matches!(pages[i], P::Scav | P::Dirty { .. }) { len + 1 } else { 0 };
            if len == n {
                let start = i + 1 - n;
                let scavenged = pages[start..=i].iter().filter(|p| **p == P::Scav).count();
                let needs_zero = scavenged < n;
                pages[start..=i].fill(P::Used);
                return Some(PageRun { start, npages: n, needs_zero, scavenged });
            }
        }
        None
    }

    #[test]
    fn randomized_against_bitmap_oracle() {
        const U: usize = 2048;
        for seed in [1u64, 0xdead_beef, 42, 7_777_777] {
            let mut rng = Rng(seed);
            let (mut pa, mut pages) = (PageAlloc::new(), vec![P::Absent; U]);
            let (mut live, mut epoch) = (Vec::<(usize, usize)>::new(), 0u64);
            for _ in 0..10_000 {
                let roll = rng.below(100);
                if roll < 3 || pa.total_pages() == 0 {
                    // Grow a random not-yet-grown range.
                    let p = rng.below(U);
                    if pages[p] == P::Absent {
                        let want = 1 + rng.below(256);
                        let n = pages[p..].iter().take(want).take_while(|q| **q == P::Absent).count();
                        pa.grow(p, n);
                        pages[p..p + n].fill(P::Scav);
                    }
                } else if roll < 50 {
                    let n = if rng.below(10) == 0 { 1 + rng.below(64) } else { 1 + rng.below(8) };
                    let got = pa.alloc(n);
                    assert_eq!(got, oracle_alloc(&mut pages, n), "seed {seed}: alloc({n})");
                    if let Some(r) = got {
                        live.push((r.start, r.npages));
                    }
                } else if roll < 92 && !live.is_empty() {
                    // Free a whole run, or a piece of it (keeping the rest live).
                    let (s, n) = live.swap_remove(rng.below(live.len()));
                    let (fs, fnp) = if n > 1 && rng.below(4) == 0 {
                        let cut = 1 + rng.below(n - 1);
                        if rng.below(2) == 0 {
                            live.push((s + cut, n - cut));
                            (s, cut)
                        } else {
                            live.push((s, cut));
                            (s + cut, n - cut)
                        }
                    } else {
                        (s, n)
                    };
                    pa.free(fs, fnp, epoch);
                    oracle_free(&mut pages, fs, fnp, epoch);
                } else if roll < 97 {
                    let older = epoch.saturating_sub(rng.below(3) as u64);
                    let max_pages = rng.below(64);
                    let got = pa.scavenge(older, max_pages);
                    assert_eq!(got, oracle_scavenge(&mut pages, older, max_pages), "seed {seed}: scavenge");
                } else {
                    epoch += 1;
                }
                let count = |f: fn(&P) -> bool| pages.iter().filter(|p| f(p)).count();
                let free = count(|p| matches!(p, P::Scav | P::Dirty { .. }));
                let scav = count(|p| *p == P::Scav);
                let total = count(|p| *p != P::Absent);
                assert_eq!((pa.free_pages(), pa.scavenged_pages(), pa.total_pages()), (free, scav, total));
                pa.check_invariants();
            }
        }
    }

    /// `cargo test --release -p tricolor-gc pages::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, run in release"]
    fn timing() {
        let mut rng = Rng(99);
        let mut pa = PageAlloc::new();
        pa.grow(0, 1 << 22);
        let mut live = Vec::new();
        for _ in 0..20_000 {
            let r = pa.alloc(1 + rng.below(8)).unwrap();
            live.push((r.start, r.npages));
        }
        let (freed, mut live): (Vec<_>, Vec<_>) = live.into_iter().partition(|(s, _)| s % 2 == 0);
        for (s, n) in freed {
            pa.free(s, n, 0); // fragment: thousands of free extents
        }
        let segs_before = pa.segs.len();
        let (batches, batch) = (500, 1000);
        let (mut t_alloc, mut t_free) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for _ in 0..batches {
            let t = std::time::Instant::now();
            for _ in 0..batch {
                let r = pa.alloc(1 + rng.below(8)).unwrap();
                live.push((r.start, r.npages));
            }
            t_alloc += t.elapsed();
            let victims: Vec<_> = (0..batch).map(|_| live.swap_remove(rng.below(live.len()))).collect();
            let t = std::time::Instant::now();
            for (s, n) in victims {
                pa.free(s, n, 0);
            }
            t_free += t.elapsed();
        }
        let ops = (batches * batch) as u128;
        let (alloc_ns, free_ns) = (t_alloc.as_nanos() / ops, t_free.as_nanos() / ops);
        let segs = pa.segs.len();
        println!("segments {segs_before} -> {segs}; alloc {alloc_ns} ns/op, free {free_ns} ns/op");
    }
}

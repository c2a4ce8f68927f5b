//! Free extents of the page allocator (`pages.rs`): a treap keyed by start page whose nodes
//! know the longest extent in their subtree, so first fit is one root-to-leaf walk. Split out
//! of `pages.rs`, which keeps the page states, segments and invariants.

use std::cmp::max;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    start: usize,
    npages: usize,
    /// Longest `npages` in this subtree (the first-fit summary).
    max: usize,
    prio: u32,
    left: u32,
    right: u32,
}

/// Free extents: a treap keyed by start page (max-heap on `prio`), each node summarising the
/// longest extent below it, so "lowest start with at least k pages" is one root-to-leaf walk.
/// Nodes live in a `Vec` and are recycled through `vacant`.
#[derive(Debug)]
pub(super) struct ExtentTree {
    nodes: Vec<Node>,
    vacant: Vec<u32>,
    root: u32,
    /// xorshift32 state for priorities.
    seed: u32,
}

impl Default for ExtentTree {
    fn default() -> ExtentTree {
        ExtentTree { nodes: Vec::new(), vacant: Vec::new(), root: NIL, seed: 0x9E37_79B9 }
    }
}

impl ExtentTree {
    fn node(&self, t: u32) -> &Node {
        &self.nodes[t as usize]
    }

    fn node_mut(&mut self, t: u32) -> &mut Node {
        &mut self.nodes[t as usize]
    }

    fn max_of(&self, t: u32) -> usize {
        if t == NIL {
            0
        } else {
            self.node(t).max
        }
    }

    /// Recomputes `t.max` from its children.
    fn pull(&mut self, t: u32) {
        let n = *self.node(t);
        self.node_mut(t).max = max(n.npages, max(self.max_of(n.left), self.max_of(n.right)));
    }

    /// Steps 1 and 2 of `PageAlloc::alloc`: finds the lowest-start extent with at least `k`
    /// pages, takes `k` pages from its front (removing it if that empties it) and returns the
    /// start of the pages taken. Shrinking from the front keeps the key between its neighbours.
    pub(super) fn take_first_fit(&mut self, k: usize) -> Option<usize> {
        if self.max_of(self.root) < k {
            return None;
        }
        let (root, start) = self.take_in(self.root, k);
        self.root = root;
        Some(start)
    }

    /// `take_first_fit` in subtree `t`, whose `max` is at least `k`; returns the new subtree.
    fn take_in(&mut self, t: u32, k: usize) -> (u32, usize) {
        let n = *self.node(t);
        let start = if self.max_of(n.left) >= k {
            let (l, start) = self.take_in(n.left, k);
            self.node_mut(t).left = l;
            start
        } else if n.npages == k {
            self.vacant.push(t);
            return (self.merge(n.left, n.right), n.start);
        } else if n.npages > k {
            let node = self.node_mut(t);
            (node.start, node.npages) = (n.start + k, n.npages - k);
            n.start
        } else {
            let (r, start) = self.take_in(n.right, k); // its max is ≥ k, since t's is
            self.node_mut(t).right = r;
            start
        };
        self.pull(t);
        (t, start)
    }

    /// The extent with the largest start below `key`.
    pub(super) fn pred(&self, key: usize) -> Option<(usize, usize)> {
        let (mut t, mut best) = (self.root, None);
        while t != NIL {
            let n = self.node(t);
            if n.start < key {
                best = Some((n.start, n.npages));
                t = n.right;
            } else {
                t = n.left;
            }
        }
        best
    }

    pub(super) fn insert(&mut self, start: usize, npages: usize) {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        let node = Node { start, npages, max: npages, prio: self.seed, left: NIL, right: NIL };
        let id = match self.vacant.pop() {
            Some(id) => {
                *self.node_mut(id) = node;
                id
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("pages: too many free extents")
            }
        };
        self.root = self.insert_in(self.root, id);
    }

    /// Inserts node `id` into subtree `t`: descend by key to the first node of lower priority,
    /// split that subtree around the key and hang the halves under `id` (expected O(1) split).
    fn insert_in(&mut self, t: u32, id: u32) -> u32 {
        let new = *self.node(id);
        if t == NIL {
            return id;
        }
        let n = *self.node(t);
        if new.prio > n.prio {
            let (l, r) = self.split(t, new.start);
            (self.node_mut(id).left, self.node_mut(id).right) = (l, r);
            self.pull(id);
            return id;
        }
        if new.start < n.start {
            let l = self.insert_in(n.left, id);
            self.node_mut(t).left = l;
        } else {
            let r = self.insert_in(n.right, id);
            self.node_mut(t).right = r;
        }
        self.pull(t);
        t
    }

    /// Removes the extent starting at `start` and returns its length.
    pub(super) fn remove(&mut self, start: usize) -> usize {
        let (root, npages) = self.remove_in(self.root, start);
        self.root = root;
        npages
    }

    fn remove_in(&mut self, t: u32, start: usize) -> (u32, usize) {
        assert!(t != NIL, "pages: no extent starts at {start}");
        let n = *self.node(t);
        if start == n.start {
            self.vacant.push(t);
            return (self.merge(n.left, n.right), n.npages);
        }
        let npages = if start < n.start {
            let (l, np) = self.remove_in(n.left, start);
            self.node_mut(t).left = l;
            np
        } else {
            let (r, np) = self.remove_in(n.right, start);
            self.node_mut(t).right = r;
            np
        };
        self.pull(t);
        (t, npages)
    }

    /// The length of the extent starting at `start`.
    pub(super) fn get(&self, start: usize) -> Option<usize> {
        let mut t = self.root;
        while t != NIL {
            let n = self.node(t);
            if start == n.start {
                return Some(n.npages);
            }
            t = if start < n.start { n.left } else { n.right };
        }
        None
    }

    /// Changes the extent at `start` to `(new_start, npages)`, where `npages` is at least its
    /// length (so every `max` on the path becomes `max(max, npages)`, no children read) and the
    /// caller guarantees `new_start` sorts between the same neighbours.
    pub(super) fn extend(&mut self, start: usize, new_start: usize, npages: usize) {
        let mut t = self.root;
        loop {
            assert!(t != NIL, "pages: no extent starts at {start}");
            let n = self.node_mut(t);
            n.max = max(n.max, npages);
            if start == n.start {
                debug_assert!(npages >= n.npages, "pages: extend shrinks [{start}, +{})", n.npages);
                (n.start, n.npages) = (new_start, npages);
                return;
            }
            t = if start < n.start { n.left } else { n.right };
        }
    }

    /// Splits `t` into (starts < key, starts ≥ key).
    fn split(&mut self, t: u32, key: usize) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let n = *self.node(t);
        if n.start < key {
            let (l, r) = self.split(n.right, key);
            self.node_mut(t).right = l;
            self.pull(t);
            (t, r)
        } else {
            let (l, r) = self.split(n.left, key);
            self.node_mut(t).left = r;
            self.pull(t);
            (l, t)
        }
    }

    /// Joins `a` and `b`, every start in `a` below every start in `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL || b == NIL {
            return if a == NIL { b } else { a };
        }
        if self.node(a).prio > self.node(b).prio {
            let r = self.merge(self.node(a).right, b);
            self.node_mut(a).right = r;
            self.pull(a);
            a
        } else {
            let l = self.merge(a, self.node(b).left);
            self.node_mut(b).left = l;
            self.pull(b);
            b
        }
    }

    /// Checks order, heap priorities and `max`; returns the extents in address order.
    pub(super) fn check(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        self.check_in(self.root, u32::MAX, &mut out);
        assert_eq!(out.len() + self.vacant.len(), self.nodes.len(), "pages: treap leaks nodes");
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "pages: treap out of order: {out:?}");
        out
    }

    fn check_in(&self, t: u32, parent_prio: u32, out: &mut Vec<(usize, usize)>) -> usize {
        if t == NIL {
            return 0;
        }
        let n = *self.node(t);
        assert!(n.prio <= parent_prio, "pages: treap heap order broken at {}", n.start);
        let lmax = self.check_in(n.left, n.prio, out);
        out.push((n.start, n.npages));
        let rmax = self.check_in(n.right, n.prio, out);
        assert_eq!(n.max, max(n.npages, max(lmax, rmax)), "pages: treap max broken at {}", n.start);
        n.max
    }
}

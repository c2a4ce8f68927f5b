//! `#[derive(Trace)]` against the real `tricolor-gc`: `NO_TRACE` as computed for each shape,
//! and, end to end, that an object reachable only through derived fields survives a collection
//! while one reachable only through an untraced word (a `usize`) does not.
//!
//! The collector scans goroutine stacks conservatively, so the test keeps no live heap address
//! on its stack: `build` runs in its own frame (gone before the collection) and hands back the
//! addresses it needs later XOR-masked, which is never a heap address.

use tricolor_gc::{collect, raw, Gc, GcCell, Root, Trace};
use tricolor_runtime::block_on;

#[derive(Trace)]
struct Unit;

#[derive(Trace)]
enum Units {
    A,
    B,
}

#[derive(Trace)]
enum Never {}

#[derive(Trace)]
struct Scalars {
    a: u64,
    b: bool,
}

/// A pointer-free leaf object.
#[derive(Trace)]
struct Leaf {
    v: u64,
}

/// Holds an object's address as a plain word: the derive does not (and must not) trace it.
#[derive(Trace)]
struct Hidden {
    addr: usize,
}

#[derive(Trace)]
struct Named {
    first: Gc<Leaf>,
    n: u64,
    second: Option<Gc<Leaf>>,
    pair: [Gc<Leaf>; 2],
    tup: (u8, Gc<Leaf>),
    cell: GcCell<Option<Gc<Leaf>>>,
}

#[derive(Trace)]
struct Tuple(u32, Gc<Leaf>);

#[derive(Trace)]
enum Shape {
    Empty,
    One(Gc<Leaf>),
    Two { a: Gc<Leaf>, k: u32, b: Option<Gc<Leaf>> },
}

#[derive(Trace)]
struct Wrap<T> {
    inner: T,
    tag: u8,
}

#[derive(Trace)]
enum Either<A, B> {
    L(A),
    R { b: B },
}

/// Nests all of the above; `next` makes it recursive through `Gc`.
#[derive(Trace)]
struct Outer {
    named: Named,
    tuple: Tuple,
    shapes: [Shape; 3],
    wrapped: Wrap<Gc<Leaf>>,
    either: Either<u64, Gc<Leaf>>,
    hidden: [Hidden; 4],
    next: Option<Gc<Outer>>,
}

const fn no_trace<T: Trace + ?Sized>() -> bool {
    T::NO_TRACE
}

#[test]
fn no_trace_is_the_and_of_the_field_types() {
    // Fieldless and pointer-free types go to spans the collector never scans.
    assert!(no_trace::<Unit>());
    assert!(no_trace::<Units>());
    assert!(no_trace::<Never>());
    assert!(no_trace::<Scalars>());
    assert!(no_trace::<Leaf>());
    assert!(no_trace::<Hidden>());
    // Anything holding a Gc, however deep, does not.
    assert!(!no_trace::<Named>());
    assert!(!no_trace::<Tuple>());
    assert!(!no_trace::<Shape>());
    assert!(!no_trace::<Outer>());
    // Generic types follow their arguments.
    assert!(no_trace::<Wrap<u64>>());
    assert!(!no_trace::<Wrap<Gc<Leaf>>>());
    assert!(no_trace::<Either<u8, Scalars>>());
    assert!(!no_trace::<Either<u8, Option<Gc<Leaf>>>>());
    // Values of the pointer-free types exist (and have nothing to report).
    let _ = (Unit, [Units::A, Units::B], Either::<u8, u8>::L(1));
}

const MASK: usize = !0;

/// What `build` hands back, with every address masked.
struct Built {
    root: Root<Outer>,
    /// Leaves reachable only through derived fields, with the value each holds.
    traced: Vec<(usize, u64)>,
    /// Leaves reachable only through `Hidden::addr`.
    hidden: Vec<usize>,
}

fn leaf(v: u64, traced: &mut Vec<(usize, u64)>) -> Gc<Leaf> {
    let g = Gc::new(Leaf { v });
    traced.push((g.addr() ^ MASK, v));
    g
}

/// Builds a list of `n` `Outer` nodes, each holding 11 traced leaves and 4 hidden ones.
#[inline(never)]
fn build(n: u64) -> Built {
    let mut traced = Vec::new();
    let mut hidden = Vec::new();
    let mut next = None;
    for i in 0..n {
        let mut l = |k: u64| leaf(i * 100 + k, &mut traced);
        let named = Named { first: l(1), n: 7, second: Some(l(2)), pair: [l(3), l(4)], tup: (9, l(5)), cell: GcCell::new(Some(l(6))) };
        let tuple = Tuple(0, l(7));
        let shapes = [Shape::Empty, Shape::One(l(8)), Shape::Two { a: l(9), k: 0, b: Some(l(10)) }];
        let wrapped = Wrap { inner: l(11), tag: 0 };
        let either = Either::R { b: l(12) };
        let hidden_leaves = [0, 1, 2, 3].map(|_| {
            let g = Gc::new(Leaf { v: u64::MAX });
            hidden.push(g.addr() ^ MASK);
            Hidden { addr: g.addr() }
        });
        let node = Gc::new(Outer { named, tuple, shapes, wrapped, either, hidden: hidden_leaves, next });
        next = Some(node);
    }
    Built { root: Root::new(next.expect("n > 0")), traced, hidden }
}

/// Reads every leaf back through the root, in field order.
fn walk(o: &Outer, out: &mut Vec<u64>) {
    let n = &o.named;
    out.extend([n.first.v, n.second.expect("second").v, n.pair[0].v, n.pair[1].v, n.tup.1.v]);
    out.push(n.cell.get().expect("cell").v);
    out.push(o.tuple.1.v);
    for s in &o.shapes {
        match s {
            Shape::Empty => {}
            Shape::One(a) => out.push(a.v),
            Shape::Two { a, b, .. } => out.extend([a.v, b.expect("b").v]),
        }
    }
    out.push(o.wrapped.inner.v);
    match &o.either {
        Either::R { b } => out.push(b.v),
        Either::L(_) => unreachable!(),
    }
    if let Some(next) = o.next {
        walk(&next, out);
    }
}

#[test]
fn derived_fields_keep_their_targets_alive_and_untraced_words_do_not() {
    block_on(|| {
        const NODES: u64 = 16;
        let built = build(NODES);
        collect();
        collect();

        // Every leaf reachable through a derived field survived, with its contents.
        for &(masked, v) in &built.traced {
            let info = raw::object_info(masked ^ MASK);
            assert!(info.is_some(), "leaf {v} reachable through a derived field was freed");
        }
        let mut seen = Vec::new();
        walk(&built.root, &mut seen);
        let mut expected: Vec<u64> = built.traced.iter().map(|&(_, v)| v).collect();
        // `build` pushed the nodes oldest first; `walk` starts at the newest.
        expected = expected.chunks(12).rev().flatten().copied().collect();
        assert_eq!(seen, expected);

        // Leaves reachable only through `Hidden::addr` were freed: the derive traced no
        // `usize`. Conservative stack scanning may keep a stray one alive, so allow a few.
        let freed = built.hidden.iter().filter(|&&m| raw::object_info(m ^ MASK).is_none()).count();
        let total = built.hidden.len();
        assert!(freed * 4 >= total * 3, "only {freed} of {total} untraced leaves were freed");
    });
}

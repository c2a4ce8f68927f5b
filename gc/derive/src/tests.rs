//! Unit tests of the expansion's shape (token strings) and of the checks that refuse input.
//! Behaviour is tested against the real `tricolor-gc`: `NO_TRACE` values and what survives a
//! collection in `tests/derive.rs`, rustc's refusals in the `compile_fail` examples of
//! `lib.rs`.

use crate::expand::{derive, Params};
use syn::{parse_quote, DeriveInput, Type};

/// Expands `input` (which must carry `#[trace(crate = ...)]`, so no Cargo.toml is read) and
/// returns the tokens as one string with single spaces.
fn expand(input: DeriveInput) -> String {
    derive(&input).expect("expansion failed").to_string()
}

fn error(input: DeriveInput) -> String {
    match derive(&input) {
        Ok(tokens) => panic!("expected an error, got {tokens}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn named_struct_traces_every_field_in_order() {
    let out = expand(parse_quote! {
        #[trace(crate = "::tricolor_gc")]
        struct Node { key: u64, left: Option<Gc<Node>>, right: Option<Gc<Node>> }
    });
    assert!(out.contains("unsafe impl :: tricolor_gc :: Trace for Node"), "{out}");
    // No type parameters: no `where` bounds (concrete fields are checked in the body).
    assert!(!out.contains("where"), "{out}");
    // Each distinct type once in NO_TRACE.
    assert!(
        out.contains(
            "const NO_TRACE : bool = < u64 as :: tricolor_gc :: Trace > :: NO_TRACE && \
         < Option < Gc < Node > > as :: tricolor_gc :: Trace > :: NO_TRACE ;"
        ),
        "{out}"
    );
    let key = out.find("__tricolor_field_0 , __tricolor_tracer").unwrap();
    let left = out.find("__tricolor_field_1 , __tricolor_tracer").unwrap();
    let right = out.find("__tricolor_field_2 , __tricolor_tracer").unwrap();
    assert!(key < left && left < right, "{out}");
    assert!(out.contains("if ! < Self as :: tricolor_gc :: Trace > :: NO_TRACE"), "{out}");
}

#[test]
fn generic_enum_bounds_the_field_types_that_mention_parameters() {
    let out = expand(parse_quote! {
        #[trace(crate = "tricolor::gc")]
        enum Tree<K: Copy, V> { Leaf, One(K, V), Branch { key: K, kids: [Gc<Tree<K, V>>; 2] } }
    });
    assert!(
        out.contains(
            "unsafe impl < K : Copy , V > tricolor :: gc :: Trace for Tree < K , V > where \
         K : tricolor :: gc :: Trace , V : tricolor :: gc :: Trace {"
        ),
        "{out}"
    );
    assert!(out.contains("Self :: Leaf => { }"), "{out}");
    assert!(out.contains("Self :: One (__tricolor_field_0 , __tricolor_field_1) =>"), "{out}");
    let branch = "Self :: Branch { key : __tricolor_field_0 , kids : __tricolor_field_1 }";
    assert!(out.contains(branch), "{out}");
}

#[test]
fn fieldless_types_are_no_trace() {
    for input in [
        parse_quote!(
            #[trace(crate = "g")]
            struct U;
        ),
        parse_quote!(
            #[trace(crate = "g")]
            struct U {}
        ),
        parse_quote!(
            #[trace(crate = "g")]
            struct U();
        ),
        parse_quote!(
            #[trace(crate = "g")]
            enum E {
                A,
                B = 3,
            }
        ),
    ] {
        let out = expand(input);
        assert!(out.contains("const NO_TRACE : bool = true ;"), "{out}");
    }
    let out = expand(parse_quote!(
        #[trace(crate = "g")]
        enum Never {}
    ));
    assert!(out.contains("const NO_TRACE : bool = true ;"), "{out}");
    assert!(out.contains("match * self { }"), "{out}");
}

#[test]
fn bare_path_override_and_existing_where_clause() {
    let out = expand(parse_quote! {
        #[trace(crate = crate::gc)]
        struct W<T> where T: Copy { t: T }
    });
    assert!(out.contains("where T : Copy , T : crate :: gc :: Trace"), "{out}");
}

#[test]
fn refusals() {
    let e = error(parse_quote!(union U { a: usize, b: u64 }));
    assert!(e.contains("unions cannot be traced") && e.contains("raw API"), "{e}");
    let e = error(parse_quote!(
        #[trace(skip)]
        struct S {
            a: u8,
        }
    ));
    assert!(e.contains("unknown #[trace(...)] key `skip`"), "{e}");
    let e = error(parse_quote!(
        #[trace(crate = "g")]
        struct S {
            #[trace(skip)]
            a: u8,
        }
    ));
    assert!(e.contains("not allowed on a field"), "{e}");
    let e = error(parse_quote!(
        #[trace(crate = "g")]
        enum E {
            #[trace]
            A,
        }
    ));
    assert!(e.contains("not allowed on a variant"), "{e}");
    let e = error(parse_quote!(
        #[trace(crate = "g", crate = "g")]
        struct S;
    ));
    assert!(e.contains("duplicate `crate`"), "{e}");
    let e = error(parse_quote!(
        #[trace(crate = "not a path")]
        struct S;
    ));
    assert!(e.contains("expected a path"), "{e}");
    let e = error(parse_quote!(
        #[trace(crate = "g")]
        #[repr(C, packed(2))]
        struct S(u8);
    ));
    assert!(e.contains("#[repr(packed)]"), "{e}");
}

#[test]
fn which_field_types_get_bounds() {
    let input: DeriveInput = parse_quote! {
        struct List<'a, T: Iterator, const N: usize> { x: u8 }
    };
    let params = Params::of(&input);
    let bound = |ty: Type| params.needs_bound(&ty);
    // Mentions a parameter: bounded.
    assert!(bound(parse_quote!(T)));
    assert!(bound(parse_quote!(Option<Gc<T>>)));
    assert!(bound(parse_quote!(T::Item)));
    assert!(bound(parse_quote!(<T as Iterator>::Item)));
    assert!(bound(parse_quote!([u8; N])));
    assert!(bound(parse_quote!(&'a u8)));
    assert!(bound(parse_quote!(my_macro!(T))));
    // Concrete: checked in the body instead.
    assert!(!bound(parse_quote!(u64)));
    assert!(!bound(parse_quote!(Gc<u8>)));
    assert!(!bound(parse_quote!(&'static u8)));
    assert!(!bound(parse_quote!(Tee)));
    // Recursive: a bound would ask for the impl being defined.
    assert!(!bound(parse_quote!(Option<Gc<List<'a, T, N>>>)));
    assert!(!bound(parse_quote!(Gc<Self>)));
}

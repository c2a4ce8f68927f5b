//! Where the user's crate sees `tricolor-gc`: read off its `Cargo.toml` with
//! `proc-macro-crate`. The `#[trace(crate = ...)]` override is parsed in `attr.rs` and wins
//! over everything here.
//!
//! Order of preference:
//! 1. a dependency on `tricolor-gc` (possibly renamed) → `::that_name`;
//! 2. a dependency on the facade `tricolor` (possibly renamed) → `::that_name::gc`;
//! 3. neither → a compile error that suggests the override.
//!
//! `proc-macro-crate` answers `FoundCrate::Itself` when the manifest is the searched package's
//! own, which covers the library, its unit tests, and also its examples and doc tests (it
//! already tells integration tests and benches apart, by `CARGO_TARGET_TMPDIR`). Only the
//! library target may say `crate`; the others reach the library as an extern crate, so this
//! file tells them apart by `CARGO_CRATE_NAME` (the crate rustc is compiling; for an example,
//! the example's name) and by the variable rustdoc sets while it compiles a doc test.

use proc_macro2::{Span, TokenStream};
use proc_macro_crate::{crate_name, FoundCrate};
use quote::quote;
use syn::Ident;

/// Package and library names of the crate that defines `Trace`.
const GC_PACKAGE: &str = "tricolor-gc";
const GC_LIB: &str = "tricolor_gc";
/// Package and library names of the facade, which re-exports the gc crate as `gc`.
const FACADE_PACKAGE: &str = "tricolor";
const FACADE_LIB: &str = "tricolor";

/// The path that names the gc crate's root from the code being compiled.
pub(crate) fn resolve() -> syn::Result<TokenStream> {
    let gc_err = match crate_name(GC_PACKAGE) {
        Ok(FoundCrate::Itself) if compiling_library_of(GC_LIB) => return Ok(quote!(crate)),
        Ok(FoundCrate::Itself) => return Ok(extern_path(GC_LIB)),
        Ok(FoundCrate::Name(name)) => return Ok(extern_path(&name)),
        Err(e) => e,
    };
    match crate_name(FACADE_PACKAGE) {
        Ok(FoundCrate::Itself) if compiling_library_of(FACADE_LIB) => Ok(quote!(crate::gc)),
        Ok(FoundCrate::Itself) => {
            let root = extern_path(FACADE_LIB);
            Ok(quote!(#root::gc))
        }
        Ok(FoundCrate::Name(name)) => {
            let root = extern_path(&name);
            Ok(quote!(#root::gc))
        }
        Err(_) => Err(syn::Error::new(
            Span::call_site(),
            format!(
                "#[derive(Trace)] could not find `tricolor-gc` or `tricolor` among this crate's \
                 dependencies ({gc_err}); add one of them to Cargo.toml, or name the crate with \
                 #[trace(crate = \"path::to::gc\")]"
            ),
        )),
    }
}

/// `::name`, resolved through the extern prelude so a local item called `name` cannot shadow it.
fn extern_path(name: &str) -> TokenStream {
    let ident = Ident::new(name, Span::call_site());
    quote!(::#ident)
}

/// True when rustc is compiling the library target `lib` itself (or its unit tests), where the
/// crate root is `crate`; false for its examples and doc tests.
fn compiling_library_of(lib: &str) -> bool {
    // Set by rustdoc on the rustc that compiles a doc test (it remaps the test's file name).
    if std::env::var_os("UNSTABLE_RUSTDOC_TEST_PATH").is_some() {
        return false;
    }
    // Cargo sets it for every target; absent only outside Cargo, where guess the library.
    std::env::var("CARGO_CRATE_NAME").map_or(true, |c| c == lib)
}

//! The `#[trace(...)]` attribute: the one container key (`crate = "path"`) is parsed here, and
//! everything else is rejected with a message that says why. `#[repr(packed)]` is refused here
//! too, since it is also read off the attributes. What the keys mean for the generated code is
//! `expand.rs`'s business.

use syn::{Attribute, LitStr, Path};

/// What `#[trace(...)]` on the type itself may say.
#[derive(Default)]
pub(crate) struct Container {
    /// `crate = "path::to::gc"`: where `Trace` and `Tracer` live, overriding the Cargo.toml
    /// lookup in `crate_path.rs`.
    pub(crate) krate: Option<Path>,
}

/// Parses every `#[trace(...)]` on the type. Keys other than `crate` are errors.
pub(crate) fn container(attrs: &[Attribute]) -> syn::Result<Container> {
    let mut out = Container::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("trace")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                if out.krate.is_some() {
                    return Err(meta.error("duplicate `crate` key in #[trace(...)]"));
                }
                let value = meta.value()?;
                // Accept the documented string form and, for convenience, a bare path.
                let path = if value.peek(LitStr) {
                    let lit = value.parse::<LitStr>()?;
                    lit.parse::<Path>().map_err(|_| {
                        syn::Error::new(
                            lit.span(),
                            "expected a path to the gc crate's root, such as \"tricolor::gc\" \
                             or \"::tricolor_gc\"",
                        )
                    })?
                } else {
                    value.parse::<Path>()?
                };
                out.krate = Some(path);
                Ok(())
            } else {
                let key = meta.path.get_ident().map_or_else(|| "this key".to_owned(), |i| format!("`{i}`"));
                Err(meta.error(format!(
                    "unknown #[trace(...)] key {key}: the only key is `crate = \"path::to::gc\"`; \
                     #[derive(Trace)] has no skip or ignore option, because a Gc pointer that is \
                     not traced can be freed while still reachable"
                )))
            }
        })?;
    }
    Ok(out)
}

/// Rejects any `#[trace]` on a field or variant: there is nothing a field may opt out of.
pub(crate) fn reject_on_member(attrs: &[Attribute], what: &str) -> syn::Result<()> {
    match attrs.iter().find(|a| a.path().is_ident("trace")) {
        None => Ok(()),
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            format!(
                "#[trace] is not allowed on a {what}: #[derive(Trace)] traces every field and has \
                 no way to skip one, because a Gc pointer that is not traced can be freed while \
                 still reachable (a field without pointers costs nothing: its type's NO_TRACE is \
                 true)"
            ),
        )),
    }
}

/// Rejects `#[repr(packed)]` / `#[repr(packed(N))]`: the generated `trace` borrows every field,
/// and a packed field cannot be borrowed.
pub(crate) fn reject_packed(attrs: &[Attribute]) -> syn::Result<()> {
    for attr in attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let Ok(list) = attr.meta.require_list() else {
            continue;
        };
        let packed = list.tokens.clone().into_iter().any(|t| matches!(t, proc_macro2::TokenTree::Ident(ref i) if i == "packed"));
        if packed {
            return Err(syn::Error::new_spanned(
                attr,
                "#[derive(Trace)] does not support #[repr(packed)]: tracing borrows every field, \
                 and fields of a packed type may be unaligned; drop `packed` or implement Trace \
                 by hand, copying each field out before tracing it",
            ));
        }
    }
    Ok(())
}

//! Writes the `unsafe impl Trace` for one struct or enum, and argues why it upholds the trait's
//! `# Safety` obligations (see `SAFETY` in `derive`). Attribute parsing is in `attr.rs`; the
//! crate path comes from `crate_path.rs`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::{attr, crate_path};

/// The whole derive: checks, then the impl.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let options = attr::container(&input.attrs)?;
    if let Data::Union(u) = &input.data {
        let (token, ident) = (u.union_token, &input.ident);
        return Err(syn::Error::new_spanned(
            quote!(#token #ident),
            "#[derive(Trace)] cannot be used on a union: unions cannot be traced, because the \
             collector cannot tell which field is live; keep pointer words in the raw API instead \
             (hold the address as a plain word and report it with `Tracer::edge` from a \
             hand-written `unsafe impl Trace` that knows which field is live)",
        ));
    }
    attr::reject_packed(&input.attrs)?;
    let gc = match options.krate {
        Some(path) => path.into_token_stream(),
        None => crate_path::resolve()?,
    };

    // Every field of every variant, in declaration order, plus the `match` arms that bind them.
    let mut field_types: Vec<&Type> = Vec::new();
    let mut arms: Vec<TokenStream> = Vec::new();
    let tracer = Ident::new("__tricolor_tracer", Span::call_site());
    match &input.data {
        Data::Struct(s) => {
            arms.push(arm(quote!(Self), &s.fields, &gc, &tracer, &mut field_types)?);
        }
        Data::Enum(e) => {
            for v in &e.variants {
                attr::reject_on_member(&v.attrs, "variant")?;
                let name = &v.ident;
                arms.push(arm(quote!(Self::#name), &v.fields, &gc, &tracer, &mut field_types)?);
            }
        }
        Data::Union(_) => unreachable!("unions were rejected above"),
    }

    // Each field type once, first occurrence first (for the bounds and for NO_TRACE).
    let mut distinct: Vec<&Type> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for ty in field_types {
        let key = ty.to_token_stream().to_string();
        if !seen.contains(&key) {
            seen.push(key);
            distinct.push(ty);
        }
    }

    // Bounds: one per distinct field type that mentions a generic parameter, spanned at the
    // field so an unsatisfied bound points there (see `needs_bound` for which types get one).
    let params = Params::of(input);
    let mut generics = input.generics.clone();
    let where_clause = generics.make_where_clause();
    for ty in distinct.iter().filter(|ty| params.needs_bound(ty)) {
        where_clause.predicates.push(syn::parse_quote_spanned!(at(ty)=> #ty: #gc::Trace));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let no_trace = if distinct.is_empty() {
        quote!(true)
    } else {
        let terms = distinct.iter().map(|ty| quote_spanned!(at(ty)=> <#ty as #gc::Trace>::NO_TRACE));
        quote!(#(#terms)&&*)
    };
    let body = if arms.is_empty() {
        // An enum without variants: no value exists, so there is nothing to trace.
        quote!(match *self {})
    } else {
        quote! {
            if !<Self as #gc::Trace>::NO_TRACE {
                match self {
                    #(#arms)*
                }
            }
        }
    };

    let name = &input.ident;
    // SAFETY (for the `unsafe impl` below; numbers are the obligations in `Trace`'s `# Safety`):
    // 1. `trace` calls `<FieldType as Trace>::trace` on every field of `self` (for an enum,
    //    every field of the live variant); the code compiles only if every field type
    //    implements `Trace` (through a `where` bound or directly), and each such impl reports
    //    its own pointers, so every `Gc` pointer the value holds is reported by the field
    //    that holds it. The `if !NO_TRACE` guard skips only values whose fields all report
    //    nothing (2).
    // 2. `NO_TRACE` is the AND of the field types' `NO_TRACE` (true with no fields), so it is
    //    true only if no field can hold a `Gc` pointer, which is everything the value holds.
    // 3. `trace` does nothing but call the fields' `trace`, which obey 3 themselves: no
    //    allocation, blocking, or access outside the value.
    // The user cannot weaken this: there is no skip attribute, unions and packed types are
    // rejected, and a hand-written `trace` elsewhere cannot replace this one (coherence).
    Ok(quote! {
        #[automatically_derived]
        // The copied generics keep the user's spans, so these style lints would blame the user
        // for the repetition the added bounds introduce (`T: Trace` next to the user's own).
        #[allow(
            clippy::trait_duplication_in_bounds,
            clippy::type_repetition_in_bounds
        )]
        unsafe impl #impl_generics #gc::Trace for #name #ty_generics #where_clause {
            const NO_TRACE: bool = #no_trace;

            #[inline]
            fn trace(&self, #tracer: &mut #gc::Tracer<'_>) {
                #body
            }
        }
    })
}

/// One `match` arm: `path { field: __tricolor_field_N, .. } => { Trace::trace(..); .. }`, with
/// the field types appended to `types`.
fn arm<'a>(path: TokenStream, fields: &'a Fields, gc: &TokenStream, tracer: &Ident, types: &mut Vec<&'a Type>) -> syn::Result<TokenStream> {
    let mut binds = Vec::new();
    let mut calls = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        attr::reject_on_member(&f.attrs, "field")?;
        let var = format_ident!("__tricolor_field_{}", i);
        binds.push(match &f.ident {
            Some(name) => quote!(#name: #var),
            None => quote!(#var),
        });
        let ty = &f.ty;
        calls.push(quote_spanned!(at(ty)=> <#ty as #gc::Trace>::trace(#var, #tracer);));
        types.push(ty);
    }
    let pattern = match fields {
        Fields::Named(_) => quote!(#path { #(#binds),* }),
        Fields::Unnamed(_) => quote!(#path ( #(#binds),* )),
        Fields::Unit => quote!(#path),
    };
    Ok(quote!(#pattern => { #(#calls)* }))
}

/// A span that points at the field type `ty` (so errors about it land there) but resolves, and
/// counts for lints, as macro output: lints such as clippy's `type_repetition_in_bounds` skip
/// code from expansions, and they would otherwise blame the user for the generated bounds.
fn at(ty: &Type) -> Span {
    ty.span().resolved_at(Span::call_site())
}

/// The names a field type is checked against when deciding whether it gets a `where` bound.
pub(crate) struct Params {
    /// The deriving type's own name, and `Self`.
    own: [Ident; 2],
    /// Type and const parameters.
    idents: Vec<Ident>,
    /// Lifetime parameters, without the tick.
    lifetimes: Vec<Ident>,
}

impl Params {
    pub(crate) fn of(input: &DeriveInput) -> Self {
        let g = &input.generics;
        Params {
            own: [input.ident.clone(), Ident::new("Self", Span::call_site())],
            idents: g.type_params().map(|p| p.ident.clone()).chain(g.const_params().map(|p| p.ident.clone())).collect(),
            lifetimes: g.lifetimes().map(|l| l.lifetime.ident.clone()).collect(),
        }
    }

    /// Whether the field type `ty` gets a `ty: Trace` bound on the impl.
    ///
    /// - It mentions a generic parameter: yes. The impl then holds exactly for the arguments
    ///   whose fields can be traced (`Wrap<u64>` and `Wrap<Gc<_>>` alike), and projections such
    ///   as `T::Assoc` are covered, which bounds on the parameters alone would not express.
    /// - It mentions no parameter: no. The `trace` body names `<ty as Trace>` at the field's
    ///   span, so a non-`Trace` field is still an error at that field, at the definition; a
    ///   `where` bound would add nothing but a cycle for recursive types (below).
    /// - It mentions the type itself (`Option<Gc<List<T>>>` inside `List<T>`): no. If the
    ///   pointer's impl is `impl<T: Trace> Trace for Gc<T>`, the bound would require the impl
    ///   being defined, and rustc reports overflow (E0275) instead of closing the cycle.
    ///   Without the bound, `trace` proves it through this impl and the other bounds.
    ///
    /// The scan is over tokens, so it sees through paths, generic arguments and macro
    /// invocations alike. A false "mentions a parameter" (a path segment that happens to share
    /// a parameter's name) only adds a bound the body needs anyway; a false "recursive" (another
    /// type with the same name) only moves the check from the bound into the body.
    pub(crate) fn needs_bound(&self, ty: &Type) -> bool {
        let mut mentions_param = false;
        let mut recursive = false;
        scan(ty.to_token_stream(), &mut |tick, ident| {
            if tick {
                mentions_param |= self.lifetimes.contains(ident);
            } else {
                mentions_param |= self.idents.contains(ident);
                recursive |= self.own.contains(ident);
            }
        });
        mentions_param && !recursive
    }
}

/// Calls `f(is_lifetime, ident)` for every identifier in `tokens`, nested groups included.
fn scan(tokens: TokenStream, f: &mut impl FnMut(bool, &Ident)) {
    let mut after_tick = false;
    for tt in tokens {
        let tick = matches!(&tt, TokenTree::Punct(p) if p.as_char() == '\'');
        match tt {
            TokenTree::Ident(i) => f(after_tick, &i),
            TokenTree::Group(g) => scan(g.stream(), f),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
        after_tick = tick;
    }
}

//! How a lattice's body becomes its output: the return type of `__body`, the marker traits
//! whose diagnostics name the lattice, and the conversion of the body's value to an `Arg`.
//!
//! - By default the body's value must be `IntoNode<Out>` (a node, a constant, a `Vec` of nodes
//!   for a `Vec` output...), checked at the declared output type.
//! - For a written tuple output (`-> (f64, usize)`) whose body ends in a tuple expression
//!   (`(total, count)`), `__body` returns `(impl E0, impl E1)`: each element is checked on its
//!   own, the error landing on the declared element type; a tuple of another length is an
//!   error on the body's tuple.
//! - For a written tuple output whose body ends in something else, the value must be
//!   `IntoTuple<Out>`: a `Node<Out>`, or a tuple of nodes and constants.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ItemFn, Stmt, Type};

use crate::shapes;
use crate::signature;

/// What the expansion of a lattice needs of its output.
pub struct LatticeOutput {
    /// Marker traits (their definitions and impls).
    pub trait_defs: TokenStream,
    /// The return type of `__body`.
    pub body_ret: TokenStream,
    /// The body of `__body`, when it must not be the user's (after an error).
    pub body_override: Option<TokenStream>,
    /// An error found here.
    pub error: Option<syn::Error>,
    kind: Kind,
}

enum Kind {
    Whole(TokenStream),
    Elements(Vec<Type>),
}

impl LatticeOutput {
    /// `value` (of the type `__body` returns) as the lattice output's `Arg`.
    pub fn arg_of(&self, value: TokenStream) -> TokenStream {
        match &self.kind {
            Kind::Whole(tr) => quote! { <_ as #tr>::into_arg(#value) },
            Kind::Elements(elems) => {
                let vars: Vec<_> = (0..elems.len())
                    .map(|i| format_ident!("__orbital_out_{}", i))
                    .collect();
                quote! {{
                    let (#(#vars,)*) = #value;
                    ::orbital::__private::Composite::tuple(::std::vec![
                        #(<_ as ::orbital::__private::IntoNode<#elems>>::into_arg(#vars)),*
                    ])
                }}
            }
        }
    }
}

/// The body's tail expression, when it is a tuple expression.
fn tail_tuple(func: &ItemFn) -> Option<&syn::ExprTuple> {
    match func.block.stmts.last()? {
        Stmt::Expr(Expr::Tuple(t), None) => Some(t),
        _ => None,
    }
}

/// What lattice `func` (declared output `declared`, written as `out_text`, whose node type is
/// `out_ty`) needs for its output.
pub fn expand(
    func: &ItemFn,
    declared: Option<&Type>,
    out_ty: TokenStream,
    out_text: &str,
    cfgs: &[&syn::Attribute],
) -> LatticeOutput {
    let name = &func.sig.ident;
    let vis = &func.vis;
    let out_span = match &func.sig.output {
        syn::ReturnType::Default => name.span(),
        syn::ReturnType::Type(_, t) => t.span(),
    };
    let raw_text = out_text;
    let out_text = shapes::escape(out_text);
    let elems = declared.and_then(shapes::tuple_elems);
    if let (Some(elems), Some(tail)) = (&elems, tail_tuple(func)) {
        if tail.elems.len() != elems.len() {
            let error = syn::Error::new_spanned(
                tail,
                format!(
                    "lattice `{name}` returns a tuple of {} element{} `{raw_text}`, but its body \
                     ends in a tuple of {}: expected one node or constant per element",
                    elems.len(),
                    if elems.len() == 1 { "" } else { "s" },
                    tail.elems.len(),
                ),
            );
            let tr = shapes::into_trait_of(&out_ty, "IntoTuple", out_span);
            return LatticeOutput {
                trait_defs: TokenStream::new(),
                body_ret: out_ty.clone(),
                body_override: Some(quote!({ ::core::unreachable!() })),
                error: Some(error),
                kind: Kind::Whole(tr),
            };
        }
        let mut trait_defs = TokenStream::new();
        let mut rets = Vec::new();
        for (i, ty) in elems.iter().enumerate() {
            let tr = format_ident!("__orbital_{}__return_{}", name, i, span = ty.span());
            let t = shapes::escape(&signature::type_text(ty));
            let message = format!(
                "lattice `{name}` returns `{out_text}`, but element {i} of its body's tuple is of \
                 type `{{Self}}`"
            );
            let label = format!("expected `{t}` or `Node<{t}>`, found `{{Self}}`");
            let note = shapes::arg_note(ty, &format!("element {i}"));
            let bound = shapes::into_trait_of(ty, "IntoNode", ty.span());
            trait_defs.extend(marker(
                vis,
                cfgs,
                &tr,
                ty.span(),
                &message,
                &label,
                &note,
                bound,
            ));
            rets.push(impl_of(ty, &tr));
        }
        return LatticeOutput {
            trait_defs,
            body_ret: tuple_of(declared, quote! { #(#rets,)* }),
            body_override: None,
            error: None,
            kind: Kind::Elements(elems.iter().map(|t| (*t).clone()).collect()),
        };
    }
    let tr = format_ident!("__orbital_{}__return", name, span = out_span);
    let message = format!(
        "lattice `{name}` returns `{out_text}`, but its body's value is of type `{{Self}}`"
    );
    let (bound, label, note) = match &elems {
        Some(elems) => {
            let nodes: Vec<String> = elems
                .iter()
                .map(|e| format!("Node<{}>", shapes::escape(&signature::type_text(e))))
                .collect();
            (
                shapes::into_trait_of(&out_ty, "IntoTuple", out_span),
                format!(
                    "expected `{out_text}`, a tuple of nodes and constants, or `Node<{out_text}>`, \
                     found `{{Self}}`"
                ),
                format!(
                    "a lattice's output is the value of its body: a `Node<{out_text}>` (the output \
                     of an electron or sub-lattice), or a tuple whose elements are each a node or \
                     a constant, such as `({})`",
                    nodes.join(", ")
                ),
            )
        }
        None => (
            shapes::into_trait_of(&out_ty, "IntoNode", out_span),
            format!("expected `{out_text}` or `Node<{out_text}>`, found `{{Self}}`"),
            format!(
                "a lattice's output is the value of its body: a `Node<{out_text}>` (the output of \
                 an electron or sub-lattice) or a `{out_text}` (a constant)"
            ),
        ),
    };
    let trait_defs = marker(
        vis,
        cfgs,
        &tr,
        out_span,
        &message,
        &label,
        &note,
        bound.clone(),
    );
    // Spanned on the declared output type: as for rustc's own `-> impl Trait`, the error lands
    // there, and labels the body's value with the type it has.
    let body_ret = match &func.sig.output {
        syn::ReturnType::Default => {
            let impl_token = quote_spanned! {name.span()=> impl };
            quote! { #impl_token #tr }
        }
        syn::ReturnType::Type(_, t) => impl_of(t, &tr),
    };
    LatticeOutput {
        trait_defs,
        body_ret,
        body_override: None,
        error: None,
        kind: Kind::Whole(bound),
    }
}

/// `(inner)`, its parentheses spanned on those of the declared tuple type: where rustc puts an
/// error about the tuple `__body` returns.
fn tuple_of(declared: Option<&Type>, inner: TokenStream) -> TokenStream {
    let mut group = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, inner);
    if let Some(Type::Tuple(t)) = declared {
        group.set_span(t.paren_token.span.join());
    }
    group.into_token_stream()
}

/// `impl Trait`, spanned over the user's type `ty`.
fn impl_of(ty: &Type, tr: &syn::Ident) -> TokenStream {
    let (first, last) = signature::span_range(ty);
    let impl_token = quote_spanned! {first=> impl };
    let tr_last = format_ident!("{}", tr, span = last);
    quote! { #impl_token #tr_last }
}

/// A marker trait implemented by everything that implements `bound`, with these diagnostics.
#[allow(clippy::too_many_arguments)]
fn marker(
    vis: &syn::Visibility,
    cfgs: &[&syn::Attribute],
    tr: &syn::Ident,
    span: Span,
    message: &str,
    label: &str,
    note: &str,
    bound: TokenStream,
) -> TokenStream {
    quote_spanned! {span=>
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        #vis trait #tr: #bound {}
        #(#cfgs)*
        impl<__T: #bound> #tr for __T {}
    }
}

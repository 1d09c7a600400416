//! The composite shapes a written type takes nodes in: `Vec<T>` (a `Vec` of nodes), a map
//! (`HashMap<K, Node<V>>`), a tuple (a tuple of nodes and constants, through `IntoTuple`). The
//! conversions themselves are in orbital-core (`graph/shapes.rs`); here is only what the
//! expansion needs to pick a trait and to word a diagnostic.

use proc_macro2::{Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, Type};

use crate::signature::type_text;

/// The most elements of a tuple that takes a tuple of nodes (`IntoTuple`'s impls).
pub const MAX_TUPLE: usize = 12;

/// Escapes `{` and `}` for a `#[diagnostic::on_unimplemented]` format string.
pub fn escape(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// The elements of a written tuple type of 1 to [`MAX_TUPLE`] elements.
pub fn tuple_elems(ty: &Type) -> Option<Vec<&Type>> {
    match ty {
        Type::Tuple(t) if (1..=MAX_TUPLE).contains(&t.elems.len()) => {
            Some(t.elems.iter().collect())
        }
        Type::Paren(p) => tuple_elems(&p.elem),
        _ => None,
    }
}

/// The trait a value given where `ty` is expected must implement: `IntoTuple<ty>` for a
/// written tuple type, else `IntoNode<ty>`; spanned on `ty`, so that a note about the bound
/// points at the user's type.
pub fn into_trait(ty: &Type) -> TokenStream {
    if tuple_elems(ty).is_some() {
        quote_spanned!(ty.span()=> ::orbital::__private::IntoTuple<#ty>)
    } else {
        quote_spanned!(ty.span()=> ::orbital::__private::IntoNode<#ty>)
    }
}

/// `::orbital::__private::{tr}<#ty>`, spanned at `span`.
pub fn into_trait_of(ty: &impl ToTokens, tr: &str, span: Span) -> TokenStream {
    let tr = quote::format_ident!("{}", tr, span = span);
    quote_spanned!(span=> ::orbital::__private::#tr<#ty>)
}

/// The generic arguments of the last segment of a path type named `name`.
fn args_of<'a>(ty: &'a Type, names: &[&str]) -> Option<Vec<&'a Type>> {
    let Type::Path(tp) = ty else { return None };
    let last = tp.path.segments.last()?;
    if !names.iter().any(|n| last.ident == n) || tp.qself.is_some() {
        return None;
    }
    match &last.arguments {
        PathArguments::AngleBracketed(a) => Some(
            a.args
                .iter()
                .filter_map(|a| match a {
                    GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// `Vec<T>`'s `T`, when the written type is a `Vec`.
pub fn vec_elem(ty: &Type) -> Option<&Type> {
    match args_of(ty, &["Vec"])?.as_slice() {
        [t] => Some(t),
        _ => None,
    }
}

/// A `HashMap<K, V>`'s or `BTreeMap<K, V>`'s name, `K` and `V`.
pub fn map_parts(ty: &Type) -> Option<(&'static str, &Type, &Type)> {
    let kind = ["HashMap", "BTreeMap"]
        .into_iter()
        .find(|n| args_of(ty, &[n]).is_some())?;
    match args_of(ty, &[kind])?.as_slice() {
        [k, v] | [k, v, _] => Some((kind, k, v)),
        _ => None,
    }
}

/// What a value given where `ty` is expected may be, for the note of a diagnostic (escaped);
/// `what` is the thing given: "an argument".
pub fn arg_note(ty: &Type, what: &str) -> String {
    let t = escape(&type_text(ty));
    let text = |t: &Type| escape(&type_text(t));
    if let Some(e) = vec_elem(ty) {
        let e = text(e);
        return format!(
            "{what} of type `{t}` may be a `{t}` (a constant), a `Node<{t}>` (the output of \
             an electron or sub-lattice), or a `Vec<Node<{e}>>` (a fan-in)"
        );
    }
    if let Some((kind, k, v)) = map_parts(ty) {
        let (k, v) = (text(k), text(v));
        return format!(
            "{what} of type `{t}` may be a `{t}` (a constant), a `Node<{t}>` (the output of \
             an electron or sub-lattice), or a `{kind}<{k}, Node<{v}>>` (a map of nodes)"
        );
    }
    if let Some(elems) = tuple_elems(ty) {
        let nodes: Vec<String> = elems.iter().map(|e| format!("Node<{}>", text(e))).collect();
        return format!(
            "{what} of type `{t}` may be a `Node<{t}>` (the output of an electron or \
             sub-lattice) or a tuple whose elements are each a node or a constant, such as \
             `({})`",
            nodes.join(", ")
        );
    }
    format!(
        "{what} of type `{t}` may be a `{t}` (a constant) or a `Node<{t}>` (the output of \
         an electron or sub-lattice)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        syn::parse_str(s).unwrap()
    }

    #[test]
    fn shapes_are_recognised_by_their_written_form() {
        assert_eq!(type_text(vec_elem(&ty("Vec<Node>")).unwrap()), "Node");
        assert!(vec_elem(&ty("HashMap<String, u8>")).is_none());
        let map = ty("std::collections::HashMap<String, u8>");
        let (kind, k, v) = map_parts(&map).unwrap();
        assert_eq!(
            (kind, type_text(k), type_text(v)),
            ("HashMap", "String".into(), "u8".into())
        );
        assert_eq!(
            map_parts(&ty("BTreeMap<u8, Vec<f64>>")).unwrap().0,
            "BTreeMap"
        );
        assert!(map_parts(&ty("Vec<u8>")).is_none());
        assert_eq!(tuple_elems(&ty("(f64, usize)")).unwrap().len(), 2);
        assert_eq!(tuple_elems(&ty("(f64,)")).unwrap().len(), 1);
        assert!(tuple_elems(&ty("()")).is_none());
        assert!(tuple_elems(&ty("(u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8)")).is_none());
    }

    #[test]
    fn notes_name_the_shape() {
        assert!(arg_note(&ty("HashMap<String, f64>"), "an argument")
            .contains("`HashMap<String, Node<f64>>`"));
        assert!(arg_note(&ty("(f64, usize)"), "an argument").contains("`(Node<f64>, Node<usize>)`"));
        assert_eq!(escape("[u8; {N}]"), "[u8; {{N}}]");
    }
}

//! Checking the signature of an electron or lattice, and what the expansion needs from it.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::shapes;

/// One parameter: its name and type.
pub struct Param {
    pub ident: Ident,
    pub ty: Type,
}

/// The output of an electron: `T`, or `Result<T, E>` (the node is then a `T`).
pub enum Output {
    Plain(Type),
    Result { ret: Box<Type>, ok: Option<Type> },
}

impl Output {
    /// The type of the node's value.
    pub fn node_type(&self) -> TokenStream {
        match self {
            Output::Plain(t) => t.to_token_stream(),
            Output::Result { ok: Some(t), .. } => t.to_token_stream(),
            Output::Result { ret, ok: None } => {
                quote!(<#ret as ::orbital::__private::ElectronResult>::Ok)
            }
        }
    }

    /// The type written after `->` (or `()`).
    pub fn written(&self) -> TokenStream {
        match self {
            Output::Plain(t) => t.to_token_stream(),
            Output::Result { ret, .. } => ret.to_token_stream(),
        }
    }
}

/// What the expansion needs of a checked function.
pub struct Signature {
    pub params: Vec<Param>,
    pub output: Output,
}

/// Checks the parts of a signature that neither electrons nor lattices support, collecting one
/// error per offending token.
pub fn check(item: &ItemFn, what: &str, errors: &mut Vec<syn::Error>) -> Signature {
    let sig = &item.sig;
    let a_what = article(what);
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let generics: &dyn ToTokens = if sig.generics.params.is_empty() {
            &sig.generics.where_clause
        } else {
            &sig.generics
        };
        errors.push(syn::Error::new_spanned(
            generics,
            format!(
                "generic {what}s are not supported: {a_what} is registered once, under one name, and \
                 its values are decoded with concrete types; write one {what} per type, or take an enum"
            ),
        ));
    }
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            c,
            format!("{a_what} cannot be a `const fn`"),
        ));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            u,
            format!("{a_what} cannot be an `unsafe fn`"),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("{a_what} cannot have an `extern` ABI"),
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            format!("{a_what} cannot be variadic"),
        ));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => errors.push(syn::Error::new_spanned(
                r,
                format!(
                    "{a_what} cannot take `self`: {what}s are free functions that run wherever their \
                     executor is; make it a free function and pass what it needs as parameters"
                ),
            )),
            FnArg::Typed(pt) => {
                let ident = match &*pt.pat {
                    Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
                    other => {
                        errors.push(syn::Error::new_spanned(
                            other,
                            format!(
                                "{what} parameters must be plain names (`x: T`), not patterns: \
                                 a parameter's name labels its input; destructure inside the body"
                            ),
                        ));
                        continue;
                    }
                };
                check_type(&pt.ty, what, errors);
                params.push(Param {
                    ident,
                    ty: (*pt.ty).clone(),
                });
            }
        }
    }
    let output = match &sig.output {
        ReturnType::Default => Output::Plain(syn::parse_quote!(())),
        ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(it) = &**ty {
                errors.push(syn::Error::new_spanned(
                    it,
                    format!(
                        "{a_what} cannot return `impl Trait`: its output crosses a process \
                         boundary, so name its concrete type"
                    ),
                ));
            } else {
                check_type(ty, what, errors);
            }
            classify(ty)
        }
    };
    Signature { params, output }
}

fn classify(ty: &Type) -> Output {
    if let Type::Path(tp) = ty {
        if let Some(last) = tp.path.segments.last() {
            if last.ident == "Result" && tp.qself.is_none() {
                let ok = match &last.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        GenericArgument::Type(t) => Some(t.clone()),
                        _ => None,
                    }),
                    _ => None,
                };
                return Output::Result {
                    ret: Box::new(ty.clone()),
                    ok,
                };
            }
        }
    }
    Output::Plain(ty.clone())
}

/// The `E` of a written `Result<T, E>`.
pub fn result_err(ret: &Type) -> Option<&Type> {
    let Type::Path(tp) = ret else { return None };
    match &tp.path.segments.last()?.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .nth(1),
        _ => None,
    }
}

fn check_type(ty: &Type, what: &str, errors: &mut Vec<syn::Error>) {
    let a_what = article(what);
    match ty {
        Type::ImplTrait(it) => errors.push(syn::Error::new_spanned(
            it,
            format!(
                "`impl Trait` is not supported in {a_what}'s signature: its values are decoded in \
                 the process that runs it, which needs their concrete type; name the type"
            ),
        )),
        Type::Reference(r) => {
            let hint = match &*r.elem {
                Type::Path(p) if p.path.is_ident("str") => "take a `String`".to_owned(),
                Type::Slice(s) => format!("take a `Vec<{}>`", s.elem.to_token_stream()),
                other => format!("take a `{}` by value", other.to_token_stream()),
            };
            errors.push(syn::Error::new_spanned(
                r,
                format!(
                    "{a_what}'s parameters and output cannot be references: they cross process \
                     boundaries; {hint}"
                ),
            ));
        }
        Type::TraitObject(t) => errors.push(syn::Error::new_spanned(
            t,
            format!(
                "{a_what}'s parameters and output cannot be trait objects: they cross process \
                 boundaries, so name a concrete type"
            ),
        )),
        Type::Paren(p) => check_type(&p.elem, what, errors),
        Type::Group(g) => check_type(&g.elem, what, errors),
        _ => {}
    }
}

/// `fn name(a: A, b: B) -> R`, tidied, for the registry.
pub fn display(name: &Ident, sig: &Signature) -> String {
    let params: Vec<String> = sig
        .params
        .iter()
        .map(|p| format!("{}: {}", p.ident, tidy(&p.ty.to_token_stream().to_string())))
        .collect();
    let out = tidy(&sig.output.written().to_string());
    if out == "()" {
        format!("fn {name}({})", params.join(", "))
    } else {
        format!("fn {name}({}) -> {out}", params.join(", "))
    }
}

fn tidy(s: &str) -> String {
    s.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// The spans of the first and last tokens of `t`. On stable a span covers one token; generated
/// code whose first token has the first span and whose last token has the last one covers all
/// of `t` when an error points at it.
pub fn span_range(t: &impl ToTokens) -> (proc_macro2::Span, proc_macro2::Span) {
    let mut tokens = t.to_token_stream().into_iter();
    let first = tokens
        .next()
        .map_or_else(proc_macro2::Span::call_site, |t| t.span());
    let last = tokens.last().map_or(first, |t| t.span());
    (first, last)
}

/// `DataFns::<ty>::new()`, spanned so that a `ty: Data` error covers `span_of` (the user's type).
pub fn data_fns(kind: &str, ty: &TokenStream, span_of: &impl ToTokens) -> TokenStream {
    let (first, last) = span_range(span_of);
    let kind = quote::format_ident!("{}", kind, span = first);
    let head = quote::quote_spanned! {first=> ::orbital::__private::#kind::<#ty> };
    let tail = quote::quote_spanned! {last=> ::new() };
    quote! { #head #tail }
}

/// "an electron", "a lattice".
pub fn article(what: &str) -> String {
    if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {what}")
    } else {
        format!("a {what}")
    }
}

/// A type as the user wrote it, tidied for a message.
pub fn type_text(ty: &Type) -> String {
    tidy(&ty.to_token_stream().to_string())
}

/// One marker trait per parameter, implemented by everything that is `IntoNode<P>`: bounding
/// the node function's parameter by it makes a wrong argument's error name the electron (or
/// lattice), the parameter and both types, through its `#[diagnostic::on_unimplemented]`.
///
/// Returns the definitions and the trait of each parameter.
pub fn arg_traits(
    what: &str,
    name: &Ident,
    vis: &syn::Visibility,
    cfgs: &[&syn::Attribute],
    params: &[Param],
) -> (TokenStream, Vec<Ident>) {
    let mut defs = TokenStream::new();
    let mut traits = Vec::new();
    for p in params {
        let (id, ty) = (&p.ident, &p.ty);
        let trait_name = quote::format_ident!("__orbital_{}__{}", name, id, span = ty.span());
        let t = shapes::escape(&type_text(ty));
        let message =
            format!("{what} `{name}` takes `{id}: {t}`, but this argument is of type `{{Self}}`");
        let label = if shapes::tuple_elems(ty).is_some() {
            format!(
                "expected `{t}`, a tuple of nodes and constants, or `Node<{t}>`, found `{{Self}}`"
            )
        } else {
            format!("expected `{t}` or `Node<{t}>`, found `{{Self}}`")
        };
        let note = shapes::arg_note(ty, "an argument");
        let bound = shapes::into_trait(ty);
        defs.extend(quote::quote_spanned! {ty.span()=>
            #(#cfgs)*
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #vis trait #trait_name: #bound {}
            #(#cfgs)*
            impl<__T: #bound> #trait_name for __T {}
        });
        traits.push(trait_name);
    }
    (defs, traits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_str(src: &str) -> (Signature, Vec<String>) {
        let item: ItemFn = syn::parse_str(src).unwrap();
        let mut errors = Vec::new();
        let sig = check(&item, "electron", &mut errors);
        (sig, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn result_outputs_name_their_ok_and_err() {
        let (sig, errors) = check_str("fn f(a: u32) -> Result<Vec<u8>, MyError> { todo!() }");
        assert!(errors.is_empty());
        let Output::Result { ret, ok } = &sig.output else {
            panic!("not a Result")
        };
        assert_eq!(type_text(ok.as_ref().unwrap()), "Vec<u8>");
        assert_eq!(type_text(result_err(ret).unwrap()), "MyError");
    }

    #[test]
    fn each_unsupported_part_is_one_error() {
        let (_, errors) = check_str("fn f<T>(&self, (a, b): (u8, u8), s: &str, x: impl Copy) {}");
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].starts_with("generic electrons are not supported"));
        assert!(errors[1].starts_with("an electron cannot take `self`"));
        assert!(errors[3].ends_with("take a `String`"));
    }

    #[test]
    fn messages_use_the_right_article() {
        assert_eq!(article("electron"), "an electron");
        assert_eq!(article("lattice"), "a lattice");
    }
}

//! Checking the signature of an electron or lattice, and what the expansion needs from it.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// One parameter: its name and type.
pub struct Param {
    pub ident: Ident,
    pub ty: Type,
}

/// The output of an electron: `T`, or `Result<T, E>` (the node is then a `T`).
pub enum Output {
    Plain(Type),
    Result { ret: Type, ok: Option<Type> },
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
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let span = if sig.generics.params.is_empty() {
            sig.generics.where_clause.span()
        } else {
            sig.generics.params.span()
        };
        errors.push(syn::Error::new(
            span,
            format!(
                "generic {what}s are not supported: a {what} is registered once, under one name, and its \
                 values are decoded with concrete types; write one {what} per type, or take an enum"
            ),
        ));
    }
    if let Some(c) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            c,
            format!("a {what} cannot be a `const fn`"),
        ));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            u,
            format!("a {what} cannot be an `unsafe fn`"),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("a {what} cannot have an `extern` ABI"),
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            v,
            format!("a {what} cannot be variadic"),
        ));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => errors.push(syn::Error::new(
                r.self_token.span,
                format!(
                    "a {what} cannot take `self`: {what}s are free functions that run wherever their \
                     executor is; move this into a free function and pass what it needs as parameters"
                ),
            )),
            FnArg::Typed(pt) => {
                let ident = match &*pt.pat {
                    Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
                    other => {
                        errors.push(syn::Error::new_spanned(
                            other,
                            format!("{what} parameters must be plain names (`x: T`): destructure inside the body"),
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
                    format!("a {what} cannot return `impl Trait`: its output crosses a process boundary, so name its concrete type"),
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
                    ret: ty.clone(),
                    ok,
                };
            }
        }
    }
    Output::Plain(ty.clone())
}

fn check_type(ty: &Type, what: &str, errors: &mut Vec<syn::Error>) {
    match ty {
        Type::ImplTrait(it) => errors.push(syn::Error::new_spanned(
            it,
            format!(
                "`impl Trait` parameters are not supported in a {what}: its arguments are decoded in the \
                 process that runs it, which needs their concrete type; name the type"
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
                format!("a {what}'s parameters and output cross process boundaries, so they cannot be references: {hint}"),
            ));
        }
        Type::TraitObject(t) => errors.push(syn::Error::new_spanned(
            t,
            format!("trait objects cannot cross a process boundary; a {what} needs a concrete type"),
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

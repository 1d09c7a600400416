//! `files`, `deps_bash`, `call_before` and `call_after` of `#[electron]`: checked here where
//! their tokens allow (literal locations, command strings, function paths), expanded into the
//! electron's `Helpers`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

use crate::options::Options;

/// The placeholders a transfer's path may hold (as `around/files/location.rs` fills them).
const PLACEHOLDERS: &[&str] = &["dispatch", "node", "attempt", "electron"];

/// The elements of `[a, b]`, or the one value given alone.
fn elements(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Array(a) => a.elems.iter().collect(),
        other => vec![other],
    }
}

/// The `Helpers { .. }` expression of these options.
pub fn expand(opts: &Options, errors: &mut Vec<syn::Error>) -> TokenStream {
    let deps = deps_bash(opts.deps_bash.as_ref(), errors);
    let before = calls(opts.call_before.as_ref(), "call_before", errors);
    let after = calls(opts.call_after.as_ref(), "call_after", errors);
    let files = files(opts.files.as_ref(), errors);
    quote! {
        ::orbital::__private::Helpers {
            files: #files,
            deps_bash: &[#(#deps),*],
            call_before: &[#(#before),*],
            call_after: &[#(#after),*],
        }
    }
}

fn deps_bash(e: Option<&Expr>, errors: &mut Vec<syn::Error>) -> Vec<syn::LitStr> {
    let Some(e) = e else { return Vec::new() };
    let mut out = Vec::new();
    for el in elements(e) {
        match el {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) if !s.value().trim().is_empty() => out.push(s.clone()),
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => errors.push(syn::Error::new_spanned(
                s,
                "a `deps_bash` command is empty; remove it, or write the shell line to run",
            )),
            other => errors.push(syn::Error::new_spanned(
                other,
                "`deps_bash` takes shell commands as string literals, e.g. \
                 `deps_bash = [\"module load cuda\", \"mkdir -p data\"]`",
            )),
        }
    }
    out
}

fn calls(e: Option<&Expr>, option: &str, errors: &mut Vec<syn::Error>) -> Vec<TokenStream> {
    let Some(e) = e else { return Vec::new() };
    let mut out = Vec::new();
    for el in elements(e) {
        let Expr::Path(p) = el else {
            errors.push(syn::Error::new_spanned(
                el,
                format!(
                    "`{option}` takes paths of functions, e.g. `{option} = [setup, db::connect]`; \
                     the function of an electron `name` is `name::call`"
                ),
            ));
            continue;
        };
        let name = p.to_token_stream().to_string().replace(' ', "");
        let call = quote_spanned! {p.span()=> ::orbital::__private::call_result(#p()) };
        out.push(quote! {
            ::orbital::__private::CallDep {
                name: #name,
                call: {
                    fn __orbital_call() -> ::orbital::__private::CallResult { #call }
                    __orbital_call
                },
            }
        });
    }
    out
}

fn files(e: Option<&Expr>, errors: &mut Vec<syn::Error>) -> TokenStream {
    let Some(e) = e else {
        return quote!(::core::option::Option::None);
    };
    let mut elems = Vec::new();
    let mut checks = Vec::new();
    for el in elements(e) {
        elems.push(transfer(el, &mut checks, errors));
    }
    quote! {
        ::core::option::Option::Some({
            #(#checks)*
            fn __orbital_files() -> ::std::vec::Vec<::orbital::__private::Transfer> {
                ::std::vec![#(#elems),*]
            }
            __orbital_files
        })
    }
}

/// One element of `files`: `from(..)` and `to(..)` (with any builder calls after them) become
/// orbital's, with literal paths checked; any other expression must give a `Transfer`.
fn transfer(el: &Expr, checks: &mut Vec<TokenStream>, errors: &mut Vec<syn::Error>) -> TokenStream {
    let mut el = el.clone();
    let mut malformed = false;
    let root = {
        let mut cur = &mut el;
        while let Expr::MethodCall(m) = cur {
            cur = &mut *m.receiver;
        }
        cur
    };
    if let Expr::Call(call) = root {
        let which = match &*call.func {
            Expr::Path(p) if p.path.is_ident("from") => Some("from"),
            Expr::Path(p) if p.path.is_ident("to") => Some("to"),
            _ => None,
        };
        if let Some(which) = which {
            if call.args.len() != 2 {
                malformed = true;
                errors.push(syn::Error::new_spanned(
                    &*call,
                    format!(
                        "`{which}` takes two paths: {}",
                        if which == "from" {
                            "`from(remote, local)`, e.g. `from(\"s3://bucket/in.csv\", \"in.csv\")`"
                        } else {
                            "`to(local, remote)`, e.g. `to(\"out.csv\", \"s3://bucket/{dispatch}/out.csv\")`"
                        }
                    ),
                ));
            } else {
                let (remote, local) = if which == "from" { (0, 1) } else { (1, 0) };
                if let Some(s) = lit_str(&call.args[remote]) {
                    check_remote(s, checks, errors);
                }
                if let Some(s) = lit_str(&call.args[local]) {
                    check_placeholders(s, errors);
                    if s.value().contains("://") {
                        errors.push(syn::Error::new_spanned(
                            s,
                            format!(
                                "the local end of `{which}` is a path on the task's host, not a URL; \
                                 the remote end is the {} argument",
                                if which == "from" { "first" } else { "second" }
                            ),
                        ));
                    }
                }
            }
            let f = syn::Ident::new(which, call.func.span());
            *call.func =
                syn::parse_quote_spanned! {call.func.span()=> ::orbital::__private::transfer::#f };
        }
    }
    if malformed {
        // Reported above: expand to a well-formed transfer, so that rustc adds no error of its own.
        return quote!(::orbital::__private::transfer::from("", ""));
    }
    quote_spanned! {el.span()=> { let __t: ::orbital::__private::Transfer = #el; __t } }
}

fn lit_str(e: &Expr) -> Option<&syn::LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s),
        _ => None,
    }
}

fn check_placeholders(s: &syn::LitStr, errors: &mut Vec<syn::Error>) {
    let v = s.value();
    let mut rest = v.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            errors.push(syn::Error::new_spanned(
                s,
                "this path has a `{` with no `}`",
            ));
            return;
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            let list = PLACEHOLDERS
                .iter()
                .map(|p| format!("`{{{p}}}`"))
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(syn::Error::new_spanned(
                s,
                format!("unknown placeholder `{{{name}}}`; a transfer's path may hold {list}"),
            ));
        }
        rest = &after[close + 1..];
    }
}

fn check_remote(s: &syn::LitStr, checks: &mut Vec<TokenStream>, errors: &mut Vec<syn::Error>) {
    check_placeholders(s, errors);
    let v = s.value();
    let Some((scheme, rest)) = v.split_once("://") else {
        return; // a local path
    };
    let feature = match scheme {
        "file" | "rsync" | "sftp" => None,
        "s3" => Some(("s3", quote!(S3_TRANSFERS))),
        "http" | "https" => Some(("http", quote!(HTTP_TRANSFERS))),
        other => {
            errors.push(syn::Error::new_spanned(
                s,
                format!(
                    "orbital cannot move files by `{other}://`; a transfer's remote end is a local path, \
                     `file://`, `rsync://`, `sftp://`, `s3://`, `http://` or `https://`"
                ),
            ));
            return;
        }
    };
    if scheme == "s3"
        && !rest
            .split_once('/')
            .is_some_and(|(b, k)| !b.is_empty() && !k.is_empty())
    {
        errors.push(syn::Error::new_spanned(
            s,
            "an S3 location is `s3://bucket/key`",
        ));
    }
    if (scheme == "rsync" || scheme == "sftp") && !rest.contains('/') {
        errors.push(syn::Error::new_spanned(
            s,
            format!("an {scheme} location is `{scheme}://[user@]host[:port]/path`"),
        ));
    }
    if let Some((feature, flag)) = feature {
        let msg = format!(
            "`{v}` needs orbital's `{feature}` feature: add it to your dependency, \
             `orbital = {{ .., features = [\"{feature}\"] }}`"
        );
        checks.push(quote_spanned! {s.span()=>
            const _: () = ::core::assert!(::orbital::__private::#flag, #msg);
        });
    }
}

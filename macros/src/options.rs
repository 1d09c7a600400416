//! Parsing `#[electron(...)]` and `#[lattice(...)]` options.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, MetaNameValue, Token};

/// The options a macro accepted.
#[derive(Default)]
pub struct Options {
    pub executor: Option<Expr>,
    pub retries: Option<Expr>,
    pub time_limit: Option<Expr>,
    pub name: Option<syn::LitStr>,
    pub cache: Option<syn::LitBool>,
    pub version: Option<syn::LitStr>,
    pub files: Option<Expr>,
    pub deps_bash: Option<Expr>,
    pub call_before: Option<Expr>,
    pub call_after: Option<Expr>,
}

/// Parses `key = value, ...`, accepting only `allowed` keys.
pub fn parse(
    args: TokenStream,
    what: &str,
    allowed: &[&str],
    errors: &mut Vec<syn::Error>,
) -> Options {
    let mut options = Options::default();
    let pairs = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args) {
        Ok(p) => p,
        Err(e) => {
            errors.push(syn::Error::new(
                e.span(),
                format!("expected `key = value` options of `#[{what}]`, separated by commas: {e}"),
            ));
            return options;
        }
    };
    for pair in pairs {
        let key = match pair.path.get_ident() {
            Some(k) => k.to_string(),
            None => String::new(),
        };
        if !allowed.contains(&key.as_str()) {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(syn::Error::new_spanned(
                &pair.path,
                format!(
                    "unknown option `{}` of `#[{what}]`; the options are {list}",
                    {
                        let p = &pair.path;
                        quote!(#p).to_string().replace(' ', "")
                    }
                ),
            ));
            continue;
        }
        let slot_taken = match key.as_str() {
            "executor" => options.executor.replace(pair.value.clone()).is_some(),
            "retries" => options.retries.replace(pair.value.clone()).is_some(),
            "time_limit" => options.time_limit.replace(pair.value.clone()).is_some(),
            "files" => options.files.replace(pair.value.clone()).is_some(),
            "deps_bash" => options.deps_bash.replace(pair.value.clone()).is_some(),
            "call_before" => options.call_before.replace(pair.value.clone()).is_some(),
            "call_after" => options.call_after.replace(pair.value.clone()).is_some(),
            "name" => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => options.name.replace(s.clone()).is_some(),
                other => {
                    errors.push(syn::Error::new_spanned(
                        other,
                        "`name` takes a string literal: the stable name the electron is registered under",
                    ));
                    false
                }
            },
            "cache" => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => options.cache.replace(b.clone()).is_some(),
                other => {
                    errors.push(syn::Error::new_spanned(
                        other,
                        "`cache` takes `true` or `false`: whether an earlier result of the same code and arguments is reused",
                    ));
                    false
                }
            },
            "version" => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => options.version.replace(s.clone()).is_some(),
                other => {
                    errors.push(syn::Error::new_spanned(
                        other,
                        "`version` takes a string literal, e.g. `version = \"2\"`: bump it when a helper the electron calls changes",
                    ));
                    false
                }
            },
            _ => false,
        };
        if slot_taken {
            errors.push(syn::Error::new_spanned(
                &pair.path,
                format!("option `{key}` is given twice"),
            ));
        }
    }
    options
}

/// `executor = "name"` or `executor = expr` as an `ExecutorChoice`.
pub fn executor_choice(executor: &Option<Expr>) -> TokenStream {
    match executor {
        None => quote!(::orbital::__private::ExecutorChoice::Default),
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => {
            quote!(::orbital::__private::ExecutorChoice::Named(#s))
        }
        Some(expr) => quote_spanned! {expr.span()=>
            ::orbital::__private::ExecutorChoice::Value({
                fn __orbital_executor() -> ::orbital::__private::ExecutorSel {
                    static CELL: ::std::sync::OnceLock<::orbital::__private::ExecutorSel> = ::std::sync::OnceLock::new();
                    CELL.get_or_init(|| ::orbital::__private::executor_sel(#expr)).clone()
                }
                __orbital_executor
            })
        },
    }
}

/// `time_limit = "30s"` (checked now) or `time_limit = <const Duration expr>`.
pub fn time_limit(time_limit: &Option<Expr>, errors: &mut Vec<syn::Error>) -> TokenStream {
    match time_limit {
        None => quote!(::core::option::Option::None),
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => match humantime::parse_duration(&s.value()) {
            Ok(d) if !d.is_zero() => {
                let nanos = d.as_nanos() as u64;
                quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
            }
            Ok(_) => {
                errors.push(syn::Error::new_spanned(
                    s,
                    "`time_limit` must be longer than zero",
                ));
                quote!(::core::option::Option::None)
            }
            Err(e) => {
                let why = match e {
                    humantime::DurationError::UnknownUnit { unit, .. } => {
                        format!("unknown time unit `{unit}`")
                    }
                    humantime::DurationError::InvalidCharacter(at) => {
                        format!("unexpected character at byte {at}")
                    }
                    humantime::DurationError::NumberExpected(at) => {
                        format!("expected a number at byte {at}")
                    }
                    humantime::DurationError::NumberOverflow => {
                        "the duration is too long".to_owned()
                    }
                    humantime::DurationError::Empty => "the duration is empty".to_owned(),
                };
                errors.push(syn::Error::new_spanned(
                    s,
                    format!(
                        "invalid `time_limit`: {why}; write a duration such as \"30s\", \"5m\", \"1h 30m\" or \"250ms\", or a `Duration` expression"
                    ),
                ));
                quote!(::core::option::Option::None)
            }
        },
        Some(expr) => quote_spanned! {expr.span()=>
            ::core::option::Option::Some({ let __d: ::core::time::Duration = #expr; __d })
        },
    }
}

/// `retries = N`.
pub fn retries(retries: &Option<Expr>) -> TokenStream {
    match retries {
        None => quote!(0u32),
        Some(expr) => quote_spanned! {expr.span()=> { let __r: u32 = #expr; __r }},
    }
}

//! `#[orbital::main]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(
            &args,
            "`#[orbital::main]` takes no options: it selects the binary's mode and runs `main` on a \
             multi-threaded tokio runtime",
        ));
    }
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let msg = syn::Error::new(e.span(), "`#[orbital::main]` goes on `fn main`");
            return quote!(#item)
                .into_iter()
                .chain(msg.to_compile_error())
                .collect();
        }
    };
    // Options are ignored after their error; a signature `main` cannot have is fatal: the body
    // is kept (for IDEs) in a function nobody calls, so that the only errors are these.
    let mut fatal = false;
    if !func.sig.inputs.is_empty() {
        fatal = true;
        errors.push(syn::Error::new_spanned(
            &func.sig.inputs,
            "`#[orbital::main]` goes on a `main` that takes no arguments; read the command line \
             with `std::env::args()`",
        ));
    }
    if !func.sig.generics.params.is_empty() || func.sig.generics.where_clause.is_some() {
        fatal = true;
        errors.push(syn::Error::new_spanned(
            &func.sig.generics,
            "`main` cannot be generic",
        ));
    }
    let errs = errors.into_iter().map(|e| e.to_compile_error());
    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &func.sig.ident;
    let output = &func.sig.output;
    let body = &func.block;
    let expanded = if fatal {
        let mut unused = func.clone();
        unused.sig.ident = syn::Ident::new("__orbital_main", name.span());
        quote! {
            #(#attrs)*
            #vis fn #name() #output {
                #[allow(dead_code)]
                #unused
                ::core::unreachable!()
            }
        }
    } else if func.sig.asyncness.is_some() {
        let record = record_program();
        quote! {
            #(#attrs)*
            #vis fn #name() #output {
                #record
                async fn __orbital_main() #output #body
                ::orbital::__private::run_main(__orbital_main())
            }
        }
    } else {
        let record = record_program();
        quote! {
            #(#attrs)*
            #vis fn #name() #output {
                #record
                ::orbital::__private::init_or_exit();
                #body
            }
        }
    };
    quote!(#expanded #(#errs)*)
}

/// Records where the program comes from (package, target, the features that are on), so that
/// an executor can build it again for another machine. The package's features are read from
/// its `Cargo.toml` here, and each is kept only when `cfg(feature)` says it is on.
fn record_program() -> TokenStream {
    // `None`: the manifest could not be read, so the features that are on are unknown.
    let (known, features) = match package_features() {
        Some(f) => (true, f),
        None => (false, Vec::new()),
    };
    quote! {
        {
            static __ORBITAL_PROGRAM: ::orbital::__private::ProgramRecord =
                ::orbital::__private::ProgramRecord {
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                    package: ::core::env!("CARGO_PKG_NAME"),
                    bin_name: ::core::option_env!("CARGO_BIN_NAME"),
                    crate_name: ::core::env!("CARGO_CRATE_NAME"),
                    features: &[#( #[cfg(feature = #features)] #features, )*],
                    features_known: #known,
                };
            ::orbital::__private::record_program(&__ORBITAL_PROGRAM);
        }
    }
}

/// The names in the `[features]` table of the package being compiled (`None` when its
/// manifest cannot be read or parsed).
fn package_features() -> Option<Vec<String>> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let text = std::fs::read_to_string(std::path::Path::new(&dir).join("Cargo.toml")).ok()?;
    let manifest = text.parse::<toml::Table>().ok()?;
    Some(
        manifest
            .get("features")
            .and_then(|f| f.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

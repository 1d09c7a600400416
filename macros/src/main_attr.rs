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
        quote! {
            #(#attrs)*
            #vis fn #name() #output {
                async fn __orbital_main() #output #body
                ::orbital::__private::run_main(__orbital_main())
            }
        }
    } else {
        quote! {
            #(#attrs)*
            #vis fn #name() #output {
                ::orbital::__private::init_or_exit();
                #body
            }
        }
    };
    quote!(#expanded #(#errs)*)
}

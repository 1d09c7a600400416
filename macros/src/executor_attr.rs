//! `#[orbital::executor]`: an `impl Executor for T` block made into a registered executor.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl};

use crate::options;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let opts = options::parse(args.clone(), "orbital::executor", &["name"], &mut errors);
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(b) => b,
        Err(e) => {
            let msg = syn::Error::new(
                e.span(),
                "`#[orbital::executor]` goes on an `impl Executor for YourType` block",
            );
            return quote!(#item)
                .into_iter()
                .chain(msg.to_compile_error())
                .collect();
        }
    };
    let is_executor = block
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|s| s.ident == "Executor");
    if !is_executor {
        let span = match &block.trait_ {
            Some((_, path, _)) => path.span(),
            None => block.self_ty.span(),
        };
        errors.push(syn::Error::new(
            span,
            "`#[orbital::executor]` goes on an `impl Executor for YourType` block",
        ));
    }
    let name = match opts.name {
        Some(n) => n,
        None => {
            if errors.is_empty() {
                errors.push(syn::Error::new_spanned(
                    &block.self_ty,
                    "`#[orbital::executor]` needs `name = \"...\"`: the `type = \"...\"` that \
                     selects this executor in `[executors.NAME]` of orbital.toml",
                ));
            }
            syn::LitStr::new("executor", block.self_ty.span())
        }
    };
    let errs = errors.iter().map(syn::Error::to_compile_error);
    if !is_executor {
        return quote!(#item #(#errs)*);
    }
    let has_kind = block
        .items
        .iter()
        .any(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "kind"));
    if !has_kind {
        block.items.insert(
            0,
            syn::parse_quote! {
                fn kind(&self) -> &'static str {
                    #name
                }
            },
        );
    }
    quote! {
        const _: () = {
            use ::orbital::__private::typetag;
            #[typetag::serde(name = #name)]
            #[::orbital::__private::async_trait]
            #block
        };
        #(#errs)*
    }
}

//! `#[electron]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ItemFn;

use crate::code_hash;
use crate::helpers;
use crate::options;
use crate::params;
use crate::signature::{self, Output};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let opts = options::parse(
        args,
        "electron",
        &[
            "executor",
            "retries",
            "time_limit",
            "name",
            "cache",
            "version",
            "files",
            "deps_bash",
            "call_before",
            "call_after",
        ],
        &mut errors,
    );
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let msg = syn::Error::new(
                e.span(),
                "`#[electron]` goes on a function: `fn name(x: T) -> U { .. }`",
            );
            return quote!(#item)
                .into_iter()
                .chain(msg.to_compile_error())
                .collect();
        }
    };
    // Signature errors leave nothing sensible to expand: re-emit the function as written. An
    // option error does not: expand without that option, so callers still type-check and the
    // option's error is the only one.
    let mut fatal = Vec::new();
    let sig = signature::check(&func, "electron", &mut fatal);
    let time_limit = options::time_limit(&opts.time_limit, &mut errors);
    let helpers = helpers::expand(&opts, &mut errors);
    if !fatal.is_empty() {
        let errs = fatal
            .into_iter()
            .chain(errors)
            .map(|e| e.to_compile_error());
        return quote!(#func #(#errs)*);
    }
    let errors = errors.into_iter().map(|e| e.to_compile_error());

    let vis = &func.vis;
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let def = format_ident!("__orbital_electron_{}", name);
    let attrs = &func.attrs;
    let docs: Vec<_> = attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
    let cfgs: Vec<_> = attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
    let registered = match &opts.name {
        Some(n) => quote!(#n),
        None => quote!(::core::concat!(::core::module_path!(), "::", #name_str)),
    };
    let signature_str = signature::display(name, &sig);
    let version = opts.version.as_ref().map(syn::LitStr::value);
    let code_hash = code_hash::of(&func, version.as_deref());
    let cache = opts.cache.as_ref().is_some_and(|b| b.value);
    let executor = options::executor_choice(&opts.executor);
    let retries = options::retries(&opts.retries);
    let node_ty = sig.output.node_type();
    let n = sig.params.len();
    let is_async = func.sig.asyncness.is_some();

    let idents: Vec<_> = sig.params.iter().map(|p| &p.ident).collect();
    let p = params::expand("electron", name, vis, &cfgs, &sig.params);
    let (arg_trait_defs, node_params, node_args, arg_fns_defs, param_defs, decodes) = (
        &p.trait_defs,
        &p.node_params,
        &p.node_args,
        &p.fns_defs,
        &p.param_defs,
        &p.decodes,
    );

    let out_written = match &sig.output {
        Output::Plain(t) | Output::Result { ok: Some(t), .. } => t,
        Output::Result { ret, ok: None } => &**ret,
    };
    let out_new = signature::data_fns("DataFns", &node_ty, out_written);
    let out_fns_def = quote! {
        const __ORBITAL_OUTPUT: ::orbital::__private::DataFns<#node_ty> = #out_new;
    };
    let await_ = is_async.then(|| quote!(.await));
    let call = quote!(#name::call(#(#idents),*) #await_);
    let finish = match &sig.output {
        Output::Plain(_) => quote! {
            #name::__ORBITAL_OUTPUT.encode_output(&__out, #name_str)
        },
        Output::Result { ret, .. } => {
            let (first, last) = match signature::result_err(ret) {
                Some(e) => signature::span_range(e),
                None => signature::span_range(ret),
            };
            let head = quote_spanned! {first=> ::orbital::__private::error_message };
            let message = quote_spanned! {last=> #head(&__e) };
            quote! {
                match __out {
                    ::core::result::Result::Ok(__v) => #name::__ORBITAL_OUTPUT.encode_output(&__v, #name_str),
                    ::core::result::Result::Err(__e) => ::core::result::Result::Err(
                        ::orbital::__private::TaskError::failed(#message),
                    ),
                }
            }
        }
    };
    let body = quote! {
        ::orbital::__private::check_arity(&__args, #n, #name_str)?;
        #(#decodes)*
        let __out = #call;
        #finish
    };
    let invoke = if is_async {
        quote! {
            ::orbital::__private::Invoke::Async({
                fn __orbital_invoke(
                    __args: ::orbital::__private::Args,
                ) -> ::orbital::__private::BoxFuture<'static, ::core::result::Result<::orbital::__private::Bytes, ::orbital::__private::TaskError>> {
                    ::std::boxed::Box::pin(async move { #body })
                }
                __orbital_invoke
            })
        }
    } else {
        quote! {
            ::orbital::__private::Invoke::Blocking({
                fn __orbital_invoke(
                    __args: ::orbital::__private::Args,
                ) -> ::core::result::Result<::orbital::__private::Bytes, ::orbital::__private::TaskError> {
                    #body
                }
                __orbital_invoke
            })
        }
    };

    let mut call_fn = func.clone();
    call_fn.sig.ident = syn::Ident::new("call", name.span());
    for input in call_fn.sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(pt) = input {
            pt.attrs.clear();
        }
    }
    let struct_doc = format!(
        "The electron `{name_str}`: `{name_str}::call(..)` runs the function itself; inside a `#[lattice]`, \
         `{name_str}(..)` records a node."
    );

    quote! {
        #(#cfgs)*
        #(#docs)*
        ///
        /// Inside a `#[lattice]` body this records a node and returns its handle; run the plain
        /// function with `::call(..)`.
        #[allow(clippy::too_many_arguments)]
        #vis fn #name(#(#node_params),*) -> ::orbital::__private::Node<#node_ty> {
            ::orbital::__private::Node::from_id(::orbital::__private::builder::electron(
                &#def,
                #executor,
                ::orbital::__private::smallvec![#(#node_args),*],
            ))
        }

        #(#cfgs)*
        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {}

        #(#cfgs)*
        impl #name {
            #call_fn

            /// This electron's registered definition.
            #[allow(dead_code)]
            #vis fn definition() -> &'static ::orbital::__private::ElectronDef {
                &#def
            }

            #(#arg_fns_defs)*
            #out_fns_def
        }

        #arg_trait_defs

        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #def: ::orbital::__private::ElectronDef = ::orbital::__private::ElectronDef {
            name: #registered,
            fn_name: #name_str,
            signature: #signature_str,
            file: ::core::file!(),
            line: ::core::line!(),
            params: &[#(#param_defs),*],
            output: #name::__ORBITAL_OUTPUT.info,
            retries: #retries,
            time_limit: #time_limit,
            code_hash: #code_hash,
            cache: #cache,
            helpers: #helpers,
            invoke: #invoke,
        };

        #(#cfgs)*
        ::orbital::__private::inventory::submit! {
            ::orbital::__private::ElectronEntry(&#def)
        }

        #(#errors)*
    }
}

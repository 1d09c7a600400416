//! `#[lattice]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::options;
use crate::signature::{self, Output};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let opts = options::parse(args, "lattice", &["executor", "name"], &mut errors);
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let msg = syn::Error::new(
                e.span(),
                "`#[lattice]` goes on a function: `fn name(x: T) -> U { .. }`",
            );
            return quote!(#item)
                .into_iter()
                .chain(msg.to_compile_error())
                .collect();
        }
    };
    if let Some(a) = &func.sig.asyncness {
        errors.push(syn::Error::new_spanned(
            a,
            "a lattice cannot be `async`: its body only builds the graph (electron calls record nodes \
             and return at once); make the electrons `async fn` instead",
        ));
    }
    let sig = signature::check(&func, "lattice", &mut errors);
    if let Output::Result { ret, .. } = &sig.output {
        errors.push(syn::Error::new_spanned(
            ret,
            "a lattice's output is the value of its body (a node or a constant), not a `Result`: \
             return the node of an electron that returns `Result<T, E>`, and declare `-> T`",
        ));
    }
    if !errors.is_empty() {
        let errs = errors.into_iter().map(|e| e.to_compile_error());
        return quote!(#func #(#errs)*);
    }

    let vis = &func.vis;
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let def = format_ident!("__orbital_lattice_{}", name);
    let docs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let cfgs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let other_attrs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| !a.path().is_ident("doc") && !a.path().is_ident("cfg"))
        .collect();
    let registered = match &opts.name {
        Some(n) => quote!(#n),
        None => quote!(::core::concat!(::core::module_path!(), "::", #name_str)),
    };
    let signature_str = signature::display(name, &sig);
    let executor = options::executor_choice(&opts.executor);
    let out_ty = sig.output.node_type();
    let out_span = match &func.sig.output {
        syn::ReturnType::Default => name.span(),
        syn::ReturnType::Type(_, t) => t.span(),
    };
    let n = sig.params.len();
    let idents: Vec<_> = sig.params.iter().map(|p| &p.ident).collect();
    let typed_params: Vec<_> = sig
        .params
        .iter()
        .map(|p| {
            let (id, ty) = (&p.ident, &p.ty);
            quote!(#id: #ty)
        })
        .collect();
    let node_params = sig.params.iter().map(|p| {
        let (id, ty) = (&p.ident, &p.ty);
        quote_spanned! {ty.span()=> #id: impl ::orbital::__private::IntoNode<#ty> }
    });
    let node_args = sig.params.iter().map(|p| {
        let (id, ty) = (&p.ident, &p.ty);
        quote_spanned! {ty.span()=> <_ as ::orbital::__private::IntoNode<#ty>>::into_arg(#id) }
    });
    let param_defs = sig.params.iter().map(|p| {
        let (id, ty) = (p.ident.to_string(), &p.ty);
        quote_spanned! {ty.span()=>
            ::orbital::__private::ParamDef { name: #id, ty: ::orbital::__private::TypeInfo::of::<#ty>() }
        }
    });
    let encodes = sig.params.iter().map(|p| {
        let (id, ty) = (&p.ident, &p.ty);
        quote_spanned! {ty.span()=> ::orbital::__private::encode_input::<#ty>(&#id) }
    });
    let decodes = sig.params.iter().enumerate().map(|(i, p)| {
        let (id, ty, id_str) = (&p.ident, &p.ty, p.ident.to_string());
        quote_spanned! {ty.span()=>
            let #id: #ty = ::orbital::__private::decode_arg::<#ty>(&__args, #i, #id_str, #name_str)?;
        }
    });
    let checks = sig
        .params
        .iter()
        .map(|p| (&p.ty).into_token_stream_spanned())
        .chain(std::iter::once((out_ty.clone(), out_span)))
        .map(|(ty, span)| quote_spanned! {span=> const _: () = ::orbital::__private::assert_data::<#ty>(); });
    let body = &func.block;
    let into_output =
        quote_spanned! {out_span=> <_ as ::orbital::__private::IntoNode<#out_ty>>::into_arg };
    let output_info = quote_spanned! {out_span=> ::orbital::__private::TypeInfo::of::<#out_ty>() };
    let struct_doc = format!(
        "The lattice `{name_str}`: `{name_str}::build(..)` builds its graph, `{name_str}::dispatch(..)` runs it."
    );

    quote! {
        #(#cfgs)*
        #(#docs)*
        ///
        /// Inside another `#[lattice]` body this records a sub-lattice node, built when its inputs
        /// are known; use `::build(..)` or `::dispatch(..)` to run it as a workflow.
        #[allow(clippy::too_many_arguments)]
        #vis fn #name(#(#node_params),*) -> ::orbital::__private::Node<#out_ty> {
            ::orbital::__private::Node::from_id(::orbital::__private::builder::lattice(
                &#def,
                ::orbital::__private::smallvec![#(#node_args),*],
            ))
        }

        #(#cfgs)*
        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {}

        #(#cfgs)*
        impl #name {
            /// Builds the workflow graph for these inputs, without running it.
            #[allow(clippy::too_many_arguments, dead_code)]
            #vis fn build(#(#typed_params),*) -> ::orbital::__private::Workflow<#out_ty> {
                let __inputs = ::std::vec![#(#encodes),*];
                ::orbital::__private::Workflow::build(&#def, __inputs, move || #into_output(Self::__body(#(#idents),*)))
            }

            /// Builds the workflow for these inputs and dispatches it on the global runtime.
            ///
            /// # Errors
            /// When an executor is unknown, the configuration or store cannot be opened, or the
            /// graph could not be built; nothing has run then.
            #[allow(clippy::too_many_arguments, dead_code)]
            #vis async fn dispatch(#(#typed_params),*) -> ::orbital::Result<::orbital::Dispatch<#out_ty>> {
                ::orbital::__private::dispatch(Self::build(#(#idents),*)).await
            }

            /// This lattice's registered definition.
            #[allow(dead_code)]
            #vis fn definition() -> &'static ::orbital::__private::LatticeDef {
                &#def
            }

            #[doc(hidden)]
            #(#other_attrs)*
            #[allow(clippy::too_many_arguments, unused_mut)]
            #vis fn __body(#(#typed_params),*) -> impl ::orbital::__private::IntoNode<#out_ty> #body
        }

        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #def: ::orbital::__private::LatticeDef = ::orbital::__private::LatticeDef {
            name: #registered,
            fn_name: #name_str,
            signature: #signature_str,
            file: ::core::file!(),
            line: ::core::line!(),
            params: &[#(#param_defs),*],
            output: #output_info,
            executor: #executor,
            build: {
                fn __orbital_build(
                    __args: ::orbital::__private::Args,
                ) -> ::core::result::Result<::orbital::__private::Arg, ::orbital::__private::TaskError> {
                    ::orbital::__private::check_arity(&__args, #n, #name_str)?;
                    #(#decodes)*
                    ::core::result::Result::Ok(#into_output(#name::__body(#(#idents),*)))
                }
                __orbital_build
            },
        };

        #(#cfgs)*
        ::orbital::__private::inventory::submit! {
            ::orbital::__private::LatticeEntry(&#def)
        }

        #(#cfgs)*
        const _: () = { #(#checks)* };
    }
}

trait SpannedTokens {
    fn into_token_stream_spanned(self) -> (TokenStream, proc_macro2::Span);
}

impl SpannedTokens for &syn::Type {
    fn into_token_stream_spanned(self) -> (TokenStream, proc_macro2::Span) {
        (quote!(#self), self.span())
    }
}

//! `#[lattice]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::ItemFn;

use crate::lattice_output;
use crate::options;
use crate::params;
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
    // An `async` lattice, a `Result` output or a bad option still expand (as if written right),
    // so that the rest of the crate type-checks and that error is the only one. Signature errors
    // leave nothing sensible to expand.
    if let Some(a) = &func.sig.asyncness {
        errors.push(syn::Error::new_spanned(
            a,
            "a lattice cannot be `async`: its body only builds the graph (electron calls record \
             nodes and return at once); make the electrons `async fn` instead",
        ));
    }
    let mut fatal = Vec::new();
    let sig = signature::check(&func, "lattice", &mut fatal);
    if let Output::Result { ret, .. } = &sig.output {
        errors.push(syn::Error::new_spanned(
            ret,
            "a lattice's output is the value of its body (a node or a constant), not a `Result`: \
             return the node of an electron that returns `Result<T, E>`, and declare `-> T`",
        ));
    }
    if !fatal.is_empty() {
        let errs = fatal
            .into_iter()
            .chain(errors)
            .map(|e| e.to_compile_error());
        let fallback = fallback(&func);
        return quote!(#fallback #(#errs)*);
    }
    let errors = errors.into_iter().map(|e| e.to_compile_error());

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
    let p = params::expand("lattice", name, vis, &cfgs, &sig.params);
    let (arg_trait_defs, node_params, node_args, arg_fns, arg_fns_defs, param_defs, decodes) = (
        &p.trait_defs,
        &p.node_params,
        &p.node_args,
        &p.fns,
        &p.fns_defs,
        &p.param_defs,
        &p.decodes,
    );
    let out_new = match &func.sig.output {
        syn::ReturnType::Default => signature::data_fns("LatticeFns", &out_ty, name),
        syn::ReturnType::Type(_, t) => match &sig.output {
            Output::Result { ok: Some(ok), .. } => signature::data_fns("LatticeFns", &out_ty, ok),
            _ => signature::data_fns("LatticeFns", &out_ty, t),
        },
    };
    let out_fns_def = quote! {
        const __ORBITAL_OUTPUT: ::orbital::__private::LatticeFns<#out_ty> = #out_new;
    };
    let encodes = sig
        .params
        .iter()
        .zip(arg_fns)
        .map(|(p, c)| {
            let id = &p.ident;
            quote! { Self::#c.encode_input(&#id) }
        })
        .collect::<Vec<_>>();

    // The body's value must be `IntoNode<Out>` (or, for a tuple output, a tuple of them):
    // checked through marker traits whose messages name the lattice and the types.
    let out_text = match &func.sig.output {
        syn::ReturnType::Default => "()".to_owned(),
        syn::ReturnType::Type(_, t) => match &sig.output {
            Output::Result { ok: Some(ok), .. } => signature::type_text(ok),
            _ => signature::type_text(t),
        },
    };
    let declared = match &sig.output {
        Output::Plain(t) => Some(t),
        Output::Result { .. } => None,
    };
    let output = lattice_output::expand(&func, declared, out_ty.clone(), &out_text, &cfgs);
    let out_trait_def = &output.trait_defs;
    let body_ret = &output.body_ret;
    let errors = errors.chain(output.error.iter().map(|e| e.to_compile_error()));
    let (body, body_allow) = match &output.body_override {
        Some(b) => (b.clone(), quote!(#[allow(unused_variables)])),
        None => (func.block.to_token_stream(), TokenStream::new()),
    };
    let into_output = output.arg_of(quote!(Self::__body(#(#idents),*)));
    let into_output_def = output.arg_of(quote!(#name::__body(#(#idents),*)));
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
                ::orbital::__private::Workflow::build(&#def, __inputs, move || #into_output)
            }

            /// Builds the workflow for these inputs and dispatches it on the global runtime.
            ///
            /// # Errors
            /// When an executor is unknown, the configuration or store cannot be opened, or the
            /// graph could not be built; nothing has run then.
            #[allow(clippy::too_many_arguments, dead_code)]
            #vis async fn dispatch(#(#typed_params),*) -> ::orbital::__private::Result<::orbital::__private::Dispatch<#out_ty>> {
                Self::__ORBITAL_OUTPUT.dispatch(Self::build(#(#idents),*)).await
            }

            /// Builds the workflow for these inputs and hands it to a driver of its own, a
            /// background process of this program that outlives it; returns the dispatch id.
            /// `orbital wait ID` (or `orbital::wait(id)`) waits for it from anywhere.
            ///
            /// # Errors
            /// Those of `dispatch`, and when the driver's directory beside the store cannot be
            /// written or the driver cannot start.
            #[allow(clippy::too_many_arguments, dead_code)]
            #vis async fn submit(#(#typed_params),*) -> ::orbital::__private::Result<::std::string::String> {
                Self::__ORBITAL_OUTPUT.submit(Self::build(#(#idents),*)).await
            }

            /// This lattice's registered definition.
            #[allow(dead_code)]
            #vis fn definition() -> &'static ::orbital::__private::LatticeDef {
                &#def
            }

            #[doc(hidden)]
            #(#other_attrs)*
            #[allow(clippy::too_many_arguments, unused_mut)]
            #body_allow
            #vis fn __body(#(#typed_params),*) -> #body_ret #body

            #(#arg_fns_defs)*
            #out_fns_def
        }

        #arg_trait_defs
        #out_trait_def

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
            output: #name::__ORBITAL_OUTPUT.info,
            executor: #executor,
            build: {
                fn __orbital_build(
                    __args: ::orbital::__private::Args,
                ) -> ::core::result::Result<::orbital::__private::Arg, ::orbital::__private::TaskError> {
                    ::orbital::__private::check_arity(&__args, #n, #name_str)?;
                    #(#decodes)*
                    ::core::result::Result::Ok(#into_output_def)
                }
                __orbital_build
            },
        };

        #(#cfgs)*
        ::orbital::__private::inventory::submit! {
            ::orbital::__private::LatticeEntry(&#def)
        }

        #(#errors)*
    }
}

/// What a lattice with a signature error expands to: the function, so that its name still
/// resolves, without its body: in a lattice body electron calls give nodes, not the declared
/// type, so type-checking it as a plain function would only add errors.
fn fallback(func: &ItemFn) -> TokenStream {
    let mut func = func.clone();
    func.sig.asyncness = None;
    *func.block = syn::parse_quote!({ ::core::unreachable!() });
    func.attrs
        .push(syn::parse_quote!(#[allow(unused_variables)]));
    quote!(#func)
}

//! `#[derive(orbital::Nodes)]`: a struct made of nodes, `Stats::nodes(total, count)`.
//!
//! It writes `impl orbital::Nodes` (the fields as a nested tuple, and the struct made of them)
//! and an inherent `fn nodes(..) -> Node<Self>`, one parameter per field, each checked through a
//! marker trait whose message names the struct and the field. What the node does is in
//! orbital-core (`graph/assemble.rs`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use crate::shapes;

pub fn expand(item: TokenStream) -> TokenStream {
    match expand_checked(item) {
        Ok(ts) => ts,
        Err(e) => e.to_compile_error(),
    }
}

fn expand_checked(item: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(item)?;
    let name = &input.ident;
    let fields =
        match &input.data {
            Data::Struct(s) => &s.fields,
            Data::Enum(e) => return Err(syn::Error::new_spanned(
                e.enum_token,
                "`#[derive(Nodes)]` goes on a struct with fields: an enum's value is one variant, \
                 which nodes cannot choose while the graph is built; return the node of an \
                 electron that makes it",
            )),
            Data::Union(u) => {
                return Err(syn::Error::new_spanned(
                    u.union_token,
                    "`#[derive(Nodes)]` goes on a struct with fields, not a union",
                ))
            }
        };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "`#[derive(Nodes)]` does not support generic structs: write the struct with concrete \
             field types",
        ));
    }
    if fields.is_empty() {
        return Err(syn::Error::new_spanned(
            name,
            format!(
                "`#[derive(Nodes)]` needs a struct with fields: `{name}` has none, so it is a \
                 constant; return `{name}` itself"
            ),
        ));
    }
    let vis = &input.vis;
    let named = matches!(fields, Fields::Named(_));
    // The parameters of `nodes`: the field names, or `field_0`.. for a tuple struct.
    let params: Vec<_> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match &f.ident {
            Some(id) => id.clone(),
            None => format_ident!("field_{}", i, span = f.ty.span()),
        })
        .collect();
    let labels: Vec<String> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.ident.as_ref().map_or(i.to_string(), ToString::to_string))
        .collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();

    let mut trait_defs = TokenStream::new();
    let mut node_params = Vec::new();
    let mut node_args = Vec::new();
    for ((p, ty), label) in params.iter().zip(&types).zip(&labels) {
        let tr = format_ident!("__orbital_{}__{}", name, p, span = ty.span());
        let t = shapes::escape(&crate::signature::type_text(ty));
        let message = format!(
            "`{name}::nodes` takes `{label}: {t}`, but this argument is of type `{{Self}}`"
        );
        let label_text = format!("expected `{t}` or `Node<{t}>`, found `{{Self}}`");
        let note = format!(
            "each argument of `{name}::nodes` is a field of `{name}`: {}",
            shapes::arg_note(ty, "an argument")
        );
        trait_defs.extend(quote_spanned! {ty.span()=>
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #[diagnostic::on_unimplemented(message = #message, label = #label_text, note = #note)]
            #vis trait #tr: ::orbital::__private::IntoNode<#ty> {}
            impl<__T: ::orbital::__private::IntoNode<#ty>> #tr for __T {}
        });
        node_params.push(quote_spanned! {ty.span()=> #p: impl #tr });
        node_args.push(
            quote_spanned! {ty.span()=> <_ as ::orbital::__private::IntoNode<#ty>>::into_arg(#p) },
        );
    }
    // `(A, (B, ()))` and the pattern `(a, (b, ()))` that takes it apart.
    let nested_ty = types
        .iter()
        .rev()
        .fold(quote!(()), |acc, ty| quote!((#ty, #acc)));
    let nested_pat = params
        .iter()
        .rev()
        .fold(quote!(()), |acc, p| quote!((#p, #acc)));
    let make = if named {
        quote!(#name { #(#params),* })
    } else {
        quote!(#name ( #(#params),* ))
    };
    let name_str = name.to_string();
    // Spanned on the struct's name: where a missing `Serialize` or `Deserialize` is reported.
    let assembly = quote_spanned! {name.span()=> ::orbital::__private::Assembly::<#name>::new() };
    let doc = format!(
        "A `Node<{name}>` whose fields come from nodes or constants, one argument per field in \
         order (`{}`): inside a `#[lattice]` body, where a `{name}` is expected. Written by \
         `#[derive(orbital::Nodes)]`.",
        labels.join(", ")
    );
    Ok(quote! {
        #trait_defs

        impl ::orbital::__private::Nodes for #name {
            type Fields = #nested_ty;
            const NAME: &'static str = #name_str;
            const FIELDS: &'static [&'static str] = &[#(#labels),*];
            fn from_fields(#nested_pat: Self::Fields) -> Self {
                #make
            }
        }

        impl #name {
            #[doc = #doc]
            #[allow(clippy::too_many_arguments, dead_code)]
            #vis fn nodes(#(#node_params),*) -> ::orbital::__private::Node<Self> {
                const ASSEMBLY: ::orbital::__private::Assembly<#name> = #assembly;
                ASSEMBLY.record(::orbital::__private::smallvec![#(#node_args),*])
            }
        }
    })
}

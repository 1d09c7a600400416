//! What electrons and lattices generate alike for their parameters.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use crate::shapes;
use crate::signature::{self, Param};

/// The generated pieces of a parameter list.
pub struct Params {
    /// Marker traits whose diagnostics name the owner and the parameter.
    pub trait_defs: TokenStream,
    /// `x: impl Trait`, the parameters of the node-recording function.
    pub node_params: Vec<TokenStream>,
    /// `IntoNode::into_arg(x)`, its arguments.
    pub node_args: Vec<TokenStream>,
    /// One `DataFns::<T>::new()` constant per parameter, spanned on its type: the only
    /// `T: Data` check of each.
    pub fns_defs: Vec<TokenStream>,
    /// The names of those constants.
    pub fns: Vec<Ident>,
    /// The registry's `ParamDef`s.
    pub param_defs: Vec<TokenStream>,
    /// `let x: T = ..decode_arg(..)?;`, decoding a task's arguments.
    pub decodes: Vec<TokenStream>,
}

/// The pieces for the parameters of electron or lattice (`what`) `name`.
pub fn expand(
    what: &str,
    name: &Ident,
    vis: &syn::Visibility,
    cfgs: &[&syn::Attribute],
    params: &[Param],
) -> Params {
    let name_str = name.to_string();
    let (trait_defs, traits) = signature::arg_traits(what, name, vis, cfgs, params);
    let node_params = params
        .iter()
        .zip(&traits)
        .map(|(p, tr)| {
            let (id, ty) = (&p.ident, &p.ty);
            quote_spanned! {ty.span()=> #id: impl #tr }
        })
        .collect();
    let node_args = params
        .iter()
        .map(|p| {
            let (id, ty) = (&p.ident, &p.ty);
            let tr = shapes::into_trait(ty);
            quote_spanned! {ty.span()=> <_ as #tr>::into_arg(#id) }
        })
        .collect();
    let fns: Vec<Ident> = (0..params.len())
        .map(|i| format_ident!("__ORBITAL_ARG_{}", i))
        .collect();
    let fns_defs = params
        .iter()
        .zip(&fns)
        .map(|(p, c)| {
            let ty = &p.ty;
            let new = signature::data_fns("DataFns", &quote!(#ty), ty);
            quote! { const #c: ::orbital::__private::DataFns<#ty> = #new; }
        })
        .collect();
    let param_defs = params
        .iter()
        .zip(&fns)
        .map(|(p, c)| {
            let id = p.ident.to_string();
            quote! { ::orbital::__private::ParamDef { name: #id, ty: #name::#c.info } }
        })
        .collect();
    let decodes = params
        .iter()
        .zip(&fns)
        .enumerate()
        .map(|(i, (p, c))| {
            let (id, ty, id_str) = (&p.ident, &p.ty, p.ident.to_string());
            quote! {
                let #id: #ty = #name::#c.decode_arg(&__args, #i, #id_str, #name_str)?;
            }
        })
        .collect();
    Params {
        trait_defs,
        node_params,
        node_args,
        fns_defs,
        fns,
        param_defs,
        decodes,
    }
}

//! An electron's code identity: a hash of the tokens of its signature and body, as the compiler
//! gave them to the macro. Whitespace, `//` comments and doc comments (attributes, which are
//! not hashed) change nothing; any other edit of the function does. Helpers the body calls are
//! not part of it: `version = ".."` is the user's way to say that one of them changed.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ItemFn;

/// The code hash of `func` (its signature but for its name, and its block) and its `version`,
/// as 32 hex digits.
pub fn of(func: &ItemFn, version: Option<&str>) -> String {
    let mut text = String::from("orbital-electron-code-v1\n");
    if let Some(v) = version {
        text.push_str("version:");
        text.push_str(v);
        text.push('\n');
    }
    // The signature without the function's name: the name is in the reuse key already.
    let sig = &func.sig;
    write_tokens(&mut text, sig.asyncness.to_token_stream());
    write_tokens(&mut text, sig.generics.to_token_stream());
    write_tokens(&mut text, sig.inputs.to_token_stream());
    write_tokens(&mut text, sig.output.to_token_stream());
    write_tokens(&mut text, func.block.to_token_stream());
    let hash = blake3::hash(text.as_bytes());
    hash.to_hex()[..32].to_owned()
}

/// A canonical text of the tokens: one per item, with groups' delimiters, and `Joint` puncts
/// marked so that `a - -b` and `a --b` stay apart. Spans and spacing between tokens are left out.
fn write_tokens(out: &mut String, tokens: TokenStream) {
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("\u{2}", "\u{3}"),
                };
                out.push_str(open);
                write_tokens(out, g.stream());
                out.push_str(close);
            }
            TokenTree::Ident(i) => {
                out.push_str(&i.to_string());
                out.push(' ');
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                out.push(if p.spacing() == Spacing::Joint {
                    '~'
                } else {
                    ' '
                });
            }
            TokenTree::Literal(l) => {
                out.push_str(&l.to_string());
                out.push(' ');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::of;

    fn hash(src: &str, version: Option<&str>) -> String {
        of(&syn::parse_str(src).unwrap(), version)
    }

    #[test]
    fn formatting_comments_and_docs_change_nothing() {
        let a = hash("fn add(a: u32, b: u32) -> u32 { a + b }", None);
        let b = hash(
            "/// Adds.\n#[doc = \"more\"]\nfn add(a:u32,b:u32)->u32{\n  // the sum\n  a+b\n}",
            None,
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn the_body_the_signature_and_the_version_change_it() {
        let a = hash("fn add(a: u32, b: u32) -> u32 { a + b }", None);
        assert_ne!(a, hash("fn add(a: u32, b: u32) -> u32 { a * b }", None));
        assert_ne!(a, hash("fn add(a: u64, b: u32) -> u32 { a + b }", None));
        assert_ne!(
            a,
            hash("fn add(a: u32, b: u32) -> u32 { a + b }", Some("2"))
        );
        assert_ne!(
            hash("fn f(a: i32) -> i32 { a - -1 }", None),
            hash("fn f(a: i32) -> i32 { a - 1 }", None)
        );
    }
}

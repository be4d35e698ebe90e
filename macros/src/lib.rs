//! `#[leastpriv::role(...)]`: a thin shell that hands the tokens to `leastpriv-core`.
//!
//! See the `leastpriv` crate for the attribute's documentation.

use proc_macro::TokenStream;

/// Declares what a Lambda handler may touch; the compiler then checks the handler's SDK calls
/// against it. Documented in the `leastpriv` facade crate.
#[proc_macro_attribute]
pub fn role(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = leastpriv_core::expand::MacroContext {
        manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR").map(Into::into),
        handler_file: proc_macro::Span::call_site().local_file(),
    };
    leastpriv_core::expand::expand_role(attr.into(), item.into(), &cx).into()
}

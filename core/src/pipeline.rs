//! The one pipeline from a handler's attribute and code to its requirements and diagnostics,
//! shared by the attribute (at compile time) and the CLI (over source files).

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

use crate::analyse::{
    Analysis, AnalysisInput, CrateSources, HandlerLines, analyse_function, load_crate,
};
use crate::catalog::Catalog;
use crate::check::{CheckResult, check};
use crate::declare::{self, Declaration};
use crate::diagnostic::{Code, Diagnostic};

/// Everything the pipeline derives for one annotated handler.
#[derive(Debug)]
pub struct HandlerResult {
    /// The handler function's name.
    pub handler: String,
    /// Its file, relative to the crate root when known.
    pub file: PathBuf,
    /// The parsed declaration.
    pub declaration: Declaration,
    /// The calls found.
    pub analysis: Analysis,
    /// Requirements and check diagnostics.
    pub check: CheckResult,
    /// Every diagnostic to report: malformed attribute first, then the checks.
    pub diagnostics: Vec<Diagnostic>,
}

/// Where a handler comes from, for the analysis.
#[derive(Debug, Clone)]
pub struct HandlerSource<'a> {
    /// The crate's parsed sources.
    pub sources: &'a CrateSources,
    /// Index of the handler's file in `sources`, when it is there.
    pub file_index: Option<usize>,
    /// The handler's file as shown in messages.
    pub file: PathBuf,
    /// How the handler's spans give line numbers.
    pub lines: HandlerLines<'a>,
}

/// Runs the pipeline for one handler and its attribute's tokens.
pub fn run_handler(
    catalog: &Catalog,
    attr: TokenStream,
    func: &syn::ItemFn,
    source: &HandlerSource<'_>,
) -> HandlerResult {
    let (declaration, mut diagnostics) = declare::parse(attr, catalog);
    // A value of unknown type may be a client of a declared service or of any SDK the crate
    // depends on.
    let mut prefixes: Vec<String> = declaration.entries.iter().map(|e| e.prefix.clone()).collect();
    for krate in source.sources.sdk_aliases.values() {
        if let Some(prefix) = catalog.crate_prefix(krate)
            && !prefixes.iter().any(|p| p == prefix)
        {
            prefixes.push(prefix.to_owned());
        }
    }
    let input = AnalysisInput {
        catalog,
        sources: source.sources,
        declared_prefixes: prefixes,
        handler_file: source.file.clone(),
        handler_file_index: source.file_index,
        handler_lines: source.lines,
    };
    let analysis = analyse_function(&input, func);
    let result = check(&declaration, &analysis, catalog);
    // Unused-grant and undeclared-service errors are noise while the declaration itself is
    // malformed (one bad entry hides the entries after it).
    let malformed = diagnostics.iter().any(|d| d.code == Code::MalformedAttribute);
    diagnostics.extend(
        result
            .diagnostics
            .iter()
            .filter(|d| {
                !(malformed && matches!(d.code, Code::UnusedGrant | Code::UndeclaredService))
            })
            .cloned(),
    );
    // A file the analysis could not read may hold calls on the handler's path.
    for (path, reason) in &source.sources.errors {
        diagnostics.push(
            Diagnostic::new(
                Code::UnreadableSource,
                func.sig.ident.span(),
                format!(
                    "cannot read or parse `{}` ({reason}): SDK calls written there are not checked",
                    path.display()
                ),
            )
            .help("fix the file, or move it out of `src/` if it is not part of the crate"),
        );
    }
    HandlerResult {
        handler: func.sig.ident.to_string(),
        file: source.file.clone(),
        declaration,
        analysis,
        check: result,
        diagnostics,
    }
}

/// Whether an attribute is `#[leastpriv::role(...)]` (or `#[role(...)]` after `use leastpriv::role`).
pub fn is_role_attribute(attr: &syn::Attribute) -> bool {
    let segments: Vec<String> = attr.path().segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(segments.as_slice(), [a, b] if a == "leastpriv" && b == "role")
        || matches!(segments.as_slice(), [a] if a == "role")
}

/// Every annotated handler of a crate's sources: its file index, function and attribute tokens.
pub fn annotated_handlers(sources: &CrateSources) -> Vec<(usize, syn::ItemFn, TokenStream)> {
    let mut out = Vec::new();
    for (index, file) in sources.files.iter().enumerate() {
        collect_handlers(&file.ast.items, index, &mut out);
    }
    out
}

fn collect_handlers(
    items: &[syn::Item],
    index: usize,
    out: &mut Vec<(usize, syn::ItemFn, TokenStream)>,
) {
    for item in items {
        match item {
            syn::Item::Fn(func) => {
                if let Some(attr) = func.attrs.iter().find(|a| is_role_attribute(a)) {
                    let tokens = match &attr.meta {
                        syn::Meta::List(list) => list.tokens.clone(),
                        _ => TokenStream::new(),
                    };
                    let mut func = func.clone();
                    func.attrs.retain(|a| !is_role_attribute(a));
                    out.push((index, func, tokens));
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_handlers(inner, index, out);
                }
            }
            _ => {}
        }
    }
}

/// Loads the sources of the crate at `crate_dir` the way every front end does: the crate's
/// library and binaries and its path dependencies ([`crate::analyse::load_crate`]). A directory
/// whose manifest cannot be read still has its `src/` read, and the manifest's problem (when it
/// exists) is kept among the source errors.
pub fn load_sources(crate_dir: &Path, has_lines: bool) -> CrateSources {
    match crate::project::discover_crate(crate_dir) {
        Ok(info) => load_crate(&info, has_lines),
        Err(err) => {
            let mut sources = CrateSources::load(crate_dir, &crate_dir.join("src"), has_lines);
            // A manifest that exists but cannot be read hides path dependencies; a directory
            // with no manifest at all (a scratch crate) is read as plain sources.
            if crate::observe::is_file(&crate_dir.join("Cargo.toml")) {
                sources.errors.push((err.path.clone(), err.message));
            }
            sources
        }
    }
}

/// Runs the pipeline over every annotated handler of the crate at `crate_dir` (and its path
/// dependencies), outside the compiler: spans carry real lines.
pub fn check_crate(catalog: &Catalog, crate_dir: &Path) -> (CrateSources, Vec<HandlerResult>) {
    let sources = load_sources(crate_dir, true);
    let handlers = annotated_handlers(&sources);
    let results = handlers
        .into_iter()
        .map(|(index, func, attr)| {
            let file = sources.files.get(index).map(|f| f.display.clone()).unwrap_or_default();
            let source = HandlerSource {
                sources: &sources,
                file_index: Some(index),
                file,
                lines: HandlerLines::Spans,
            };
            run_handler(catalog, attr, &func, &source)
        })
        .collect();
    (sources, results)
}

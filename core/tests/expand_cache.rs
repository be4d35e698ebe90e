//! The attribute's entry points as the compiler and rust-analyzer call them: the handler found in
//! the cached sources by position or by name, the cache dropped when a file changes, and the
//! re-parse fallback when the compiler's handler is not in the file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};

use leastpriv_core::analyse::HandlerLines;
use leastpriv_core::expand::{HandlerPosition, MacroContext, expand, expand_from_file};

const HANDLER: &str = r#"#[leastpriv::role(s3(read, bucket = "${Uploads}", env = "BUCKET"))]
pub async fn handler(s3: &aws_sdk_s3::Client) -> Result<(), aws_sdk_s3::Error> {
    let bucket = std::env::var("BUCKET").unwrap_or_default();
    s3.get_object().bucket(&bucket).key("k").send().await?;
    CALL
    Ok(())
}
"#;

/// The folder of this test process's scratch crate `name`.
fn crate_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("leastpriv-expand-cache-{name}-{}", std::process::id()))
}

/// An empty scratch crate (a manifest depending on aws-sdk-s3, an empty `src/`), fresh each time.
fn scratch_crate(name: &str) -> PathBuf {
    let dir = crate_dir(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\naws-sdk-s3 = \"1\"\n"
        ),
    )
    .unwrap();
    dir
}

/// A one-file crate whose handler also makes `extra_call`; written again in place when it exists.
fn write_crate(name: &str, extra_call: &str) -> PathBuf {
    let dir = crate_dir(name);
    if !dir.join("Cargo.toml").is_file() {
        scratch_crate(name);
    }
    std::fs::write(dir.join("src/lib.rs"), HANDLER.replace("CALL", extra_call)).unwrap();
    dir
}

/// Where the compiler would say the function `name` of `file` is (its name's start, its body's
/// end), as the macro reads it off the compiler's spans.
fn position_in(file: &Path, name: &str) -> HandlerPosition {
    let text = std::fs::read_to_string(file).unwrap();
    let ast = syn::parse_file(&text).unwrap();
    let func = ast
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Fn(func) if func.sig.ident == name => Some(func),
            _ => None,
        })
        .unwrap();
    let start = func.sig.ident.span().start();
    let end = func.block.brace_token.span.close().end();
    HandlerPosition {
        name: name.to_owned(),
        name_at: (start.line, start.column),
        end_at: (end.line, end.column),
    }
}

/// The handler's position in `src/lib.rs`.
fn position(dir: &Path) -> HandlerPosition {
    position_in(&dir.join("src/lib.rs"), "handler")
}

fn messages<T>(errors: &[(T, String)]) -> Vec<String> {
    errors.iter().map(|(_, m)| m.clone()).collect()
}

#[test]
fn the_handler_is_found_by_name_where_the_compiler_names_no_file() {
    let dir = write_crate("by-name", "");
    // rust-analyzer's proc-macro server: no file, only CARGO_MANIFEST_DIR.
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: None,
        guard_table: false,
        disk_cache: None,
        attribute_at: None,
    };
    let out = expand_from_file(&cx, || Some(position(&dir))).expect("found in the cached sources");
    assert!(out.errors.is_empty(), "{:?}", messages(&out.errors));
    assert!(out.role.to_string().contains("s3:GetObject"), "{}", out.role);
}

#[test]
fn a_changed_file_is_read_again() {
    let dir = write_crate("changed", "");
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: Some(dir.join("src/lib.rs")),
        guard_table: false,
        disk_cache: None,
        attribute_at: None,
    };
    let first = expand_from_file(&cx, || Some(position(&dir))).unwrap();
    assert!(first.errors.is_empty(), "{:?}", messages(&first.errors));
    assert_eq!(first.tracked.len(), 1, "the file is reported to the compiler once");
    // The same process, the file edited: a delete the declaration does not cover.
    write_crate("changed", "s3.delete_object().bucket(&bucket).key(\"k\").send().await?;");
    let second = expand_from_file(&cx, || Some(position(&dir))).unwrap();
    let errors = messages(&second.errors);
    assert!(errors.iter().any(|m| m.contains("s3:DeleteObject")), "{errors:?}");
    assert!(second.tracked.is_empty(), "already reported: {:?}", second.tracked);
}

#[test]
fn a_handler_not_in_its_file_falls_back_to_the_compiler_tokens() {
    let dir = write_crate("fallback", "");
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: Some(dir.join("src/lib.rs")),
        guard_table: false,
        disk_cache: None,
        attribute_at: None,
    };
    // A handler written by a macro: its position matches nothing in the file.
    let mut elsewhere = position(&dir);
    elsewhere.name_at.0 += 40;
    assert!(expand_from_file(&cx, || Some(elsewhere)).is_none());
    let text = HANDLER.replace("CALL", "s3.delete_object().bucket(&bucket).send().await?;");
    let file = syn::parse_file(&text).unwrap();
    let syn::Item::Fn(mut func) = file.items[0].clone() else { panic!("no fn") };
    let attr = func.attrs.remove(0);
    let syn::Meta::List(list) = attr.meta else { panic!("no list") };
    let item = quote::ToTokens::to_token_stream(&func);
    let out = expand(list.tokens, item, &cx, HandlerLines::Spans);
    let errors = messages(&out.errors);
    assert!(errors.iter().any(|m| m.contains("s3:DeleteObject")), "{errors:?}");
}

/// A crate whose handler calls through a module file, and a scratch cache folder.
fn write_two_file_crate(name: &str, helper_call: &str) -> (PathBuf, PathBuf) {
    let dir = scratch_crate(name);
    std::fs::create_dir_all(dir.join("src/helper")).unwrap();
    let lib = HANDLER.replace("CALL", "helper::run(s3, &bucket).await?;");
    std::fs::write(dir.join("src/lib.rs"), format!("mod helper;\n\n{lib}")).unwrap();
    write_helper(&dir, helper_call);
    let cache = dir.join("target/leastpriv-cache");
    (dir, cache)
}

fn write_helper(dir: &Path, call: &str) {
    let text = format!(
        "pub async fn run(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), aws_sdk_s3::Error> \
         {{\n    s3.{call}().bucket(bucket).key(\"k\").send().await?;\n    Ok(())\n}}\n"
    );
    std::fs::write(dir.join("src/helper/mod.rs"), text).unwrap();
}

/// One compiler process's expansion: a fresh thread starts with empty per-process caches.
fn expand_in_new_process(dir: &Path, cache: &Path) -> leastpriv_core::expand::FileExpansion {
    let cx = MacroContext {
        manifest_dir: Some(dir.to_path_buf()),
        handler_file: Some(dir.join("src/lib.rs")),
        guard_table: true,
        disk_cache: Some(cache.to_path_buf()),
        attribute_at: None,
    };
    let position = position(dir);
    std::thread::spawn(move || expand_from_file(&cx, || Some(position)).unwrap()).join().unwrap()
}

#[test]
fn an_expansion_is_kept_on_disk_until_an_answer_it_depends_on_changes() {
    let (dir, cache) = write_two_file_crate("kept", "get_object");
    let first = expand_in_new_process(&dir, &cache);
    assert!(!first.from_disk, "nothing saved yet");
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert!(first.role.contains("s3:GetObject"), "{}", first.role);
    assert_eq!(first.tracked.len(), 2, "{:?}", first.tracked);

    // A second process: served from disk, the same constant, the files reported again.
    let second = expand_in_new_process(&dir, &cache);
    assert!(second.from_disk);
    assert_eq!((&second.role, &second.tracked), (&first.role, &first.tracked));

    // A touch (the same bytes written again) keeps the saved expansion.
    write_helper(&dir, "get_object");
    assert!(expand_in_new_process(&dir, &cache).from_disk, "a touch is not a change");

    // The module file the handler calls into changes: expanded again, with the new error at
    // the same place a fresh expansion puts it.
    write_helper(&dir, "delete_object");
    let changed = expand_in_new_process(&dir, &cache);
    assert!(!changed.from_disk, "a called file changed");
    let (at, message) = changed.errors.first().expect("the delete is not declared");
    assert!(message.contains("s3:DeleteObject"), "{message}");
    let again = expand_in_new_process(&dir, &cache);
    assert!(again.from_disk);
    assert_eq!(again.errors, changed.errors, "errors keep their positions: {at:?}");

    // A new binary in src/bin/: the crate's layout changed, so the saved state no longer holds.
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(dir.join("src/bin/extra.rs"), "fn main() {}\n").unwrap();
    assert!(!expand_in_new_process(&dir, &cache).from_disk, "a listed folder changed");
    assert!(expand_in_new_process(&dir, &cache).from_disk);

    // Back to the first contents: the first state, still on disk, holds again.
    std::fs::remove_dir_all(dir.join("src/bin")).unwrap();
    write_helper(&dir, "get_object");
    let back = expand_in_new_process(&dir, &cache);
    assert!(back.from_disk, "an earlier state is kept");
    assert_eq!(back.role, first.role);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_cache_is_a_miss_never_an_error() {
    let (dir, cache) = write_two_file_crate("damaged", "get_object");
    let first = expand_in_new_process(&dir, &cache);
    // Cut every file of the cache in half.
    let mut damaged = 0;
    let mut pending = vec![cache.clone()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = std::fs::read(&path).unwrap();
                std::fs::write(&path, &text[..text.len() / 2]).unwrap();
                damaged += 1;
            }
        }
    }
    assert_eq!(damaged, 3, "the secret, one state's answers and one handler");
    let second = expand_in_new_process(&dir, &cache);
    assert!(!second.from_disk);
    assert_eq!(second.role, first.role);
    assert!(expand_in_new_process(&dir, &cache).from_disk, "saved again");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crate_with_handlers_in_many_files_is_served_whole_by_the_next_process() {
    let dir = scratch_crate("many");
    // More handler files than states kept per crate: each file's first expansion adds answers
    // (where the file leads), so one process writes a state per file.
    let files = 12;
    let mut lib = String::new();
    for i in 0..files {
        lib.push_str(&format!("pub mod h{i};\n"));
        std::fs::write(dir.join(format!("src/h{i}.rs")), HANDLER.replace("CALL", "")).unwrap();
    }
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let cache = dir.join("target/leastpriv-cache");
    let every_handler = |dir: PathBuf, cache: PathBuf| {
        std::thread::spawn(move || {
            (0..files)
                .map(|i| {
                    let file = dir.join(format!("src/h{i}.rs"));
                    let position = position_in(&file, "handler");
                    let cx = MacroContext {
                        manifest_dir: Some(dir.clone()),
                        handler_file: Some(file),
                        guard_table: false,
                        disk_cache: Some(cache.clone()),
                        attribute_at: None,
                    };
                    let out = expand_from_file(&cx, || Some(position)).unwrap();
                    assert!(out.errors.is_empty(), "{:?}", out.errors);
                    out.from_disk
                })
                .collect::<Vec<bool>>()
        })
        .join()
        .unwrap()
    };
    assert_eq!(every_handler(dir.clone(), cache.clone()), vec![false; files]);
    assert_eq!(every_handler(dir.clone(), cache.clone()), vec![true; files], "all kept");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_a_compiler_process_the_attribute_place_finds_the_saved_expansion_without_the_tokens() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static ASKED: AtomicUsize = AtomicUsize::new(0);
    let (dir, cache) = write_two_file_crate("attribute-place", "get_object");
    let run = |dir: PathBuf, cache: PathBuf| {
        std::thread::spawn(move || {
            let cx = MacroContext {
                handler_file: Some(dir.join("src/lib.rs")),
                manifest_dir: Some(dir.clone()),
                guard_table: false,
                disk_cache: Some(cache),
                // The attribute is on line 3 (after `mod helper;` and a blank line).
                attribute_at: Some((3, 0)),
            };
            expand_from_file(&cx, || {
                ASKED.fetch_add(1, Ordering::SeqCst);
                Some(position(&dir))
            })
            .unwrap()
        })
        .join()
        .unwrap()
    };
    let first = run(dir.clone(), cache.clone());
    assert!(!first.from_disk);
    assert_eq!(ASKED.load(Ordering::SeqCst), 1, "a miss needs the handler's position");
    let second = run(dir.clone(), cache.clone());
    assert!(second.from_disk);
    assert_eq!(second.role, first.role);
    assert_eq!(ASKED.load(Ordering::SeqCst), 1, "a hit never reads the handler's tokens");
    // Edited: the same place now holds a different handler body; the state no longer holds.
    write_helper(&dir, "delete_object");
    let edited = run(dir.clone(), cache.clone());
    assert!(!edited.from_disk);
    assert!(
        edited.errors.iter().any(|(_, m)| m.contains("s3:DeleteObject")),
        "{:?}",
        edited.errors
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_expansion_made_beside_another_handlers_extra_files_is_not_saved() {
    let (dir, cache) = write_two_file_crate("extras", "get_object");
    // An example with its own handler: compiling it loads examples/tool.rs beside the crate.
    std::fs::create_dir_all(dir.join("examples")).unwrap();
    let example = HANDLER.replace("CALL", "").replace("pub async fn handler", "pub async fn tool");
    std::fs::write(dir.join("examples/tool.rs"), format!("{example}\nfn main() {{}}\n")).unwrap();
    let example_position = position_in(&dir.join("examples/tool.rs"), "tool");
    let context = |file: &str| MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: Some(dir.join(file)),
        guard_table: false,
        disk_cache: Some(cache.clone()),
        attribute_at: None,
    };
    let (example_cx, lib_cx) = (context("examples/tool.rs"), context("src/lib.rs"));
    let lib_position = position(&dir);
    // One process: the example's handler first, then the library's.
    let (tool, lib) = std::thread::spawn({
        let (example_cx, lib_cx, lib_position) =
            (example_cx.clone(), lib_cx.clone(), lib_position.clone());
        move || {
            let tool = expand_from_file(&example_cx, || Some(example_position)).unwrap();
            let lib = expand_from_file(&lib_cx, || Some(lib_position)).unwrap();
            (tool, lib)
        }
    })
    .join()
    .unwrap();
    assert!(!tool.from_disk && !lib.from_disk);
    // The example's own handler was saved; the library's, made with the example loaded, was not.
    let again = std::thread::spawn(move || {
        let lib = expand_from_file(&lib_cx, || Some(lib_position)).unwrap();
        lib.from_disk
    })
    .join()
    .unwrap();
    assert!(!again, "made beside another target's files: not saved");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_long_lived_host_keeps_a_bounded_number_of_states_on_disk() {
    // rust-analyzer's proc-macro server: one process, a new state at every edit. The states it
    // wrote itself are protected from removal only while they are recent.
    let (dir, cache) = write_two_file_crate("long-lived", "get_object");
    let cx = MacroContext {
        manifest_dir: Some(dir.clone()),
        handler_file: None,
        guard_table: false,
        disk_cache: Some(cache.clone()),
        attribute_at: None,
    };
    let edits = 80;
    let states = std::thread::spawn(move || {
        for edit in 0..edits {
            // A comment of a new length each time: new bytes, new stamp.
            let helper = dir.join("src/helper/mod.rs");
            let text = std::fs::read_to_string(&helper).unwrap();
            std::fs::write(&helper, format!("{text}//{}\n", "x".repeat(edit))).unwrap();
            let out = expand_from_file(&cx, || Some(position(&dir))).unwrap();
            assert!(!out.from_disk, "edit {edit} is new");
        }
        let stores: Vec<PathBuf> = std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        assert_eq!(stores.len(), 1, "one engine, one crate: {stores:?}");
        let states =
            std::fs::read_dir(&stores[0]).unwrap().flatten().filter(|e| e.path().is_dir()).count();
        let _ = std::fs::remove_dir_all(&dir);
        states
    })
    .join()
    .unwrap();
    // The newest 32 this process wrote, and the newest 32 of the others.
    assert!(states <= 64, "{states} states kept after {edits} edits");
}

#[test]
fn stores_unused_for_a_month_are_removed_when_a_new_one_starts() {
    let (first, cache) = write_two_file_crate("sweep-first", "get_object");
    let (second, _) = write_two_file_crate("sweep-second", "get_object");
    expand_in_new_process(&first, &cache);
    let stores = |cache: &Path| -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(cache)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    };
    let [used] = stores(&cache).try_into().unwrap();
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 24 * 3600);
    let set_time = |dir: &Path| std::fs::File::open(dir).unwrap().set_modified(long_ago).unwrap();
    // An old engine's store, a recent one, and two folders that are not stores (one named like
    // a store, with something else in it): only the first goes.
    let stale = cache.join("00112233aabbccdd");
    let recent = cache.join("0011223344556677");
    let other = cache.join("not-a-store");
    let lookalike = cache.join("ffeeddccbbaa9988");
    for dir in [&stale, &recent, &other, &lookalike] {
        std::fs::create_dir_all(dir.join("8899aabbccddeeff")).unwrap();
    }
    std::fs::write(lookalike.join("notes.txt"), "not ours").unwrap();
    for dir in [&stale, &other, &lookalike] {
        set_time(dir);
    }
    // The store in use is as old, but read from in the meantime: that marks it as used.
    set_time(&used);
    assert!(expand_in_new_process(&first, &cache).from_disk);
    // A new crate starts a store: the sweep runs.
    expand_in_new_process(&second, &cache);
    let left = stores(&cache);
    assert!(!left.contains(&stale), "{left:?}");
    for kept in [&recent, &other, &lookalike, &used] {
        assert!(left.contains(kept), "{kept:?} kept: {left:?}");
    }
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(expand_in_new_process(&first, &cache).from_disk, "the store in use is kept");
    let _ = std::fs::remove_dir_all(&first);
    let _ = std::fs::remove_dir_all(&second);
}

/// Copies the folder `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn on_a_public_workspace_shape_an_edit_to_the_shared_path_dependency_is_seen() {
    // The shape of a public blog workspace (the soundness fixture modelled on it): members under
    // rust/lambdas/, a shared library crate whose package name differs from its folder, reached
    // by a relative path dependency; the handler's calls are in that library.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/fixtures/soundness/layout-workspace-shared-path-dep");
    let root = crate_dir("public-shape");
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&fixture, &root);
    let member = root.join("rust/lambdas/create-post");
    let main = member.join("src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap().replace(
        "async fn create_post(",
        "#[leastpriv::role(dynamodb(write, table = \"${Posts}\", env = \"POSTS_TABLE\"))]\n\
         async fn create_post(",
    );
    std::fs::write(&main, text).unwrap();
    let cache = root.join("target/leastpriv-cache");
    let expand = |cache: Option<PathBuf>| {
        let cx = MacroContext {
            manifest_dir: Some(member.clone()),
            handler_file: Some(main.clone()),
            guard_table: true,
            disk_cache: cache,
            attribute_at: None,
        };
        let position = position_in(&main, "create_post");
        std::thread::spawn(move || expand_from_file(&cx, || Some(position)).unwrap())
            .join()
            .unwrap()
    };
    let first = expand(Some(cache.clone()));
    assert!(!first.from_disk);
    assert!(first.role.contains("dynamodb:PutItem"), "{}", first.role);
    // The Cognito client the shared crate calls is not declared: an error, kept with the
    // expansion.
    let errors = messages(&first.errors);
    assert!(errors.iter().any(|m| m.contains("`cognito_idp`")), "{errors:?}");
    let served = expand(Some(cache.clone()));
    assert!(served.from_disk);
    let fresh = expand(None);
    assert_eq!((&served.role, &served.errors), (&fresh.role, &fresh.errors), "as if expanded now");

    // The shared crate's repository makes another call, the file keeping its length (so only
    // its contents tell): the saved expansion no longer holds.
    let shared = root.join("rust/shared/src/lib.rs");
    let before = std::fs::read_to_string(&shared).unwrap();
    let after = before.replace(".put_item()", ".get_item()");
    assert_eq!(after.len(), before.len());
    std::fs::write(&shared, after).unwrap();
    let changed = expand(Some(cache.clone()));
    assert!(!changed.from_disk, "a file of a path dependency changed");
    // A read the declaration (write) does not cover.
    let errors = messages(&changed.errors);
    assert!(errors.iter().any(|m| m.contains("dynamodb:GetItem")), "{errors:?}");
    let fresh = expand(None);
    assert_eq!((&changed.role, &changed.errors), (&fresh.role, &fresh.errors));
    let _ = std::fs::remove_dir_all(&root);
}

//! The back end's arrows: which top-level module may name which. Read from the `crate::` paths in
//! the source, so a new import that breaks the picture fails here, with the line that does it.
//!
//! ```text
//! web ─→ classroom ─→ simulation ─→ {engine, sandbox, plant, phone, training}
//! engine ─→ {mailclient, plant, store, mail}      phone ─→ {mailclient, mail}
//! mailclient ─→ mail      sandbox ─→ {mail, store}      plant ─→ {store, mail}
//! training ─→ {store, mail}   (the simulation feeds it what happened; it touches no part)
//! classroom: a simulation per trainee, built from the parts the process shares
//! ```
//!
//! `mail`, `store` and `tls` are the foundations (the mail toolkit, the database, TLS streams and
//! PEM files) and import none of the others. `config` is the command line: it builds each part's
//! options. The crate root (`lib.rs`, `main.rs`) wires everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each module and the modules it may import.
const ALLOWED: &[(&str, &[&str])] = &[
    ("mail", &[]),
    ("store", &[]),
    ("tls", &[]),
    ("mailclient", &["mail", "tls"]),
    ("plant", &["store", "mail"]),
    ("sandbox", &["mail", "store", "tls"]),
    ("phone", &["mailclient", "mail"]),
    ("engine", &["mailclient", "plant", "store", "mail"]),
    ("training", &["store", "mail"]),
    (
        "simulation",
        &[
            "engine", "sandbox", "plant", "phone", "mail", "training", "store",
        ],
    ),
    ("classroom", &["simulation", "config", "store"]),
    ("config", &["engine", "mailclient", "sandbox"]),
    (
        "web",
        &["classroom", "simulation", "config", "store", "tls"],
    ),
];

/// Files that wire the whole crate together.
const ROOT_FILES: &[&str] = &["lib", "main"];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// Every top-level module a line names with `crate::`, including `crate::{a, b::c}` groups.
fn modules_named(line: &str) -> Vec<String> {
    let mut named = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let rest = &line[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            named.extend(top_level_items(group).iter().map(|item| {
                let head = item.trim().split("::").next().unwrap_or_default();
                head.trim().to_string()
            }));
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            named.push(head);
        }
    }
    named.retain(|m| !m.is_empty());
    named
}

/// The items of a `{…}` group up to its closing brace, split at its own commas only.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..at]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

#[test]
fn modules_import_only_along_the_arrows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if ROOT_FILES.contains(&module.as_str()) {
            continue;
        }
        let Some(may) = allowed.get(module.as_str()) else {
            broken.push(format!(
                "{}: module `{module}` has no place in the picture (add it to ALLOWED)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            for named in modules_named(line) {
                if named != module && !may.contains(&named.as_str()) {
                    broken.push(format!(
                        "{}:{}: `{module}` must not import `{named}`: {}",
                        file.strip_prefix(&src).unwrap().display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "arrows broken:\n{}", broken.join("\n"));
}

#[test]
fn the_reader_sees_groups_and_paths() {
    assert_eq!(modules_named("use crate::mail::clock;"), ["mail"]);
    assert_eq!(
        modules_named("use crate::{store::Store, mail::{self, text}};"),
        ["store", "mail"]
    );
    assert_eq!(
        modules_named("let x = crate::engine::ledger::now() + crate::plant::f();"),
        ["engine", "plant"]
    );
    assert!(modules_named("use shared::crate_name;").is_empty());
}

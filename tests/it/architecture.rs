//! The house's large-scale rules, checked over the source tree (ARCHITECTURE.md, "Layers" and
//! "Invariants"): imports go down the layers, domain folders form no cycle, only `main.rs`
//! imports a `cli` module, no runtime is built in library code, no HTML is assembled with
//! `format!` outside templates, and no file grows past the size limit without a stated reason.
//!
//! The checks read `src/` as text: a `use crate::…` tree or an inline `crate::…` path names the
//! module it reaches; the file that defines that module is found by the longest existing prefix.
//! Test modules (`#[cfg(test)]`) are left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, bottom (0) to top. A file may import its own layer or lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Kernel = 0,
    Domain = 1,
    UseCase = 2,
    Adapter = 3,
    Root = 4,
}

/// Top-level modules that are the shared kernel (everything may use them).
const KERNEL: &[&str] = &[
    "model", "protocol", "clock", "audit", "store", "context", "config", "keys", "util", "logging", "daemon", "sheet_code", "hub_client",
    "cli_util", "lib",
];
/// Composition roots: they wire everything together and nothing imports them.
const ROOTS: &[&str] = &["main", "demo", "edge", "hub"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as its module path (`upload/server` for src/upload/server.rs).
fn source_files() -> BTreeMap<String, String> {
    let root = src();
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_stem().is_some_and(|s| s != "tests") {
                let rel = path.strip_prefix(&root).unwrap().with_extension("");
                let module = rel.to_string_lossy().replace('\\', "/");
                out.insert(module, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// The file's text without its test modules and comments.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut skipping_depth: Option<i32> = None;
    let mut depth = 0i32;
    let mut pending_cfg_test = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if skipping_depth.is_none() {
            if trimmed.starts_with("#[cfg(test)]") {
                pending_cfg_test = true;
                continue;
            }
            if pending_cfg_test {
                pending_cfg_test = false;
                if trimmed.starts_with("mod ") || trimmed.starts_with("pub mod ") {
                    if trimmed.ends_with(';') {
                        continue;
                    }
                    skipping_depth = Some(depth);
                }
            }
        }
        let code = match trimmed.find("//") {
            Some(i) if !trimmed[..i].contains('"') => &trimmed[..i],
            _ => trimmed,
        };
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
        }
        if let Some(d) = skipping_depth {
            if depth <= d && code.contains('}') {
                skipping_depth = None;
            }
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

fn layer_of(module: &str) -> Layer {
    let top = module.split('/').next().unwrap();
    let last = module.rsplit('/').next().unwrap();
    if ROOTS.contains(&top) {
        return Layer::Root;
    }
    if KERNEL.contains(&top) {
        return Layer::Kernel;
    }
    if last == "cli" || last == "pages" || last == "reporter" || last == "scheduler" || module.contains("/views") || top == "web" || top == "http" || top == "check_config" {
        return Layer::Adapter;
    }
    if last == "ops" || top == "day" {
        return Layer::UseCase;
    }
    Layer::Domain
}

/// The module a `crate::a::b::c` path reaches: the longest prefix that is a file.
fn resolve(files: &BTreeMap<String, String>, segments: &[&str]) -> Option<String> {
    (1..=segments.len()).rev().map(|n| segments[..n].join("/")).find(|m| files.contains_key(m))
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    fn go(prefix: &str, t: &str, out: &mut Vec<String>) {
        if let Some(open) = t.find('{') {
            let head = &t[..open];
            let close = t.rfind('}').filter(|&c| c > open).unwrap_or(t.len());
            let inner = &t[open + 1..close];
            let mut depth = 0;
            let mut start = 0;
            let bytes: Vec<char> = inner.chars().collect();
            let mut parts = Vec::new();
            for (i, c) in bytes.iter().enumerate() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(bytes[start..i].iter().collect::<String>());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(bytes[start..].iter().collect::<String>());
            for p in parts.iter().filter(|p| !p.is_empty()) {
                go(&format!("{prefix}{head}"), p, out);
            }
        } else {
            out.push(format!("{prefix}{t}"));
        }
    }
    let mut out = Vec::new();
    go("", &tree, &mut out);
    out
}

/// Every module of ours that `module`'s production code names.
fn imports(files: &BTreeMap<String, String>, module: &str, code: &str) -> BTreeSet<String> {
    let mut paths: Vec<String> = Vec::new();
    // `use` statements (at the start of a line), possibly spanning lines.
    let lines: Vec<&str> = code.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let body = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "].iter().find_map(|p| t.strip_prefix(p));
        if let Some(first) = body {
            let mut stmt = first.to_string();
            while !stmt.contains(';') && i + 1 < lines.len() {
                i += 1;
                stmt.push_str(lines[i]);
            }
            let end = stmt.find(';').unwrap_or(stmt.len());
            paths.extend(expand_use_tree(&stmt[..end]));
        }
        i += 1;
    }
    // Inline paths.
    for (i, _) in code.match_indices("crate::") {
        let tail: String = code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        paths.push(tail);
    }
    let own: Vec<&str> = module.split('/').collect();
    // A file `a/b.rs` is module a::b; `super` of its items is `a`.
    let mut out = BTreeSet::new();
    for p in paths {
        let p = p.trim_start_matches("pub(crate)").to_string();
        let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        let absolute: Vec<&str> = match segs.first() {
            Some(&"crate") => segs[1..].to_vec(),
            Some(&"super") => {
                let ups = segs.iter().take_while(|s| **s == "super").count();
                if ups > own.len() - 1 && !(own.len() == 1) {
                    continue;
                }
                let base = &own[..own.len().saturating_sub(ups)];
                base.iter().copied().chain(segs[ups..].iter().copied()).collect()
            }
            Some(&"self") => own.iter().copied().chain(segs[1..].iter().copied()).collect(),
            _ => continue,
        };
        if let Some(target) = resolve(files, &absolute) {
            if target != module && !target.starts_with(&format!("{module}/")) {
                out.insert(target);
            }
        }
    }
    out
}

struct Graph {
    files: BTreeMap<String, String>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let files = source_files();
    let mut edges = BTreeMap::new();
    for (module, text) in &files {
        let mut code = production_code(text);
        if module == "main" {
            // The binary reaches the library as `ppe::`.
            code = code.replace("ppe::", "crate::");
        }
        edges.insert(module.clone(), imports(&files, module, &code));
    }
    Graph { files, edges }
}

fn top(module: &str) -> &str {
    module.split('/').next().unwrap()
}

/// Imports from a lower layer to a higher one, roots excluded as importers.
fn back_up_imports(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in &g.edges {
        let lf = layer_of(from);
        if lf == Layer::Root {
            continue;
        }
        for to in tos {
            if layer_of(to) > lf {
                out.push(format!("{from} ({lf:?}) -> {to} ({:?})", layer_of(to)));
            }
        }
    }
    out
}

/// Strongly connected groups of more than one top-level folder (roots left out).
fn folder_cycles(g: &Graph) -> Vec<Vec<String>> {
    let mut fe: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in &g.edges {
        let a = top(from);
        if ROOTS.contains(&a) {
            continue;
        }
        for to in tos {
            let b = top(to);
            if a != b && !ROOTS.contains(&b) {
                fe.entry(a.to_string()).or_default().insert(b.to_string());
            }
        }
    }
    // Tarjan.
    struct T<'a> {
        fe: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T<'_>, v: &str) {
        t.index.insert(v.to_string(), t.next);
        t.low.insert(v.to_string(), t.next);
        t.next += 1;
        t.stack.push(v.to_string());
        t.on.insert(v.to_string());
        let next: Vec<String> = t.fe.get(v).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        for w in next {
            if !t.index.contains_key(&w) {
                visit(t, &w);
                let lw = t.low[&w];
                let lv = t.low[v];
                t.low.insert(v.to_string(), lv.min(lw));
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low[v];
                t.low.insert(v.to_string(), lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut group = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(&w);
                group.push(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                t.out.push(group);
            }
        }
    }
    let nodes: BTreeSet<String> = fe.keys().cloned().chain(fe.values().flatten().cloned()).collect();
    let mut t = T { fe: &fe, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), next: 0, out: Vec::new() };
    for n in nodes {
        if !t.index.contains_key(&n) {
            visit(&mut t, &n);
        }
    }
    t.out
}

fn report(g: &Graph) -> String {
    let cycles = folder_cycles(g);
    let back = back_up_imports(g);
    let mut sizes: Vec<(usize, &String)> = g.files.iter().map(|(m, t)| (t.lines().count(), m)).collect();
    sizes.sort_by(|a, b| b.cmp(a));
    let mut s = format!("folder cycles: {}\n", cycles.len());
    for c in &cycles {
        s.push_str(&format!("  cycle of {}: {}\n", c.len(), c.join(" ")));
    }
    s.push_str(&format!("back-up imports: {}\n", back.len()));
    for b in &back {
        s.push_str(&format!("  {b}\n"));
    }
    s.push_str("largest files:\n");
    for (n, m) in sizes.iter().take(8) {
        s.push_str(&format!("  {n:5} src/{m}.rs\n"));
    }
    s.push_str(&format!("total lines: {}\n", g.files.values().map(|t| t.lines().count()).sum::<usize>()));
    s
}

#[test]
fn domain_folders_form_no_import_cycle() {
    let g = graph();
    let cycles = folder_cycles(&g);
    assert!(cycles.is_empty(), "import cycles between folders:\n{}", report(&g));
}

#[test]
fn at_most_seven_imports_run_back_up_a_layer() {
    let g = graph();
    let back = back_up_imports(&g);
    assert!(back.len() <= 7, "{} imports run from a lower layer up:\n{}", back.len(), report(&g));
}

#[test]
fn only_main_imports_a_cli_module() {
    let g = graph();
    let offenders: Vec<String> = g
        .edges
        .iter()
        .filter(|(from, _)| from.as_str() != "main" && !from.ends_with("/cli") && from.as_str() != "cli")
        .flat_map(|(from, tos)| tos.iter().filter(|t| t.rsplit('/').next() == Some("cli")).map(move |t| format!("{from} -> {t}")))
        .collect();
    assert!(offenders.is_empty(), "cli modules imported outside main.rs: {offenders:#?}");
}

#[test]
fn no_runtime_is_built_in_library_code() {
    let g = graph();
    let offenders: Vec<&String> = g
        .files
        .iter()
        .filter(|(m, _)| m.as_str() != "main" && !m.ends_with("cli") && !m.ends_with("/cli_glue"))
        .filter(|(_, t)| production_code(t).contains("runtime::Builder"))
        .map(|(m, _)| m)
        .collect();
    assert!(offenders.is_empty(), "tokio runtimes built outside main/CLI glue: {offenders:?}");
}

/// An HTML tag: `<` then a letter, or `</` then a letter (not PDF's `<<` or a comparison).
fn looks_like_html(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| b[i] == b'<' && (b.get(i + 1).is_some_and(|c| c.is_ascii_lowercase()) || (b.get(i + 1) == Some(&b'/') && b.get(i + 2).is_some_and(|c| c.is_ascii_lowercase()))))
}

#[test]
fn no_html_is_built_with_format_outside_templates() {
    let g = graph();
    let mut offenders = Vec::new();
    for (m, t) in &g.files {
        let code = production_code(t);
        for (i, line) in code.lines().enumerate() {
            if let Some(at) = line.find("format!(") {
                if looks_like_html(&line[at..]) {
                    offenders.push(format!("src/{m}.rs (production line {})", i + 1));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "HTML built with format! outside templates: {offenders:#?}");
}

#[test]
fn no_source_file_over_600_lines_without_a_reason_in_architecture_md() {
    let g = graph();
    let architecture = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    // Only the "Large files" section counts, each file on a line of its own with a reason.
    let section = architecture.split("\n## Large files").nth(1).map(|rest| rest.split("\n## ").next().unwrap_or("")).unwrap_or("");
    let reasons: Vec<&str> = section.lines().filter(|l| l.starts_with("- `src/")).collect();
    let offenders: Vec<String> = g
        .files
        .iter()
        .filter(|(_, t)| t.lines().count() > 600)
        .filter(|(m, _)| !reasons.iter().any(|l| l.starts_with(&format!("- `src/{m}.rs` — ")) && l.len() > m.len() + 40))
        .map(|(m, t)| format!("src/{m}.rs: {} lines", t.lines().count()))
        .collect();
    assert!(offenders.is_empty(), "files over 600 lines with no reason in ARCHITECTURE.md (name them as `src/…rs` in its \"Large files\" list): {offenders:#?}");
}

#[test]
fn the_checker_sees_a_known_import() {
    // The checks above pass vacuously if the parser finds nothing: make sure it finds one
    // import we know exists, through a grouped `use` tree.
    let g = graph();
    assert!(g.edges.get("main").is_some_and(|t| t.iter().any(|m| m.ends_with("cli"))), "main imports some cli module");
    assert!(expand_use_tree("a::{b, c::{d, e}}") == vec!["a::b", "a::c::d", "a::c::e"]);
    assert!(looks_like_html("format!(\"<td>{x}</td>\")") && looks_like_html("format!(\"</b>\")"));
    assert!(!looks_like_html("format!(\"<< /Length {} >>\")") && !looks_like_html("format!(\"{a} < {b}\")"));
    eprintln!("{}", report(&g));
}

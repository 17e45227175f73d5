//! docs/outputs.md lists exactly the declared output arrays ([`spikeform_io::outputs`]).
//!
//! Each `.npz` file's table in docs/outputs.md sits between the lines
//! `<!-- generated: outputs FILE -->` and `<!-- end generated -->` and must equal
//! `FileSpec::markdown_table()`. After changing a declaration, regenerate the tables with
//!
//! ```text
//! SPIKEFORM_BLESS=1 cargo test -p spikeform-io --test outputs_doc
//! ```

use spikeform_io::outputs::FILES;
use std::path::PathBuf;

const END: &str = "<!-- end generated -->";

fn begin(file: &str) -> String {
    format!("<!-- generated: outputs {file} (SPIKEFORM_BLESS=1 cargo test -p spikeform-io --test outputs_doc) -->")
}

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/outputs.md")
}

/// The byte range of the generated block of `file` (between its two marker lines), if any.
fn block(doc: &str, file: &str) -> Option<std::ops::Range<usize>> {
    let marker = begin(file);
    let start = doc.find(&marker)? + marker.len() + 1;
    let end = start + doc[start..].find(END)?;
    Some(start..end)
}

#[test]
fn outputs_md_tables_are_the_declared_arrays() {
    let path = doc_path();
    let mut doc = std::fs::read_to_string(&path).unwrap();
    let bless = std::env::var("SPIKEFORM_BLESS").is_ok_and(|v| v == "1");
    let mut problems = Vec::new();
    for f in FILES {
        let Some(range) = block(&doc, f.file) else {
            problems.push(format!(
                "{}: no block `{}` … `{END}` in {}",
                f.file,
                begin(f.file),
                path.display()
            ));
            continue;
        };
        let want = f.markdown_table();
        if doc[range.clone()] != want {
            if bless {
                doc.replace_range(range, &want);
            } else {
                problems.push(format!(
                    "{}: the table differs from the declarations.\n  in the doc:\n{}\n  declared:\n{}",
                    f.file,
                    &doc[range],
                    want
                ));
            }
        }
    }
    if bless {
        std::fs::write(&path, &doc).unwrap();
    }
    assert!(
        problems.is_empty(),
        "{}\nRegenerate with SPIKEFORM_BLESS=1 cargo test -p spikeform-io --test outputs_doc",
        problems.join("\n")
    );
    // Every member named in a generated table is declared, and no other table of the page
    // lists a member of these files in the `| `name` | dtype |` form.
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let name = line[3..].split('`').next().unwrap();
        let in_block = FILES
            .iter()
            .any(|f| block(&doc, f.file).is_some_and(|r| doc[r].lines().any(|l| l == line)));
        let declared = FILES.iter().any(|f| f.array(name).is_some());
        assert!(
            in_block || !declared || !(line.contains("| f8 |") || line.contains("| i8 |")),
            "docs/outputs.md lists `{name}` outside a generated table: {line}"
        );
    }
}

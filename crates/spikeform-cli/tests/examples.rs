//! Every experiment file shipped in `examples/` is valid (`spikeform check` exits with 0), so a
//! key renamed in the code cannot silently break an example that the tests do not run.

mod common;

use common::*;

#[test]
fn every_example_passes_check() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for f in &files {
        let o = spikeform(&["check", f]);
        assert!(
            o.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

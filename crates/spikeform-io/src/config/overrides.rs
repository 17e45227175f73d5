//! `--set KEY=VALUE`: override a scalar key of the experiment file by its dotted path; a part
//! `name[k]` steps into element `k` (0-based) of an array of tables.

use super::ConfigError;

/// Applies one `KEY=VALUE` override to the parsed file. `VALUE` is read as a TOML value
/// (`5`, `0.25`, `true`, `"text"`); anything else is taken as a string. Intermediate tables are
/// created when missing, so optional sections can be set from the command line; whether the key
/// is allowed is decided afterwards, when the file is checked.
pub fn apply(table: &mut toml::Table, assignment: &str) -> Result<(), ConfigError> {
    let (key, value) = assignment.split_once('=').ok_or_else(|| {
        ConfigError::invalid("--set", format!("expected KEY=VALUE, got `{assignment}`"))
    })?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|part| part.is_empty()) {
        return Err(ConfigError::invalid(
            "--set",
            format!("`{key}` is not a dotted key path"),
        ));
    }
    let value = parse_value(value.trim());
    let parts: Vec<&str> = key.split('.').collect();
    let mut current = table;
    for (depth, part) in parts[..parts.len() - 1].iter().enumerate() {
        if let Some((name, index)) = indexed(part) {
            current = element(current, name, index, &parts[..=depth].join("."))?;
            continue;
        }
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::invalid(
                    parts[..=depth].join("."),
                    format!("is a value, not a section, so `{key}` cannot be set"),
                ))
            }
        };
    }
    let last = parts[parts.len() - 1];
    if let Some(toml::Value::Table(_)) = current.get(last) {
        return Err(ConfigError::invalid(
            key,
            "is a section; --set overrides scalar keys only",
        ));
    }
    current.insert(last.to_string(), value);
    Ok(())
}

/// `name[k]` (an element of an array of tables, e.g. `network.populations[1].size`):
/// `Some((name, k))`.
fn indexed(part: &str) -> Option<(&str, usize)> {
    let (name, rest) = part.split_once('[')?;
    let index = rest.strip_suffix(']')?.parse().ok()?;
    (!name.is_empty()).then_some((name, index))
}

/// Table `index` of the array of tables `name` in `table`; `path` names it in messages. Arrays
/// are never created or extended: the element must exist in the file.
fn element<'t>(
    table: &'t mut toml::Table,
    name: &str,
    index: usize,
    path: &str,
) -> Result<&'t mut toml::Table, ConfigError> {
    let array = match table.get_mut(name) {
        Some(toml::Value::Array(a)) => a,
        _ => {
            return Err(ConfigError::invalid(
                path,
                format!("`{name}` is not a list in the file, so it has no element {index}"),
            ))
        }
    };
    let len = array.len();
    match array.get_mut(index) {
        Some(toml::Value::Table(t)) => Ok(t),
        Some(_) => Err(ConfigError::invalid(path, "is a value, not a table")),
        None => Err(ConfigError::invalid(
            path,
            format!("`{name}` has {len} elements (0-based indices)"),
        )),
    }
}

fn parse_value(text: &str) -> toml::Value {
    let doc = format!("v = {text}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(text.to_string())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_scalars_with_types() {
        let mut t: toml::Table = "seed = 1\n[training]\nloops = 50\n".parse().unwrap();
        apply(&mut t, "training.loops=5").unwrap();
        apply(&mut t, "seed=3").unwrap();
        apply(&mut t, "name=abc").unwrap();
        apply(&mut t, "test.trials=2").unwrap();
        assert_eq!(t["training"]["loops"].as_integer(), Some(5));
        assert_eq!(t["seed"].as_integer(), Some(3));
        assert_eq!(t["name"].as_str(), Some("abc"));
        assert_eq!(t["test"]["trials"].as_integer(), Some(2));
    }

    #[test]
    fn sets_keys_inside_elements_of_arrays_of_tables() {
        let mut t: toml::Table =
            "[[pops]]\nsize = 1\n[[pops]]\nsize = 2\n[c]\nps = [{ p = 0.5 }, { p = 0.1 }]\n"
                .parse()
                .unwrap();
        apply(&mut t, "pops[1].size=20").unwrap();
        apply(&mut t, "c.ps[0].p=0.25").unwrap();
        assert_eq!(t["pops"][0]["size"].as_integer(), Some(1));
        assert_eq!(t["pops"][1]["size"].as_integer(), Some(20));
        assert_eq!(t["c"]["ps"][0]["p"].as_float(), Some(0.25));
        let e = apply(&mut t, "pops[2].size=3").unwrap_err().to_string();
        assert!(e.contains("pops[2]") && e.contains("2 elements"), "{e}");
        let e = apply(&mut t, "c[0].p=3").unwrap_err().to_string();
        assert!(e.contains("c[0]") && e.contains("not a list"), "{e}");
    }

    #[test]
    fn rejects_malformed_assignments() {
        let mut t: toml::Table = "[training]\nloops = 50\n".parse().unwrap();
        assert!(apply(&mut t, "training.loops").is_err());
        assert!(apply(&mut t, "training..loops=3").is_err());
        let e = apply(&mut t, "training=3").unwrap_err();
        assert!(e.to_string().contains("section"), "{e}");
    }
}

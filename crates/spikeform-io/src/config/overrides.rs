//! `--set KEY=VALUE`: override a scalar key of the experiment file by its dotted path.

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
    fn rejects_malformed_assignments() {
        let mut t: toml::Table = "[training]\nloops = 50\n".parse().unwrap();
        assert!(apply(&mut t, "training.loops").is_err());
        assert!(apply(&mut t, "training..loops=3").is_err());
        let e = apply(&mut t, "training=3").unwrap_err();
        assert!(e.to_string().contains("section"), "{e}");
    }
}

//! Line numbers of object keys in a JSON document.
//!
//! `serde_json` keeps no positions, and lockfile packages are object keys
//! (`"node_modules/foo": {...}`, `"requests": {...}`), so this small scanner
//! walks the already-validated text once and reports every key with the
//! path of keys leading to its object and the 1-based line it is on.

/// Calls `visit(path, key, line)` for every object key. `path` holds the keys
/// of the enclosing containers from the outside in; array elements appear
/// as `"[]"`. Only call this on text `serde_json` has accepted.
pub fn visit_keys(text: &str, mut visit: impl FnMut(&[String], &str, u32)) {
    struct Container {
        is_object: bool,
        expecting_key: bool,
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Container> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut last_key = String::new();
    let mut line = 1u32;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                let end = string_end(bytes, i + 1);
                if let Some(top) = stack.last_mut()
                    && top.is_object
                    && top.expecting_key
                {
                    top.expecting_key = false;
                    last_key = unescape(&text[i + 1..end.min(text.len())]);
                    visit(&path, &last_key, line);
                }
                i = end;
            }
            open @ (b'{' | b'[') => {
                if let Some(parent) = stack.last() {
                    path.push(if parent.is_object {
                        std::mem::take(&mut last_key)
                    } else {
                        "[]".to_string()
                    });
                }
                stack.push(Container {
                    is_object: open == b'{',
                    expecting_key: open == b'{',
                });
            }
            b'}' | b']' => {
                stack.pop();
                if !stack.is_empty() {
                    path.pop();
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.expecting_key = top.is_object;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Index of the closing quote of the string whose contents start at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::visit_keys;

    #[test]
    fn reports_nested_keys_with_lines() {
        let text = "{\n  \"a\": {\n    \"b\\\"c\": [1, {\"d\": 2}],\n    \"e\": \"}\"\n  },\n  \"f\": 3\n}";
        let mut seen = Vec::new();
        visit_keys(text, |path, key, line| {
            seen.push((path.join("/"), key.to_string(), line));
        });
        let expected = [
            ("", "a", 2),
            ("a", "b\"c", 3),
            ("a/b\"c/[]", "d", 3),
            ("a", "e", 4),
            ("", "f", 6),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(p, k, l)| (p.to_string(), k.to_string(), *l))
            .collect();
        assert_eq!(seen, expected);
    }
}

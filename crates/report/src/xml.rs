//! The little XML the JUnit writer needs: escaping, and dropping characters
//! XML 1.0 cannot carry at all (not even as references).

/// Text content: `&`, `<`, `>` escaped (`>` too, so `]]>` can never appear).
pub fn text(value: &str) -> String {
    escape(value, false)
}

/// A double-quoted attribute value. Tabs and line breaks become character
/// references, because parsers normalise them to spaces otherwise.
pub fn attr(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            // Illegal in XML 1.0 (NUL and most C0 controls, U+FFFE, U+FFFF):
            // no escape exists, so the character is dropped.
            _ => {}
        }
    }
    out
}

/// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]. Rust `char`s are never surrogates.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || (' '..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(text("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(text("x\u{0}\u{8}\u{b}y\u{FFFE}z"), "xyz");
        assert_eq!(text("line\nnext"), "line\nnext");
        assert_eq!(attr("line\nnext\ttab"), "line&#10;next&#9;tab");
        assert_eq!(text("é 🦀 ]]>"), "é 🦀 ]]&gt;");
    }
}

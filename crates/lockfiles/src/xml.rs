//! A small element tree over `quick-xml` events, for the XML formats
//! (`pom.xml`, `gradle/verification-metadata.xml`), with the line of each
//! element for findings.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::Failure;
use crate::text::line_of;

/// Elements nested deeper than this are refused: no real build file comes
/// close, and the limit keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Default)]
pub struct Element {
    /// Local name, without a namespace prefix.
    pub name: String,
    pub attributes: Vec<(String, String)>,
    /// Text content, trimmed; entity references resolved.
    pub text: String,
    pub children: Vec<Element>,
    pub line: u32,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// Text of the child `name`, if present and not empty.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|child| child.text.as_str())
            .filter(|text| !text.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, Failure> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|err| {
            let at = usize::try_from(reader.error_position()).unwrap_or(offset);
            Failure::at(line_of(text, at), None, format!("malformed XML: {err}"))
        })?;
        match event {
            Event::Start(_) | Event::Empty(_) if stack.len() >= MAX_DEPTH => {
                return Err(Failure::at(
                    line_of(text, offset),
                    None,
                    "elements nested too deeply",
                ));
            }
            Event::Start(start) => stack.push(element(&start, tag_line(text, &reader))),
            Event::Empty(start) => {
                let done = element(&start, tag_line(text, &reader));
                attach(&mut stack, done);
                if stack.is_empty() {
                    return Ok(Element::default());
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| {
                    Failure::at(
                        line_of(text, offset),
                        None,
                        "closing tag without an opening one",
                    )
                })?;
                if stack.is_empty() {
                    return Ok(done);
                }
                attach(&mut stack, done);
            }
            Event::Text(content) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(content.xml10_content().trim());
                }
            }
            Event::CData(content) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(content.trim());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(top) = stack.last_mut() {
                    let resolved = match &*reference {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => reference.resolve_char_ref().ok().flatten(),
                    };
                    if let Some(c) = resolved {
                        top.text.push(c);
                    }
                }
            }
            Event::Eof => {
                return Err(Failure::at(
                    line_of(text, text.len()),
                    None,
                    if stack.is_empty() {
                        "no root element".to_string()
                    } else {
                        format!(
                            "unexpected end of file inside <{}>",
                            stack[stack.len() - 1].name
                        )
                    },
                ));
            }
            _ => {}
        }
    }
}

/// Line of the `<` that opened the tag just read (the reader stands after
/// its `>`; `<` cannot occur inside a well-formed tag).
fn tag_line(text: &str, reader: &Reader<&[u8]>) -> u32 {
    let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    let end = end.min(text.len());
    let start = text.as_bytes()[..end]
        .iter()
        .rposition(|&b| b == b'<')
        .unwrap_or(0);
    line_of(text, start)
}

fn element(start: &quick_xml::events::BytesStart<'_>, line: u32) -> Element {
    let local = start.local_name();
    let name = local.as_ref().to_string();
    let attributes = start
        .attributes()
        .flatten()
        .map(|attribute| {
            (
                attribute.key.local_name().as_ref().to_string(),
                attribute.value.to_string(),
            )
        })
        .collect();
    Element {
        name,
        attributes,
        line,
        ..Element::default()
    }
}

fn attach(stack: &mut [Element], done: Element) {
    if let Some(parent) = stack.last_mut() {
        parent.children.push(done);
    }
}

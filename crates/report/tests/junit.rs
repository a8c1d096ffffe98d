mod common;

use common::*;
use cordon_report::junit;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Just enough DOM to check the document.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
    }

    fn children(&self, name: &str) -> Vec<&Element> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn element(start: &quick_xml::events::BytesStart) -> Element {
    let attributes = start
        .attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .unwrap()
                .into_owned();
            (key, value)
        })
        .collect();
    Element {
        name: start.name().as_ref().to_string(),
        attributes,
        ..Element::default()
    }
}

/// Parses the document, failing on anything that is not well-formed.
fn parse(xml: &str) -> Element {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
        {
            Event::Start(start) => stack.push(element(&start)),
            Event::Empty(start) => stack.last_mut().unwrap().children.push(element(&start)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(text) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&text.xml10_content()),
            Event::GeneralRef(reference) => {
                let raw = format!("&{};", &*reference);
                let resolved = quick_xml::escape::unescape(&raw)
                    .unwrap_or_else(|e| panic!("bad reference &{};: {e}", &*reference));
                stack.last_mut().unwrap().text.push_str(&resolved);
            }
            Event::Eof => break,
            Event::Decl(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut document = stack.pop().unwrap();
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.pop().unwrap()
}

#[test]
fn one_suite_and_testcase_per_stage_with_totals() {
    let root = parse(&junit::render(&sample_report()));
    assert_eq!(root.name, "testsuites");
    assert_eq!(root.attr("name"), "cordon");
    assert_eq!(root.attr("tests"), "5");
    // secrets has findings at or above high; models' critical too.
    assert_eq!(root.attr("failures"), "2");
    // audit (timeout) and custom (plugin).
    assert_eq!(root.attr("errors"), "2");
    assert_eq!(root.attr("skipped"), "1");
    assert_eq!(root.attr("time"), "31.400");

    let suites = root.children("testsuite");
    let names: Vec<&str> = suites.iter().map(|s| s.attr("name")).collect();
    assert_eq!(
        names,
        ["secrets", "models", "audit", "sbom-check", "custom"]
    );
    for suite in &suites {
        assert_eq!(suite.attr("tests"), "1");
        let cases = suite.children("testcase");
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].attr("name"), suite.attr("name"));
        assert_eq!(
            cases[0].attr("classname"),
            format!("cordon.{}", suite.attr("name"))
        );
        assert_eq!(cases[0].attr("time"), suite.attr("time"));
        // The Ant schema allows one of failure/error/skipped per testcase.
        let outcomes = cases[0]
            .children
            .iter()
            .filter(|c| ["failure", "error", "skipped"].contains(&c.name.as_str()))
            .count();
        assert!(outcomes <= 1);
    }
    let failures: usize = suites
        .iter()
        .map(|s| s.attr("failures").parse::<usize>().unwrap())
        .sum();
    let errors: usize = suites
        .iter()
        .map(|s| s.attr("errors").parse::<usize>().unwrap())
        .sum();
    let skipped: usize = suites
        .iter()
        .map(|s| s.attr("skipped").parse::<usize>().unwrap())
        .sum();
    assert_eq!((failures, errors, skipped), (2, 2, 1));
}

#[test]
fn failures_list_every_finding_at_or_above_the_threshold() {
    let root = parse(&junit::render(&sample_report()));
    let secrets = root.children("testsuite")[0];
    assert_eq!(secrets.attr("time"), "1.200");
    let case = secrets.child("testcase").unwrap();
    let failures = case.children("failure");
    assert_eq!(failures.len(), 1);
    let failure = failures[0];
    assert_eq!(failure.attr("message"), "2 finding(s) at or above high");
    assert_eq!(
        failure.attr("type"),
        "secrets/aws-access-key secrets/github-pat"
    );
    assert_eq!(
        failure.text,
        format!(
            "CRITICAL secrets/aws-access-key src/main.rs:10:1 AWS access key id\n\
             HIGH secrets/github-pat config/prod env/.env:3:5 (commit 0123456789ab) {TRICKY_MESSAGE}\n"
        )
    );
    // The snippet is never in the JUnit report.
    assert!(!failure.text.contains("GITHUB_TOKEN"));

    let out = &case.child("system-out").unwrap().text;
    assert_eq!(
        out,
        "42 file(s), 1258291 byte(s) scanned\n\
         findings below high:\n\
         MEDIUM secrets/generic-api-key README.md API key in the README\n\
         could not scan: assets/huge model.bin — larger than max_file_bytes (10 MiB)\n\
         denied: workspace.read .git/config — not in the stage's read globs\n\
         denied: workspace.read /etc/passwd — outside the workspace\n\
         denied: data.open osv — data set not granted\n\
         note: 3 rules disabled by configuration\n"
    );

    let properties = secrets.child("properties").unwrap().children("property");
    let pairs: Vec<(&str, &str)> = properties
        .iter()
        .map(|p| (p.attr("name"), p.attr("value")))
        .collect();
    assert!(pairs.contains(&("plugin", "secrets")));
    assert!(pairs.contains(&("fail_on", "high")));

    let models = root.children("testsuite")[1].child("testcase").unwrap();
    assert_eq!(
        models.child("failure").unwrap().text,
        "CRITICAL models/pickle-code-execution models/bundle.zip (byte 1234) (member inner/model.pkl) \
         pickle opcode GLOBAL imports os.system\n"
    );
}

#[test]
fn errored_and_skipped_stages() {
    let root = parse(&junit::render(&sample_report()));
    let suites = root.children("testsuite");

    let audit = suites[2];
    assert_eq!((audit.attr("failures"), audit.attr("errors")), ("0", "1"));
    let case = audit.child("testcase").unwrap();
    assert!(case.child("failure").is_none());
    let error = case.child("error").unwrap();
    assert_eq!(
        error.attr("message"),
        "timeout: the stage ran longer than 30s"
    );
    assert_eq!(error.attr("type"), "timeout");
    assert_eq!(
        error.text,
        "stage did not complete (timeout): the stage ran longer than 30s\n\
         findings at or above high before it stopped:\n\
         HIGH RUSTSEC-2024-0003 artifact:sbom smallvec 1.6.0: buffer overflow in insert_many\n"
    );

    let skipped = suites[3]
        .child("testcase")
        .unwrap()
        .child("skipped")
        .unwrap();
    assert_eq!(
        skipped.attr("message"),
        "not run: stage `audit` it depends on did not complete"
    );
    let custom = suites[4].child("testcase").unwrap().child("error").unwrap();
    assert_eq!(custom.attr("type"), "plugin");
}

#[test]
fn passing_stage_has_no_outcome_element() {
    let mut report = completed_only();
    report.fail_on = cordon_report::Severity::Critical;
    report.stages[1].findings.clear();
    let root = parse(&junit::render(&report));
    let models = root.children("testsuite")[1];
    assert_eq!(models.attr("failures"), "0");
    let case = models.child("testcase").unwrap();
    assert!(case.child("failure").is_none() && case.child("error").is_none());
}

#[test]
fn hostile_input_stays_well_formed() {
    let xml = junit::render(&hostile_report());
    assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains('\u{FFFE}'));
    let root = parse(&xml);
    assert_eq!(root.attr("tests"), "2");
    assert_eq!(root.attr("time"), "18446744073709551.615");
    let weird = root.children("testsuite")[0].child("testcase").unwrap();
    let failure = weird.child("failure").unwrap();
    // The markup in the message comes back as text, the illegal characters are gone.
    assert!(
        failure
            .text
            .contains("HIGH dup C:/Windows/win.ini:9:8 [2J[0;0Hok: nothing at or above high\r\n")
    );
    assert!(
        failure
            .text
            .contains("INFO x]]> ./ok.txt:4:9 (commit ç) \u{202E}txt.exe")
    );
    assert_eq!(
        failure.text.lines().count(),
        5 + 1,
        "five findings, one spans two lines"
    );
    assert_eq!(root.children("testsuite")[1].attr("name"), "");

    let empty = parse(&junit::render(&empty_report()));
    assert_eq!((empty.attr("tests"), empty.attr("failures")), ("0", "0"));
    assert!(empty.children.is_empty());
}

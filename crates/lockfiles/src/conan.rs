//! `conan.lock`: Conan 2 (`"version": "0.5"`, lists of references under
//! `requires`, `build_requires`, `python_requires`) and Conan 1
//! (`graph_lock.nodes`, each with a `ref`). A reference is
//! `name/version[@user/channel][#revision][%timestamp]`. Build requirements
//! are tools used during the build and are reported as dev.

use serde_json::Value;

use crate::graph::package;
use crate::text::json_failure;
use crate::{Ecosystem, Failure, Package, Parsed, Source, Warning};

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let document: Value = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    let mut references: Vec<(String, bool)> = Vec::new();
    for (field, dev) in [
        ("requires", false),
        ("build_requires", true),
        ("python_requires", true),
    ] {
        if let Some(list) = document.get(field).and_then(Value::as_array) {
            references.extend(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(|r| (r.to_string(), dev)),
            );
        }
    }
    if let Some(nodes) = document
        .get("graph_lock")
        .and_then(|g| g.get("nodes"))
        .and_then(Value::as_object)
    {
        for node in nodes.values() {
            if let Some(reference) = node.get("ref").and_then(Value::as_str) {
                let dev = node.get("context").and_then(Value::as_str) == Some("build");
                references.push((reference.to_string(), dev));
            }
        }
    }
    if document.get("requires").is_none() && document.get("graph_lock").is_none() {
        return Err(Failure::new(
            "neither `requires` nor `graph_lock` is present; not a conan.lock",
        ));
    }
    // References are array strings, not keys: each one's line is where its
    // quoted text first appears.
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for (reference, dev) in references {
        let line = text
            .find(&format!("\"{reference}\""))
            .map(|at| crate::text::line_of(text, at));
        let bare = reference.split(['#', '%']).next().unwrap_or(&reference);
        let (coordinates, user_channel) = match bare.split_once('@') {
            Some((coordinates, user_channel)) => (coordinates, Some(user_channel)),
            None => (bare, None),
        };
        let Some((name, version)) = coordinates.split_once('/') else {
            warnings.push(Warning {
                line,
                message: format!("`{reference}` is not `name/version`; skipped"),
            });
            continue;
        };
        packages.push(Package {
            dev,
            // A user/channel recipe is someone's fork, not ConanCenter's.
            source: match user_channel {
                Some(user_channel) if user_channel != "_/_" => Source::Registry {
                    url: Some(format!("@{user_channel}")),
                },
                _ => Source::Registry { url: None },
            },
            ..package(Ecosystem::ConanCenter, name, version, line)
        });
    }
    Ok(Parsed {
        packages,
        roots: Vec::new(),
        warnings,
    })
}

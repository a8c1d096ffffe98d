//! Maven `pom.xml`: the project's direct dependencies, resolved as far as
//! the file itself allows, without running Maven.
//!
//! Versions are taken literally or from `${property}` references to the
//! pom's `<properties>` (and `project.version`, `project.parent.version`),
//! and a dependency without a version takes it from the pom's own
//! `<dependencyManagement>`. What only the parent pom, an imported BOM or a
//! property defined elsewhere can say is a warning naming the dependency,
//! and the dependency is still listed, with no version.

use std::collections::HashMap;

use crate::graph::{Graph, package};
use crate::xml::{self, Element};
use crate::{Ecosystem, Failure, Package, Parsed, Source};

/// `${a}` inside `${b}` inside ...: deeper chains are treated as unresolved.
const MAX_PROPERTY_DEPTH: usize = 16;

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let project = xml::parse(text)?;
    if project.name != "project" {
        return Err(Failure::at(
            project.line,
            None,
            format!("expected <project>, found <{}>", project.name),
        ));
    }
    let parent = project.child("parent");
    let inherited = |field: &str| {
        project
            .child_text(field)
            .or_else(|| parent.and_then(|p| p.child_text(field)))
            .map(str::to_string)
    };
    let mut properties: HashMap<String, String> = HashMap::new();
    if let Some(declared) = project.child("properties") {
        for property in &declared.children {
            properties.insert(property.name.clone(), property.text.clone());
        }
    }
    for (key, value) in [
        ("project.version", inherited("version")),
        ("project.groupId", inherited("groupId")),
        (
            "project.artifactId",
            project.child_text("artifactId").map(str::to_string),
        ),
        (
            "project.parent.version",
            parent
                .and_then(|p| p.child_text("version"))
                .map(str::to_string),
        ),
        (
            "project.parent.groupId",
            parent
                .and_then(|p| p.child_text("groupId"))
                .map(str::to_string),
        ),
    ] {
        if let Some(value) = value {
            // Maven 2's `pom.` and bare forms are still accepted by Maven 3.
            properties.insert(key.replacen("project.", "pom.", 1), value.clone());
            if !key.starts_with("project.parent") {
                properties.insert(
                    key.trim_start_matches("project.").to_string(),
                    value.clone(),
                );
            }
            properties.insert(key.to_string(), value);
        }
    }

    // group:artifact -> version from the pom's own dependencyManagement.
    let mut managed: HashMap<String, String> = HashMap::new();
    if let Some(management) = project.child("dependencyManagement")
        && let Some(dependencies) = management.child("dependencies")
    {
        for dependency in dependencies.children_named("dependency") {
            if let (Some(key), Some(version)) = (
                coordinates(dependency, &properties),
                dependency.child_text("version"),
            ) && let Ok(version) = substitute(version, &properties)
            {
                managed.insert(key, version);
            }
        }
    }

    let mut graph = Graph::default();
    let project_name = format!(
        "{}:{}",
        inherited("groupId").unwrap_or_default(),
        project.child_text("artifactId").unwrap_or_default()
    );
    let mut direct = Vec::new();
    let dependency_lists = project.child("dependencies").into_iter().chain(
        // Profiles add dependencies when active; list them too, since
        // a build may activate them.
        project
            .child("profiles")
            .into_iter()
            .flat_map(|profiles| profiles.children_named("profile"))
            .filter_map(|profile| profile.child("dependencies")),
    );
    for dependencies in dependency_lists {
        for dependency in dependencies.children_named("dependency") {
            let line = Some(dependency.line);
            let Some(name) = coordinates(dependency, &properties) else {
                graph.warn(
                    line,
                    "dependency without a resolvable groupId and artifactId; skipped",
                );
                continue;
            };
            let version = match dependency.child_text("version") {
                Some(declared) => match substitute(declared, &properties) {
                    Ok(version) => Some(version),
                    Err(missing) => {
                        graph.warn(
                            line,
                            format!(
                                "version of {name} is `{declared}`, and `${{{missing}}}` is not defined in this pom (it may come from the parent pom or the command line); listed without a version"
                            ),
                        );
                        None
                    }
                },
                None => match managed.get(&name) {
                    Some(version) => Some(version.clone()),
                    None => {
                        graph.warn(
                            line,
                            format!(
                                "{name} has no version here or in this pom's dependencyManagement (it comes from the parent pom or an imported BOM); listed without a version"
                            ),
                        );
                        None
                    }
                },
            };
            let scope = dependency.child_text("scope").unwrap_or("compile");
            let source = match (scope, dependency.child_text("systemPath")) {
                ("system", Some(path)) => Source::Path {
                    path: path.to_string(),
                },
                _ => Source::Registry { url: None },
            };
            direct.push(name.clone());
            graph.add(
                Package {
                    source,
                    dev: scope == "test",
                    ..package(
                        Ecosystem::Maven,
                        &name,
                        version.as_deref().unwrap_or(""),
                        line,
                    )
                },
                Vec::new(),
            );
        }
    }
    let root = graph.add_root(Ecosystem::Maven, &project_name, direct);
    graph.packages[root].version = inherited("version")
        .and_then(|v| substitute(&v, &properties).ok())
        .unwrap_or_default();
    graph.packages[root].line = Some(project.line);
    Ok(graph.finish(|_| false))
}

fn coordinates(dependency: &Element, properties: &HashMap<String, String>) -> Option<String> {
    let group = substitute(dependency.child_text("groupId")?, properties).ok()?;
    let artifact = substitute(dependency.child_text("artifactId")?, properties).ok()?;
    Some(format!("{group}:{artifact}"))
}

/// Replaces every `${name}`; `Err(name)` for the first one not defined.
fn substitute(value: &str, properties: &HashMap<String, String>) -> Result<String, String> {
    let mut current = value.to_string();
    for _ in 0..MAX_PROPERTY_DEPTH {
        let Some(start) = current.find("${") else {
            return Ok(current);
        };
        let Some(length) = current[start..].find('}') else {
            return Ok(current);
        };
        let name = &current[start + 2..start + length];
        let replacement = properties.get(name).ok_or_else(|| name.to_string())?;
        current = format!(
            "{}{replacement}{}",
            &current[..start],
            &current[start + length + 1..]
        );
    }
    Err(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_resolve_recursively_and_report_the_missing_one() {
        let properties: HashMap<String, String> = [
            ("a".to_string(), "${b}.1".to_string()),
            ("b".to_string(), "2".to_string()),
        ]
        .into();
        assert_eq!(substitute("${a}-x", &properties), Ok("2.1-x".to_string()));
        assert_eq!(substitute("${c}", &properties), Err("c".to_string()));
        let looping: HashMap<String, String> = [("a".to_string(), "${a}".to_string())].into();
        assert!(substitute("${a}", &looping).is_err());
    }
}

//! Maven `pom.xml`: the project's direct dependencies, resolved as far as
//! the file itself allows, without running Maven.
//!
//! Versions are taken literally or from `${property}` references to the
//! pom's `<properties>` (and `project.version`, `project.parent.version`),
//! and a dependency without a version takes it from the pom's own
//! `<dependencyManagement>`. With [`parse_tree`], parent poms in the
//! workspace (`<relativePath>`, `../pom.xml` by default) add their
//! properties and dependency management, as Maven's inheritance does. What
//! only a parent outside the workspace, an imported BOM or a property
//! defined elsewhere can say is a warning naming the dependency, and the
//! dependency is still listed, with no version.

use std::collections::HashMap;

use crate::graph::{Graph, package};
use crate::xml::{self, Element};
use crate::{Ecosystem, Failure, Package, Parsed, Source};

/// `${a}` inside `${b}` inside ...: deeper chains are treated as unresolved.
const MAX_PROPERTY_DEPTH: usize = 16;

/// Parent poms followed at most (real hierarchies are a few levels deep).
const MAX_PARENT_DEPTH: usize = 8;

/// One pom on its own.
pub fn parse(text: &str) -> Result<Parsed, Failure> {
    build(&project_of(text)?, &[])
}

/// A pom with its parents from the workspace, read through `read`.
pub fn parse_tree(
    path: &str,
    text: &str,
    read: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) -> Result<Parsed, Failure> {
    let project = project_of(text)?;
    let mut parents: Vec<Element> = Vec::new();
    let mut current_path = path.to_string();
    let mut visited = vec![current_path.clone()];
    while parents.len() < MAX_PARENT_DEPTH {
        let child = parents.last().unwrap_or(&project);
        let Some(declared) = child.child("parent") else {
            break;
        };
        // An empty `<relativePath/>` says: from the repository only.
        let relative = match declared.child("relativePath") {
            Some(relative) if relative.text.is_empty() => break,
            Some(relative) => relative.text.clone(),
            None => "../pom.xml".to_string(),
        };
        let relative = if relative.ends_with(".xml") {
            relative
        } else {
            format!("{}/pom.xml", relative.trim_end_matches('/'))
        };
        let expected = (
            declared.child_text("groupId").map(str::to_string),
            declared.child_text("artifactId").map(str::to_string),
        );
        let Some(parent_path) = crate::paths::resolve_relative(&current_path, &relative) else {
            break;
        };
        if visited.contains(&parent_path) {
            break;
        }
        let Some(bytes) = read(&parent_path) else {
            break;
        };
        let Ok(parent) = crate::text::decode(&bytes).and_then(project_of) else {
            break;
        };
        // Maven takes the pom at relativePath only if it is the declared
        // parent; otherwise the parent comes from a repository.
        let group = parent
            .child_text("groupId")
            .or_else(|| parent.child("parent").and_then(|p| p.child_text("groupId")))
            .map(str::to_string);
        if (group, parent.child_text("artifactId").map(str::to_string)) != expected {
            break;
        }
        visited.push(parent_path.clone());
        current_path = parent_path;
        parents.push(parent);
    }
    build(&project, &parents)
}

fn project_of(text: &str) -> Result<Element, Failure> {
    let project = xml::parse(text)?;
    if project.name != "project" {
        return Err(Failure::at(
            project.line,
            None,
            format!("expected <project>, found <{}>", project.name),
        ));
    }
    Ok(project)
}

/// The pom's dependencies, with `parents` (nearest first) contributing
/// properties and dependency management the pom does not override.
fn build(project: &Element, parents: &[Element]) -> Result<Parsed, Failure> {
    let parent = project.child("parent");
    let inherited = |field: &str| {
        project
            .child_text(field)
            .or_else(|| parent.and_then(|p| p.child_text(field)))
            .map(str::to_string)
    };
    // The farthest ancestor first, so nearer poms override.
    let lineage: Vec<&Element> = parents.iter().rev().chain([project]).collect();
    let mut properties: HashMap<String, String> = HashMap::new();
    for pom in &lineage {
        if let Some(declared) = pom.child("properties") {
            for property in &declared.children {
                properties.insert(property.name.clone(), property.text.clone());
            }
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

    // group:artifact -> version from the dependencyManagement of the pom
    // and its parents, resolved with the pom's properties as Maven does.
    let mut managed: HashMap<String, String> = HashMap::new();
    for pom in &lineage {
        let Some(management) = pom.child("dependencyManagement") else {
            continue;
        };
        let Some(dependencies) = management.child("dependencies") else {
            continue;
        };
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

//! Stages -> a DAG. Edges come from `needs` and, implicitly, from every
//! artifact a stage reads to the stage that writes it.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Pipeline;

/// The dependency graph of a pipeline, by stage name.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Stage -> the stages it waits for.
    pub dependencies: BTreeMap<String, BTreeSet<String>>,
    /// A topological order (ties broken by name), for display and tests.
    pub order: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("the stages form a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

impl Plan {
    pub fn new(pipeline: &Pipeline) -> Result<Plan, PlanError> {
        let producers: BTreeMap<&str, &str> = pipeline
            .stages
            .iter()
            .flat_map(|s| {
                s.grants
                    .artifacts_write
                    .iter()
                    .map(move |a| (a.as_str(), s.name.as_str()))
            })
            .collect();
        let mut dependencies = BTreeMap::new();
        for stage in &pipeline.stages {
            let mut deps: BTreeSet<String> = stage.needs.iter().cloned().collect();
            for artifact in &stage.grants.artifacts_read {
                if let Some(producer) = producers.get(artifact.as_str())
                    && *producer != stage.name
                {
                    deps.insert(producer.to_string());
                }
            }
            dependencies.insert(stage.name.clone(), deps);
        }
        let order = topological_order(&dependencies)?;
        Ok(Plan {
            dependencies,
            order,
        })
    }

    /// Stages that depend on `stage`, directly or not.
    pub fn dependants(&self, stage: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut frontier = vec![stage.to_string()];
        while let Some(current) = frontier.pop() {
            for (name, deps) in &self.dependencies {
                if deps.contains(&current) && found.insert(name.clone()) {
                    frontier.push(name.clone());
                }
            }
        }
        found
    }
}

/// Kahn's algorithm; on a cycle, walks it to name its members in order.
fn topological_order(
    dependencies: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, PlanError> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < dependencies.len() {
        let ready: Vec<&String> = dependencies
            .iter()
            .filter(|(name, deps)| {
                !done.contains(name.as_str()) && deps.iter().all(|d| done.contains(d.as_str()))
            })
            .map(|(name, _)| name)
            .collect();
        if ready.is_empty() {
            return Err(PlanError::Cycle(find_cycle(dependencies, &done)));
        }
        for name in ready {
            done.insert(name);
            order.push(name.clone());
        }
    }
    Ok(order)
}

fn find_cycle(
    dependencies: &BTreeMap<String, BTreeSet<String>>,
    done: &BTreeSet<&str>,
) -> Vec<String> {
    // Every stage left waits on another stage left, so following first
    // dependencies must revisit a stage: that loop is the cycle.
    let Some(start) = dependencies.keys().find(|k| !done.contains(k.as_str())) else {
        return Vec::new();
    };
    let mut path: Vec<String> = vec![start.clone()];
    loop {
        let current = path.last().cloned().unwrap_or_default();
        let next = dependencies
            .get(&current)
            .and_then(|deps| deps.iter().find(|d| !done.contains(d.as_str())))
            .cloned()
            .unwrap_or_default();
        if let Some(position) = path.iter().position(|p| *p == next) {
            let mut cycle = path.split_off(position);
            cycle.push(next);
            cycle.reverse();
            return cycle;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(text: &str) -> Result<Plan, String> {
        let pipeline = Pipeline::parse(text, "t.toml", Path::new("."));
        match pipeline {
            Ok(p) => Plan::new(&p).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn artifact_readers_wait_for_the_writer() {
        let p = plan(
            r#"
[stages.b]
plugin = "builtin:audit"
grants = { artifacts = { read = ["sbom"] } }
[stages.a]
plugin = "builtin:sbom"
grants = { read = ["**"], artifacts = { write = ["sbom"] } }
[stages.c]
plugin = "builtin:secrets"
needs = ["b"]
grants = { read = ["**"] }
"#,
        )
        .unwrap();
        assert_eq!(p.order, vec!["a", "b", "c"]);
        assert_eq!(p.dependants("a"), ["b".to_string(), "c".to_string()].into());
    }

    #[test]
    fn cycles_are_named() {
        let error = plan(
            r#"
[stages.a]
plugin = "builtin:sbom"
needs = ["c"]
grants = { read = ["**"] }
[stages.b]
plugin = "builtin:sbom"
needs = ["a"]
grants = { read = ["**"] }
[stages.c]
plugin = "builtin:sbom"
needs = ["b"]
grants = { read = ["**"] }
"#,
        )
        .unwrap_err();
        assert!(
            error.contains("cycle: a -> b -> c -> a")
                || error.contains("cycle: b -> c -> a -> b")
                || error.contains("cycle: c -> a -> b -> c"),
            "{error}"
        );
    }
}

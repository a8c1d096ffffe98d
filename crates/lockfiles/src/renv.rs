//! `renv.lock` (R): JSON with `Packages`, each with `Version`, `Source`
//! (`Repository` with the `Repository` name, `GitHub`, `GitLab`,
//! `Bioconductor`, `Local`, ...) and `Requirements`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::graph::{Graph, package};
use crate::json_lines::visit_keys;
use crate::text::json_failure;
use crate::{Ecosystem, Failure, Package, Parsed, Source};

#[derive(Deserialize)]
struct RenvLock {
    #[serde(rename = "Packages")]
    packages: Option<BTreeMap<String, Locked>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Locked {
    package: Option<String>,
    version: Option<String>,
    source: Option<String>,
    repository: Option<String>,
    #[serde(default)]
    requirements: Vec<String>,
    remote_host: Option<String>,
    remote_username: Option<String>,
    remote_repo: Option<String>,
    remote_sha: Option<String>,
    remote_url: Option<String>,
}

pub fn parse(text: &str) -> Result<Parsed, Failure> {
    let lock: RenvLock = serde_json::from_str(text).map_err(|e| json_failure(&e))?;
    let packages = lock
        .packages
        .ok_or_else(|| Failure::new("`Packages` is missing; not a renv.lock"))?;
    let mut lines = BTreeMap::new();
    visit_keys(text, |path, key, line| {
        if path.len() == 1 && path[0] == "Packages" {
            lines.insert(key.to_string(), line);
        }
    });
    let mut graph = Graph::default();
    for (key, locked) in &packages {
        let name = locked.package.clone().unwrap_or_else(|| key.clone());
        let source = match locked.source.as_deref() {
            Some("GitHub" | "GitLab" | "Bitbucket" | "git") => Source::Git {
                url: locked.remote_url.clone().unwrap_or_else(|| {
                    format!(
                        "https://{}/{}/{}",
                        locked.remote_host.as_deref().unwrap_or("github.com"),
                        locked.remote_username.as_deref().unwrap_or(""),
                        locked.remote_repo.as_deref().unwrap_or(&name)
                    )
                }),
                rev: locked.remote_sha.clone(),
            },
            Some("Local") => Source::Path {
                path: locked.remote_url.clone().unwrap_or_default(),
            },
            // Bioconductor packages are not CRAN's; name the repository so
            // CRAN advisories are not taken for them.
            Some("Bioconductor") => Source::Registry {
                url: Some("Bioconductor".to_string()),
            },
            _ => Source::Registry {
                url: locked
                    .repository
                    .clone()
                    .filter(|r| !r.eq_ignore_ascii_case("CRAN")),
            },
        };
        graph.add(
            Package {
                source,
                ..package(
                    Ecosystem::Cran,
                    &name,
                    locked.version.as_deref().unwrap_or(""),
                    lines.get(key).copied(),
                )
            },
            locked.requirements.clone(),
        );
    }
    // Base R packages (`utils`, `methods`, ...) are requirements that ship
    // with R and are never in the lock.
    Ok(graph.finish(|_| true))
}

//! Lockfile packages and model files merged into one CycloneDX document.
//!
//! A registry or git package that several lockfiles pin is one component
//! (its hashes, lockfile locations and edges united); workspace members are
//! nested under the root component; every component, the root included, has
//! a `dependencies` entry with its direct dependencies.

use std::collections::{BTreeMap, BTreeSet};

use cordon_lockfiles::{Checksum, HashAlg, Lockfile, OsRelease, Package, Source};

use crate::bom::{
    BOM_FORMAT, Bom, Component, ComponentType, Dependency, ExternalReference, Hash, Lifecycle,
    Metadata, Property, SCHEMA_URL, SPEC_VERSION, Scope, Tools,
};
use crate::license::license_choice;
use crate::{SbomError, SbomRequest, identity, models, purl};

/// The phase the document describes: it is made from lockfiles and files
/// in the source tree, before anything is built.
const LIFECYCLE_PHASE: &str = "pre-build";

struct Node {
    component: Component,
    depends_on: BTreeSet<String>,
    is_workspace_member: bool,
}

pub fn build(request: &SbomRequest<'_>) -> Result<Bom, SbomError> {
    let root_ref = match &request.root.version {
        Some(version) => format!("root:{}@{version}", request.root.name),
        None => format!("root:{}", request.root.name),
    };
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut root_depends_on: BTreeSet<String> = BTreeSet::new();

    let mut lockfiles: Vec<&Lockfile> = request.lockfiles.iter().collect();
    lockfiles.sort_by(|a, b| a.path.cmp(&b.path));
    for lockfile in &lockfiles {
        let refs: Vec<String> = lockfile
            .packages
            .iter()
            .map(|package| purl::bom_ref(package, &lockfile.path))
            .collect();
        for (package, bom_ref) in lockfile.packages.iter().zip(&refs) {
            let node = nodes.entry(bom_ref.clone()).or_insert_with(|| Node {
                component: package_component(package, bom_ref, lockfile.os_release.as_ref()),
                depends_on: BTreeSet::new(),
                is_workspace_member: package.source == Source::Workspace,
            });
            merge(&mut node.component, package, &lockfile.path);
            for &dependency in &package.dependencies {
                if let Some(target) = refs.get(dependency)
                    && target != bom_ref
                {
                    node.depends_on.insert(target.clone());
                }
            }
        }
        for entry_point in entry_points(lockfile) {
            root_depends_on.insert(refs[entry_point].clone());
        }
    }

    for model in request.models {
        let bom_ref = models::bom_ref(model);
        root_depends_on.insert(bom_ref.clone());
        nodes.entry(bom_ref).or_insert_with(|| Node {
            component: models::component(model),
            depends_on: BTreeSet::new(),
            is_workspace_member: false,
        });
    }

    let mut dependencies = vec![Dependency {
        reference: root_ref.clone(),
        depends_on: root_depends_on.into_iter().collect(),
    }];
    let mut components = Vec::new();
    let mut members = Vec::new();
    for (bom_ref, node) in nodes {
        dependencies.push(Dependency {
            reference: bom_ref,
            depends_on: node.depends_on.into_iter().collect(),
        });
        let mut component = node.component;
        component.hashes.sort();
        component.hashes.dedup();
        component.properties.sort();
        component.properties.dedup();
        if node.is_workspace_member {
            members.push(component);
        } else {
            components.push(component);
        }
    }
    dependencies.sort_by(|a, b| a.reference.cmp(&b.reference));

    let mut root = Component::new(ComponentType::Application, &request.root.name);
    root.bom_ref = Some(root_ref);
    root.version = request.root.version.clone();
    root.components = members;

    let mut tool = Component::new(ComponentType::Application, &request.options.tool_name);
    tool.version = Some(request.options.tool_version.clone());

    let mut properties: Vec<Property> = lockfiles
        .iter()
        .map(|l| Property::new("cordon:lockfile", &l.path))
        .collect();
    properties.extend(request.lockfile_errors.iter().map(|e| {
        Property::new(
            "cordon:lockfile-error",
            match e.line {
                Some(line) => format!("{}:{line}: {}", e.path, e.message),
                None => format!("{}: {}", e.path, e.message),
            },
        )
    }));
    properties.sort();

    Ok(Bom {
        schema: SCHEMA_URL,
        bom_format: BOM_FORMAT,
        spec_version: SPEC_VERSION,
        serial_number: None,
        version: 1,
        metadata: Metadata {
            timestamp: request
                .options
                .timestamp
                .map(identity::timestamp)
                .transpose()?,
            lifecycles: vec![Lifecycle {
                phase: LIFECYCLE_PHASE,
            }],
            tools: Tools {
                components: vec![tool],
            },
            component: root,
            properties,
        },
        components,
        dependencies,
    })
}

/// The packages the workspace itself depends on: the lockfile's roots
/// (workspace members) when it names them, else every package that no
/// other package of the lockfile depends on (for requirements files and
/// Pipfile.lock, which record no edges, that is every package).
fn entry_points(lockfile: &Lockfile) -> Vec<usize> {
    if !lockfile.roots.is_empty() {
        return lockfile.roots.clone();
    }
    let mut depended_on = vec![false; lockfile.packages.len()];
    for package in &lockfile.packages {
        for &dependency in &package.dependencies {
            if let Some(flag) = depended_on.get_mut(dependency) {
                *flag = true;
            }
        }
    }
    let tops: Vec<usize> = (0..lockfile.packages.len())
        .filter(|&i| !depended_on[i])
        .collect();
    // A lockfile whose every package is in a cycle still belongs to the
    // workspace: link all of them rather than none.
    if tops.is_empty() {
        (0..lockfile.packages.len()).collect()
    } else {
        tops
    }
}

fn package_component(package: &Package, bom_ref: &str, release: Option<&OsRelease>) -> Component {
    let mut component = Component::new(ComponentType::Library, purl::short_name(package));
    component.bom_ref = Some(bom_ref.to_string());
    component.group = purl::group(package);
    component.version = (!package.version.is_empty()).then(|| package.version.clone());
    component.purl = Some(purl::purl(package, release));
    component.scope = Some(if package.dev {
        Scope::Optional
    } else {
        Scope::Required
    });
    component.licenses = package
        .license
        .as_deref()
        .and_then(license_choice)
        .into_iter()
        .collect();
    component.external_references = purl::external_reference(package)
        .map(|(kind, url)| ExternalReference { kind, url })
        .into_iter()
        .collect();
    component.properties.push(Property::new(
        "cordon:source",
        match package.source {
            Source::Registry { .. } => "registry",
            Source::Git { .. } => "git",
            Source::Path { .. } => "path",
            Source::Workspace => "workspace",
        },
    ));
    component
}

/// Folds one lockfile's view of a package into its component: hashes are
/// united, a package needed at run time by any lockfile is `required`, the
/// first licence found is kept, and the lockfile is added as a
/// `cordon:lockfile` property, `path:line` (the `audit` stage's finding
/// location; `path` alone when the package has no line).
fn merge(component: &mut Component, package: &Package, lockfile_path: &str) {
    component
        .hashes
        .extend(package.checksums.iter().map(hash_of));
    if !package.dev {
        component.scope = Some(Scope::Required);
    }
    if component.licenses.is_empty() {
        component.licenses = package
            .license
            .as_deref()
            .and_then(license_choice)
            .into_iter()
            .collect();
    }
    let location = match package.line {
        Some(line) => format!("{lockfile_path}:{line}"),
        None => lockfile_path.to_string(),
    };
    component
        .properties
        .push(Property::new("cordon:lockfile", location));
}

fn hash_of(checksum: &Checksum) -> Hash {
    Hash {
        alg: match checksum.alg {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        },
        content: checksum.hex.clone(),
    }
}

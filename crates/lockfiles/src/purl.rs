//! Package URL coordinates per ecosystem, shared by the SBOM and audit
//! stages so both name a package the same way.

use crate::{Ecosystem, Package, normalize_pypi_name};

/// purl type, namespace and name of a package, per the purl type
/// definitions: `cargo`, `npm` (scope as namespace), `pypi` (PEP 503 name),
/// `golang` (module path split at its last `/`), `gem`, `composer`
/// (vendor as namespace), `maven` (group as namespace), `nuget`, `pub`,
/// `hex`, `cran`, `conan`, `apk` (namespace `alpine`) and `deb` (namespace
/// `debian`).
pub fn purl_coordinates(package: &Package) -> (&'static str, Option<String>, String) {
    let name = package.name.clone();
    let split_last = |ty: &'static str, separator: char| match name.rsplit_once(separator) {
        Some((namespace, short)) => (ty, Some(namespace.to_string()), short.to_string()),
        None => (ty, None, name.clone()),
    };
    match package.ecosystem {
        Ecosystem::CratesIo => ("cargo", None, name.clone()),
        Ecosystem::PyPI => ("pypi", None, normalize_pypi_name(&name)),
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, short)) if scope.starts_with('@') => {
                ("npm", Some(scope.to_string()), short.to_string())
            }
            _ => ("npm", None, name.clone()),
        },
        Ecosystem::Go => split_last("golang", '/'),
        Ecosystem::RubyGems => ("gem", None, name.clone()),
        Ecosystem::Packagist => split_last("composer", '/'),
        Ecosystem::Maven => split_last("maven", ':'),
        Ecosystem::NuGet => ("nuget", None, name.clone()),
        Ecosystem::Pub => ("pub", None, name.clone()),
        Ecosystem::Hex => ("hex", None, name.clone()),
        Ecosystem::Cran => ("cran", None, name.clone()),
        Ecosystem::ConanCenter => ("conan", None, name.clone()),
        Ecosystem::Alpine => ("apk", Some("alpine".to_string()), name.clone()),
        Ecosystem::Debian => ("deb", Some("debian".to_string()), name.clone()),
    }
}

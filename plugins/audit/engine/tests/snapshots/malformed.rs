//! Damaged databases never panic and never pass for clean: every broken
//! file is a load warning naming it.

use crate::common::{osv_pypi_dir, read_tree, rustsec_dir};
use cordon_audit::{Index, IndexError};

/// Real advisory files of both databases, truncated at many points.
#[test]
fn truncated_real_advisories_are_warnings_not_panics() {
    let mut samples: Vec<(String, Vec<u8>)> = read_tree(&rustsec_dir())
        .into_iter()
        .filter(|(path, _)| path.starts_with("crates/"))
        .step_by(97)
        .collect();
    samples.extend(
        read_tree(&osv_pypi_dir())
            .into_iter()
            .filter(|(path, _)| path.ends_with(".yaml"))
            .step_by(211),
    );
    assert!(samples.len() > 20);
    for (path, bytes) in &samples {
        let mut broken_somewhere = false;
        for cut in (1..bytes.len()).step_by(bytes.len() / 13 + 1) {
            let truncated = vec![(path.clone(), bytes[..cut].to_vec())];
            match Index::build(truncated) {
                Ok((index, warnings)) => {
                    // A cut that still parses must still be an advisory.
                    assert_eq!(index.stats().advisories, 1, "{path} cut at {cut}");
                    assert!(warnings.iter().all(|w| w.path == *path));
                }
                Err(IndexError::NoAdvisories {
                    files: 1,
                    unreadable,
                }) => {
                    broken_somewhere = true;
                    // Either unreadable, or (YAML) readable but naming no
                    // package yet, which is no advisory at all.
                    assert!(unreadable <= 1);
                }
                Err(other) => panic!("{path} cut at {cut}: {other}"),
            }
        }
        assert!(broken_somewhere, "{path}: no truncation was detected");
    }
}

#[test]
fn binary_garbage_is_reported_per_file() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let good = std::fs::read(rustsec_dir().join("crates/smallvec/RUSTSEC-2019-0009.md")).unwrap();
    let files = vec![
        ("crates/smallvec/RUSTSEC-2019-0009.md".to_owned(), good),
        (
            "crates/junk/RUSTSEC-2099-0001.md".to_owned(),
            garbage.clone(),
        ),
        ("vulns/junk/PYSEC-2099-1.yaml".to_owned(), garbage.clone()),
        ("vulns/junk/GHSA-junk.json".to_owned(), garbage),
    ];
    let (index, warnings) = Index::build(files).unwrap();
    assert_eq!(index.stats().advisories, 1);
    assert_eq!(index.stats().unreadable, 3);
    let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "crates/junk/RUSTSEC-2099-0001.md",
            "vulns/junk/PYSEC-2099-1.yaml",
            "vulns/junk/GHSA-junk.json"
        ]
    );
}

//! Benign files written by the real libraries (numpy, scipy, joblib 1.x,
//! scikit-learn; see `real_models/generate.py`): every one must scan clean.
//! They are only parsed, never loaded.

use cordon_models::{Limits, ModelFormat};

#[test]
fn files_written_by_joblib_and_scikit_learn_are_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_models");
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".py") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let scan = cordon_models::scan(&name, &bytes, &Limits::default())
            .unwrap_or_else(|| panic!("{name} was not recognised as a model"));
        assert_eq!(scan.format, ModelFormat::Pickle, "{name}");
        assert!(scan.findings.is_empty(), "{name}: {:#?}", scan.findings);
        let props = &scan.inventory.as_ref().unwrap().metadata.properties;
        if name.starts_with("arrays.") {
            // As many arrays as joblib wrote (counted by hooking its
            // write_array): a float and a string array, an object array (a
            // nested pickle) and the RandomState's two uint32 arrays.
            assert_eq!(
                props.get("joblib.arrays").map(String::as_str),
                Some("5"),
                "{name}"
            );
        }
        if name.starts_with("sklearn.") {
            let frameworks = props.get("pickle.frameworks").cloned().unwrap_or_default();
            assert!(frameworks.contains("scikit-learn"), "{name}: {frameworks}");
        }
        scanned += 1;
    }
    assert_eq!(scanned, 21);
}

mod common;

use common::{deps_of, find, fixture, names, parse_fixture};
use cordon_lockfiles::{
    Ecosystem, LockfileKind, Source, Warning, detect, normalize_pypi_name, parse,
};

const HASH_OF_A: &str = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";

fn warning_lines(warnings: &[Warning]) -> Vec<u32> {
    warnings.iter().filter_map(|w| w.line).collect()
}

#[test]
fn requirements_pins_hashes_and_warnings() {
    let lock = parse_fixture("requirements.txt.fixture", "svc/requirements.txt");
    assert_eq!(lock.kind, LockfileKind::RequirementsTxt);
    assert_eq!(
        names(&lock),
        [
            "Requests 2.32.3",
            "certifi 2024.7.4",
            "idna 3.7",
            "typing_extensions 4.12.2",
            "urllib3 2.2.2"
        ]
    );
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::PyPI));
    let certifi = find(&lock, "certifi", "2024.7.4");
    assert_eq!(certifi.line, Some(6));
    assert_eq!(certifi.checksums.len(), 2);
    assert_eq!(certifi.checksums[0].hex, HASH_OF_A);
    assert_eq!(certifi.source, Source::Registry { url: None });
    let requests = find(&lock, "Requests", "2.32.3");
    assert_eq!(requests.line, Some(10));
    assert_eq!(requests.checksums.len(), 1);
    assert_eq!(find(&lock, "idna", "3.7").checksums.len(), 1);
    assert_eq!(find(&lock, "typing_extensions", "4.12.2").line, Some(12));

    assert_eq!(
        warning_lines(&lock.warnings),
        [3, 4, 14, 15, 16, 17, 19, 20]
    );
    assert!(lock.warnings[0].message.contains("requirements-base.txt"));
    assert!(lock.warnings[1].message.contains("constraints.txt"));
    assert!(lock.warnings[3].message.contains("numpy"));
    assert!(lock.warnings[7].message.contains("--frobnicate"));
}

#[test]
fn requirements_private_index_and_names() {
    let text = "--index-url https://pypi.corp.example/simple/\nzope.interface==6.4\n";
    let lock = parse("requirements-prod.txt", text.as_bytes()).unwrap();
    assert_eq!(
        lock.packages[0].source,
        Source::Registry {
            url: Some("https://pypi.corp.example/simple/".into())
        }
    );
    assert_eq!(
        detect("requirements/dev-requirements.txt"),
        Some(LockfileKind::RequirementsTxt)
    );
    assert_eq!(detect("notes.txt"), None);
    assert_eq!(normalize_pypi_name("Zope.Interface"), "zope-interface");
}

#[test]
fn poetry_2_groups_sources_and_edges() {
    let lock = parse_fixture("poetry-2.lock.fixture", "poetry.lock");
    assert_eq!(lock.kind, LockfileKind::PoetryLock);
    assert_eq!(
        names(&lock),
        [
            "certifi 2024.7.4",
            "internal-lib 0.4.0",
            "pluggy 1.5.0",
            "pytest 8.2.2",
            "requests 2.32.3",
            "typing_extensions 4.12.2"
        ]
    );
    // `typing-extensions` is found under its normalised name; the optional
    // PySocks extra is not locked and is not a warning.
    assert_eq!(
        deps_of(&lock, "requests", "2.32.3"),
        ["certifi 2024.7.4", "typing_extensions 4.12.2"]
    );
    assert_eq!(deps_of(&lock, "pytest", "8.2.2"), ["pluggy 1.5.0"]);
    assert!(find(&lock, "pytest", "8.2.2").dev);
    assert!(!find(&lock, "requests", "2.32.3").dev);
    assert_eq!(find(&lock, "certifi", "2024.7.4").checksums.len(), 2);
    assert_eq!(find(&lock, "certifi", "2024.7.4").line, Some(4));
    assert_eq!(
        find(&lock, "internal-lib", "0.4.0").source,
        Source::Git {
            url: "https://github.com/example/internal-lib.git".into(),
            rev: Some("0123456789abcdef0123456789abcdef01234567".into()),
        }
    );
    // colorama (required on Windows) is not in this lock: reported.
    assert_eq!(lock.warnings.len(), 1, "{:?}", lock.warnings);
    assert!(lock.warnings[0].message.contains("colorama"));
    assert_eq!(lock.warnings[0].line, find(&lock, "pytest", "8.2.2").line);
}

#[test]
fn poetry_1_1_category_and_metadata_files() {
    let lock = parse_fixture("poetry-1.1.lock.fixture", "poetry.lock");
    assert_eq!(names(&lock), ["mock 4.0.3", "six 1.16.0"]);
    assert!(find(&lock, "mock", "4.0.3").dev);
    assert!(!find(&lock, "six", "1.16.0").dev);
    assert_eq!(find(&lock, "six", "1.16.0").checksums.len(), 2);
    assert_eq!(deps_of(&lock, "mock", "4.0.3"), ["six 1.16.0"]);
}

#[test]
fn uv_workspace_dev_reachability_and_hashes() {
    let lock = parse_fixture("uv.lock.fixture", "uv.lock");
    assert_eq!(lock.kind, LockfileKind::UvLock);
    assert_eq!(lock.packages.len(), 8);
    let mut roots: Vec<&str> = lock
        .roots
        .iter()
        .map(|&i| lock.packages[i].name.as_str())
        .collect();
    roots.sort();
    assert_eq!(roots, ["svc", "svc-core"]);
    assert_eq!(
        deps_of(&lock, "svc", "0.1.0"),
        ["anyio 4.4.0", "pytest 8.2.2", "svc-core 0.2.0"]
    );
    assert_eq!(
        deps_of(&lock, "anyio", "4.4.0"),
        ["idna 3.7", "sniffio 1.3.1"]
    );
    assert!(find(&lock, "pytest", "8.2.2").dev);
    assert!(find(&lock, "iniconfig", "2.0.0").dev);
    assert!(!find(&lock, "idna", "3.7").dev);
    assert!(!find(&lock, "vendored", "1.0.0").dev);
    assert_eq!(find(&lock, "anyio", "4.4.0").checksums.len(), 2);
    assert_eq!(find(&lock, "anyio", "4.4.0").checksums[0].hex, HASH_OF_A);
    assert_eq!(find(&lock, "anyio", "4.4.0").line, Some(11));
    assert_eq!(
        find(&lock, "vendored", "1.0.0").source,
        Source::Git {
            url: "https://github.com/example/vendored".into(),
            rev: Some("89abcdef0123456789abcdef0123456789abcdef".into()),
        }
    );
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
}

#[test]
fn pipfile_sections_indexes_and_unpinned() {
    let lock = parse_fixture("Pipfile.lock.fixture", "Pipfile.lock");
    assert_eq!(lock.kind, LockfileKind::PipfileLock);
    assert_eq!(
        names(&lock),
        [
            "certifi 2024.7.4",
            "corp-sdk 3.1.0",
            "pytest 8.2.2",
            "toolkit "
        ]
    );
    let certifi = find(&lock, "certifi", "2024.7.4");
    assert!(!certifi.dev, "listed in default too");
    assert_eq!(certifi.checksums.len(), 2);
    assert_eq!(certifi.line, Some(24));
    assert!(find(&lock, "pytest", "8.2.2").dev);
    assert_eq!(
        find(&lock, "corp-sdk", "3.1.0").source,
        Source::Registry {
            url: Some("https://pypi.internal.example/simple".into())
        }
    );
    assert!(matches!(
        find(&lock, "toolkit", "").source,
        Source::Git { .. }
    ));
    assert_eq!(lock.warnings.len(), 1);
    assert!(lock.warnings[0].message.contains("loose"));
    assert_eq!(lock.warnings[0].line, Some(43));
}

#[test]
fn malformed_python_lockfiles_have_positions() {
    let err = parse("poetry.lock", b"[[package]]\nname = \"x\"\nversion = \n").unwrap_err();
    assert_eq!(err.line, Some(3));
    let err = parse("uv.lock", b"version = 1\n[[package]]\nversion = \"1\"\n").unwrap_err();
    assert!(err.message.contains("name"), "{err}");
    let err = parse("Pipfile.lock", b"{\"default\": {\"a\": {\"version\": 3}}}").unwrap_err();
    assert_eq!(err.line, Some(1));
    let truncated = &fixture("uv.lock.fixture")[..200];
    assert!(parse("uv.lock", truncated).is_err());
}

/// A workspace in memory, for includes.
fn reader(files: &[(&str, &str)]) -> impl FnMut(&str) -> Option<Vec<u8>> {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
        .collect();
    move |path: &str| {
        files
            .iter()
            .find(|(known, _)| known == path)
            .map(|(_, bytes)| bytes.clone())
    }
}

#[test]
fn requirements_includes_are_followed_relative_to_the_including_file() {
    let main = "-r base.txt\n-c ../constraints.txt\nflask\nrequests==2.19.1 \\\n    --hash=sha256:63b52e3c866428a224f97cab011de738c36aec0185aa91cfacd418b5d58911d1\n-r ../../outside.txt\n-r missing.txt\n";
    let mut read = reader(&[
        (
            "requirements/base.txt",
            "django==3.2.4\n-r common.txt\nurllib3>=1.21\n",
        ),
        ("requirements/common.txt", "idna==2.7\n-r base.txt\n"),
        (
            "constraints.txt",
            "flask==1.0.2\nurllib3==1.24.1\nunused==9.9\n",
        ),
    ]);
    let lock =
        cordon_lockfiles::parse_with_reader("requirements/dev.txt", main.as_bytes(), &mut read)
            .unwrap();
    assert_eq!(
        names(&lock),
        [
            "django 3.2.4",
            // Pinned by the constraints file, located where it is required.
            "flask 1.0.2",
            "idna 2.7",
            "requests 2.19.1",
            "urllib3 1.24.1",
        ]
    );
    // Packages of an included file point at the `-r` line that brings them in.
    assert_eq!(find(&lock, "django", "3.2.4").line, Some(1));
    assert_eq!(find(&lock, "idna", "2.7").line, Some(1));
    assert_eq!(find(&lock, "flask", "1.0.2").line, Some(3));
    assert_eq!(find(&lock, "requests", "2.19.1").checksums.len(), 1);
    let messages: Vec<String> = lock
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.line.unwrap_or(0), w.message))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("6: ") && messages[0].contains("leaves the workspace"));
    assert!(messages[1].starts_with("7: ") && messages[1].contains("could not be read"));
}

#[test]
fn without_a_reader_includes_stay_warnings() {
    let lock = parse("requirements.txt", b"-r base.txt\nflask==1.0\n").unwrap();
    assert_eq!(names(&lock), ["flask 1.0"]);
    assert_eq!(lock.warnings.len(), 1);
    assert!(lock.warnings[0].message.contains("base.txt"));
}

mod common;

use common::{deps_of, find, fixture, names};
use cordon_lockfiles::{Ecosystem, HashAlg, LockfileKind, Source, parse, parse_with_companion};

#[test]
fn go_mod_with_go_sum() {
    let lock = parse_with_companion(
        "go.mod",
        &fixture("go.mod.fixture"),
        Some(&fixture("go.sum.fixture")),
    )
    .unwrap();
    assert_eq!(lock.kind, LockfileKind::GoMod);
    assert_eq!(LockfileKind::GoMod.companion_file_name(), Some("go.sum"));
    assert_eq!(
        names(&lock),
        [
            "example.com/internal/billing v0.0.0-00010101000000-000000000000",
            "example.com/shop ",
            "github.com/example/errors v0.9.2",
            "github.com/google/uuid v1.6.0",
            "golang.org/x/text v0.16.0",
        ]
    );
    assert!(lock.packages.iter().all(|p| p.ecosystem == Ecosystem::Go));
    assert_eq!(lock.roots.len(), 1);
    let root = &lock.packages[lock.roots[0]];
    assert_eq!(root.name, "example.com/shop");
    assert_eq!(root.source, Source::Workspace);
    assert_eq!(root.line, Some(1));
    assert_eq!(deps_of(&lock, "example.com/shop", "").len(), 4);

    let uuid = find(&lock, "github.com/google/uuid", "v1.6.0");
    assert_eq!(uuid.line, Some(8));
    assert_eq!(uuid.checksums.len(), 1);
    assert_eq!(uuid.checksums[0].alg, HashAlg::Sha256);
    assert_eq!(
        uuid.checksums[0].hex,
        "1d985926095b72087ad9b168bf586a9b0c07ce03f8c9d5defe2293212d772feb"
    );
    // `replace` with a version swaps the module; the hash is the fork's.
    let fork = find(&lock, "github.com/example/errors", "v0.9.2");
    assert_eq!(fork.line, Some(13));
    assert_eq!(fork.checksums.len(), 1);
    // `replace` with a directory keeps the requirement, from a path.
    assert_eq!(
        find(
            &lock,
            "example.com/internal/billing",
            "v0.0.0-00010101000000-000000000000"
        )
        .source,
        Source::Path {
            path: "../billing".into()
        }
    );
    assert!(lock.warnings.is_empty(), "{:?}", lock.warnings);
}

#[test]
fn go_mod_alone_warns_that_hashes_are_missing() {
    let lock = parse("services/api/go.mod", &fixture("go.mod.fixture")).unwrap();
    assert_eq!(lock.packages.len(), 5);
    assert!(lock.packages.iter().all(|p| p.checksums.is_empty()));
    assert_eq!(lock.warnings.len(), 1);
    assert!(lock.warnings[0].message.contains("go.sum"));
}

#[test]
fn malformed_go_mod() {
    let err = parse(
        "go.mod",
        b"module a\n\nrequire (\n\tgithub.com/x/y v1.0.0\n",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3));
    let err = parse("go.mod", b"go 1.22\n").unwrap_err();
    assert!(err.message.contains("module"));
    let err = parse("go.mod", b"module a\nrequire github.com/x/y\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    let lock = parse("go.mod", b"module a\nfrobnicate x\n").unwrap();
    assert_eq!(lock.warnings[0].line, Some(2));
}

#[test]
fn modules_only_in_go_sum_are_listed_at_their_highest_version() {
    // A go.mod before Go 1.17 requires only direct dependencies.
    let go_mod =
        b"module example.com/legacy\n\ngo 1.16\n\nrequire github.com/gin-gonic/gin v1.6.3\n";
    let go_sum = b"github.com/gin-gonic/gin v1.6.3 h1:HZhZJglbcgh62bFov1hqmwwHzgP4ydXe/iKTIS13L+s=
github.com/gin-gonic/gin v1.6.3/go.mod h1:BeHksXwJ0zUHf99hBDJ/Pl0H3iy3/9fTvAwXqJL8eus=
golang.org/x/sys v0.0.0-20200116001909-b77594299b42 h1:r4D9aDYze8C/nHEdliHghr1BypZUgaX6pKUy21YJgnA=
golang.org/x/sys v0.0.0-20200323222414-85ca7c5b95cd h1:B+qcQXVSZwF8pnWC+0d1oEGgjlLu0t/SZUiiOLg52NY=
gopkg.in/yaml.v2 v2.2.8 h1:r4D9aDYze8C/nHEdliHghr1BypZUgaX6pKUy21YJgnA=
gopkg.in/yaml.v2 v2.2.2/go.mod h1:smey5z9ZrfrcMsKNGsRHk9lMDMRgrfGTzT/Wdtpt8OE=
github.com/golang/protobuf v1.3.3/go.mod h1:smey5z9ZrfrcMsKNGsRHk9lMDMRgrfGTzT/Wdtpt8OE=
";
    let lock = parse_with_companion("go.mod", go_mod, Some(go_sum)).unwrap();
    assert_eq!(
        names(&lock),
        [
            "example.com/legacy ",
            "github.com/gin-gonic/gin v1.6.3",
            // The later of two pseudo-versions; go.mod-only modules do not count.
            "golang.org/x/sys v0.0.0-20200323222414-85ca7c5b95cd",
            "gopkg.in/yaml.v2 v2.2.8",
        ]
    );
    let sys = find(
        &lock,
        "golang.org/x/sys",
        "v0.0.0-20200323222414-85ca7c5b95cd",
    );
    assert_eq!(sys.line, None);
    assert_eq!(sys.checksums.len(), 1);
    assert_eq!(lock.warnings.len(), 1);
    assert!(
        lock.warnings[0].message.contains("2 module(s)"),
        "{:?}",
        lock.warnings
    );
}

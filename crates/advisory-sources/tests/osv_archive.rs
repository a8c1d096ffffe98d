//! Fetching OSV archives from a local HTTP server that serves canned
//! answers and records the requests it got. Nothing here touches the
//! network beyond 127.0.0.1.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cordon_advisory_sources::{
    FetchError, Limits, MANIFEST_FILE, Manifest, OsvArchiveFetcher, STAGING_DIR, UpdateOutcome,
    osv_status, render_status,
};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Announce more bytes than are sent, then hang up (a cut download).
    truncate: bool,
}

impl Reply {
    fn ok(body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            headers: vec![
                ("ETag", "\"v1\"".to_owned()),
                ("Last-Modified", "Mon, 02 Mar 2026 10:00:00 GMT".to_owned()),
            ],
            body,
            truncate: false,
        }
    }

    fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            truncate: false,
        }
    }
}

/// A request as the server saw it: the request line and lower-cased headers.
#[derive(Debug, Clone)]
struct Seen {
    line: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

struct Server {
    base_url: String,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let replies: Arc<Mutex<VecDeque<Reply>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (replies_in, seen_in) = (replies.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                    if let Some((key, value)) = header.trim_end().split_once(':') {
                        headers.push((key.trim().to_ascii_lowercase(), value.trim().to_owned()));
                    }
                }
                seen_in.lock().unwrap().push(Seen {
                    line: line.trim_end().to_owned(),
                    headers,
                });
                let reply = replies_in
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or_else(|| Reply::status(404));
                let announced = reply.body.len() + if reply.truncate { 1000 } else { 0 };
                let mut head = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {announced}\r\nConnection: close\r\n",
                    reply.status
                );
                for (key, value) in &reply.headers {
                    head.push_str(&format!("{key}: {value}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&reply.body);
                let _ = stream.flush();
            }
        });
        Server {
            base_url,
            replies,
            seen,
        }
    }

    fn reply(&self, reply: Reply) {
        self.replies.lock().unwrap().push_back(reply);
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn record(id: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","modified":"2026-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"demo"}}}}]}}"#
    )
    .into_bytes()
}

fn zip_of(entries: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn stored(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    zip_of(entries, zip::CompressionMethod::Stored)
}

fn good_archive() -> Vec<u8> {
    stored(&[
        ("PYSEC-2026-1.json", record("PYSEC-2026-1")),
        ("GHSA-aaaa-bbbb-cccc.json", record("GHSA-aaaa-bbbb-cccc")),
    ])
}

fn time(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

/// Every file under `dir` with its bytes, for before/after comparisons.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let mut bytes = Vec::new();
            std::fs::File::open(entry.path())
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            (entry.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn an_archive_is_verified_unpacked_and_described_by_its_manifest() {
    let server = Server::start();
    let archive = good_archive();
    server.reply(Reply::ok(archive.clone()));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());

    let outcome = fetcher
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00.4Z"))
        .unwrap();
    let UpdateOutcome::Fetched(manifest) = outcome else {
        panic!("expected a download, got {outcome:?}")
    };
    assert_eq!(server.seen()[0].line, "GET /PyPI/all.zip HTTP/1.1");
    // A first fetch has nothing to be conditional on.
    assert_eq!(server.seen()[0].header("if-none-match"), None);

    let dir = root.path().join("PyPI");
    assert_eq!(
        std::fs::read(dir.join("PYSEC-2026-1.json")).unwrap(),
        record("PYSEC-2026-1")
    );
    assert!(dir.join("GHSA-aaaa-bbbb-cccc.json").is_file());
    assert_eq!(manifest.records, 2);
    assert_eq!(manifest.source, "osv:PyPI");
    assert_eq!(manifest.url, format!("{}/PyPI/all.zip", server.base_url));
    assert_eq!(manifest.fetched_at, "2026-03-02T12:00:00Z");
    assert_eq!(manifest.checked_at, manifest.fetched_at);
    assert_eq!(manifest.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        manifest.last_modified.as_deref(),
        Some("Mon, 02 Mar 2026 10:00:00 GMT")
    );
    assert_eq!(manifest.sha256, hex::encode(Sha256::digest(&archive)));
    assert_eq!(manifest.archive_bytes, archive.len() as u64);
    assert_eq!(Manifest::read(&dir).unwrap(), Some(manifest));
    assert!(
        !root.path().join(STAGING_DIR).exists(),
        "the staging area is cleaned up"
    );
}

#[test]
fn an_unchanged_source_answers_304_and_only_the_check_time_moves() {
    let server = Server::start();
    server.reply(Reply::ok(good_archive()));
    server.reply(Reply::status(304));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    let first = fetcher
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
        .unwrap();
    let records_before = snapshot(&root.path().join("PyPI"));

    let second = fetcher
        .update(root.path(), "PyPI", time("2026-03-05T08:30:00Z"))
        .unwrap();
    let UpdateOutcome::NotModified(manifest) = &second else {
        panic!("expected not modified, got {second:?}")
    };
    let request = &server.seen()[1];
    assert_eq!(request.header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        request.header("if-modified-since"),
        Some("Mon, 02 Mar 2026 10:00:00 GMT")
    );
    assert_eq!(manifest.checked_at, "2026-03-05T08:30:00Z");
    assert_eq!(manifest.fetched_at, first.manifest().fetched_at);
    assert_eq!(manifest.sha256, first.manifest().sha256);
    let records_after = snapshot(&root.path().join("PyPI"));
    let without_manifest = |files: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        files
            .into_iter()
            .filter(|(name, _)| name != MANIFEST_FILE)
            .collect()
    };
    assert_eq!(
        without_manifest(records_before),
        without_manifest(records_after)
    );
    assert_eq!(
        Manifest::read(&root.path().join("PyPI")).unwrap().as_ref(),
        Some(manifest)
    );
}

#[test]
fn a_new_archive_replaces_the_old_copy_whole() {
    let server = Server::start();
    server.reply(Reply::ok(good_archive()));
    server.reply(Reply::ok(stored(&[(
        "PYSEC-2026-9.json",
        record("PYSEC-2026-9"),
    )])));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    fetcher
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
        .unwrap();
    let outcome = fetcher
        .update(root.path(), "PyPI", time("2026-03-03T12:00:00Z"))
        .unwrap();
    assert!(matches!(outcome, UpdateOutcome::Fetched(_)));
    let names: Vec<String> = snapshot(&root.path().join("PyPI"))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    // The withdrawn-from-the-archive records are gone, not merged.
    assert_eq!(names, ["PYSEC-2026-9.json", MANIFEST_FILE]);
    assert!(!root.path().join(STAGING_DIR).exists());
}

#[test]
fn a_bad_download_never_replaces_good_data() {
    let deep = stored(&[("nested/PYSEC-1.json", record("PYSEC-1"))]);
    let escape = stored(&[("../PYSEC-1.json", record("PYSEC-1"))]);
    type Expected = fn(&FetchError) -> bool;
    let cases: Vec<(&str, Reply, Expected)> = vec![
        ("not a zip", Reply::ok(b"<html>oops</html>".to_vec()), |e| {
            matches!(e, FetchError::Archive { .. })
        }),
        (
            "empty zip",
            Reply::ok(stored(&[])),
            |e| matches!(e, FetchError::Archive { message, .. } if message.contains("no records")),
        ),
        (
            "entry not JSON",
            Reply::ok(stored(&[("PYSEC-1.json", b"id: PYSEC-1".to_vec())])),
            |e| matches!(e, FetchError::Record { entry, .. } if entry == "PYSEC-1.json"),
        ),
        (
            "record without id",
            Reply::ok(stored(&[("X.json", br#"{"summary":"no id"}"#.to_vec())])),
            |e| matches!(e, FetchError::Record { message, .. } if message.contains("id")),
        ),
        (
            "empty id",
            Reply::ok(stored(&[("X.json", br#"{"id":"  "}"#.to_vec())])),
            |e| matches!(e, FetchError::Record { .. }),
        ),
        (
            "not a .json entry",
            Reply::ok(stored(&[("README.md", b"hello".to_vec())])),
            |e| matches!(e, FetchError::Record { entry, .. } if entry == "README.md"),
        ),
        ("nested entry", Reply::ok(deep), |e| {
            matches!(e, FetchError::Record { .. })
        }),
        ("path escape", Reply::ok(escape), |e| {
            matches!(e, FetchError::Record { .. })
        }),
        (
            "a good record then a bad one",
            Reply::ok(stored(&[
                ("PYSEC-2026-1.json", record("PYSEC-2026-1")),
                ("PYSEC-2026-2.json", b"{".to_vec()),
            ])),
            |e| matches!(e, FetchError::Record { entry, .. } if entry == "PYSEC-2026-2.json"),
        ),
        ("server error", Reply::status(500), |e| {
            matches!(e, FetchError::Status { status: 500, .. })
        }),
        (
            "cut-off download",
            Reply {
                truncate: true,
                ..Reply::ok(good_archive())
            },
            |e| matches!(e, FetchError::Http { .. }),
        ),
    ];

    let server = Server::start();
    server.reply(Reply::ok(good_archive()));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    fetcher
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
        .unwrap();
    let good = snapshot(&root.path().join("PyPI"));

    for (what, reply, expected) in cases {
        server.reply(reply);
        let error = fetcher
            .update(root.path(), "PyPI", time("2026-03-04T12:00:00Z"))
            .expect_err(what);
        assert!(expected(&error), "{what}: unexpected error {error:?}");
        // The message names the source, so a user knows which fetch failed.
        assert!(error.to_string().contains("PyPI"), "{what}: {error}");
        assert_eq!(
            snapshot(&root.path().join("PyPI")),
            good,
            "{what}: the stored copy changed"
        );
        assert!(
            !root.path().join(STAGING_DIR).exists(),
            "{what}: staging left behind"
        );
    }
    assert!(!root.path().join("PYSEC-1.json").exists());
}

#[test]
fn size_and_count_caps_refuse_zip_bombs() {
    // A megabyte of spaces inside a valid record deflates to a few KiB.
    let padded = {
        let mut bytes = b"{\"id\":\"BOMB-1\",\"details\":\"".to_vec();
        bytes.extend(std::iter::repeat_n(b' ', 1 << 20));
        bytes.extend(b"\"}");
        bytes
    };
    let bomb = zip_of(
        &[("BOMB-1.json", padded.clone())],
        zip::CompressionMethod::Deflated,
    );
    assert!(bomb.len() < 64 << 10, "the test archive compresses");
    let three = stored(&[
        ("A-1.json", record("A-1")),
        ("A-2.json", record("A-2")),
        ("A-3.json", record("A-3")),
    ]);
    let generous = Limits::default();
    let cases = [
        (
            "one entry too large",
            bomb.clone(),
            Limits {
                max_entry_bytes: 512 << 10,
                ..generous
            },
            "decompresses to more than",
        ),
        (
            "all entries too large",
            three.clone(),
            Limits {
                max_total_bytes: (record("A-1").len() * 2) as u64,
                ..generous
            },
            "the entries decompress to more than",
        ),
        (
            "too many entries",
            three.clone(),
            Limits {
                max_entries: 2,
                ..generous
            },
            "3 entries",
        ),
        (
            "archive too large",
            three.clone(),
            Limits {
                max_archive_bytes: 100,
                ..generous
            },
            "larger than 100 bytes",
        ),
    ];
    for (what, archive, limits, message) in cases {
        let server = Server::start();
        server.reply(Reply::ok(archive));
        let root = tempfile::tempdir().unwrap();
        let error = OsvArchiveFetcher::new(&server.base_url, limits)
            .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
            .expect_err(what);
        assert!(
            matches!(&error, FetchError::Limit { message: m, .. } if m.contains(message)),
            "{what}: {error:?}"
        );
        assert!(!root.path().join("PyPI").exists(), "{what}: data written");
    }
    // Within the caps the same bomb-shaped record is accepted: the caps,
    // not the shape, refused it.
    let server = Server::start();
    server.reply(Reply::ok(bomb));
    let root = tempfile::tempdir().unwrap();
    let outcome = OsvArchiveFetcher::new(&server.base_url, generous)
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
        .unwrap();
    assert_eq!(outcome.manifest().records, 1);
    assert_eq!(
        std::fs::read(root.path().join("PyPI/BOMB-1.json")).unwrap(),
        padded
    );
}

#[test]
fn status_reports_age_records_and_damage() {
    let server = Server::start();
    server.reply(Reply::ok(good_archive()));
    server.reply(Reply::ok(stored(&[("GHSA-1.json", record("GHSA-1"))])));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    fetcher
        .update(root.path(), "PyPI", time("2026-03-01T00:00:00Z"))
        .unwrap();
    fetcher
        .update(root.path(), "npm", time("2026-03-04T00:00:00Z"))
        .unwrap();
    // A directory without a manifest (a git clone, files put by hand) is
    // not a managed source.
    std::fs::create_dir(root.path().join("handmade")).unwrap();

    let now = time("2026-03-04T06:00:00Z");
    let sources = osv_status(root.path(), now).unwrap();
    let summary: Vec<(&str, Option<i64>, Option<usize>)> = sources
        .iter()
        .map(|s| (s.name.as_str(), s.age_seconds, s.records))
        .collect();
    assert_eq!(
        summary,
        [
            ("osv:PyPI", Some(3 * 86400 + 6 * 3600), Some(2)),
            ("osv:npm", Some(6 * 3600), Some(1)),
        ]
    );
    assert!(sources.iter().all(|s| s.problem.is_none()), "{sources:?}");
    assert_eq!(sources[1].location, root.path().join("npm"));
    let table = render_status(&sources);
    assert!(
        table.contains("osv:PyPI") && table.contains("3 d"),
        "{table}"
    );
    assert!(
        table.contains("osv:npm") && table.contains("6 h"),
        "{table}"
    );

    std::fs::remove_file(root.path().join("PyPI/PYSEC-2026-1.json")).unwrap();
    let sources = osv_status(root.path(), now).unwrap();
    let problem = sources[0].problem.as_deref().unwrap_or_default();
    assert!(
        problem.contains("1 record file(s) on disk, but 2"),
        "{problem}"
    );

    assert!(
        osv_status(&root.path().join("absent"), now)
            .unwrap()
            .is_empty()
    );
}

/// The files a data set shows a stage: relative, `/`-separated, hidden
/// entries (the staging area) skipped, as the runner lists them.
fn listed(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn fetched_archives_are_what_the_audit_engine_reads() {
    use cordon_audit::{AuditConfig, Ecosystem, Index, Inventory, OsvSelection, audit, parse_date};

    let crates_io = stored(&[(
        "RUSTSEC-2099-0001.json",
        br#"{"id": "RUSTSEC-2099-0001", "summary": "demo overflows",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "demo"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}]}"#
            .to_vec(),
    )]);
    let server = Server::start();
    server.reply(Reply::ok(crates_io));
    server.reply(Reply::ok(good_archive()));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    let now = time("2026-03-02T12:00:00Z");
    fetcher.update(root.path(), "crates.io", now).unwrap();
    fetcher.update(root.path(), "PyPI", now).unwrap();

    let inventories = [Inventory {
        path: "Cargo.lock".into(),
        packages: vec![cordon_lockfiles::Package {
            ecosystem: Ecosystem::CratesIo,
            name: "demo".into(),
            version: "1.1.0".into(),
            source: cordon_lockfiles::Source::Registry { url: None },
            checksums: vec![],
            dev: false,
            license: None,
            line: Some(1),
            dependencies: vec![],
            source_package: None,
        }],
        roots: vec![],
        warnings: vec![],
        os_release: None,
    }];
    let selection = OsvSelection::for_inventories(&inventories);
    let files: Vec<(String, Vec<u8>)> = listed(root.path())
        .into_iter()
        .filter(|path| selection.wants(path))
        .map(|path| {
            let bytes = std::fs::read(root.path().join(&path)).unwrap();
            (path, bytes)
        })
        .collect();
    let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "crates.io/RUSTSEC-2099-0001.json",
            "crates.io/manifest.toml"
        ]
    );
    // The manifest is not mistaken for an advisory, and nothing warns.
    let (index, warnings) = Index::build(files).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(index.stats().files, 1);
    let report = audit(
        &[&index],
        &inventories,
        &AuditConfig::default(),
        parse_date("2026-03-02").unwrap(),
    );
    let found: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.advisory_id.as_str())
        .collect();
    assert_eq!(found, ["RUSTSEC-2099-0001"]);
}

#[test]
fn a_damaged_copy_is_fetched_again_rather_than_kept_by_a_304() {
    let server = Server::start();
    server.reply(Reply::ok(good_archive()));
    server.reply(Reply::ok(good_archive()));
    let root = tempfile::tempdir().unwrap();
    let fetcher = OsvArchiveFetcher::new(&server.base_url, Limits::default());
    fetcher
        .update(root.path(), "PyPI", time("2026-03-02T12:00:00Z"))
        .unwrap();
    let record = root.path().join("PyPI/PYSEC-2026-1.json");
    std::fs::remove_file(&record).unwrap();

    let outcome = fetcher
        .update(root.path(), "PyPI", time("2026-03-03T12:00:00Z"))
        .unwrap();
    // No validators were sent, so the server could not answer 304.
    assert_eq!(server.seen()[1].header("if-none-match"), None);
    assert_eq!(server.seen()[1].header("if-modified-since"), None);
    assert!(matches!(outcome, UpdateOutcome::Fetched(_)), "{outcome:?}");
    assert!(record.is_file(), "the missing record is back");
}

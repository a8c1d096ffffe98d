//! Archives scanned member by member: zip (and the formats that are zips:
//! jar, war, ear, apk, aar, whl, nupkg, …), tar, and gzip (tar.gz / tgz,
//! or one gzipped file), recognised by their first bytes, not their names.
//!
//! Expansion is bounded, because an archive is attacker-chosen input: the
//! nesting depth, the bytes decompressed over the whole archive (nested
//! ones included), the bytes of one member and the number of members. What
//! a bound stops, and what cannot be read (encrypted members, compression
//! methods other than stored and deflate, a corrupt member), is returned as
//! a [`MemberSkip`]: never left out silently.
//!
//! Nested members are named with Java's `!/` separator:
//! `lib/inner.jar!/config/app.properties`.

use std::io::{Cursor, Read};

/// The separator between an archive and a member inside it.
pub const NEST_SEPARATOR: &str = "!/";

/// The start of the reason given when a tar stream cannot be followed.
const BROKEN_TAR: &str = "tar entries after a broken header were not scanned";

/// What expansion may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Archives inside archives followed, the outermost counting as 1.
    pub max_depth: u32,
    /// Bytes decompressed over the whole archive, nested ones included.
    pub max_total_bytes: u64,
    /// Bytes of one member once decompressed.
    pub max_member_bytes: u64,
    /// Members (files, nested ones included) looked at per archive.
    pub max_members: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_depth: 4,
            max_total_bytes: 256 << 20,
            max_member_bytes: 16 << 20,
            max_members: 10_000,
        }
    }
}

/// The container formats recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    Tar,
    Gzip,
}

/// A member that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSkip {
    /// The member's name (nested with [`NEST_SEPARATOR`]); empty when the
    /// reason is about the archive as a whole.
    pub member: String,
    pub reason: String,
}

/// What expanding one archive did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Members handed to the visitor.
    pub members: u64,
    /// Decompressed bytes handed to the visitor.
    pub bytes: u64,
    pub skipped: Vec<MemberSkip>,
}

/// The archive format `bytes` starts with, if any. A tar is recognised by
/// its POSIX `ustar` magic (pre-POSIX tars are scanned as plain files).
pub fn sniff(bytes: &[u8]) -> Option<ArchiveKind> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(ArchiveKind::Zip)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(ArchiveKind::Gzip)
    } else if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        Some(ArchiveKind::Tar)
    } else {
        None
    }
}

/// Expands the archive `bytes` (named `name`, for a gzipped file's member
/// name) and calls `visit(member, content)` for each file member that is
/// not itself an archive; nested archives are expanded in turn.
///
/// `Err` when the outermost archive cannot be opened at all (the caller
/// then scans it as a plain file and says so); anything else that goes
/// wrong is a [`MemberSkip`].
pub fn expand(
    name: &str,
    bytes: &[u8],
    limits: &ArchiveLimits,
    visit: &mut dyn FnMut(&str, &[u8]),
) -> Result<Expansion, String> {
    let kind = sniff(bytes).ok_or_else(|| "not an archive".to_string())?;
    let mut walk = Walk {
        limits,
        expansion: Expansion::default(),
        decompressed: 0,
        seen_members: 0,
        visit,
    };
    walk.container(kind, basename(name), "", bytes, 1)?;
    Ok(walk.expansion)
}

fn basename(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// `outer!/inner`, or `inner` at the top.
fn nested(prefix: &str, member: &str) -> String {
    if prefix.is_empty() {
        member.to_string()
    } else {
        format!("{prefix}{NEST_SEPARATOR}{member}")
    }
}

struct Walk<'a> {
    limits: &'a ArchiveLimits,
    expansion: Expansion,
    /// Bytes decompressed so far, against `max_total_bytes`.
    decompressed: u64,
    /// Members looked at so far, against `max_members`.
    seen_members: u64,
    visit: &'a mut dyn FnMut(&str, &[u8]),
}

/// Why reading a member stopped.
enum ReadError {
    /// Longer than this many bytes.
    TooLarge(u64),
    Failed(String),
}

impl Walk<'_> {
    fn skip(&mut self, member: String, reason: impl Into<String>) {
        self.expansion.skipped.push(MemberSkip {
            member,
            reason: reason.into(),
        });
    }

    /// The bytes one member may still decompress to.
    fn allowance(&self) -> u64 {
        self.limits.max_member_bytes.min(
            self.limits
                .max_total_bytes
                .saturating_sub(self.decompressed),
        )
    }

    /// Reads `reader` to its end, or fails past [`Self::allowance`], so a
    /// member's declared size (which a bomb lies about) never matters.
    fn read_bounded(&mut self, reader: &mut dyn Read) -> Result<Vec<u8>, ReadError> {
        let allowance = self.allowance();
        let mut out = Vec::new();
        reader
            .take(allowance.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|error| ReadError::Failed(error.to_string()))?;
        self.decompressed += out.len().min(allowance as usize) as u64;
        if out.len() as u64 > allowance {
            return Err(ReadError::TooLarge(allowance));
        }
        Ok(out)
    }

    fn read_error(&mut self, member: String, error: ReadError) {
        match error {
            ReadError::TooLarge(allowance)
                if allowance < self.limits.max_member_bytes || allowance == 0 =>
            {
                let limit = self.limits.max_total_bytes;
                self.skip(
                    member,
                    format!(
                        "the archive's decompressed-bytes budget ({limit} bytes) is spent; not scanned"
                    ),
                )
            }
            ReadError::TooLarge(allowance) => self.skip(
                member,
                format!("more than {allowance} bytes decompressed; not scanned"),
            ),
            ReadError::Failed(message) => {
                self.skip(member, format!("could not be read: {message}"))
            }
        }
    }

    /// True when another member may be looked at; the first refusal is
    /// noted once for the archive.
    fn admit(&mut self, prefix: &str) -> bool {
        if self.seen_members < self.limits.max_members {
            self.seen_members += 1;
            return true;
        }
        if self.seen_members == self.limits.max_members {
            self.seen_members += 1;
            let limit = self.limits.max_members;
            self.skip(
                prefix.to_string(),
                format!("more than {limit} archive members; the rest were not scanned"),
            );
        }
        false
    }

    /// A member's content: a nested archive is expanded (within the
    /// depth), anything else goes to the visitor.
    fn member(&mut self, member: String, content: &[u8], depth: u32) {
        match sniff(content) {
            Some(kind) if depth < self.limits.max_depth => {
                let name = basename(&member).to_string();
                if let Err(reason) = self.container(kind, &name, &member, content, depth + 1) {
                    // Looked like an archive but is not one: scan it as is.
                    self.skip(
                        member.clone(),
                        format!("not expanded ({reason}); scanned as a plain file"),
                    );
                    self.leaf(&member, content);
                }
            }
            Some(_) => {
                let depth = self.limits.max_depth;
                self.skip(
                    member,
                    format!("archive nested deeper than {depth} levels; not expanded"),
                );
            }
            None => self.leaf(&member, content),
        }
    }

    fn leaf(&mut self, member: &str, content: &[u8]) {
        self.expansion.members += 1;
        self.expansion.bytes += content.len() as u64;
        (self.visit)(member, content);
    }

    /// Expands one container whose members are named under `prefix`.
    /// `Err` only when it cannot be opened at all.
    fn container(
        &mut self,
        kind: ArchiveKind,
        name: &str,
        prefix: &str,
        bytes: &[u8],
        depth: u32,
    ) -> Result<(), String> {
        match kind {
            ArchiveKind::Zip => self.zip(prefix, bytes, depth),
            ArchiveKind::Tar => self.tar(prefix, &mut Cursor::new(bytes), depth),
            ArchiveKind::Gzip => self.gzip(name, prefix, bytes, depth),
        }
    }

    fn zip(&mut self, prefix: &str, bytes: &[u8], depth: u32) -> Result<(), String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|error| format!("not a readable zip: {error}"))?;
        for index in 0..archive.len() {
            let listed_name = archive
                .name_for_index(index)
                .and_then(Result::ok)
                .map_or_else(|| format!("#{index}"), |name| name.into_owned());
            let mut file = match archive.by_index(index) {
                Ok(file) => file,
                Err(error) => {
                    if self.admit(prefix) {
                        self.skip(
                            nested(prefix, &listed_name),
                            format!("could not be read: {error}"),
                        );
                    }
                    continue;
                }
            };
            if file.is_dir() || file.is_symlink() {
                continue;
            }
            let name = match file.name() {
                Ok(name) => name.into_owned(),
                Err(_) => String::from_utf8_lossy(file.name_raw()).into_owned(),
            };
            let member = nested(prefix, &name.replace('\\', "/"));
            if !self.admit(prefix) {
                break;
            }
            if file.encrypted() {
                self.skip(member, "encrypted; not scanned");
                continue;
            }
            match self.read_bounded(&mut file) {
                Ok(content) => self.member(member, &content, depth),
                Err(error) => self.read_error(member, error),
            }
        }
        Ok(())
    }

    /// A tar read as a stream, so a `.tar.gz` is never held whole: only one
    /// member at a time, each within the member and archive bounds.
    fn tar(&mut self, prefix: &str, stream: &mut dyn Read, depth: u32) -> Result<(), String> {
        let mut archive = tar::Archive::new(stream);
        let entries = archive
            .entries()
            .map_err(|error| format!("not a readable tar: {error}"))?;
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    // The stream cannot be followed past a broken header.
                    self.skip(prefix.to_string(), format!("{BROKEN_TAR}: {error}"));
                    break;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let member = nested(prefix, &name);
            if !self.admit(prefix) {
                break;
            }
            match self.read_bounded(&mut entry) {
                Ok(content) => self.member(member, &content, depth),
                Err(error) => self.read_error(member, error),
            }
        }
        Ok(())
    }

    /// A gzip stream holds one file: a tar (`.tar.gz`, `.tgz`), streamed
    /// member by member within the archive's byte budget, or anything else,
    /// a member named after the archive without its `.gz`.
    fn gzip(&mut self, name: &str, prefix: &str, bytes: &[u8], depth: u32) -> Result<(), String> {
        // Multi-member gzip files are one stream, as gunzip reads them. The
        // stream never yields more than the budget (tar headers included).
        let budget = self
            .limits
            .max_total_bytes
            .saturating_sub(self.decompressed);
        let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(budget);
        let inner_name = match name.strip_suffix(".tgz") {
            Some(stem) => format!("{stem}.tar"),
            None => name
                .strip_suffix(".gz")
                .filter(|stem| !stem.is_empty())
                .unwrap_or("content")
                .to_string(),
        };
        let member = nested(prefix, &inner_name);
        // The first block says whether it is a tar.
        let mut head = Vec::with_capacity(512);
        if let Err(error) = (&mut decoder).take(512).read_to_end(&mut head) {
            if prefix.is_empty() {
                return Err(format!("not a readable gzip stream: {error}"));
            }
            self.skip(member, format!("could not be read: {error}"));
            return Ok(());
        }
        let mut stream = Cursor::new(head).chain(decoder);
        if sniff(stream.get_ref().0.get_ref()) == Some(ArchiveKind::Tar) {
            // The tar's members are named directly under the archive.
            let before = self.expansion.skipped.len();
            self.tar(prefix, &mut stream, depth)?;
            let (_, rest) = stream.into_inner();
            if rest.limit() == 0 {
                // The tar reader saw the cut as a truncated stream: say why
                // instead.
                if self.expansion.skipped.len() > before
                    && self
                        .expansion
                        .skipped
                        .last()
                        .is_some_and(|last| last.reason.starts_with(BROKEN_TAR))
                {
                    self.expansion.skipped.pop();
                }
                self.skip(
                    prefix.to_string(),
                    format!(
                        "the archive's decompressed-bytes budget ({} bytes) is spent; the rest was not scanned",
                        self.limits.max_total_bytes
                    ),
                );
            }
            return Ok(());
        }
        if !self.admit(prefix) {
            return Ok(());
        }
        match self.read_bounded(&mut stream) {
            Ok(content) => self.member(member, &content, depth),
            Err(error) => self.read_error(member, error),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, content) in members {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, content) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *content).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip_of(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn collect(
        name: &str,
        bytes: &[u8],
        limits: &ArchiveLimits,
    ) -> (Vec<(String, Vec<u8>)>, Expansion) {
        let mut seen = Vec::new();
        let expansion = expand(name, bytes, limits, &mut |member, content| {
            seen.push((member.to_string(), content.to_vec()))
        })
        .unwrap();
        (seen, expansion)
    }

    #[test]
    fn sniffs_by_content() {
        let zip = zip_of(&[("a", b"x")], zip::CompressionMethod::Stored);
        assert_eq!(sniff(&zip), Some(ArchiveKind::Zip));
        assert_eq!(sniff(&tar_of(&[("a", b"x")])), Some(ArchiveKind::Tar));
        assert_eq!(sniff(&gzip_of(b"x")), Some(ArchiveKind::Gzip));
        assert_eq!(sniff(b"PK but not a zip"), None);
        assert_eq!(sniff(b"plain text"), None);
    }

    #[test]
    fn zip_members_stored_and_deflated_nested_in_tar_gz() {
        let inner = zip_of(
            &[
                ("config/app.properties", b"key=value\n"),
                ("dir/", b""),
                ("README", b"hello"),
            ],
            zip::CompressionMethod::Deflated,
        );
        let tar = tar_of(&[("lib/inner.jar", &inner), ("notes.txt", b"plain")]);
        let tgz = gzip_of(&tar);
        let (seen, expansion) = collect("dist/app.tgz", &tgz, &ArchiveLimits::default());
        let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "lib/inner.jar!/config/app.properties",
                "lib/inner.jar!/README",
                "notes.txt"
            ]
        );
        assert_eq!(seen[0].1, b"key=value\n");
        assert_eq!(expansion.members, 3);
        assert_eq!(expansion.bytes, 10 + 5 + 5);
        assert!(expansion.skipped.is_empty(), "{:?}", expansion.skipped);
    }

    #[test]
    fn a_tar_gz_larger_than_a_member_is_streamed_member_by_member() {
        let chunk = vec![b'x'; 64 << 10];
        let names: Vec<String> = (0..8).map(|i| format!("f{i}.txt")).collect();
        let members: Vec<(&str, &[u8])> = names
            .iter()
            .map(|n| (n.as_str(), chunk.as_slice()))
            .collect();
        let tgz = gzip_of(&tar_of(&members));
        let limits = ArchiveLimits {
            max_member_bytes: 100 << 10,
            ..ArchiveLimits::default()
        };
        let (seen, expansion) = collect("big.tar.gz", &tgz, &limits);
        assert_eq!(seen.len(), 8, "{:?}", expansion.skipped);
        assert!(expansion.skipped.is_empty());

        // With a budget of three members' bytes, the rest is said to be cut.
        let limits = ArchiveLimits {
            max_total_bytes: 3 * (64 << 10) + 2048,
            ..ArchiveLimits::default()
        };
        let (seen, expansion) = collect("big.tar.gz", &tgz, &limits);
        assert!(seen.len() < 8 && !seen.is_empty());
        assert!(!expansion.skipped.is_empty());
        assert!(
            expansion
                .skipped
                .iter()
                .any(|s| s.reason.contains("budget")),
            "{:?}",
            expansion.skipped
        );
    }

    #[test]
    fn a_gzipped_file_is_one_member_named_without_gz() {
        let (seen, _) = collect(
            "logs/app.env.gz",
            &gzip_of(b"A=1\n"),
            &ArchiveLimits::default(),
        );
        assert_eq!(seen, [("app.env".to_string(), b"A=1\n".to_vec())]);
    }

    #[test]
    fn depth_is_bounded_and_said() {
        let mut bytes = zip_of(&[("deep.txt", b"x")], zip::CompressionMethod::Stored);
        for level in 0..4 {
            bytes = zip_of(
                &[(&format!("level{level}.zip"), &bytes)],
                zip::CompressionMethod::Deflated,
            );
        }
        // Five zips deep: the fifth is not expanded at depth 4.
        let (seen, expansion) = collect("a.zip", &bytes, &ArchiveLimits::default());
        assert!(seen.is_empty());
        assert_eq!(expansion.skipped.len(), 1);
        assert_eq!(
            expansion.skipped[0].member,
            "level3.zip!/level2.zip!/level1.zip!/level0.zip"
        );
        assert!(expansion.skipped[0].reason.contains("deeper than 4"));
        let (seen, _) = collect(
            "a.zip",
            &bytes,
            &ArchiveLimits {
                max_depth: 5,
                ..ArchiveLimits::default()
            },
        );
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn a_zip_bomb_stops_at_the_byte_bounds() {
        let zeros = vec![0u8; 4 << 20];
        let bomb = zip_of(
            &[("a.bin", &zeros), ("b.bin", &zeros), ("c.txt", b"small")],
            zip::CompressionMethod::Deflated,
        );
        assert!(bomb.len() < 64 << 10, "deflate squeezes zeros");
        let limits = ArchiveLimits {
            max_member_bytes: 3 << 20,
            ..ArchiveLimits::default()
        };
        let (seen, expansion) = collect("bomb.zip", &bomb, &limits);
        assert_eq!(seen.len(), 1, "only the small member");
        assert_eq!(expansion.skipped.len(), 2);
        assert!(
            expansion.skipped[0]
                .reason
                .contains("more than 3145728 bytes")
        );

        let limits = ArchiveLimits {
            max_total_bytes: 5 << 20,
            ..ArchiveLimits::default()
        };
        let (seen, expansion) = collect("bomb.zip", &bomb, &limits);
        assert_eq!(seen.len(), 1, "the first large one fits the budget");
        let skipped: Vec<&str> = expansion
            .skipped
            .iter()
            .map(|s| s.member.as_str())
            .collect();
        assert_eq!(skipped, ["b.bin", "c.txt"]);
        assert!(
            expansion
                .skipped
                .iter()
                .all(|s| s.reason.contains("budget"))
        );
    }

    #[test]
    fn member_count_is_bounded_and_said_once() {
        let members: Vec<(String, Vec<u8>)> =
            (0..5).map(|i| (format!("f{i}"), vec![b'a'])).collect();
        let refs: Vec<(&str, &[u8])> = members
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        let tar = tar_of(&refs);
        let limits = ArchiveLimits {
            max_members: 3,
            ..ArchiveLimits::default()
        };
        let (seen, expansion) = collect("t.tar", &tar, &limits);
        assert_eq!(seen.len(), 3);
        assert_eq!(expansion.skipped.len(), 1);
        assert!(
            expansion.skipped[0]
                .reason
                .contains("more than 3 archive members")
        );
    }

    #[test]
    fn a_member_in_an_unsupported_method_is_listed_not_dropped() {
        let mut zip = zip_of(
            &[("a.txt", b"first"), ("b.txt", b"second")],
            zip::CompressionMethod::Stored,
        );
        // Mark the first member bzip2 (12) in its local and central headers.
        zip[8..10].copy_from_slice(&12u16.to_le_bytes());
        let central = zip
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("a central directory");
        zip[central + 10..central + 12].copy_from_slice(&12u16.to_le_bytes());
        let (seen, expansion) = collect("x.zip", &zip, &ArchiveLimits::default());
        assert_eq!(seen, [("b.txt".to_string(), b"second".to_vec())]);
        assert_eq!(expansion.skipped.len(), 1, "{:?}", expansion.skipped);
        assert_eq!(expansion.skipped[0].member, "a.txt");
        assert!(expansion.skipped[0].reason.starts_with("could not be read"));
    }

    #[test]
    fn unreadable_input_is_an_error_or_a_skip_never_a_panic() {
        let mut zip = zip_of(
            &[("a.txt", b"hello hello")],
            zip::CompressionMethod::Deflated,
        );
        assert!(
            expand(
                "x.zip",
                &zip[..20],
                &ArchiveLimits::default(),
                &mut |_, _| {}
            )
            .is_err()
        );
        assert!(
            expand(
                "x.gz",
                &[0x1f, 0x8b, 8, 0, 1],
                &ArchiveLimits::default(),
                &mut |_, _| {}
            )
            .is_err()
        );
        // A corrupt deflate stream inside a valid directory is a skip.
        let data_start = 30 + "a.txt".len();
        for byte in &mut zip[data_start..data_start + 4] {
            *byte = 0xff;
        }
        let result = expand("x.zip", &zip, &ArchiveLimits::default(), &mut |_, _| {});
        match result {
            Ok(expansion) => assert_eq!(expansion.members + expansion.skipped.len() as u64, 1),
            Err(reason) => assert!(!reason.is_empty()),
        }
    }
}

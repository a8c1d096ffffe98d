//! `os-release` (freedesktop.org): which distribution and release a root
//! filesystem holds, read beside its installed-package database.
//!
//! The file is `KEY=value` lines; values may be quoted with `"` or `'`,
//! and inside double quotes `\` escapes `"`, `\`, `$` and `` ` ``. Blank
//! lines and `#` comments are allowed. systemd reads `etc/os-release`
//! first and `usr/lib/os-release` when it is missing; so does Cordon.

/// Where a root filesystem keeps its os-release file, in the order they
/// are tried (relative to the root).
pub const OS_RELEASE_PATHS: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// The distribution a root filesystem says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsRelease {
    /// Workspace-relative path of the file this was read from.
    pub path: String,
    /// `ID`: lower-case distribution name (`debian`, `alpine`, `ubuntu`).
    pub id: String,
    /// `VERSION_ID`: the release (`12`, `3.20.3`); testing and unstable
    /// Debian have none.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`).
    pub version_codename: Option<String>,
    /// `PRETTY_NAME`, for messages.
    pub pretty_name: Option<String>,
}

/// Parses an os-release file; `Err` says why it is unusable (no `ID`).
pub fn parse_os_release(path: &str, text: &str) -> Result<OsRelease, String> {
    let mut id = None;
    let mut version_id = None;
    let mut version_codename = None;
    let mut pretty_name = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        let slot = match key.trim() {
            "ID" => &mut id,
            "VERSION_ID" => &mut version_id,
            "VERSION_CODENAME" => &mut version_codename,
            "PRETTY_NAME" => &mut pretty_name,
            _ => continue,
        };
        *slot = Some(value).filter(|value| !value.is_empty());
    }
    // The specification's default ID is `linux`, which names no
    // distribution anyone publishes advisories for: treat it as missing.
    let id = id.ok_or_else(|| format!("{path}: no `ID=` line"))?;
    Ok(OsRelease {
        path: path.to_owned(),
        id: id.to_ascii_lowercase(),
        version_id,
        version_codename,
        pretty_name,
    })
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\'
                && let Some(next) = chars.next()
            {
                out.push(next);
                continue;
            }
            out.push(c);
        }
        return out;
    }
    if let Some(inner) = value
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        return inner.to_owned();
    }
    value.to_owned()
}

/// The root filesystem holding an installed-package database at `path`
/// (`image/lib/apk/db/installed` is in `image/`), as a prefix to join
/// other root-relative paths to (`image/`, or empty at the top).
pub(crate) fn root_prefix<'a>(path: &'a str, database: &str) -> Option<&'a str> {
    let path = path.strip_prefix("./").unwrap_or(path);
    let prefix = path.strip_suffix(database)?;
    (prefix.is_empty() || prefix.ends_with('/')).then_some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_debian_and_alpine_files() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let release = parse_os_release("etc/os-release", debian).unwrap();
        assert_eq!(release.id, "debian");
        assert_eq!(release.version_id.as_deref(), Some("12"));
        assert_eq!(release.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            release.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n# comment\n\nHOME_URL='https://alpinelinux.org/'\n";
        let release = parse_os_release("x/etc/os-release", alpine).unwrap();
        assert_eq!(release.id, "alpine");
        assert_eq!(release.version_id.as_deref(), Some("3.20.3"));
        assert_eq!(release.path, "x/etc/os-release");
    }

    #[test]
    fn quoting_escapes_and_missing_fields() {
        let text = "ID=\"de\\\"bian\"\nVERSION_ID=''\nnot a pair\n";
        let release = parse_os_release("etc/os-release", text).unwrap();
        assert_eq!(release.id, "de\"bian");
        assert_eq!(release.version_id, None, "an empty value is no value");
        assert!(parse_os_release("etc/os-release", "NAME=x\n").is_err());
        assert!(parse_os_release("etc/os-release", "").is_err());
    }

    #[test]
    fn the_root_is_what_precedes_the_database_path() {
        assert_eq!(
            root_prefix("image/var/lib/dpkg/status", "var/lib/dpkg/status"),
            Some("image/")
        );
        assert_eq!(
            root_prefix("var/lib/dpkg/status", "var/lib/dpkg/status"),
            Some("")
        );
        assert_eq!(
            root_prefix("./lib/apk/db/installed", "lib/apk/db/installed"),
            Some("")
        );
        assert_eq!(
            root_prefix("imagevar/lib/dpkg/status", "var/lib/dpkg/status"),
            None
        );
    }
}

//! `hostile`: a deliberately malicious stage for the runner's sandbox tests.
//!
//! The option `attack` picks what to try. Every attempt tries hard and then
//! reports what happened as a finding, so a runner test can assert the exact
//! outcome:
//!
//! * blocked: rule `hostile/blocked` (info), message `"{attempt}: {error}"`,
//!   where `error` is [`AccessError::describe`] for host calls or the
//!   `std::io::Error` text for WASI calls; properties `attempt` and `error`;
//! * escaped: rule `hostile/escaped` (critical), message
//!   `"{attempt}: {what leaked}"`; properties `attempt` and `leaked`.
//!
//! Attacks and their options:
//!
//! | attack               | options                        | attempts (labels)                                   |
//! |----------------------|--------------------------------|-----------------------------------------------------|
//! | `read-parent`        |                                | read, read-at, stat of `../outside.txt` and `sub/../../outside.txt`; `workspace.list-files` |
//! | `read-absolute`      | `path` (optional)              | read, read-at, stat of `path`, then of `/etc/passwd` |
//! | `read-symlink`       | `path` (a link to outside)     | read, read-at, stat of `path`                        |
//! | `read-ungranted`     | `path` (outside the read grant)| read, read-at, stat of `path`                        |
//! | `wasi-fs`            | `path` (optional)              | `std::fs::read_dir /`, `std::fs::read_dir .`, `std::fs::read /etc/passwd`, `std::fs::read {path}`, `std::fs::write cordon-hostile-was-here` |
//! | `env`                | `name` (optional)              | `std::env::vars`, `std::env::var {name}`             |
//! | `spin`               |                                | loops forever (the runner's timeout must stop it)   |
//! | `alloc`              | `bytes` (4 GiB), `mode` (`steps`/`vec`) | `alloc`                                     |
//! | `findings-flood`     | `count` (1 000 000)            | see [`findings_flood`]                              |
//! | `log-flood`          | `bytes` (100 MiB)              | see [`log_flood`]                                   |
//! | `artifact-ungranted` |                                | `artifacts.put not-granted`, `artifacts.get secret-artifact` |
//! | `ok`                 |                                | one `hostile/ok` finding, message `ok`              |
//! | `sleep`              | `seconds` (10^9)               | sleeps in a WASI poll (the runner's watchdog must stop it) |
//! | `huge-findings`      | `count` (12), `bytes` (50 MiB) | findings whose messages are `bytes` long            |
//! | `planted-lows`       | `count` (10 000)               | `count` low findings, then one critical `hostile/ok` |
//! | `bad-locations`      |                                | findings at `../../etc/passwd`, `/etc/passwd`, `a/./b` |
//! | `fake-lines`         |                                | a log line and a finding with `\r`, `\n` and ANSI escapes |
//! | `long-denials`       | `count` (20), `bytes` (10 MiB) | reads of ungranted paths `bytes` long               |
//! | `read-nothing`       |                                | returns at once, having read nothing                |
//! | `cache-poison`       | `key`                          | writes `poisoned` to cache entry `key`               |
//!
//! Every attack but `read-nothing` first reads the first file it may list
//! (if any), as a real stage would, so the runner's "read nothing" check
//! does not stop it first.
//!
//! Network attempts live in `cordon-test-hostile-net`: std's sockets import
//! `wasi:sockets`, which the runner does not link, and that must not stop
//! this component from loading.

use std::hint::black_box;
use std::io::Write;

use cordon_sdk::prelude::*;
use serde_json::Value;

#[path = "../../../plugin-support/verdict.rs"]
mod verdict;

use verdict::{OK, blocked, emit, escaped, with_rules};
const MIB: u64 = 1 << 20;

struct Hostile;

impl Stage for Hostile {
    fn describe() -> StageInfo {
        with_rules(StageInfo::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            "Tries to escape the sandbox (test plugin)",
        ))
        .workspace()
    }

    fn run(options: String) -> Result<Summary, StageError> {
        let options: Value = serde_json::from_str(&options).map_err(StageError::options)?;
        let text = |key: &str| options[key].as_str().map(str::to_string);
        let number = |key: &str, default: u64| options[key].as_u64().unwrap_or(default);
        let mut summary = Summary::default();
        let attack = options["attack"].as_str().unwrap_or_default();
        if attack != "read-nothing"
            && let Ok(files) = workspace::list_files(WalkOptions::default())
            && let Some(first) = files.first()
        {
            let _ = workspace::read(&first.path);
            summary.files_scanned += 1;
        }
        match attack {
            "read-parent" => {
                for path in ["../outside.txt", "sub/../../outside.txt"] {
                    try_workspace(path);
                }
                list_everything();
            }
            "read-absolute" => {
                if let Some(path) = text("path") {
                    try_workspace(&path);
                }
                try_workspace("/etc/passwd");
            }
            "read-symlink" | "read-ungranted" => try_workspace(&required(text("path"), "path")?),
            // A FIFO or device: `stat` may see it, reading must not hang.
            "read-special" => try_reads(&required(text("path"), "path")?),
            "wasi-fs" => wasi_fs(text("path")),
            "env" => env(text("name")),
            "spin" => spin(),
            "alloc" => alloc(number("bytes", 4 << 30), text("mode").as_deref()),
            "findings-flood" => summary.note(findings_flood(number("count", 1_000_000))),
            "log-flood" => summary.notes.extend(log_flood(number("bytes", 100 * MIB))),
            "artifact-ungranted" => {
                let put = artifacts::put("not-granted", "text/plain", b"hostile");
                report(
                    "artifacts.put not-granted",
                    put.map(|()| "the host stored it".to_string()),
                );
                let get = artifacts::get("secret-artifact");
                report("artifacts.get secret-artifact", get.map(|a| leak(&a.bytes)));
            }
            "ok" => emit(Finding::new(OK, Severity::Info, "ok")),
            "sleep" => std::thread::sleep(std::time::Duration::from_secs(number(
                "seconds",
                1_000_000_000,
            ))),
            "huge-findings" => {
                let message = "m".repeat(number("bytes", 50 * MIB) as usize);
                for _ in 0..number("count", 12) {
                    let _ = findings::emit(&Finding::new(OK, Severity::Info, &message));
                }
            }
            "planted-lows" => {
                for i in 0..number("count", 10_000) {
                    let _ = findings::emit(&Finding::new(
                        "hostile/planted",
                        Severity::Low,
                        format!("planted {i}"),
                    ));
                }
                let _ = findings::emit(&Finding::new(OK, Severity::Critical, "real"));
            }
            "bad-locations" => {
                for path in ["../../etc/passwd", "/etc/passwd", "a/./b"] {
                    let _ = findings::emit(&Finding::new(OK, Severity::Info, path).at(path));
                }
            }
            "fake-lines" => {
                let fake = "real\r\x1b[2K\x1b[32mPASS\x1b[0m everything clean\nerror: injected";
                log::warn(fake);
                emit(Finding::new(OK, Severity::Info, fake));
            }
            "long-denials" => {
                let path = "x".repeat(number("bytes", 10 * MIB) as usize);
                for _ in 0..number("count", 20) {
                    let _ = workspace::read(&format!("../{path}"));
                }
            }
            "read-nothing" => {}
            "cache-poison" => {
                let key = required(text("key"), "key")?;
                let _ = cache::put(&key, b"poisoned");
            }
            other => {
                return Err(StageError::InvalidOptions(format!(
                    "unknown attack `{other}`; expected read-parent, read-absolute, read-symlink, \
                     read-ungranted, read-special, wasi-fs, env, spin, alloc, findings-flood, \
                     log-flood, artifact-ungranted or ok"
                )));
            }
        }
        Ok(summary)
    }
}

cordon_sdk::export_stage!(Hostile);

fn required(value: Option<String>, key: &str) -> Result<String, StageError> {
    value.ok_or_else(|| StageError::InvalidOptions(format!("this attack needs the option `{key}`")))
}

fn try_reads(path: &str) {
    report(
        &format!("workspace.read {path}"),
        workspace::read(path).map(|b| leak(&b)),
    );
    report(
        &format!("workspace.read-at {path}"),
        workspace::read_at(path, 0, 64).map(|b| leak(&b)),
    );
}

/// Reports a host call: success means something leaked.
fn report(attempt: &str, result: Result<String, AccessError>) {
    match result {
        Ok(leaked) => escaped(attempt, &leaked),
        Err(error) => blocked(attempt, &error.describe()),
    }
}

/// Reports a WASI call: success means something leaked.
fn report_io(attempt: &str, result: std::io::Result<String>) {
    match result {
        Ok(leaked) => escaped(attempt, &leaked),
        Err(error) => blocked(attempt, &error.to_string()),
    }
}

/// What a successful read gave away: its size and first bytes.
fn leak(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
    format!("{} bytes, starting {head:?}", bytes.len())
}

/// Every workspace call that takes a path.
fn try_workspace(path: &str) {
    try_reads(path);
    let stat = workspace::stat(path).map(|info| format!("{} bytes, {:?}", info.size, info.kind));
    report(&format!("workspace.stat {path}"), stat);
}

/// Lists with every walk option on and looks for a path leaving the workspace.
fn list_everything() {
    let options = WalkOptions {
        include_ignored: true,
        include_hidden: true,
    };
    let attempt = "workspace.list-files";
    match workspace::list_files(options) {
        Ok(files) => {
            let outside: Vec<&str> = files
                .iter()
                .map(|f| f.path.as_str())
                .filter(|p| p.starts_with('/') || p.split('/').any(|part| part == ".."))
                .collect();
            if outside.is_empty() {
                blocked(
                    attempt,
                    &format!("{} files listed, none outside the workspace", files.len()),
                );
            } else {
                escaped(attempt, &outside.join(", "));
            }
        }
        Err(error) => blocked(attempt, &error.describe()),
    }
}

/// Plain WASI filesystem calls; the runner gives no preopened directories.
fn wasi_fs(path: Option<String>) {
    let list = |dir: &str| {
        std::fs::read_dir(dir).and_then(|entries| {
            let names: Vec<String> = entries
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect::<Result<_, _>>()?;
            Ok(format!("{} entries: {}", names.len(), names.join(", ")))
        })
    };
    report_io("std::fs::read_dir /", list("/"));
    report_io("std::fs::read_dir .", list("."));
    report_io(
        "std::fs::read /etc/passwd",
        std::fs::read("/etc/passwd").map(|b| leak(&b)),
    );
    if let Some(path) = path {
        report_io(
            &format!("std::fs::read {path}"),
            std::fs::read(&path).map(|b| leak(&b)),
        );
    }
    let write = std::fs::write("cordon-hostile-was-here", b"hostile");
    report_io(
        "std::fs::write cordon-hostile-was-here",
        write.map(|()| "the file was written".to_string()),
    );
}

/// The host environment must not be visible (names only: values may be secret).
fn env(name: Option<String>) {
    let names: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        blocked("std::env::vars", "no variables");
    } else {
        escaped(
            "std::env::vars",
            &format!("{} variables: {}", names.len(), names.join(", ")),
        );
    }
    if let Some(name) = name {
        match std::env::var(&name) {
            Ok(value) => escaped(
                &format!("std::env::var {name}"),
                &format!("set, {} bytes", value.len()),
            ),
            Err(error) => blocked(&format!("std::env::var {name}"), &error.to_string()),
        }
    }
}

/// Never returns; only the runner's timeout (epoch interruption) stops it.
fn spin() -> ! {
    log::info("spin: looping forever");
    let mut counter = 0u64;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Takes memory up to `bytes`. Mode `steps` (default) grows in 64 MiB chunks,
/// writing every byte, and reports how far it got when the allocator says no
/// (the runner's memory limit makes `memory.grow` fail). Mode `vec` asks for
/// one `vec![1u8; n]`, whose failure aborts the instance (a trap).
fn alloc(bytes: u64, mode: Option<&str>) {
    let wanted = bytes.min(isize::MAX as u64) as usize;
    if mode == Some("vec") {
        let block = black_box(vec![1u8; wanted]);
        escaped("alloc", &format!("got {} bytes in one vec", block.len()));
        return;
    }
    let step = (64 * MIB) as usize;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut got = 0usize;
    let mut failure = None;
    while got < wanted {
        let size = step.min(wanted - got);
        let mut chunk = Vec::new();
        if let Err(error) = chunks
            .try_reserve(1)
            .and_then(|()| chunk.try_reserve_exact(size))
        {
            failure = Some(error.to_string());
            break;
        }
        chunk.resize(size, 1);
        got += black_box(&chunk).len();
        chunks.push(chunk);
    }
    // Free everything before reporting, so the report itself has memory.
    drop(black_box(chunks));
    match failure {
        Some(error) => blocked(
            "alloc",
            &format!("got {got} of {bytes} bytes, then: {error}"),
        ),
        None => escaped("alloc", &format!("got all {got} bytes")),
    }
}

/// Emits up to `count` findings (rule `hostile/ok`, message `flood N`) and
/// stops at the first error. Returns, logs and notes
/// `findings-flood: {accepted} of {count} accepted, then: {error}` or
/// `findings-flood: all {count} accepted`.
fn findings_flood(count: u64) -> String {
    let mut outcome = format!("findings-flood: all {count} accepted");
    // `i` findings were accepted before the i-th emit.
    for i in 0..count {
        let flood = Finding::new(OK, Severity::Info, format!("flood {i}"));
        if let Err(error) = findings::emit(&flood) {
            let error = error.describe();
            outcome = format!("findings-flood: {i} of {count} accepted, then: {error}");
            break;
        }
    }
    log::info(&outcome);
    outcome
}

/// Logs `bytes` in 64 KiB messages, then writes the same volume to stdout and
/// to stderr (not with `println!`, which would panic on a closed stream).
/// Returns one line per channel: `log: {n} bytes in {calls} calls`,
/// `stdout: {n} bytes written` or `stdout: {n} bytes written, then: {error}`,
/// and the same for `stderr`.
fn log_flood(bytes: u64) -> Vec<String> {
    let chunk = "x".repeat(63 * 1024) + &"y".repeat(1023) + "\n";
    let mut logged = 0u64;
    let mut calls = 0u64;
    while logged < bytes {
        log::info(&chunk);
        logged += chunk.len() as u64;
        calls += 1;
    }
    let mut lines = vec![format!("log: {logged} bytes in {calls} calls")];
    let streams: [(&str, Box<dyn Write>); 2] = [
        ("stdout", Box::new(std::io::stdout())),
        ("stderr", Box::new(std::io::stderr())),
    ];
    for (name, mut stream) in streams {
        let mut written = 0u64;
        let mut line = format!("{name}: {written} bytes written");
        while written < bytes {
            if let Err(error) = stream
                .write_all(chunk.as_bytes())
                .and_then(|()| stream.flush())
            {
                line = format!("{name}: {written} bytes written, then: {error}");
                break;
            }
            written += chunk.len() as u64;
            line = format!("{name}: {written} bytes written");
        }
        lines.push(line);
    }
    for line in &lines {
        log::info(line);
    }
    lines
}

#[cfg(test)]
mod tests;

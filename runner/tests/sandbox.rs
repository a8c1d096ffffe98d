//! Hostile plugins against the real sandbox. Each attack runs beside a
//! harmless control stage, which must still complete.

mod common;

use common::*;

/// A pipeline of `stages` plus the `control` stage.
fn pipeline(dir: &std::path::Path, stages: &str) {
    let control = path_stage(
        "control",
        "cordon-test-hostile",
        "[stages.control.grants]\nread = [\"**\"]\n[stages.control.options]\nattack = \"ok\"\n",
    );
    std::fs::write(dir.join("cordon.toml"), format!("{stages}\n{control}")).unwrap();
}

/// A hostile stage; with no `grants` it may read the workspace (a stage
/// granted nothing at all is refused when the pipeline loads).
fn hostile(name: &str, grants: &str, limits: &str, options: &str) -> String {
    let grants = if grants.is_empty() {
        "read = [\"**\"]"
    } else {
        grants
    };
    path_stage(
        name,
        "cordon-test-hostile",
        &format!(
            "[stages.{name}.grants]\n{grants}\n[stages.{name}.limits]\n{limits}\n[stages.{name}.options]\n{options}\n"
        ),
    )
}

fn assert_control_completed(run: &Run) {
    assert_eq!(run.state("control"), "completed", "{}", run.stderr);
    assert_eq!(run.messages("control", "hostile/ok"), vec!["ok"]);
}

fn assert_nothing_escaped(run: &Run, stage: &str) {
    let escaped = run.messages(stage, "hostile/escaped");
    assert!(escaped.is_empty(), "{stage} escaped: {escaped:#?}");
}

#[test]
fn reads_outside_the_grant_are_denied() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("outside.txt");
    std::fs::write(&secret, "host secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    write_files(
        &ws,
        &[
            ("src/main.rs", "fn main() {}"),
            ("private/key.txt", "not for you"),
        ],
    );
    std::fs::write(dir.path().join("outside.txt"), "parent secret").unwrap();
    std::os::unix::fs::symlink(&secret, ws.join("src/link.txt")).unwrap();
    let secret_path = secret.display().to_string();
    pipeline(
        &ws,
        &[
            hostile("parent", "read = [\"**\"]", "", "attack = \"read-parent\""),
            hostile(
                "absolute",
                "read = [\"**\"]",
                "",
                &format!("attack = \"read-absolute\"\npath = {secret_path:?}"),
            ),
            hostile(
                "symlink",
                "read = [\"**\"]",
                "",
                "attack = \"read-symlink\"\npath = \"src/link.txt\"",
            ),
            hostile(
                "ungranted",
                "read = [\"src/**\"]",
                "",
                "attack = \"read-ungranted\"\npath = \"private/key.txt\"",
            ),
        ]
        .join("\n"),
    );
    let run = cordon(&ws, &["run", ".", "--pipeline", "cordon.toml"]);
    for stage in ["parent", "absolute", "symlink", "ungranted"] {
        assert_eq!(run.state(stage), "completed", "{stage}: {}", run.stderr);
        assert_nothing_escaped(&run, stage);
        assert!(
            !run.stage(stage)["denied"].as_array().unwrap().is_empty(),
            "{stage} has no denied calls"
        );
    }
    let parent = run.messages("parent", "hostile/blocked");
    assert_any_starts_with(&parent, "workspace.read ../outside.txt: denied:");
    assert_any_starts_with(&parent, "workspace.read sub/../../outside.txt: denied:");
    let absolute = run.messages("absolute", "hostile/blocked");
    assert_any_starts_with(&absolute, &format!("workspace.read {secret_path}: denied:"));
    assert_any_starts_with(&absolute, "workspace.read /etc/passwd: denied:");
    let symlink = run.messages("symlink", "hostile/blocked");
    assert!(
        symlink.iter().any(|m| m
            == "workspace.read src/link.txt: denied: src/link.txt resolves outside the workspace"),
        "{symlink:#?}"
    );
    let ungranted = run.messages("ungranted", "hostile/blocked");
    assert!(
        ungranted.iter().any(|m| m
            .starts_with("workspace.read private/key.txt: denied: private/key.txt is not granted")),
        "{ungranted:#?}"
    );
    assert_control_completed(&run);
}

#[test]
fn a_fifo_in_the_workspace_cannot_hang_the_host() {
    // Opening a FIFO for reading waits for a writer; the stage's timeout
    // cannot interrupt a host call, so the host must refuse it instead.
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("src/main.rs", "fn main() {}")]);
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    pipeline(
        dir.path(),
        &hostile(
            "fifo",
            "read = [\"**\"]",
            "timeout = \"5s\"",
            "attack = \"read-special\"\npath = \"pipe\"",
        ),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    assert_eq!(run.state("fifo"), "completed", "{}", run.stderr);
    assert_nothing_escaped(&run, "fifo");
    assert_eq!(
        run.messages("fifo", "hostile/blocked"),
        vec![
            "workspace.read pipe: denied: pipe is not a regular file",
            "workspace.read-at pipe: denied: pipe is not a regular file",
        ]
    );
    assert_control_completed(&run);
}

#[test]
fn wasi_filesystem_has_no_preopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cordon.toml").display().to_string();
    pipeline(
        dir.path(),
        &hostile(
            "fs",
            "read = [\"**\"]",
            "",
            &format!("attack = \"wasi-fs\"\npath = {path:?}"),
        ),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    assert_eq!(run.state("fs"), "completed");
    assert_nothing_escaped(&run, "fs");
    let blocked = run.messages("fs", "hostile/blocked");
    for attempt in [
        "std::fs::read_dir /",
        "std::fs::read_dir .",
        "std::fs::read /etc/passwd",
        &format!("std::fs::read {path}"),
    ] {
        assert!(
            blocked
                .iter()
                .any(|m| m.starts_with(&format!("{attempt}: "))),
            "{attempt} not blocked: {blocked:#?}"
        );
    }
    assert_control_completed(&run);
}

#[test]
fn host_environment_is_invisible() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(
        dir.path(),
        &hostile(
            "env",
            "",
            "",
            "attack = \"env\"\nname = \"CORDON_TEST_HOST_SECRET\"",
        ),
    );
    let run = cordon_with(
        dir.path(),
        &["run", ".", "--pipeline", "cordon.toml"],
        |c| {
            c.env("CORDON_TEST_HOST_SECRET", "hunter2");
        },
    );
    assert_eq!(run.state("env"), "completed");
    assert_nothing_escaped(&run, "env");
    let blocked = run.messages("env", "hostile/blocked");
    assert!(
        blocked.contains(&"std::env::vars: no variables".to_string()),
        "{blocked:#?}"
    );
    assert_any_starts_with(&blocked, "std::env::var CORDON_TEST_HOST_SECRET: ");
    assert_control_completed(&run);
}

#[test]
fn a_plugin_importing_sockets_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let net = path_stage(
        "net",
        "cordon-test-hostile-net",
        &format!("[stages.net.grants]\nread = [\"**\"]\n[stages.net.options]\naddr = {addr:?}\n"),
    );
    pipeline(dir.path(), &net);
    listener.set_nonblocking(true).unwrap();
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    let (kind, message) = run.error("net");
    assert_eq!(kind, "plugin");
    assert!(message.contains("imports wasi:sockets/"), "{message}");
    assert!(
        message.contains("network access is not a capability Cordon grants"),
        "{message}"
    );
    assert!(
        listener.accept().is_err(),
        "the plugin connected to the host"
    );
    assert_eq!(run.code, 2);
    assert_control_completed(&run);
}

#[test]
fn an_infinite_loop_is_stopped_by_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(
        dir.path(),
        &hostile("spin", "", "timeout = \"1s\"", "attack = \"spin\""),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    let (kind, message) = run.error("spin");
    assert_eq!(kind, "timeout");
    assert!(message.contains("ran past its timeout"), "{message}");
    assert_eq!(run.code, 2);
    assert_control_completed(&run);
}

#[test]
fn a_4_gib_allocation_is_stopped_by_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(
        dir.path(),
        &[
            hostile("steps", "", "memory = \"64MiB\"", "attack = \"alloc\""),
            hostile(
                "single",
                "",
                "memory = \"64MiB\"",
                "attack = \"alloc\"\nmode = \"vec\"\nbytes = 1073741824",
            ),
        ]
        .join("\n"),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    // Growing step by step: the guest's allocator sees the refusal and
    // reports it; it never gets near 4 GiB.
    assert_nothing_escaped(&run, "steps");
    let steps = run.messages("steps", "hostile/blocked");
    let got: u64 = steps
        .iter()
        .find_map(|m| {
            m.strip_prefix("alloc: got ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{steps:#?}"));
    assert!(got <= 64 << 20, "got {got} bytes under a 64 MiB cap");
    assert!(
        steps
            .iter()
            .any(|m| m.contains(" of 4294967296 bytes, then: ")),
        "{steps:#?}"
    );
    // One 1 GiB vec (a single wasm32 allocation cannot ask for more than
    // 2 GiB): the host refuses the growth, the guest aborts, and the runner
    // names the memory cap as the cause.
    let (kind, message) = run.error("single");
    assert_eq!(kind, "memory-limit", "{message}");
    assert!(
        message.contains("over its limit of 67108864 bytes")
            || message.contains("memory limit of 67108864"),
        "{message}"
    );
    assert_control_completed(&run);
}

/// A component of the stage world (every export a trap) built from
/// `wit_text`, a version of Cordon's WIT.
fn component_of_world(wit_text: &str) -> Vec<u8> {
    use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

    let mut resolve = Resolve::default();
    let package = resolve.push_str("stage.wit", wit_text).unwrap();
    let world = resolve.select_world(&[package], Some("stage")).unwrap();
    let mangling = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);
    let mut module = wit_component::dummy_module(&resolve, world, mangling);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

#[test]
fn a_plugin_built_for_another_stage_contract_is_refused_by_name() {
    let wit_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/stage.wit");
    let current = std::fs::read_to_string(wit_path).unwrap();
    assert!(current.contains("package cordon:stage@0.2.0;"));
    // The previous contract: version 0.1.0, whose rules had no properties.
    let previous = current
        .replace("package cordon:stage@0.2.0;", "package cordon:stage@0.1.0;")
        .replace("        properties: list<tuple<string, string>>,\n    }\n\n    /// What a stage asks for", "    }\n\n    /// What a stage asks for");
    assert_ne!(previous, current);
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("old.wasm");
    std::fs::write(&wasm, component_of_world(&previous)).unwrap();
    // A pipeline running the component now at `wasm`, pinned to its digest.
    let run_it = || {
        pipeline(
            dir.path(),
            &format!(
                "[stages.old]\nplugin = {:?}\nsha256 = \"{}\"\n[stages.old.grants]\nread = [\"**\"]\n",
                wasm.display().to_string(),
                sha256_file(&wasm)
            ),
        );
        cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"])
    };
    let run = run_it();
    let (kind, message) = run.error("old");
    assert_eq!(kind, "plugin", "{message}");
    assert!(
        message.contains("built for Cordon's stage contract cordon:stage@0.1.0")
            && message.contains("this Cordon speaks cordon:stage@0.2.0"),
        "{message}"
    );
    assert_eq!(run.code, 2);

    // The same world at the current version loads (and stops only at its
    // trapping export).
    std::fs::write(&wasm, component_of_world(&current)).unwrap();
    let run = run_it();
    let (_, message) = run.error("old");
    assert!(!message.contains("stage contract"), "{message}");
}

/// A component built from Cordon's own WIT world (every export a trap)
/// that also instantiates three core modules of one linear memory of
/// `pages` 64 KiB pages each: the shape of a plugin that spreads its
/// allocation over several memories so that each one stays under a
/// per-memory cap. (The pooling allocator already refuses a module with
/// more than one memory, so the memories come from separate instances.)
fn three_memory_component(pages: u64) -> Vec<u8> {
    let wit_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/stage.wit");
    let component = component_of_world(&std::fs::read_to_string(wit_path).unwrap());
    // Appended after every existing definition, so no index shifts.
    let text = wasmprinter::print_bytes(&component).unwrap();
    let body = text.trim_end().strip_suffix(')').unwrap();
    let hoards: String = (0..3)
        .map(|i| {
            format!(
                "(core module $hoard{i} (memory {pages}))\n(core instance (instantiate $hoard{i}))\n"
            )
        })
        .collect();
    wat::parse_str(format!("{body}\n{hoards})")).unwrap()
}

#[test]
fn memory_spread_over_three_memories_is_capped_as_one_total() {
    const PAGES_400_MIB: u64 = (400 << 20) / 65536;
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("three-memories.wasm");
    std::fs::write(&wasm, three_memory_component(PAGES_400_MIB)).unwrap();
    let stage = |name: &str, memory: &str| {
        format!(
            "[stages.{name}]\nplugin = {:?}\nsha256 = \"{}\"\n[stages.{name}.grants]\nread = [\"**\"]\n[stages.{name}.limits]\nmemory = \"{memory}\"\n",
            wasm.display().to_string(),
            sha256_file(&wasm)
        )
    };
    // Under a 1 GiB cap, three memories of 400 MiB each (1.2 GiB together) are
    // refused while the component is instantiated. Under 2 GiB the same
    // component gets past instantiation and stops only at its trapping
    // export: the total, not any one memory, is what the cap refused.
    pipeline(
        dir.path(),
        &[stage("spread", "1GiB"), stage("roomy", "2GiB")].join("\n"),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    let (kind, message) = run.error("spread");
    assert_eq!(kind, "memory-limit", "{message}");
    assert!(
        message.contains(&format!("memory limit of {}", 1u64 << 30)),
        "{message}"
    );
    let (kind, message) = run.error("roomy");
    assert_ne!(kind, "memory-limit", "{message}");
    assert!(message.contains("unreachable"), "{message}");
    assert_eq!(run.code, 2);
    assert_control_completed(&run);
}

#[test]
fn findings_and_output_floods_are_cut_at_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(
        dir.path(),
        &[
            hostile(
                "findings",
                "",
                "max-findings = 100",
                "attack = \"findings-flood\"\ncount = 100000",
            ),
            hostile(
                "logs",
                "",
                "max-log-bytes = \"64KiB\"",
                "attack = \"log-flood\"\nbytes = 8388608",
            ),
        ]
        .join("\n"),
    );
    let audit_log = dir.path().join("audit.jsonl");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "cordon.toml",
            "--audit-log",
            audit_log.to_str().unwrap(),
        ],
    );
    let findings = run.stage("findings");
    assert_eq!(run.state("findings"), "completed");
    assert_eq!(findings["findings"].as_array().unwrap().len(), 100);
    assert_eq!(findings["findings_truncated"], true);
    let notes: Vec<&str> = findings["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_any_starts_with(
        &notes,
        "findings-flood: 100 of 100000 accepted, then: limit reached: ",
    );
    let logs = run.stage("logs");
    assert_eq!(run.state("logs"), "completed");
    let notes: Vec<&str> = logs["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_any_starts_with(&notes, "log output over the limit: ");
    assert_any_starts_with(&notes, "stdout over the limit: ");
    assert_any_starts_with(&notes, "stderr over the limit: ");
    // A flood of refused emits is one line in the audit log, not 99,900.
    let audit = std::fs::read_to_string(&audit_log).unwrap();
    let refused = audit
        .lines()
        .filter(|l| l.contains("\"findings.emit\"") && l.contains("\"limit\""))
        .count();
    assert_eq!(refused, 1);
    assert_control_completed(&run);
}

#[test]
fn ungranted_artifacts_are_denied() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(
        dir.path(),
        &hostile("artifacts", "", "", "attack = \"artifact-ungranted\""),
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    assert_nothing_escaped(&run, "artifacts");
    let blocked = run.messages("artifacts", "hostile/blocked");
    assert!(
        blocked.iter().any(|m| m == "artifacts.put not-granted: denied: artifact `not-granted` is not granted for writing to this stage"),
        "{blocked:#?}"
    );
    assert_any_starts_with(&blocked, "artifacts.get secret-artifact: denied: ");
    assert_control_completed(&run);
}

#[test]
fn a_tampered_plugin_refuses_to_run_naming_both_digests() {
    let dir = tempfile::tempdir().unwrap();
    let original = guest("cordon-test-hostile");
    let pinned = sha256_file(&original);
    let mut bytes = std::fs::read(&original).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let tampered = dir.path().join("tampered.wasm");
    std::fs::write(&tampered, &bytes).unwrap();
    let actual = sha256_file(&tampered);
    let stage = format!(
        "[stages.tampered]\nplugin = \"tampered.wasm\"\nsha256 = \"{pinned}\"\n[stages.tampered.grants]\nread = [\"**\"]\n[stages.tampered.options]\nattack = \"ok\"\n"
    );
    pipeline(dir.path(), &stage);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    let (kind, message) = run.error("tampered");
    assert_eq!(kind, "plugin");
    assert!(
        message.contains(&pinned) && message.contains(&actual),
        "{message}"
    );
    assert!(message.contains("refusing to run"), "{message}");
    assert_eq!(run.code, 2);
    assert_control_completed(&run);
}

#[test]
fn dependants_of_a_failed_stage_are_skipped_and_the_rest_finish() {
    let dir = tempfile::tempdir().unwrap();
    let stages = [
        hostile("spin", "", "timeout = \"200ms\"", "attack = \"spin\""),
        path_stage(
            "after",
            "cordon-test-hostile",
            "needs = [\"spin\"]\n[stages.after.grants]\nread = [\"**\"]\n[stages.after.options]\nattack = \"ok\"\n",
        ),
    ];
    pipeline(dir.path(), &stages.join("\n"));
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    assert_eq!(run.error("spin").0, "timeout");
    assert_eq!(run.state("after"), "skipped");
    assert!(
        run.stage("after")["status"]["reason"]
            .as_str()
            .unwrap()
            .contains("`spin`")
    );
    assert_control_completed(&run);
}

#[test]
fn files_that_are_not_components_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut stages = String::new();
    for (name, bytes) in [
        ("text", b"not wasm at all".to_vec()),
        ("core", b"\0asm\x01\0\0\0".to_vec()),
    ] {
        std::fs::write(dir.path().join(format!("{name}.wasm")), &bytes).unwrap();
        let digest = sha256_file(&dir.path().join(format!("{name}.wasm")));
        stages.push_str(&format!(
            "[stages.{name}]\nplugin = \"{name}.wasm\"\nsha256 = \"{digest}\"\ngrants = {{ read = [\"**\"] }}\n"
        ));
    }
    pipeline(dir.path(), &stages);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "cordon.toml"]);
    let (kind, message) = run.error("text");
    assert_eq!(kind, "plugin");
    assert!(message.contains("is not WebAssembly"), "{message}");
    let (kind, message) = run.error("core");
    assert_eq!(kind, "plugin");
    assert!(
        message.contains("core WebAssembly module, not a component"),
        "{message}"
    );
    assert_eq!(run.code, 2);
    assert_control_completed(&run);
}

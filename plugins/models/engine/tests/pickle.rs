//! Pickle streams assembled opcode by opcode.

mod common;

use common::*;
use cordon_models::{ModelFormat, Severity};

const CODE: &str = "models/pickle-code-execution";

#[test]
fn torch_state_dict_pickle_is_clean_and_inventoried() {
    let scan = scan("model.pkl", &torch_state_dict_pickle());
    assert_eq!(scan.format, ModelFormat::Pickle);
    assert_clean(&scan);
    let globals = &scan.inventory.as_ref().unwrap().metadata.pickle_globals;
    assert!(
        globals.contains(&"torch._utils._rebuild_tensor_v2".to_string()),
        "{globals:?}"
    );
    assert!(globals.contains(&"collections.OrderedDict".to_string()));
}

#[test]
fn os_system_through_global_and_reduce_is_critical_with_offset() {
    let bytes = malicious_pickle("os", "system");
    let scan = scan("model.bin", &bytes);
    let finding = scan
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert_eq!(finding.severity, Severity::Critical);
    assert_eq!(finding.subject, "os.system");
    assert!(
        finding.message.contains("os.system") && finding.message.contains("REDUCE"),
        "{}",
        finding.message
    );
    assert_eq!(finding.offset, Some(2), "GLOBAL follows the 2-byte PROTO");
}

#[test]
fn every_code_execution_family_is_critical() {
    let cases = [
        ("posix", "system"),
        ("nt", "system"),
        ("subprocess", "Popen"),
        ("subprocess", "check_output"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "compile"),
        ("builtins", "getattr"),
        ("builtins", "__import__"),
        ("builtins", "open"),
        ("__builtin__", "eval"),
        ("runpy", "_run_code"),
        ("importlib", "import_module"),
        ("pkgutil", "resolve_name"),
        ("marshal", "loads"),
        ("pickle", "loads"),
        ("_pickle", "loads"),
        ("pip", "main"),
        ("pip._internal", "main"),
        ("socket", "create_connection"),
        ("webbrowser", "open"),
        ("pty", "spawn"),
        ("shutil", "rmtree"),
        ("sys", "exit"),
        ("os.path", "join"),
        ("ctypes", "CDLL"),
        ("code", "interact"),
        ("timeit", "timeit"),
        ("torch.hub", "load"),
        ("torch.storage", "_load_from_bytes"),
        ("numpy.testing._private.utils", "runstring"),
    ];
    for (module, name) in cases {
        let scan = scan("x.pkl", &malicious_pickle(module, name));
        assert!(
            scan.findings.iter().any(|f| f.rule_id == CODE
                && f.severity == Severity::Critical
                && f.subject == format!("{module}.{name}")),
            "{module}.{name}: {:#?}",
            scan.findings
        );
    }
}

#[test]
fn stack_global_with_literal_names() {
    let bytes = Pickle::new()
        .proto(4)
        .short_unicode("subprocess")
        .short_unicode("run")
        .stack_global()
        .short_unicode("id")
        .tuple1()
        .reduce()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "subprocess.run"), "{:#?}", scan.findings);
}

#[test]
fn stack_global_names_through_memoize_and_binget() {
    // Names stored in the memo early and fetched later, as real pickles do.
    let bytes = Pickle::new()
        .proto(4)
        .frame(40)
        .short_unicode("os")
        .memoize()
        .pop()
        .short_unicode("system")
        .memoize()
        .pop()
        .binget(0)
        .binget(1)
        .stack_global()
        .short_unicode("id")
        .tuple1()
        .reduce()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "os.system"), "{:#?}", scan.findings);
}

#[test]
fn stack_global_names_through_long_binput_and_long_binget() {
    let bytes = Pickle::new()
        .proto(4)
        .binunicode("builtins")
        .long_binput(70_000)
        .pop()
        .binunicode("exec")
        .long_binput(3)
        .pop()
        .long_binget(70_000)
        .long_binget(3)
        .stack_global()
        .binunicode("print(1)")
        .tuple1()
        .reduce()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "builtins.exec"), "{:#?}", scan.findings);
}

#[test]
fn stack_global_names_through_text_put_and_get() {
    let bytes = Pickle::new()
        .proto(4)
        .string0("runpy")
        .put(5)
        .pop()
        .string0("run_path")
        .binput(9)
        .pop()
        .get(5)
        .binget(9)
        .stack_global()
        .string0("/tmp/x.py")
        .tuple1()
        .reduce()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "runpy.run_path"), "{:#?}", scan.findings);
}

#[test]
fn inst_opcode_imports_and_calls() {
    let bytes = Pickle::new()
        .mark()
        .string0("id")
        .inst("os", "system")
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    let finding = scan
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert!(finding.message.contains("INST"), "{}", finding.message);
}

#[test]
fn obj_newobj_and_newobj_ex_are_followed() {
    let obj = Pickle::new()
        .proto(2)
        .mark()
        .global("subprocess", "Popen")
        .string0("id")
        .op(b'o')
        .stop()
        .bytes();
    assert!(has(&scan("a.pkl", &obj), CODE, "subprocess.Popen"));
    let newobj = Pickle::new()
        .proto(2)
        .global("socket", "socket")
        .empty_tuple()
        .op(0x81)
        .stop()
        .bytes();
    let s = scan("b.pkl", &newobj);
    assert!(
        s.findings
            .iter()
            .any(|f| f.subject == "socket.socket" && f.message.contains("NEWOBJ")),
        "{:#?}",
        s.findings
    );
    let newobj_ex = Pickle::new()
        .proto(4)
        .global("mypkg.evil", "Payload")
        .empty_tuple()
        .empty_dict()
        .op(0x92)
        .stop()
        .bytes();
    let s = scan("c.pkl", &newobj_ex);
    let f = s
        .findings
        .iter()
        .find(|f| f.subject == "mypkg.evil.Payload")
        .expect("unknown global");
    assert_eq!(f.rule_id, "models/pickle-unknown-global");
    assert_eq!(
        f.severity,
        Severity::High,
        "no recognised framework in this pickle"
    );
    assert!(f.message.contains("NEWOBJ_EX"));
}

#[test]
fn build_on_an_imported_class_is_reported() {
    let bytes = Pickle::new()
        .proto(2)
        .global("mypkg.tree", "CustomTree")
        .empty_dict()
        .build()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(
        scan.findings
            .iter()
            .any(|f| f.subject == "mypkg.tree.CustomTree" && f.message.contains("BUILD")),
        "{:#?}",
        scan.findings
    );
}

#[test]
fn ext_opcodes_are_unresolved_globals() {
    for (op, operand) in [
        (0x82u8, vec![1u8]),
        (0x83, vec![1, 2]),
        (0x84, vec![1, 2, 3, 4]),
    ] {
        let bytes = Pickle::new()
            .proto(2)
            .op(op)
            .raw(&operand)
            .empty_tuple()
            .reduce()
            .stop()
            .bytes();
        let scan = scan("x.pkl", &bytes);
        let f = scan
            .findings
            .iter()
            .find(|f| f.rule_id == "models/pickle-unresolved-global")
            .expect("unresolved");
        assert_eq!(f.severity, Severity::High);
        assert!(f.message.contains("extension code"));
    }
}

#[test]
fn stack_global_with_computed_name_is_unresolved() {
    // The module name is the result of a call: cannot be known statically.
    let bytes = Pickle::new()
        .proto(4)
        .global("builtins", "str")
        .empty_tuple()
        .reduce()
        .short_unicode("system")
        .stack_global()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(
        scan.findings
            .iter()
            .any(|f| f.rule_id == "models/pickle-unresolved-global"
                && f.message.contains("builtins.str")),
        "{:#?}",
        scan.findings
    );
}

#[test]
fn payload_in_a_second_stream_is_found() {
    let mut bytes = torch_state_dict_pickle();
    bytes.extend(malicious_pickle("os", "system"));
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "os.system"), "{:#?}", scan.findings);
    assert_eq!(
        scan.inventory.unwrap().metadata.properties["pickle.streams"],
        "2"
    );
}

#[test]
fn discarded_reduce_result_is_still_reported() {
    let bytes = Pickle::new()
        .proto(2)
        .call("os", "system", "id")
        .pop()
        .none()
        .stop()
        .bytes();
    let scan = scan("x.pkl", &bytes);
    let f = scan
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .expect("finding");
    assert!(f.message.contains("discarded"), "{}", f.message);
}

#[test]
fn payload_before_a_broken_stream_is_reported_with_the_break() {
    // nullifAI: the payload runs, then the stream breaks.
    let bytes = Pickle::new()
        .proto(2)
        .call("os", "system", "id")
        .pop()
        .op(0xff)
        .bytes();
    let scan = scan("x.pkl", &bytes);
    assert!(has(&scan, CODE, "os.system"));
    let broken = scan
        .findings
        .iter()
        .find(|f| f.rule_id == "models/malformed")
        .expect("malformed");
    assert!(
        broken.message.contains("unknown opcode 0xff"),
        "{}",
        broken.message
    );
    assert_eq!(broken.offset, Some(bytes.len() as u64 - 1));
}

#[test]
fn truncated_stream_is_malformed_not_clean() {
    let full = torch_state_dict_pickle();
    for cut in [3, full.len() / 2, full.len() - 1] {
        let scan = scan("x.pkl", &full[..cut]);
        assert!(
            scan.findings
                .iter()
                .any(|f| f.rule_id == "models/malformed" && f.severity >= Severity::Medium),
            "cut {cut}: {:#?}",
            scan.findings
        );
    }
}

#[test]
fn unsupported_protocol_is_malformed() {
    let bytes = Pickle::new().proto(2).none().stop().bytes();
    let mut bumped = bytes.clone();
    bumped[1] = 5;
    assert_clean(&scan("ok.pkl", &bumped));
    let mut bad = Pickle::new().proto(5).proto(9).none().stop().bytes();
    let scan = scan("x.pkl", &bad);
    assert!(
        scan.findings
            .iter()
            .any(|f| f.message.contains("unsupported pickle protocol 9")),
        "{:#?}",
        scan.findings
    );
    bad.clear();
}

#[test]
fn dangerous_and_unknown_globals_have_their_own_rules() {
    let s = scan("x.pkl", &malicious_pickle("operator", "attrgetter"));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/pickle-dangerous-global" && f.severity == Severity::High)
    );
    let s = scan("x.pkl", &malicious_pickle("requests", "get"));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/pickle-dangerous-global")
    );
    let s = scan("x.pkl", &malicious_pickle("joblib", "load"));
    assert!(
        s.findings.iter().any(|f| f.rule_id == CODE),
        "nested joblib.load"
    );
    let wrapper = Pickle::new()
        .proto(2)
        .global("joblib.numpy_pickle", "NumpyArrayWrapper")
        .empty_tuple()
        .op(0x81)
        .stop()
        .bytes();
    assert_clean(&scan("x.pkl", &wrapper));
    let s = scan("x.pkl", &malicious_pickle("__main__", "MyModel"));
    assert!(
        s.findings
            .iter()
            .any(|f| f.rule_id == "models/pickle-unknown-global" && f.severity == Severity::High),
        "outside a recognised framework an unknown callable is high: {:#?}",
        s.findings
    );
    // The same class next to PyTorch's tensor rebuild is a custom module
    // of a checkpoint: medium.
    let in_checkpoint = Pickle::new()
        .proto(2)
        .global("torch._utils", "_rebuild_tensor_v2")
        .op(b'0')
        .global("__main__", "MyModel")
        .empty_tuple()
        .op(0x81)
        .stop()
        .bytes();
    let s = scan("x.pkl", &in_checkpoint);
    let f = s
        .findings
        .iter()
        .find(|f| f.subject == "__main__.MyModel")
        .expect("custom class reported");
    assert_eq!(f.severity, Severity::Medium, "{:#?}", s.findings);
    // A function (lower-case) stays high even inside a checkpoint.
    let function = Pickle::new()
        .proto(2)
        .global("torch._utils", "_rebuild_tensor_v2")
        .op(b'0')
        .global("mypkg.helpers", "prepare")
        .empty_tuple()
        .op(b'R')
        .stop()
        .bytes();
    let s = scan("x.pkl", &function);
    assert!(
        s.findings
            .iter()
            .any(|f| f.subject == "mypkg.helpers.prepare" && f.severity == Severity::High),
        "{:#?}",
        s.findings
    );
}

#[test]
fn attribute_chains_that_reach_os_are_critical() {
    // `torch.serialization` imports `os`, so this resolves to os.system.
    let s = scan(
        "x.pkl",
        &malicious_pickle("torch.serialization", "os.system"),
    );
    assert!(
        has(&s, CODE, "torch.serialization.os.system"),
        "{:#?}",
        s.findings
    );
    let s = scan(
        "x.pkl",
        &malicious_pickle("collections", "OrderedDict.__init__.__globals__"),
    );
    assert!(
        s.findings.iter().any(|f| f.rule_id == CODE),
        "{:#?}",
        s.findings
    );
    // Allow-listed names only match exactly.
    let s = scan(
        "x.pkl",
        &malicious_pickle("torch._utils", "_rebuild_tensor_v2.extra"),
    );
    assert!(!s.findings.is_empty());
}

#[test]
fn protocol_zero_pickle_without_header_is_detected_by_content() {
    let bytes = Pickle::new()
        .global("os", "system")
        .mark()
        .string0("id")
        .tuple()
        .reduce()
        .stop()
        .bytes();
    // No model extension: detected because it parses completely as a pickle.
    let s = scan("notes.dat", &bytes);
    assert_eq!(s.format, ModelFormat::Pickle);
    assert!(has(&s, CODE, "os.system"));
}

#[test]
fn legacy_torch_save_pickle_sequence_is_clean() {
    // magic number, protocol version, sys_info, the object, storage keys, raw bytes
    let magic = Pickle::new()
        .proto(2)
        .op(0x8a)
        .raw(&[
            10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
        ])
        .stop()
        .bytes();
    let version = Pickle::new().proto(2).binint1(0xe9).stop().bytes();
    let sys_info = Pickle::new().proto(2).empty_dict().stop().bytes();
    let keys = Pickle::new()
        .proto(2)
        .mark()
        .binunicode("0")
        .op(b'l')
        .stop()
        .bytes();
    let mut bytes = cat(&[magic, version, sys_info, torch_state_dict_pickle(), keys]);
    // Raw storage data that happens to look like a PROTO opcode.
    bytes.extend_from_slice(&[0x80, 0x02, 0xff, 0xff, 0x00, 0x01]);
    let s = scan("model.pt", &bytes);
    assert_clean(&s);
    let props = &s.inventory.unwrap().metadata.properties;
    assert_eq!(props["pytorch.legacy"], "true");
    assert_eq!(props["pickle.streams"], "5");
}

#[test]
fn header_less_pickle_behind_bin_is_judged_by_content() {
    // A broken protocol-0 payload behind a generic name is still a pickle.
    let payload = Pickle::new()
        .global("os", "system")
        .mark()
        .string0("id")
        .tuple()
        .reduce()
        .op(0xff)
        .bytes();
    let s = scan("pytorch_model.bin", &payload);
    assert!(has(&s, CODE, "os.system"));
    assert!(s.findings.iter().any(|f| f.rule_id == "models/malformed"));
    // Binary data that merely starts like a pickle opcode is not a model.
    let firmware = b"N\x00\x13\x37 firmware blob".to_vec();
    assert!(
        cordon_models::scan("firmware.bin", &firmware.as_slice(), &Default::default()).is_none()
    );
}

#[test]
fn text_file_is_not_a_model_and_garbage_named_pt_is_malformed() {
    assert!(
        cordon_models::scan(
            "README.md",
            &b"# Hello\n(world)\n".as_slice(),
            &Default::default()
        )
        .is_none()
    );
    let s = scan("weights.pt", b"\x00\x01\x02 definitely not a model");
    assert_eq!(s.format, ModelFormat::Unrecognised);
    // The name alone is a low candidate, never a gate failure.
    assert_eq!(s.max_severity(), Some(Severity::Low), "{:#?}", s.findings);
}

#[test]
fn no_prefix_of_a_hostile_pickle_panics_or_passes_clean() {
    let bytes = Pickle::new()
        .proto(4)
        .short_unicode("os")
        .memoize()
        .short_unicode("system")
        .memoize()
        .stack_global()
        .short_unicode("id")
        .tuple1()
        .reduce()
        .pop()
        .none()
        .stop()
        .bytes();
    // One byte is not yet a pickle by content: only the name speaks.
    assert_eq!(
        scan("x.pkl", &bytes[..1]).max_severity(),
        Some(Severity::Low)
    );
    for cut in 2..bytes.len() {
        let s = scan("x.pkl", &bytes[..cut]);
        assert_not_clean(&s);
    }
}

//! Pickle framing as CPython reads it, expansion bombs, cycles, and joblib
//! dumps with their raw array regions. Payloads are inert bytes that are
//! only parsed; the commands they name would create a marker file, and the
//! tests fail if it appears.

mod common;

use common::*;
use cordon_models::Severity;

const STRUCTURE: &str = "models/pickle-structure";
const CODE: &str = "models/pickle-code-execution";

fn structure(scan: &cordon_models::ModelScan, subject: &str) -> Option<Severity> {
    scan.findings
        .iter()
        .find(|f| f.rule_id == STRUCTURE && f.subject == subject)
        .map(|f| f.severity)
}

#[test]
fn an_operand_running_past_its_frame_is_high_and_the_rest_is_still_read() {
    let marker = marker("frame-overrun");
    // The frame covers only the opcode and length byte of the string; the
    // string's body lies past the frame end.
    let bytes = Pickle::new()
        .proto(4)
        .frame(2)
        .short_unicode("hello")
        .op(b'0')
        .call("os", "system", &touch(&marker))
        .stop()
        .bytes();
    let scan = scan("model.pkl", &bytes);
    assert_eq!(
        structure(&scan, "frame-overrun"),
        Some(Severity::High),
        "{:#?}",
        scan.findings
    );
    assert!(
        has(&scan, CODE, "os.system"),
        "payload after the overrun is seen"
    );
    assert_no_marker(&marker);
}

#[test]
fn binbytes_and_binint_past_the_frame_are_reported_and_well_framed_pickles_are_not() {
    let mut binbytes = Pickle::new().proto(4).frame(3).op(b'B');
    binbytes.0.extend_from_slice(&4u32.to_le_bytes());
    binbytes.0.extend_from_slice(b"abcd");
    let binbytes = binbytes.stop().bytes();
    assert!(structure(&scan("a.pkl", &binbytes), "frame-overrun").is_some());

    let mut binint = Pickle::new().proto(4).frame(2).op(b'J');
    binint.0.extend_from_slice(&7i32.to_le_bytes());
    let binint = binint.stop().bytes();
    assert!(structure(&scan("a.pkl", &binint), "frame-overrun").is_some());

    // The same stream with a frame that covers it exactly.
    let body = Pickle::new().short_unicode("hello").stop().bytes();
    let framed = Pickle::new()
        .proto(4)
        .frame(body.len() as u64)
        .raw(&body)
        .bytes();
    assert_clean(&scan("a.pkl", &framed));
}

#[test]
fn frames_inside_frames_past_the_end_or_cut_by_stop_are_reported() {
    let nested = Pickle::new()
        .proto(4)
        .frame(20)
        .frame(3)
        .short_unicode("a")
        .stop()
        .bytes();
    assert!(structure(&scan("a.pkl", &nested), "frame-inside-frame").is_some());

    let past_end = Pickle::new().proto(4).frame(1 << 20).none().stop().bytes();
    assert_eq!(
        structure(&scan("a.pkl", &past_end), "frame-past-end"),
        Some(Severity::High)
    );

    let mut hidden = Pickle::new().proto(4).frame(12).none().stop();
    hidden.0.extend_from_slice(b"\x80\x02cos\nsy"); // rest of the frame after STOP
    let hidden = hidden.bytes();
    assert!(structure(&scan("a.pkl", &hidden), "stop-inside-frame").is_some());
}

#[test]
fn memo_expansion_bomb_is_high() {
    let mut p = Pickle::new().proto(2).op(b']').binput(0);
    for level in 1..=12u8 {
        p = p.mark();
        for _ in 0..10 {
            p = p.binget(level - 1);
        }
        p = p.op(b'l').binput(level);
    }
    let bytes = p.stop().bytes();
    let scan = scan("bomb.pkl", &bytes);
    assert_eq!(
        structure(&scan, "memo-expansion-bomb"),
        Some(Severity::High),
        "{:#?}",
        scan.findings
    );
}

#[test]
fn dup_expansion_bomb_is_high_and_a_wide_honest_list_is_not() {
    let mut p = Pickle::new().proto(2).op(b']').binput(0);
    for level in 1..=12u8 {
        p = p.mark().binget(level - 1);
        for _ in 0..9 {
            p = p.op(b'2');
        }
        p = p.op(b'l').binput(level);
    }
    let bytes = p.stop().bytes();
    assert!(structure(&scan("bomb.pkl", &bytes), "memo-expansion-bomb").is_some());

    // 200k distinct integers: large, but every object is in the file.
    let mut honest = Pickle::new().proto(2).op(b']').mark();
    for i in 0..200_000u32 {
        honest = honest.op(b'J').raw(&i.to_le_bytes());
    }
    let honest = honest.op(b'e').stop().bytes();
    assert_clean(&scan("list.pkl", &honest));
}

#[test]
fn a_list_that_contains_itself_is_reported() {
    let direct = Pickle::new()
        .proto(2)
        .op(b']')
        .binput(0)
        .binget(0)
        .op(b'a')
        .stop()
        .bytes();
    assert_eq!(
        structure(&scan("cycle.pkl", &direct), "self-referencing-cycle"),
        Some(Severity::Medium)
    );
    // a = []; b = [a]; a.append(b)
    let indirect = Pickle::new()
        .proto(2)
        .op(b']')
        .binput(0)
        .op(b']')
        .binput(1)
        .binget(0)
        .op(b'a')
        .op(b'a')
        .stop()
        .bytes();
    assert!(structure(&scan("cycle.pkl", &indirect), "self-referencing-cycle").is_some());
    assert_clean(&scan("ok.pkl", &torch_state_dict_pickle()));
}

#[test]
fn uncompressed_joblib_dict_of_arrays_is_clean() {
    // Raw float bytes full of values that are not opcodes.
    let raw: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(37) | 0xa0).collect();
    let mut p = Pickle::new()
        .proto(2)
        .empty_dict()
        .mark()
        .short_unicode("w");
    p = joblib_array(p, "f8", &[2, 3], &raw);
    p = p.short_unicode("b");
    p = joblib_array(p, "i4", &[4], &raw[..16]);
    let bytes = p.op(b'u').stop().bytes();
    let scan = scan("model.joblib", &bytes);
    assert_clean(&scan);
    let props = &scan.inventory.as_ref().unwrap().metadata.properties;
    assert_eq!(props.get("joblib.arrays").map(String::as_str), Some("2"));
}

#[test]
fn joblib_payload_after_a_raw_array_is_critical() {
    let marker = marker("joblib-after-array");
    let raw = vec![0xeeu8; 8 * 5];
    let mut p = Pickle::new()
        .proto(2)
        .empty_dict()
        .mark()
        .short_unicode("w");
    p = joblib_array(p, "f8", &[5], &raw);
    p = p.short_unicode("x").call("os", "system", &touch(&marker));
    let bytes = p.op(b'u').stop().bytes();
    let scan = scan("model.joblib", &bytes);
    let finding = scan
        .findings
        .iter()
        .find(|f| f.rule_id == CODE)
        .unwrap_or_else(|| panic!("{:#?}", scan.findings));
    assert_eq!(finding.subject, "os.system");
    assert!(
        !scan
            .findings
            .iter()
            .any(|f| f.rule_id == "models/malformed"),
        "{:#?}",
        scan.findings
    );
    assert_no_marker(&marker);
}

#[test]
fn joblib_object_array_is_a_nested_pickle_and_is_analysed() {
    let marker = marker("joblib-object-array");
    let nested = Pickle::new()
        .proto(2)
        .call("subprocess", "check_output", &touch(&marker))
        .stop()
        .bytes();
    let p = joblib_array(Pickle::new().proto(2), "O8", &[1], &[]);
    // Object arrays have no padding: drop the 4 padding bytes the helper
    // wrote, then append the nested pickle.
    let mut bytes = p.bytes();
    bytes.truncate(bytes.len() - 4);
    bytes.extend_from_slice(&nested);
    bytes.push(b'.');
    let scan = scan("model.joblib", &bytes);
    assert!(
        has(&scan, CODE, "subprocess.check_output"),
        "{:#?}",
        scan.findings
    );
    assert_no_marker(&marker);
}

#[test]
fn joblib_wrapper_without_a_readable_layout_is_a_high_unscannable() {
    let bytes = Pickle::new()
        .proto(2)
        .global("joblib.numpy_pickle", "NumpyArrayWrapper")
        .empty_tuple()
        .op(0x81)
        .empty_dict()
        .build()
        .stop()
        .bytes();
    let scan = scan("model.joblib", &bytes);
    assert!(
        scan.findings
            .iter()
            .any(|f| f.rule_id == "models/unscannable" && f.severity == Severity::High),
        "{:#?}",
        scan.findings
    );
}

#[test]
fn framed_protocol_4_joblib_dump_is_clean() {
    // As joblib writes with protocol >= 4: the wrapper ends its frame, the
    // array bytes follow outside any frame, then a new frame goes on.
    let raw = vec![0xabu8; 16];
    let wrapped = joblib_array(Pickle::new(), "f8", &[2], &raw).bytes();
    let region = 4 + raw.len();
    let (wrapper_ops, array_region) = wrapped.split_at(wrapped.len() - region);
    let head = Pickle::new()
        .empty_dict()
        .mark()
        .short_unicode("w")
        .raw(wrapper_ops)
        .bytes();
    let tail = Pickle::new().op(b'u').stop().bytes();
    let bytes = Pickle::new()
        .proto(4)
        .frame(head.len() as u64)
        .raw(&head)
        .raw(array_region)
        .frame(tail.len() as u64)
        .raw(&tail)
        .bytes();
    let scan = scan("model.joblib", &bytes);
    assert_clean(&scan);
}

#[test]
fn the_pickle_size_limit_counts_bytes_read_not_bytes_skipped() {
    let marker = marker("size-limit");
    let limits = cordon_models::Limits {
        max_pickle_bytes: 8192,
        ..cordon_models::Limits::default()
    };
    // 10 KiB of opcodes before the payload: past the limit, a high finding.
    let mut p = Pickle::new().proto(2).op(b']').mark();
    for i in 0..2000u32 {
        p = p.op(b'J').raw(&i.to_le_bytes());
    }
    let bytes = p
        .op(b'e')
        .op(b'0')
        .call("os", "system", &touch(&marker))
        .stop()
        .bytes();
    let long = cordon_models::scan("m.pkl", &bytes, &limits).unwrap();
    assert!(
        long.findings
            .iter()
            .any(|f| f.rule_id == "models/unscannable" && f.severity == Severity::High),
        "{:#?}",
        long.findings
    );
    // A 64 KiB raw array and the unkept tail of a long string are moved
    // past, not read: the payload behind them is within the limit.
    let raw = vec![0u8; 8 * 8192];
    let mut p = Pickle::new()
        .proto(2)
        .empty_dict()
        .mark()
        .short_unicode("w");
    p = joblib_array(p, "f8", &[32, 255], &raw[..8 * 32 * 255]);
    let bytes = p
        .short_unicode("doc")
        .binunicode(&"d".repeat(100_000))
        .short_unicode("x")
        .call("os", "system", &touch(&marker))
        .op(b'u')
        .stop()
        .bytes();
    let skipped = cordon_models::scan("m.joblib", &bytes, &limits).unwrap();
    assert!(has(&skipped, CODE, "os.system"), "{:#?}", skipped.findings);
    assert!(
        !skipped
            .findings
            .iter()
            .any(|f| f.rule_id == "models/unscannable"),
        "{:#?}",
        skipped.findings
    );
    assert_no_marker(&marker);
}

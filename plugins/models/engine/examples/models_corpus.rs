//! Writes the benchmark corpus: hostile samples (`m*`) and benign ones
//! (`b*`), built byte by byte with the same builders as the tests.
//!
//! Usage: `cargo run --example models_corpus -- OUTPUT_DIR [--big BIG_DIR]`
//!
//! With `--big`, also writes two sparse 10 GiB joblib dumps into BIG_DIR
//! (a benign one and one with a payload behind its array region): only
//! the pickle opcodes around the array are real bytes, the array itself
//! is a hole in the file.
//!
//! Every payload names an inert command (`id`); nothing here is ever
//! loaded, by this program or by the benchmark.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use common::*;

fn numpy_array_pickle() -> Vec<u8> {
    // pickle.dumps(np.zeros(2, dtype='<f4'), protocol=2), shape for shape.
    Pickle::new()
        .proto(2)
        .global("numpy.core.multiarray", "_reconstruct")
        .global("numpy", "ndarray")
        .binint1(0)
        .tuple1()
        .op(b'C')
        .raw(&[1, b'b'])
        .op(0x87)
        .reduce()
        .mark()
        .binint1(1)
        .binint1(2)
        .tuple1()
        .global("numpy", "dtype")
        .binunicode("f4")
        .binint1(0)
        .binint1(1)
        .op(0x87)
        .reduce()
        .mark()
        .binint1(3)
        .binunicode("<")
        .none()
        .none()
        .none()
        .op(b'J')
        .raw(&(-1i32).to_le_bytes())
        .op(b'J')
        .raw(&(-1i32).to_le_bytes())
        .binint1(0)
        .tuple()
        .build()
        .op(0x89)
        .op(b'C')
        .raw(&[8, 0, 0, 0, 0, 0, 0, 0, 0])
        .tuple()
        .build()
        .stop()
        .bytes()
}

fn keras_zip(config: &str) -> Vec<u8> {
    zip(
        &[
            Member::deflated("metadata.json", br#"{"keras_version": "3.4.1"}"#),
            Member::deflated("config.json", config.as_bytes()),
            Member::stored(
                "model.weights.h5",
                &hdf5_with_attribute("note", b"weights", false),
            ),
        ],
        true,
    )
}

fn saved_model(ops: &[&str]) -> Vec<u8> {
    let mut graph = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        graph.extend(pb_bytes(
            1,
            &cat(&[
                pb_bytes(1, format!("n{i}").as_bytes()),
                pb_bytes(2, op.as_bytes()),
            ]),
        ));
    }
    let meta_graph = cat(&[pb_bytes(1, &pb_bytes(4, b"serve")), pb_bytes(2, &graph)]);
    cat(&[pb_varint(1, 1), pb_bytes(2, &meta_graph)])
}

fn onnx(location: &str) -> Vec<u8> {
    let tensor = cat(&[
        pb_varint(1, 4),
        pb_varint(2, 1),
        pb_bytes(8, b"w"),
        pb_bytes(
            13,
            &cat(&[pb_bytes(1, b"location"), pb_bytes(2, location.as_bytes())]),
        ),
        pb_varint(14, 1),
    ]);
    let node = cat(&[
        pb_bytes(1, b"x"),
        pb_bytes(1, b"w"),
        pb_bytes(2, b"y"),
        pb_bytes(4, b"Add"),
    ]);
    let graph = cat(&[pb_bytes(1, &node), pb_bytes(2, b"g"), pb_bytes(5, &tensor)]);
    cat(&[
        pb_varint(1, 8),
        pb_bytes(2, b"bench"),
        pb_bytes(7, &graph),
        pb_bytes(8, &cat(&[pb_bytes(1, b""), pb_varint(2, 17)])),
    ])
}

fn gguf(template: &str) -> Vec<u8> {
    let mut g = Gguf::default()
        .string("general.architecture", "llama")
        .u32("general.file_type", 1)
        .u32("llama.context_length", 2048)
        .string("tokenizer.chat_template", template)
        .tensor("output.weight", &[8], 1, 0);
    g.data_len = 32;
    g.bytes()
}

const LAMBDA_CONFIG: &str = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}}]}}"#;
const FUNCTION_REF_CONFIG: &str = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 1, "activation": {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}}}]}}"#;
const BENIGN_CONFIG: &str = r#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}]}}"#;
const H5_LAMBDA: &[u8] = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "lambda_1", "function": ["4wEAAAAA", null, null], "function_type": "lambda", "module": "keras.layers.core"}}]}}"#;
const H5_BENIGN: &[u8] = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"units": 3}}]}}"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, big) = match args.as_slice() {
        [out] => (out, None),
        [out, flag, big] if flag == "--big" => (out, Some(big)),
        _ => {
            eprintln!("usage: models_corpus OUTPUT_DIR [--big BIG_DIR]");
            std::process::exit(2);
        }
    };
    let out = Path::new(out);
    fs::create_dir_all(out).expect("create output dir");
    let os_system = malicious_pickle("os", "system");
    let state_dict = torch_state_dict_pickle();
    let legacy_magic = Pickle::new()
        .proto(2)
        .op(0x8a)
        .raw(&[
            10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
        ])
        .stop()
        .bytes();
    let legacy = cat(&[
        legacy_magic,
        Pickle::new()
            .proto(2)
            .op(b'M')
            .raw(&1001u16.to_le_bytes())
            .stop()
            .bytes(),
        Pickle::new().proto(2).empty_dict().stop().bytes(),
        state_dict.clone(),
        Pickle::new()
            .proto(2)
            .mark()
            .binunicode("0")
            .op(b'l')
            .stop()
            .bytes(),
    ]);
    let mut samples: Vec<(&str, Vec<u8>)> = vec![
        ("m01_os_system.pkl", os_system.clone()),
        ("m02_posix_system.pkl", malicious_pickle("posix", "system")),
        (
            "m03_builtins_exec.pkl",
            malicious_pickle("builtins", "exec"),
        ),
        (
            "m04_stack_global_memo.pkl",
            Pickle::new()
                .proto(4)
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
                .bytes(),
        ),
        (
            "m05_inst_protocol0.pkl",
            Pickle::new()
                .mark()
                .string0("id")
                .inst("os", "system")
                .stop()
                .bytes(),
        ),
        ("m06_runpy.pkl", malicious_pickle("runpy", "run_path")),
        (
            "m07_second_stream.pkl",
            cat(&[state_dict.clone(), os_system.clone()]),
        ),
        (
            "m08_nullifai_broken.pkl",
            Pickle::new()
                .proto(2)
                .call("os", "system", "id")
                .pop()
                .op(0xff)
                .bytes(),
        ),
        (
            "m09_attr_chain.pkl",
            malicious_pickle("torch.serialization", "os.system"),
        ),
        ("m10_torch_zip.pt", torch_zip(&os_system, &[])),
        (
            "m11_torch_zip_extra_member.pt",
            torch_zip(
                &state_dict,
                &[Member::stored("archive/extra.pkl", &os_system)],
            ),
        ),
        ("m12_torch_zip_bad_crc.pt", {
            let mut m = Member::stored("archive/data.pkl", &os_system);
            m.crc = Some(0xdeadbeef);
            zip(&[m, Member::stored("archive/version", b"3\n")], true)
        }),
        ("m13_torch_zip_name_mismatch.pt", {
            let mut m = Member::stored("archive/data.pkl", &os_system);
            m.local_name = Some("archive/readme.txt".into());
            zip(&[m, Member::stored("archive/version", b"3\n")], true)
        }),
        (
            "m14_torch_zip_no_central_dir.pt",
            zip(&[Member::stored("archive/data.pkl", &os_system)], false),
        ),
        (
            "m15_torch_zip_deflated.pt",
            zip(
                &[
                    Member::deflated("archive/data.pkl", &malicious_pickle("subprocess", "Popen")),
                    Member::stored("archive/version", b"3\n"),
                ],
                true,
            ),
        ),
        (
            "m16_legacy_tar.pt",
            tar(&[
                (
                    "sys_info",
                    &Pickle::new().proto(2).empty_dict().stop().bytes(),
                ),
                ("pickle", &os_system),
                (
                    "storages",
                    &Pickle::new().proto(2).binint1(0).stop().bytes(),
                ),
                ("tensors", &Pickle::new().proto(2).binint1(0).stop().bytes()),
            ]),
        ),
        ("m17_object_array.npy", npy("|O", "(1,)", &os_system)),
        (
            "m18_arrays.npz",
            zip(
                &[
                    Member::stored("a.npy", &npy("<f4", "(1,)", &[0; 4])),
                    Member::deflated("b.npy", &npy("|O", "()", &os_system)),
                ],
                true,
            ),
        ),
        ("m19_lambda.keras", keras_zip(LAMBDA_CONFIG)),
        ("m20_function_ref.keras", keras_zip(FUNCTION_REF_CONFIG)),
        (
            "m21_lambda.h5",
            hdf5_with_attribute("model_config", H5_LAMBDA, true),
        ),
        (
            "m22_readfile_saved_model.pb",
            saved_model(&["Placeholder", "ReadFile", "WriteFile"]),
        ),
        (
            "m23_template.gguf",
            gguf("{{ cycler.__init__.__globals__.os.popen('id').read() }}"),
        ),
        (
            "m24_overlap.safetensors",
            safetensors(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                12,
            ),
        ),
        ("m25_escape.onnx", onnx("../../../../etc/passwd")),
        ("m26_webbrowser.pkl", malicious_pickle("webbrowser", "open")),
        (
            "m27_operator_gadget.pkl",
            malicious_pickle("operator", "attrgetter"),
        ),
        ("m28_pip_main.pkl", malicious_pickle("pip", "main")),
        (
            "m29_ext_opcode.pkl",
            Pickle::new()
                .proto(2)
                .op(0x82)
                .raw(&[7])
                .empty_tuple()
                .reduce()
                .stop()
                .bytes(),
        ),
        (
            "m30_discarded_reduce.pkl",
            Pickle::new()
                .proto(2)
                .call("os", "system", "id")
                .pop()
                .none()
                .stop()
                .bytes(),
        ),
        (
            "m31_importlib.pkl",
            malicious_pickle("importlib", "import_module"),
        ),
        ("m32_shutil.pkl", malicious_pickle("shutil", "rmtree")),
        (
            "m33_raw_pickle_behind_bin.bin",
            malicious_pickle("nt", "system"),
        ),
        ("m34_truncated_zip.pt", {
            let z = torch_zip(&os_system, &[]);
            z[..z.len() - 30].to_vec()
        }),
        (
            "m35_unknown_global.pkl",
            malicious_pickle("evil_pkg.loader", "run"),
        ),
        ("b01_state_dict.pkl", state_dict.clone()),
        ("b02_torch_zip.pt", torch_zip(&state_dict, &[])),
        ("b03_array.npy", npy("<f4", "(2, 3)", &[0; 24])),
        (
            "b04_arrays.npz",
            zip(
                &[
                    Member::stored("a.npy", &npy("<f4", "(1,)", &[0; 4])),
                    Member::deflated("b.npy", &npy("<i8", "(2,)", &[0; 16])),
                ],
                true,
            ),
        ),
        ("b05_model.keras", keras_zip(BENIGN_CONFIG)),
        (
            "b06_model.h5",
            hdf5_with_attribute("model_config", H5_BENIGN, true),
        ),
        (
            "b07_saved_model.pb",
            saved_model(&["Placeholder", "MatMul", "SaveV2", "RestoreV2"]),
        ),
        (
            "b08_model.gguf",
            gguf("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"),
        ),
        (
            "b09_model.safetensors",
            safetensors(
                r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                8,
            ),
        ),
        ("b10_model.onnx", onnx("weights.bin")),
        ("b11_legacy.pt", legacy),
        ("b12_numpy_array.pkl", numpy_array_pickle()),
    ];
    samples.extend(issue11_hostile(&os_system));
    samples.extend(issue11_benign(&state_dict));
    let count = samples.len();
    for (name, bytes) in samples.drain(..) {
        fs::write(out.join(name), bytes).expect("write sample");
    }
    println!("wrote {count} samples to {}", out.display());
    if let Some(big) = big {
        write_big_joblib_dumps(Path::new(big));
    }
}

/// The command every payload names: harmless even if something did load a
/// sample, and nothing does.
const INERT: &str = "id";

/// A pickle running `module.name(INERT)`, then STOP.
fn call_pickle(module: &str, name: &str) -> Vec<u8> {
    Pickle::new()
        .proto(2)
        .call(module, name, INERT)
        .stop()
        .bytes()
}

/// A joblib dump of `{"w": <f8 array of `shape`>}`, with `after` (pickle
/// opcodes that push one value) stored under "x" after the array's raw
/// bytes when given. The array bytes follow the wrapper, as joblib writes.
fn joblib_dump(shape: &[u8], raw: &[u8], after: Option<Pickle>) -> Vec<u8> {
    let mut p = Pickle::new()
        .proto(2)
        .empty_dict()
        .mark()
        .short_unicode("w");
    p = joblib_array(p, "f8", shape, raw);
    if let Some(after) = after {
        p = p.short_unicode("x").raw(&after.bytes());
    }
    p.op(b'u').stop().bytes()
}

/// Raw float bytes full of values that are not valid opcodes, as real
/// weights are.
fn weight_bytes(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37) | 0xa0)
        .collect()
}

/// The cases issue 11 reported as passing the default gate.
fn issue11_hostile(os_system: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let eval = Pickle::new()
        .proto(2)
        .call("builtins", "eval", "__import__('os').system('id')")
        .stop()
        .bytes();
    // nullifAI: the payload runs first, then the stream breaks on purpose,
    // so a loader raises only after the command ran.
    let mut broken = Pickle::new()
        .proto(2)
        .call("os", "system", INERT)
        .pop()
        .bytes();
    broken.extend_from_slice(b"\xff\xfe broken on purpose");
    let payload_after_array = || {
        joblib_dump(
            &[5],
            &weight_bytes(40),
            Some(Pickle::new().call("os", "system", INERT)),
        )
    };
    let mut samples: Vec<(&'static str, Vec<u8>)> = vec![
        (
            "m36_7z_eval.7z",
            seven_zip(&[("payload.pkl", &eval), ("notes.txt", b"nothing here")]),
        ),
        (
            "m37_nullifai_7z.pt",
            seven_zip(&[("model/data.pkl", &broken), ("model/version", b"3\n")]),
        ),
        (
            "m38_zip_in_zip_stored.zip",
            zip(
                &[
                    Member::stored("bundle/model.pt", &torch_zip(os_system, &[])),
                    Member::stored("bundle/README", b"weights"),
                ],
                true,
            ),
        ),
        (
            "m39_zip_in_zip_deflated.zip",
            zip(
                &[Member::deflated(
                    "bundle/model.pt",
                    &torch_zip(os_system, &[]),
                )],
                true,
            ),
        ),
        (
            "m40_tar_holding_pt.tar",
            tar(&[("models/model.pt", &torch_zip(os_system, &[]))]),
        ),
        (
            "m41_joblib_payload_after_array.joblib",
            payload_after_array(),
        ),
    ];
    let compressed: [(&str, &'static str); 6] = [
        ("zlib", "m42_joblib_payload_after_array.zlib.joblib"),
        ("gzip", "m43_joblib_payload_after_array.gz.joblib"),
        ("bz2", "m44_joblib_payload_after_array.bz2.joblib"),
        ("xz", "m45_joblib_payload_after_array.xz.joblib"),
        ("lzma", "m46_joblib_payload_after_array.lzma.joblib"),
        ("lz4", "m47_joblib_payload_after_array.lz4.joblib"),
    ];
    for (kind, name) in compressed {
        samples.push((name, compress(kind, &payload_after_array())));
    }
    // An object array: joblib pickles its elements as a nested stream.
    let mut object_array = joblib_array(Pickle::new().proto(2), "O8", &[1], &[]).bytes();
    object_array.truncate(object_array.len() - 4); // object arrays have no padding
    object_array.extend_from_slice(&call_pickle("subprocess", "check_output"));
    object_array.push(b'.');
    samples.push(("m48_joblib_object_array.joblib", object_array));
    // An operand that runs past its frame (CPython's C unpickler reads on).
    samples.push((
        "m49_frame_overrun.pkl",
        Pickle::new()
            .proto(4)
            .frame(2)
            .short_unicode("hello")
            .op(b'0')
            .call("os", "system", INERT)
            .stop()
            .bytes(),
    ));
    samples.push((
        "m50_binbytes_past_frame.pkl",
        Pickle::new()
            .proto(4)
            .frame(3)
            .op(b'B')
            .raw(&4u32.to_le_bytes())
            .raw(b"abcd")
            .op(b'0')
            .call("os", "system", INERT)
            .stop()
            .bytes(),
    ));
    // 10^12 list references from a few hundred bytes.
    let mut memo_bomb = Pickle::new().proto(2).op(b']').binput(0);
    for level in 1..=12u8 {
        memo_bomb = memo_bomb.mark();
        for _ in 0..10 {
            memo_bomb = memo_bomb.binget(level - 1);
        }
        memo_bomb = memo_bomb.op(b'l').binput(level);
    }
    samples.push(("m51_memo_bomb.pkl", memo_bomb.stop().bytes()));
    let mut dup_bomb = Pickle::new().proto(2).op(b']').binput(0);
    for level in 1..=12u8 {
        dup_bomb = dup_bomb.mark().binget(level - 1);
        for _ in 0..9 {
            dup_bomb = dup_bomb.op(b'2');
        }
        dup_bomb = dup_bomb.op(b'l').binput(level);
    }
    samples.push(("m52_dup_bomb.pkl", dup_bomb.stop().bytes()));
    // a = []; b = [a]; a.append(b)
    samples.push((
        "m53_cycle.pkl",
        Pickle::new()
            .proto(2)
            .op(b']')
            .binput(0)
            .op(b']')
            .binput(1)
            .binget(0)
            .op(b'a')
            .op(b'a')
            .stop()
            .bytes(),
    ));
    // Published code-execution gadgets outside the usual deny lists.
    let gadgets: [(&'static str, &str, &str); 17] = [
        ("m54_gadget_uuid.pkl", "uuid", "_get_command_stdout"),
        ("m55_gadget_osx_support.pkl", "_osx_support", "_read_output"),
        (
            "m56_gadget_aix_support.pkl",
            "_aix_support",
            "_read_cmd_output",
        ),
        ("m57_gadget_pyrepl_pager.pkl", "_pyrepl.pager", "pipe_pager"),
        (
            "m58_gadget_script_helper.pkl",
            "test.support.script_helper",
            "assert_python_ok",
        ),
        (
            "m59_gadget_collect_env.pkl",
            "torch.utils.collect_env",
            "run",
        ),
        (
            "m60_gadget_inductor_codecache.pkl",
            "torch._inductor.codecache",
            "compile_file",
        ),
        (
            "m61_gadget_bottleneck.pkl",
            "torch.utils.bottleneck.__main__",
            "run_cprofile",
        ),
        (
            "m62_gadget_dynamo.pkl",
            "torch._dynamo.eval_frame",
            "optimize",
        ),
        (
            "m63_gadget_fx.pkl",
            "torch.fx.graph_module",
            "reduce_graph_module",
        ),
        ("m64_gadget_torch_compile.pkl", "torch", "compile"),
        (
            "m65_gadget_lib2to3_driver.pkl",
            "lib2to3.pgen2.driver",
            "load_grammar",
        ),
        (
            "m66_gadget_lib2to3_pgen.pkl",
            "lib2to3.pgen2.pgen",
            "generate_grammar",
        ),
        ("m67_gadget_nntplib.pkl", "nntplib", "NNTP"),
        ("m68_gadget_interpreters.pkl", "_interpreters", "create"),
        (
            "m69_gadget_fickling_hook.pkl",
            "fickling.hook",
            "remove_hook",
        ),
        ("m70_gadget_pydoc_pipepager.pkl", "pydoc", "pipepager"),
    ];
    for (name, module, function) in gadgets {
        samples.push((name, call_pickle(module, function)));
    }
    samples
}

/// The benign files issue 11 reported as flagged, and their neighbours.
fn issue11_benign(state_dict: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let torchscript = zip(
        &[
            Member::stored("vad/data.pkl", &torchscript_data_pickle()),
            Member::stored("vad/constants.pkl", state_dict),
            Member::stored(
                "vad/code/__torch__/vad/model.py",
                b"class VADRNNJITMerge(Module):\n  pass\n",
            ),
            Member::stored("vad/version", b"3\n"),
        ],
        true,
    );
    let raw = weight_bytes(48);
    let dict_of_arrays = {
        let mut p = Pickle::new()
            .proto(2)
            .empty_dict()
            .mark()
            .short_unicode("w");
        p = joblib_array(p, "f8", &[2, 3], &raw);
        p = p.short_unicode("b");
        p = joblib_array(p, "i4", &[4], &raw[..16]);
        p.op(b'u').stop().bytes()
    };
    // Protocol 4: the wrapper closes its frame, the array bytes follow
    // outside any frame, then a new frame goes on.
    let framed = {
        let array = weight_bytes(16);
        let wrapped = joblib_array(Pickle::new(), "f8", &[2], &array).bytes();
        let (wrapper_ops, array_region) = wrapped.split_at(wrapped.len() - (4 + array.len()));
        let head = Pickle::new()
            .empty_dict()
            .mark()
            .short_unicode("w")
            .raw(wrapper_ops)
            .bytes();
        let tail = Pickle::new().op(b'u').stop().bytes();
        Pickle::new()
            .proto(4)
            .frame(head.len() as u64)
            .raw(&head)
            .raw(array_region)
            .frame(tail.len() as u64)
            .raw(&tail)
            .bytes()
    };
    let estimator = |module: &str, class: &str| {
        Pickle::new()
            .proto(2)
            .global("copyreg", "_reconstructor")
            .mark()
            .global(module, class)
            .global("builtins", "object")
            .none()
            .tuple()
            .reduce()
            .empty_dict()
            .build()
            .stop()
            .bytes()
    };
    let pt2 = zip(
        &[
            Member::stored("model/archive_format", b"pt2"),
            Member::stored("model/models/model.json", b"{}"),
            Member::stored(
                "model/data/sample_inputs/model.pt",
                &torch_zip(state_dict, &[]),
            ),
            Member::stored("model/data/weights/model.pt", &torch_zip(state_dict, &[])),
        ],
        true,
    );
    let mut samples: Vec<(&'static str, Vec<u8>)> = vec![
        ("b13_torchscript.pt", torchscript),
        ("b14_joblib_dict_of_arrays.joblib", dict_of_arrays.clone()),
        ("b15_joblib_protocol4_framed.joblib", framed),
    ];
    let compressed: [(&str, &'static str); 6] = [
        ("zlib", "b16_joblib_arrays.zlib.joblib"),
        ("gzip", "b17_joblib_arrays.gz.joblib"),
        ("bz2", "b18_joblib_arrays.bz2.joblib"),
        ("xz", "b19_joblib_arrays.xz.joblib"),
        ("lzma", "b20_joblib_arrays.lzma.joblib"),
        ("lz4", "b21_joblib_arrays.lz4.joblib"),
    ];
    for (kind, name) in compressed {
        samples.push((name, compress(kind, &dict_of_arrays)));
    }
    samples.extend([
        (
            "b22_sklearn_logistic.pkl",
            estimator("sklearn.linear_model._logistic", "LogisticRegression"),
        ),
        (
            "b23_xgboost_classifier.pkl",
            estimator("xgboost.sklearn", "XGBClassifier"),
        ),
        (
            "b24_collections_abc_iterable.pkl",
            estimator("collections.abc", "Iterable"),
        ),
        ("b25_exported.pt2", pt2),
        (
            "b26_cfg_if_lib.rs",
            b"cfg_if! {\n    if #[cfg(unix)] { mod unix; }\n}\n".to_vec(),
        ),
        ("b27_state_dict.7z", seven_zip(&[("model.pkl", state_dict)])),
        (
            "b28_table.csv.gz",
            compress("gzip", b"name,value\nalpha,1\nbeta,2\n"),
        ),
        (
            "b29_models.tar",
            tar(&[("models/model.pt", &torch_zip(state_dict, &[]))]),
        ),
    ]);
    samples
}

/// 10 GiB of f8: 128^4 * 5 elements.
const BIG_SHAPE: [u8; 5] = [128, 128, 128, 128, 5];
const BIG_ARRAY_BYTES: u64 = 128 * 128 * 128 * 128 * 5 * 8;

/// Writes the joblib dumps with a 10 GiB array as sparse files: the
/// opcodes before the array, a hole the size of the array, the opcodes
/// after it.
fn write_big_joblib_dumps(dir: &Path) {
    fs::create_dir_all(dir).expect("create big dir");
    for (name, after) in [
        ("b_big_10gib_array.joblib", None),
        (
            "m_big_payload_after_10gib_array.joblib",
            Some(Pickle::new().call("os", "system", INERT)),
        ),
    ] {
        let whole = joblib_dump(&BIG_SHAPE, &[], after);
        // joblib_dump put nothing where the array goes: split there.
        let head = joblib_dump(&BIG_SHAPE, &[], None);
        let split = head.len() - 2; // before SETITEMS and STOP
        let (before, rest) = whole.split_at(split);
        let mut file = fs::File::create(dir.join(name)).expect("create big file");
        file.write_all(before).expect("write head");
        file.seek(SeekFrom::Current(BIG_ARRAY_BYTES as i64))
            .expect("seek past the array");
        file.write_all(rest).expect("write tail");
        println!("wrote sparse {}", dir.join(name).display());
    }
}

//! Writes the benchmark corpus: hostile samples (`m*`) and benign ones
//! (`b*`), built byte by byte with the same builders as the tests.
//!
//! Usage: `cargo run --example models_corpus -- OUTPUT_DIR`

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
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
    let out = std::env::args()
        .nth(1)
        .expect("usage: models_corpus OUTPUT_DIR");
    let out = Path::new(&out);
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
    for (name, bytes) in samples.drain(..) {
        fs::write(out.join(name), bytes).expect("write sample");
    }
    println!("wrote corpus to {}", out.display());
}

//! Builders for hostile and benign model files, assembled byte by byte.
#![allow(dead_code)]

use std::io::Write;

use cordon_models::{Limits, ModelScan, Severity};

pub fn scan(path: &str, bytes: &[u8]) -> ModelScan {
    cordon_models::scan(path, &bytes, &Limits::default())
        .unwrap_or_else(|| panic!("{path} was not recognised as a model"))
}

/// A marker path per test: payload commands name it, nothing runs them,
/// and [`assert_no_marker`] fails the test if it ever appears.
pub fn marker(test: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "cordon-models-marker-{test}-{}",
        std::process::id()
    ))
}

/// A shell command that would create `marker`.
pub fn touch(marker: &std::path::Path) -> String {
    format!("touch {}", marker.display())
}

pub fn assert_no_marker(path: &std::path::Path) {
    assert!(!path.exists(), "marker {path:?} appeared: a payload ran");
}

pub fn rule_ids(scan: &ModelScan) -> Vec<&str> {
    scan.findings.iter().map(|f| f.rule_id.as_str()).collect()
}

pub fn has(scan: &ModelScan, rule: &str, subject_part: &str) -> bool {
    scan.findings.iter().any(|f| {
        f.rule_id == rule && (f.subject.contains(subject_part) || f.message.contains(subject_part))
    })
}

pub fn assert_clean(scan: &ModelScan) {
    assert!(
        scan.findings.is_empty(),
        "expected clean, got {:#?}",
        scan.findings
    );
}

pub fn assert_not_clean(scan: &ModelScan) {
    assert!(
        scan.max_severity() >= Some(Severity::Medium),
        "expected at least a medium finding, got {:#?}",
        scan.findings
    );
}

/// Pickle opcodes, appended one at a time.
#[derive(Default, Clone)]
pub struct Pickle(pub Vec<u8>);

impl Pickle {
    pub fn new() -> Self {
        Pickle(Vec::new())
    }
    pub fn proto(mut self, version: u8) -> Self {
        self.0.extend([0x80, version]);
        self
    }
    pub fn op(mut self, op: u8) -> Self {
        self.0.push(op);
        self
    }
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    pub fn global(mut self, module: &str, name: &str) -> Self {
        self.0.push(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self
    }
    pub fn inst(mut self, module: &str, name: &str) -> Self {
        self.0.push(b'i');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
        self
    }
    pub fn short_unicode(mut self, text: &str) -> Self {
        self.0.push(0x8c);
        self.0.push(text.len() as u8);
        self.0.extend_from_slice(text.as_bytes());
        self
    }
    pub fn binunicode(mut self, text: &str) -> Self {
        self.0.push(b'X');
        self.0.extend_from_slice(&(text.len() as u32).to_le_bytes());
        self.0.extend_from_slice(text.as_bytes());
        self
    }
    pub fn string0(mut self, text: &str) -> Self {
        self.0.push(b'S');
        self.0.extend_from_slice(format!("'{text}'\n").as_bytes());
        self
    }
    pub fn binint1(self, value: u8) -> Self {
        self.op(b'K').raw(&[value])
    }
    pub fn mark(self) -> Self {
        self.op(b'(')
    }
    pub fn tuple(self) -> Self {
        self.op(b't')
    }
    pub fn tuple1(self) -> Self {
        self.op(0x85)
    }
    pub fn tuple2(self) -> Self {
        self.op(0x86)
    }
    pub fn empty_tuple(self) -> Self {
        self.op(b')')
    }
    pub fn empty_dict(self) -> Self {
        self.op(b'}')
    }
    pub fn reduce(self) -> Self {
        self.op(b'R')
    }
    pub fn build(self) -> Self {
        self.op(b'b')
    }
    pub fn pop(self) -> Self {
        self.op(b'0')
    }
    pub fn none(self) -> Self {
        self.op(b'N')
    }
    pub fn stack_global(self) -> Self {
        self.op(0x93)
    }
    pub fn memoize(self) -> Self {
        self.op(0x94)
    }
    pub fn binput(self, index: u8) -> Self {
        self.op(b'q').raw(&[index])
    }
    pub fn binget(self, index: u8) -> Self {
        self.op(b'h').raw(&[index])
    }
    pub fn long_binput(self, index: u32) -> Self {
        self.op(b'r').raw(&index.to_le_bytes())
    }
    pub fn long_binget(self, index: u32) -> Self {
        self.op(b'j').raw(&index.to_le_bytes())
    }
    pub fn put(self, index: u32) -> Self {
        self.op(b'p').raw(format!("{index}\n").as_bytes())
    }
    pub fn get(self, index: u32) -> Self {
        self.op(b'g').raw(format!("{index}\n").as_bytes())
    }
    pub fn frame(self, len: u64) -> Self {
        self.op(0x95).raw(&len.to_le_bytes())
    }
    pub fn stop(self) -> Self {
        self.op(b'.')
    }
    pub fn bytes(&self) -> Vec<u8> {
        self.0.clone()
    }

    /// `module.name(arg)` through GLOBAL + REDUCE, result left on the stack.
    pub fn call(self, module: &str, name: &str, arg: &str) -> Self {
        self.global(module, name)
            .mark()
            .binunicode(arg)
            .tuple()
            .reduce()
    }
}

/// A pickle like `torch.save(model.state_dict())` writes into `data.pkl`:
/// an OrderedDict of tensors rebuilt from persistent storages.
pub fn torch_state_dict_pickle() -> Vec<u8> {
    let mut p = Pickle::new()
        .proto(2)
        .global("collections", "OrderedDict")
        .empty_tuple()
        .reduce()
        .binput(0);
    for (i, name) in ["fc.weight", "fc.bias"].iter().enumerate() {
        p = p
            .binunicode(name)
            .binput(1)
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            // persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
            .mark()
            .binunicode("storage")
            .global("torch", "FloatStorage")
            .binunicode(&i.to_string())
            .binunicode("cpu")
            .binint1(6)
            .tuple()
            .op(b'Q')
            .binint1(0)
            .binint1(2)
            .binint1(3)
            .tuple2()
            .binint1(3)
            .binint1(1)
            .tuple2()
            .op(0x89)
            .global("collections", "OrderedDict")
            .empty_tuple()
            .reduce()
            .tuple()
            .reduce()
            .op(b's');
    }
    // OrderedDict's _metadata attribute set through BUILD.
    p.empty_dict().build().stop().bytes()
}

pub fn malicious_pickle(module: &str, name: &str) -> Vec<u8> {
    Pickle::new()
        .proto(2)
        .call(module, name, "id")
        .stop()
        .bytes()
}

/// One zip member and how to tamper with it.
#[derive(Clone)]
pub struct Member {
    pub name: String,
    pub data: Vec<u8>,
    pub deflate: bool,
    pub local_name: Option<String>,
    pub crc: Option<u32>,
    pub flags: u16,
}

impl Member {
    pub fn stored(name: &str, data: &[u8]) -> Self {
        Member {
            name: name.into(),
            data: data.to_vec(),
            deflate: false,
            local_name: None,
            crc: None,
            flags: 0,
        }
    }
    pub fn deflated(name: &str, data: &[u8]) -> Self {
        Member {
            deflate: true,
            ..Member::stored(name, data)
        }
    }
}

/// A zip archive with optional tampering; `central` false leaves out the
/// central directory and end record.
pub fn zip(members: &[Member], central: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let payload = if m.deflate {
            miniz_oxide::deflate::compress_to_vec(&m.data, 6)
        } else {
            m.data.clone()
        };
        let crc = m.crc.unwrap_or_else(|| crc32fast::hash(&m.data));
        let method: u16 = if m.deflate { 8 } else { 0 };
        let local_name = m.local_name.clone().unwrap_or_else(|| m.name.clone());
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&m.flags.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(local_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(local_name.as_bytes());
        out.extend_from_slice(&payload);
        directory.extend_from_slice(b"PK\x01\x02");
        directory.extend_from_slice(&20u16.to_le_bytes());
        directory.extend_from_slice(&20u16.to_le_bytes());
        directory.extend_from_slice(&m.flags.to_le_bytes());
        directory.extend_from_slice(&method.to_le_bytes());
        directory.extend_from_slice(&[0; 4]);
        directory.extend_from_slice(&crc.to_le_bytes());
        directory.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        directory.extend_from_slice(&(m.data.len() as u32).to_le_bytes());
        directory.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
        directory.extend_from_slice(&[0; 12]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(m.name.as_bytes());
    }
    if central {
        let directory_offset = out.len() as u32;
        out.extend_from_slice(&directory);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
        out.extend_from_slice(&directory_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
    }
    out
}

/// The members `torch.save` writes, with `data.pkl` given.
pub fn torch_zip(data_pkl: &[u8], extra: &[Member]) -> Vec<u8> {
    let mut members = vec![
        Member::stored("archive/data.pkl", data_pkl),
        Member::stored("archive/byteorder", b"little"),
        Member::stored(
            "archive/data/0",
            &[
                0x80, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        ),
        Member::stored("archive/data/1", &[0u8; 12]),
        Member::stored("archive/version", b"3\n"),
        Member::stored("archive/.data/serialization_id", b"1234567890"),
    ];
    members.extend_from_slice(extra);
    zip(&members, true)
}

/// A ustar archive of regular files.
pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in members {
        let mut header = [0u8; 512];
        header[..name.len()].copy_from_slice(name.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[108..115].copy_from_slice(b"0000000");
        header[116..123].copy_from_slice(b"0000000");
        header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        header[136..147].copy_from_slice(b"00000000000");
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

pub fn safetensors(header: &str, data_len: usize) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

/// GGUF v3 writer.
#[derive(Default)]
pub struct Gguf {
    kv: Vec<u8>,
    kv_count: u64,
    tensors: Vec<u8>,
    tensor_count: u64,
    pub data_len: usize,
}

fn gguf_string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

impl Gguf {
    pub fn string(mut self, key: &str, value: &str) -> Self {
        gguf_string(&mut self.kv, key);
        self.kv.extend_from_slice(&8u32.to_le_bytes());
        gguf_string(&mut self.kv, value);
        self.kv_count += 1;
        self
    }
    pub fn u32(mut self, key: &str, value: u32) -> Self {
        gguf_string(&mut self.kv, key);
        self.kv.extend_from_slice(&4u32.to_le_bytes());
        self.kv.extend_from_slice(&value.to_le_bytes());
        self.kv_count += 1;
        self
    }
    pub fn string_array(mut self, key: &str, values: &[&str]) -> Self {
        gguf_string(&mut self.kv, key);
        self.kv.extend_from_slice(&9u32.to_le_bytes());
        self.kv.extend_from_slice(&8u32.to_le_bytes());
        self.kv
            .extend_from_slice(&(values.len() as u64).to_le_bytes());
        for v in values {
            gguf_string(&mut self.kv, v);
        }
        self.kv_count += 1;
        self
    }
    pub fn raw_kv(mut self, key: &str, kind: u32, value: &[u8]) -> Self {
        gguf_string(&mut self.kv, key);
        self.kv.extend_from_slice(&kind.to_le_bytes());
        self.kv.extend_from_slice(value);
        self.kv_count += 1;
        self
    }
    pub fn tensor(mut self, name: &str, dims: &[u64], kind: u32, offset: u64) -> Self {
        gguf_string(&mut self.tensors, name);
        self.tensors
            .extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            self.tensors.extend_from_slice(&d.to_le_bytes());
        }
        self.tensors.extend_from_slice(&kind.to_le_bytes());
        self.tensors.extend_from_slice(&offset.to_le_bytes());
        self.tensor_count += 1;
        self
    }
    /// Header only (no alignment padding, no data).
    pub fn header(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&self.tensor_count.to_le_bytes());
        out.extend_from_slice(&self.kv_count.to_le_bytes());
        out.extend_from_slice(&self.kv);
        out.extend_from_slice(&self.tensors);
        out
    }
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        out.resize(out.len().div_ceil(32) * 32, 0);
        out.resize(out.len() + self.data_len, 0);
        out
    }
}

/// Protobuf encoding helpers.
pub fn varint(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub fn pb_varint(field: u32, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(field) << 3, &mut out);
    varint(value, &mut out);
    out
}

pub fn pb_bytes(field: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint((u64::from(field) << 3) | 2, &mut out);
    varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// HDF5 file (superblock v2, v1 root object header) whose root group has
/// one string attribute; `variable` stores it in a global heap like h5py
/// does for `str` values, otherwise as a fixed-length string.
pub fn hdf5_with_attribute(name: &str, value: &[u8], variable: bool) -> Vec<u8> {
    const ROOT: u64 = 48;
    let mut name_bytes = name.as_bytes().to_vec();
    name_bytes.push(0);
    let pad8 = |v: &mut Vec<u8>| v.resize(v.len().div_ceil(8) * 8, 0);
    let datatype: Vec<u8> = if variable {
        let mut t = vec![0x19, 0x01, 0x00, 0x00];
        t.extend_from_slice(&16u32.to_le_bytes());
        t.extend_from_slice(&[0x13, 0, 0, 0]);
        t.extend_from_slice(&1u32.to_le_bytes());
        t
    } else {
        let mut t = vec![0x13, 0, 0, 0];
        t.extend_from_slice(&(value.len() as u32).to_le_bytes());
        t
    };
    let dataspace = vec![1u8, 0, 0, 0, 0, 0, 0, 0];
    let mut attribute = vec![1u8, 0];
    attribute.extend_from_slice(&(name_bytes.len() as u16).to_le_bytes());
    attribute.extend_from_slice(&(datatype.len() as u16).to_le_bytes());
    attribute.extend_from_slice(&(dataspace.len() as u16).to_le_bytes());
    let mut n = name_bytes.clone();
    pad8(&mut n);
    attribute.extend_from_slice(&n);
    let mut t = datatype.clone();
    pad8(&mut t);
    attribute.extend_from_slice(&t);
    attribute.extend_from_slice(&dataspace);
    // The global heap goes right after the object header; its address is
    // known once the header size is.
    let value_len = if variable { 16 } else { value.len() };
    let attribute_len = (attribute.len() + value_len).div_ceil(8) * 8;
    let header_size = 8 + attribute_len;
    let heap_address = ROOT + 16 + header_size as u64;
    if variable {
        attribute.extend_from_slice(&(value.len() as u32).to_le_bytes());
        attribute.extend_from_slice(&heap_address.to_le_bytes());
        attribute.extend_from_slice(&1u32.to_le_bytes());
    } else {
        attribute.extend_from_slice(value);
    }
    pad8(&mut attribute);
    let mut out = Vec::new();
    out.extend_from_slice(b"\x89HDF\r\n\x1a\n");
    out.extend_from_slice(&[2, 8, 8, 0]);
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&ROOT.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    assert_eq!(out.len() as u64, ROOT);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(header_size as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&0x0cu16.to_le_bytes());
    out.extend_from_slice(&(attribute.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&attribute);
    if variable {
        assert_eq!(out.len() as u64, heap_address);
        let mut object = value.to_vec();
        pad8(&mut object);
        let size = 16 + 16 + object.len() + 16;
        out.extend_from_slice(b"GCOL\x01\0\0\0");
        out.extend_from_slice(&(size as u64).to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(&object);
        out.extend_from_slice(&[0; 16]);
    }
    out
}

/// The pickle joblib writes for one array wrapper (state as joblib >= 1.2
/// writes it), followed by the alignment padding and the raw bytes.
pub fn joblib_array(p: Pickle, dtype: &str, shape: &[u8], raw: &[u8]) -> Pickle {
    let mut p = p
        .global("joblib.numpy_pickle", "NumpyArrayWrapper")
        .empty_tuple()
        .op(0x81)
        .empty_dict()
        .mark()
        .short_unicode("subclass")
        .global("numpy", "ndarray")
        .short_unicode("shape")
        .mark();
    for &dim in shape {
        p = p.binint1(dim);
    }
    p = p
        .tuple()
        .short_unicode("order")
        .short_unicode("C")
        .short_unicode("dtype")
        .global("numpy", "dtype")
        .short_unicode(dtype)
        .op(0x89)
        .op(0x88)
        .op(0x87)
        .reduce()
        .mark()
        .binint1(3)
        .short_unicode("<")
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
        .short_unicode("allow_mmap")
        .op(0x88)
        .short_unicode("numpy_array_alignment_bytes")
        .binint1(16)
        .op(b'u')
        .build();
    // padding-length byte, padding, then the data
    p = p.raw(&[3, 0xff, 0xff, 0xff]);
    p.raw(raw)
}

/// `torch.jit.save` writes the module as `__torch__` classes and its int
/// lists through `torch.jit._pickle.build_intlist`.
pub fn torchscript_data_pickle() -> Vec<u8> {
    Pickle::new()
        .proto(2)
        .global("__torch__.vad.model", "VADRNNJITMerge")
        .empty_tuple()
        .op(0x81)
        .mark()
        .binunicode("training")
        .op(0x89)
        .binunicode("sizes")
        .global("torch.jit._pickle", "build_intlist")
        .mark()
        .mark()
        .binint1(1)
        .binint1(64)
        .op(b'l')
        .tuple()
        .reduce()
        .op(b'd')
        .build()
        .stop()
        .bytes()
}

/// A 7z archive of `entries` (LZMA2, as the 7z tool writes by default).
pub fn seven_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in entries {
        writer
            .push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(*data))
            .unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A joblib-style dump: compressed bytes of a pickle.
pub fn compress(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "zlib" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(3));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(3));
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "xz" => {
            let mut e =
                lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(3))
                    .unwrap();
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "lzma" => {
            let mut e = lzma_rust2::LzmaWriter::new_use_header(
                Vec::new(),
                &lzma_rust2::LzmaOptions::with_preset(3),
                None,
            )
            .unwrap();
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "lz4" => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        other => panic!("no encoder {other}"),
    }
}

/// Every compression joblib (and `compress`) knows.
pub const KINDS: &[&str] = &["zlib", "gzip", "bz2", "xz", "lzma", "lz4"];

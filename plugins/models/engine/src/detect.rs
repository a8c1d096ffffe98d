//! Format detection by content. Extensions never decide a format; they
//! only decide whether an unrecognisable file should have been a model
//! (and is then reported instead of skipped).

use crate::Limits;
use crate::compressed::{self, Compression};
use crate::gguf;
use crate::hdf5;
use crate::npy;
use crate::onnx;
use crate::pickle;
use crate::safetensors;
use crate::savedmodel;
use crate::sevenz;
use crate::source::{ByteSource, SourceError};
use crate::tar;
use crate::zip;

/// What the content of a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Pickle,
    Zip,
    Tar,
    Npy,
    /// HDF5 with its superblock at this offset.
    Hdf5(u64),
    SavedModel,
    Safetensors,
    Gguf,
    Onnx,
    /// A 7z archive.
    SevenZip,
    /// A compressed stream (joblib's compressed dumps, `model.pkl.gz`)
    /// whose content, once decompressed, is a model or is named like one.
    Compressed(Compression),
    /// Named like a model, but matching no model format.
    Unrecognised,
}

/// Extensions that only model files use: content that matches no format
/// behind one of these is reported as malformed rather than skipped.
const MODEL_EXTENSIONS: &[&str] = &[
    "pt",
    "pth",
    "ckpt",
    "pkl",
    "pickle",
    "joblib",
    "dill",
    "safetensors",
    "gguf",
    "onnx",
    "keras",
    "h5",
    "hdf5",
    "npy",
    "npz",
];
/// Output decompressed to see what a compressed file holds.
const TRIAL_DECOMPRESS: u64 = 64 * 1024;
/// Compressed layers looked through during detection (a gzip quine
/// decompresses to itself).
const MAX_TRIAL_LAYERS: usize = 3;
/// Protocol-0/1 pickles have no header; files up to this size that parse
/// completely as a pickle are treated as one.
const MAX_TRIAL_PICKLE: u64 = 16 << 20;

fn extension(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether the file name claims a model format.
pub fn is_model_named(path: &str) -> bool {
    MODEL_EXTENSIONS.contains(&extension(path).as_str())
}

fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// First bytes of every protocol-0/1 pickle that ends in a result: a mark,
/// a value, an empty container or a global.
fn could_start_old_pickle(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b'c'
            | b'}'
            | b']'
            | b')'
            | b'N'
            | b'I'
            | b'L'
            | b'F'
            | b'S'
            | b'V'
            | b'J'
            | b'K'
            | b'M'
            | b'U'
            | b'T'
            | b'X'
            | b'G'
            | b'B'
            | b'C'
    )
}

pub fn detect(
    path: &str,
    source: &dyn ByteSource,
    limits: &Limits,
) -> Result<Option<Detected>, SourceError> {
    detect_layer(path, source, limits, 0)
}

fn detect_layer(
    path: &str,
    source: &dyn ByteSource,
    limits: &Limits,
    layer: usize,
) -> Result<Option<Detected>, SourceError> {
    let head = source.read_at(0, 1024)?;
    if head.starts_with(gguf::MAGIC) {
        return Ok(Some(Detected::Gguf));
    }
    if head.starts_with(npy::MAGIC) {
        return Ok(Some(Detected::Npy));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Some(Detected::Zip));
    }
    if head.starts_with(hdf5::SIGNATURE) {
        return Ok(Some(Detected::Hdf5(0)));
    }
    if head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]) {
        return Ok(Some(Detected::Pickle));
    }
    if safetensors::looks_like_safetensors(source)? {
        return Ok(Some(Detected::Safetensors));
    }
    if tar::looks_like_tar(&head) {
        return Ok(Some(Detected::Tar));
    }
    if basename(path) == "saved_model.pb" {
        return Ok(Some(Detected::SavedModel));
    }
    // Both protobufs open with field 1 as a varint (tag byte 0x08).
    if head.first() == Some(&0x08) {
        if savedmodel::looks_like_saved_model(source) {
            return Ok(Some(Detected::SavedModel));
        }
        if onnx::looks_like_onnx(source) {
            return Ok(Some(Detected::Onnx));
        }
    }
    if head.starts_with(sevenz::MAGIC) {
        return Ok(Some(Detected::SevenZip));
    }
    if let Some(kind) = compressed::sniff(&head)
        && layer < MAX_TRIAL_LAYERS
    {
        // A compressed file is a model if what it decompresses to is one
        // by content, or if it or its inner name is named like one.
        let inner = compressed::inner_name(path);
        let trial = compressed::decompress(kind, source, TRIAL_DECOMPRESS);
        let inner_is_model = !trial.bytes.is_empty()
            && matches!(
                detect_layer(&inner, &trial.bytes, limits, layer + 1)?,
                Some(found) if found != Detected::Unrecognised
            );
        if inner_is_model || is_model_named(path) || is_model_named(&inner) {
            return Ok(Some(Detected::Compressed(kind)));
        }
    }
    if let Some(superblock) = hdf5::find_superblock(source)? {
        return Ok(Some(Detected::Hdf5(superblock)));
    }
    if zip::looks_like_zip(source)? {
        return Ok(Some(Detected::Zip));
    }
    let ext = extension(path);
    // Name and content agree on safetensors (a JSON object right after the
    // length) but the header is broken: analyse it so the problem is named.
    if ext == "safetensors" && head.len() >= 10 && head[8] == b'{' && head[9] == b'"' {
        return Ok(Some(Detected::Safetensors));
    }
    let model_named = MODEL_EXTENSIONS.contains(&ext.as_str());
    if head.first().is_some_and(|&b| could_start_old_pickle(b)) {
        // Named like a model, a header-less pickle still has to parse, or
        // import something before it breaks: a text file behind a model
        // name stays a low "named like a model" candidate.
        if model_named
            && (source.len() > MAX_TRIAL_PICKLE || pickle::looks_like_pickle(source, limits, true))
        {
            return Ok(Some(Detected::Pickle));
        }
        // `.bin` is also firmware and data: a pickle only if it parses, or
        // imports something before it breaks.
        if source.len() <= MAX_TRIAL_PICKLE
            && pickle::looks_like_pickle(source, limits, ext == "bin")
        {
            return Ok(Some(Detected::Pickle));
        }
    }
    Ok(model_named.then_some(Detected::Unrecognised))
}

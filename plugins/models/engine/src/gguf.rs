//! GGUF metadata: key/value pairs and tensor descriptors, read from the
//! header only (tensor data is never touched), then checked for
//! consistency and for chat templates that reach for Python internals.

use std::collections::BTreeSet;

use crate::Limits;
use crate::cursor::{Cursor, CursorError};
use crate::finding::{ModelFinding, Severity, printable};
use crate::inventory::ModelMetadata;
use crate::rules;
use crate::source::ByteSource;
use crate::template;

pub const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// llama.cpp's GGML_MAX_DIMS.
const MAX_DIMS: u32 = 4;
const MAX_ARRAY_DEPTH: usize = 4;
const KEPT_VALUE_CHARS: usize = 200;

enum Value {
    Uint(u64),
    Int(i64),
    Text(String),
    Other,
}

struct Reader<'a> {
    cursor: Cursor<'a>,
    big_endian: bool,
    /// Version 1 used 32-bit counts and lengths.
    wide: bool,
    max_string: u64,
}

enum Stop {
    Invalid { offset: u64, what: String },
    Cursor(CursorError),
}

impl From<CursorError> for Stop {
    fn from(err: CursorError) -> Self {
        Stop::Cursor(err)
    }
}

impl Reader<'_> {
    fn u32(&mut self) -> Result<u32, Stop> {
        let bytes = self.cursor.array::<4>()?;
        Ok(if self.big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        })
    }

    fn u64(&mut self) -> Result<u64, Stop> {
        let bytes = self.cursor.array::<8>()?;
        Ok(if self.big_endian {
            u64::from_be_bytes(bytes)
        } else {
            u64::from_le_bytes(bytes)
        })
    }

    fn count(&mut self) -> Result<u64, Stop> {
        if self.wide {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    /// A length-prefixed string, kept whole up to `keep` bytes.
    fn string(&mut self, keep: u64) -> Result<String, Stop> {
        let offset = self.cursor.pos();
        let len = self.count()?;
        if len > self.max_string {
            return Err(Stop::Invalid {
                offset,
                what: format!(
                    "string of {len} bytes at offset {offset} exceeds the {}-byte limit",
                    self.max_string
                ),
            });
        }
        let kept = len.min(keep);
        let bytes = self.cursor.take(kept as usize)?;
        self.cursor.skip(len - kept)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn value(&mut self, kind: u32, keep: u64, depth: usize) -> Result<Value, Stop> {
        let offset = self.cursor.pos();
        Ok(match kind {
            0 => Value::Uint(self.cursor.u8()?.into()),
            1 => Value::Int(i64::from(self.cursor.u8()? as i8)),
            2 | 3 => {
                let bytes = self.cursor.array::<2>()?;
                let raw = if self.big_endian {
                    u16::from_be_bytes(bytes)
                } else {
                    u16::from_le_bytes(bytes)
                };
                if kind == 2 {
                    Value::Uint(raw.into())
                } else {
                    Value::Int(i64::from(raw as i16))
                }
            }
            4 => Value::Uint(self.u32()?.into()),
            5 => Value::Int(i64::from(self.u32()? as i32)),
            6 => {
                self.u32()?;
                Value::Other
            }
            7 => {
                let b = self.cursor.u8()?;
                if b > 1 {
                    return Err(Stop::Invalid {
                        offset,
                        what: format!("boolean with value {b} at offset {offset}"),
                    });
                }
                Value::Other
            }
            8 => Value::Text(self.string(keep)?),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(Stop::Invalid {
                        offset,
                        what: format!(
                            "arrays nested deeper than {MAX_ARRAY_DEPTH} at offset {offset}"
                        ),
                    });
                }
                let element = self.u32()?;
                let len = self.count()?;
                let fixed = match element {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                match fixed {
                    Some(width) => {
                        let bytes = len.checked_mul(width).ok_or(Stop::Invalid {
                            offset,
                            what: format!("array length {len} at offset {offset} overflows"),
                        })?;
                        self.cursor.skip(bytes)?;
                    }
                    None => {
                        if len > self.cursor.remaining() {
                            return Err(Stop::Invalid {
                                offset,
                                what: format!(
                                    "array of {len} elements at offset {offset} cannot fit in the file"
                                ),
                            });
                        }
                        for _ in 0..len {
                            self.value(element, 0, depth + 1)?;
                        }
                    }
                }
                Value::Other
            }
            10 => Value::Uint(self.u64()?),
            11 => Value::Int(self.u64()? as i64),
            12 => {
                self.u64()?;
                Value::Other
            }
            other => {
                return Err(Stop::Invalid {
                    offset,
                    what: format!("unknown value type {other} at offset {offset}"),
                });
            }
        })
    }
}

/// (elements per block, bytes per block) of the ggml types whose layout is
/// fixed; other types are only bounds-checked by offset.
fn ggml_block(kind: u32) -> Option<(u64, u64)> {
    Some(match kind {
        0 => (1, 4),
        1 | 30 => (1, 2),
        2 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        9 => (32, 36),
        10 => (256, 84),
        11 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        15 => (256, 292),
        24 => (1, 1),
        25 => (1, 2),
        26 => (1, 4),
        27 | 28 => (1, 8),
        _ => return None,
    })
}

fn ggml_type_name(kind: u32) -> String {
    let name = match kind {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        6 => "Q5_0",
        7 => "Q5_1",
        8 => "Q8_0",
        9 => "Q8_1",
        10 => "Q2_K",
        11 => "Q3_K",
        12 => "Q4_K",
        13 => "Q5_K",
        14 => "Q6_K",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        30 => "BF16",
        34 => "TQ1_0",
        35 => "TQ2_0",
        39 => "MXFP4",
        other => return format!("type-{other}"),
    };
    name.to_string()
}

/// `general.file_type` as llama.cpp names it.
fn file_type_name(kind: u64) -> String {
    let name = match kind {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        other => return format!("file-type-{other}"),
    };
    name.to_string()
}

fn invalid(severity: Severity, subject: &str, offset: u64, message: String) -> ModelFinding {
    ModelFinding::new(
        rules::GGUF_INVALID,
        severity,
        subject,
        format!("gguf: {message}"),
    )
    .at(offset)
}

struct TensorInfo {
    name: String,
    offset: u64,
    bytes: Option<u64>,
}

pub fn analyse(
    source: &dyn ByteSource,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> ModelMetadata {
    let mut metadata = ModelMetadata::default();
    let header_end = source.len().min(limits.max_gguf_header_bytes);
    let mut reader = Reader {
        cursor: Cursor::new(source, 0, header_end),
        big_endian: false,
        wide: true,
        max_string: limits.max_gguf_string_bytes,
    };
    if let Err(stop) = read(&mut reader, source.len(), &mut metadata, findings) {
        let finding = match stop {
            Stop::Invalid { offset, what } => invalid(Severity::High, "invalid-header", offset, what),
            Stop::Cursor(CursorError::Truncated { offset, .. }) if header_end < source.len() => ModelFinding::new(
                rules::UNSCANNABLE,
                Severity::Medium,
                "gguf-header-size-limit",
                format!("gguf: metadata runs past the {}-byte scan limit", limits.max_gguf_header_bytes),
            )
            .at(offset),
            Stop::Cursor(CursorError::Truncated { offset, wanted }) => ModelFinding::new(
                rules::MALFORMED,
                Severity::Medium,
                "gguf-truncated",
                format!("gguf: header is truncated: a {wanted}-byte field at offset {offset} runs past the end of the file"),
            )
            .at(offset),
            Stop::Cursor(CursorError::Source(err)) => {
                ModelFinding::new(rules::UNSCANNABLE, Severity::Medium, "read-failed", format!("gguf: {err}")).at(err.offset)
            }
        };
        findings.push(finding);
    }
    metadata
}

fn read(
    reader: &mut Reader,
    file_size: u64,
    metadata: &mut ModelMetadata,
    findings: &mut Vec<ModelFinding>,
) -> Result<(), Stop> {
    let magic = reader.cursor.take(4)?;
    if magic.as_slice() != MAGIC {
        return Err(Stop::Invalid {
            offset: 0,
            what: "missing GGUF magic".into(),
        });
    }
    let raw_version = reader.cursor.array::<4>()?;
    let version = u32::from_le_bytes(raw_version);
    let swapped = u32::from_be_bytes(raw_version);
    let version = if (1..=3).contains(&version) {
        version
    } else if (1..=3).contains(&swapped) {
        reader.big_endian = true;
        swapped
    } else {
        return Err(Stop::Invalid {
            offset: 4,
            what: format!("unsupported GGUF version {version}"),
        });
    };
    reader.wide = version >= 2;
    metadata
        .properties
        .insert("gguf.version".into(), version.to_string());
    let tensor_count = reader.count()?;
    let kv_count = reader.count()?;
    // Every key/value takes at least 12 bytes and every tensor at least 24:
    // counts beyond that are lies that would make a loader allocate wildly.
    if kv_count > file_size / 12 || tensor_count > file_size / 24 {
        return Err(Stop::Invalid {
            offset: 8,
            what: format!(
                "declares {tensor_count} tensors and {kv_count} metadata keys, more than a {file_size}-byte file can hold"
            ),
        });
    }
    let mut alignment = DEFAULT_ALIGNMENT;
    let mut architecture: Option<String> = None;
    let mut context_lengths: Vec<(String, u64)> = Vec::new();
    let mut seen_keys = BTreeSet::new();
    for _ in 0..kv_count {
        let key_offset = reader.cursor.pos();
        let key = reader.string(65_536)?;
        let kind = reader.u32()?;
        let is_template =
            key == "tokenizer.chat_template" || key.starts_with("tokenizer.chat_template.");
        let keep = if is_template {
            reader.max_string
        } else {
            KEPT_VALUE_CHARS as u64
        };
        let value_offset = reader.cursor.pos();
        let value = reader.value(kind, keep, 0)?;
        if !seen_keys.insert(key.clone()) {
            findings.push(invalid(
                Severity::High,
                "duplicate-key",
                key_offset,
                format!(
                    "metadata key {:?} appears more than once",
                    printable(key.as_bytes(), 120)
                ),
            ));
        }
        match (key.as_str(), &value) {
            ("general.alignment", Value::Uint(a)) => {
                if *a == 0 || !a.is_power_of_two() || *a > 1 << 20 {
                    return Err(Stop::Invalid {
                        offset: value_offset,
                        what: format!("general.alignment {a} is not a sane power of two"),
                    });
                }
                alignment = *a;
            }
            ("general.architecture", Value::Text(text)) => {
                architecture = Some(printable(text.as_bytes(), 80))
            }
            ("general.name", Value::Text(text)) => {
                metadata.name = Some(printable(text.as_bytes(), KEPT_VALUE_CHARS))
            }
            ("general.file_type", Value::Uint(kind)) => {
                metadata.quantization = Some(file_type_name(*kind))
            }
            (key, Value::Uint(n)) if key.ends_with(".context_length") => {
                context_lengths.push((key.to_string(), *n));
            }
            (key, Value::Int(n)) if key.ends_with(".context_length") && *n >= 0 => {
                context_lengths.push((key.to_string(), *n as u64));
            }
            (key, Value::Text(text)) if is_template => {
                let prefix = if reader.wide { 8 } else { 4 };
                check_template(key, text, value_offset + prefix, findings);
            }
            (key, Value::Text(text))
                if key.starts_with("general.") && metadata.properties.len() < 64 =>
            {
                metadata.properties.insert(
                    printable(key.as_bytes(), 80),
                    printable(text.as_bytes(), KEPT_VALUE_CHARS),
                );
            }
            _ => {}
        }
    }
    if let Some(arch) = &architecture {
        metadata.context_length = context_lengths
            .iter()
            .find(|(key, _)| key == &format!("{arch}.context_length"))
            .map(|(_, n)| *n);
    }
    metadata.architecture = architecture;
    let mut tensors = Vec::new();
    let mut types = BTreeSet::new();
    let mut parameters: u64 = 0;
    for _ in 0..tensor_count {
        let info_offset = reader.cursor.pos();
        let name = reader.string(256)?;
        let dims = reader.u32()?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(Stop::Invalid {
                offset: info_offset,
                what: format!(
                    "tensor {:?} has {dims} dimensions (1..={MAX_DIMS} allowed)",
                    printable(name.as_bytes(), 120)
                ),
            });
        }
        let mut elements: Option<u64> = Some(1);
        for _ in 0..dims {
            let dim = reader.count()?;
            elements = elements.and_then(|e| e.checked_mul(dim));
        }
        let kind = reader.u32()?;
        let offset = reader.u64()?;
        types.insert(ggml_type_name(kind));
        let Some(elements) = elements else {
            return Err(Stop::Invalid {
                offset: info_offset,
                what: format!(
                    "tensor {:?} has dimensions whose product overflows",
                    printable(name.as_bytes(), 120)
                ),
            });
        };
        parameters = parameters.saturating_add(elements);
        let bytes = ggml_block(kind).and_then(|(block, size)| {
            (elements % block == 0)
                .then(|| (elements / block).checked_mul(size))
                .flatten()
        });
        if let Some((block, _)) = ggml_block(kind)
            && elements % block != 0
        {
            findings.push(invalid(
                Severity::High,
                "partial-block",
                info_offset,
                format!(
                    "tensor {:?} has {elements} elements, not a multiple of the {block}-element block of {}",
                    printable(name.as_bytes(), 120),
                    ggml_type_name(kind)
                ),
            ));
        }
        if offset % alignment != 0 {
            findings.push(invalid(
                Severity::Medium,
                "misaligned-tensor",
                info_offset,
                format!("tensor {:?} data offset {offset} is not a multiple of the alignment {alignment}", printable(name.as_bytes(), 120)),
            ));
        }
        tensors.push(TensorInfo {
            name,
            offset,
            bytes,
        });
    }
    let infos_end = reader.cursor.pos();
    let data_start = infos_end.div_ceil(alignment).saturating_mul(alignment);
    let data_len = file_size.saturating_sub(data_start);
    tensors.sort_by_key(|t| t.offset);
    let mut previous: Option<&TensorInfo> = None;
    for tensor in &tensors {
        let end = tensor.offset.saturating_add(tensor.bytes.unwrap_or(1));
        if end > data_len {
            findings.push(invalid(
                Severity::High,
                "out-of-bounds",
                data_start,
                format!(
                    "tensor {:?} spans data bytes {}..{end} but the file has {data_len} bytes of tensor data",
                    printable(tensor.name.as_bytes(), 120),
                    tensor.offset
                ),
            ));
        }
        if let Some(prev) = previous
            && let Some(prev_bytes) = prev.bytes
            && tensor.offset < prev.offset.saturating_add(prev_bytes)
        {
            findings.push(invalid(
                Severity::High,
                "overlap",
                data_start.saturating_add(tensor.offset),
                format!(
                    "tensors {:?} and {:?} overlap",
                    printable(prev.name.as_bytes(), 120),
                    printable(tensor.name.as_bytes(), 120)
                ),
            ));
        }
        previous = Some(tensor);
    }
    metadata.tensor_count = Some(tensor_count);
    metadata.parameter_count = Some(parameters);
    metadata.dtypes = types.into_iter().collect();
    Ok(())
}

/// `text_offset`: where the template's bytes start (after the length prefix).
fn check_template(key: &str, text: &str, text_offset: u64, findings: &mut Vec<ModelFinding>) {
    for hit in template::inspect(text) {
        findings.push(
            ModelFinding::new(
                rules::GGUF_TEMPLATE_INJECTION,
                hit.severity,
                format!("{key}:{}", hit.fragment),
                format!(
                    "gguf: chat template {key} uses `{}` inside `{}`",
                    printable(hit.fragment.as_bytes(), 60),
                    hit.context
                ),
            )
            .at(text_offset + hit.offset as u64),
        );
    }
}

//! The rule catalogue, as data: one entry per rule id the engine reports,
//! mapping onto the WIT `rule` record.

use crate::finding::Severity;

pub struct Rule {
    pub id: &'static str,
    pub short_description: &'static str,
    pub full_description: &'static str,
    pub help: &'static str,
    pub default_severity: Severity,
}

pub const PICKLE_CODE_EXECUTION: &str = "models/pickle-code-execution";
pub const PICKLE_DANGEROUS_GLOBAL: &str = "models/pickle-dangerous-global";
pub const PICKLE_UNKNOWN_GLOBAL: &str = "models/pickle-unknown-global";
pub const PICKLE_UNRESOLVED_GLOBAL: &str = "models/pickle-unresolved-global";
pub const PICKLE_STRUCTURE: &str = "models/pickle-structure";
pub const MALFORMED: &str = "models/malformed";
pub const UNSCANNABLE: &str = "models/unscannable";
pub const ZIP_ANOMALY: &str = "models/zip-anomaly";
pub const SAFETENSORS_INVALID: &str = "models/safetensors-invalid";
pub const GGUF_INVALID: &str = "models/gguf-invalid";
pub const GGUF_TEMPLATE_INJECTION: &str = "models/gguf-template-injection";
pub const ONNX_EXTERNAL_DATA_ESCAPE: &str = "models/onnx-external-data-escape";
pub const KERAS_LAMBDA: &str = "models/keras-lambda";
pub const KERAS_UNSAFE_REFERENCE: &str = "models/keras-unsafe-reference";
pub const SAVEDMODEL_RISKY_OP: &str = "models/savedmodel-risky-op";

pub const RULES: &[Rule] = &[
    Rule {
        id: PICKLE_CODE_EXECUTION,
        short_description: "Pickle imports a code-execution callable",
        full_description: "The pickle stream imports a global from a family that runs code or commands when the file is loaded (os, subprocess, builtins.eval/exec/getattr/__import__, runpy, importlib, marshal, nested pickle loaders, ...). Loading the file with pickle, torch.load or joblib executes it.",
        help: "Do not load this file. Obtain the model from a trusted source, or convert it to a format without code (safetensors, GGUF, ONNX) in an isolated environment.",
        default_severity: Severity::Critical,
    },
    Rule {
        id: PICKLE_DANGEROUS_GLOBAL,
        short_description: "Pickle imports a dangerous global",
        full_description: "The pickle stream imports a global that reaches the network, the file system or a call gadget (operator.attrgetter, functools.partial, ...). It does not run code by itself but is not needed to rebuild model weights.",
        help: "Inspect why the file needs this global; prefer a weights-only format such as safetensors.",
        default_severity: Severity::High,
    },
    Rule {
        id: PICKLE_UNKNOWN_GLOBAL,
        short_description: "Pickle imports a global outside the allow-list",
        full_description: "The pickle stream imports a global that is neither on the allow-list of classes real frameworks pickle (PyTorch and TorchScript, NumPy, scikit-learn and the SciPy sparse matrices it keeps, XGBoost/LightGBM, joblib's array wrapper, collections) nor on the deny list. Any importable callable can be invoked by a pickle, so it is high; a class (upper-case name) in a pickle that otherwise rebuilds a recognised framework's objects, such as a custom nn.Module in a checkpoint, is medium.",
        help: "Check the named global. If it is a trusted class of your own code, add it to the stage option `allow-globals`, and load the file with an explicit allow-list (torch.load(weights_only=True) with safe globals).",
        default_severity: Severity::High,
    },
    Rule {
        id: PICKLE_UNRESOLVED_GLOBAL,
        short_description: "Pickle imports a global whose name cannot be resolved statically",
        full_description: "STACK_GLOBAL received a module or name that is not a literal string (for example one computed by a call), or an EXT opcode refers to the copyreg extension registry. The imported callable cannot be known without running the pickle.",
        help: "Treat the file as hostile: legitimate model files import globals by literal name.",
        default_severity: Severity::High,
    },
    Rule {
        id: PICKLE_STRUCTURE,
        short_description: "Pickle stream is built to be read differently or to exhaust the loader",
        full_description: "The pickle stream's framing disagrees with its opcodes (an operand runs past its FRAME, a FRAME starts inside another, a STOP ends inside one), which CPython's C unpickler and pickle.py read differently, so bytes hidden from one reader run in the other; or shared memo/DUP references expand into an exponential number of objects (an expansion bomb); or a container is placed inside itself (a cycle).",
        help: "Treat the file as hostile: writers such as pickle.dump, torch.save and joblib.dump never produce these structures (cycles excepted for some object graphs).",
        default_severity: Severity::High,
    },
    Rule {
        id: MALFORMED,
        short_description: "Model file is malformed",
        full_description: "The file matches a model format by its content but cannot be parsed: a truncated or broken pickle stream, an unknown opcode, a corrupt archive, compressed stream or header. Loaders differ in how they treat broken files, and payloads are often placed before the break, so a malformed file is never reported clean. A file whose only claim to be a model is its name (`weights.pt` holding text) is a low 'named like a model' candidate.",
        help: "Re-export the model from its source. Findings reported before the break still apply.",
        default_severity: Severity::Medium,
    },
    Rule {
        id: UNSCANNABLE,
        short_description: "Part of the model file could not be scanned",
        full_description: "A part of the file exceeds a scan limit, uses an unsupported encoding (compression method, encrypted 7z, HDF5 dense attribute storage, ...) or could not be read. That part was not checked. It is high where a loader would read on past the point the scanner stopped: the pickle size limit, a joblib array that cannot be located, the decompressed-bytes bound or the nesting depth of containers.",
        help: "Raise the stage's limits if the file is trusted and large, or convert the model to a supported format.",
        default_severity: Severity::Medium,
    },
    Rule {
        id: ZIP_ANOMALY,
        short_description: "Model archive has tampered or inconsistent headers",
        full_description: "The zip container of the model has inconsistencies that loaders resolve differently and that are used to hide payloads from scanners: CRC mismatches, encryption or other flag bits, local headers that disagree with the central directory, duplicate names, overlapping members or data outside the members.",
        help: "Re-create the archive from a trusted source; a genuine PyTorch or Keras export has none of these.",
        default_severity: Severity::Medium,
    },
    Rule {
        id: SAFETENSORS_INVALID,
        short_description: "safetensors header is invalid",
        full_description: "The safetensors header is inconsistent: declared length beyond the file or the 100 MB limit, invalid UTF-8 or JSON, duplicate keys, unknown dtypes, shapes that do not match the byte ranges, or tensors that overlap or lie outside the data area.",
        help: "Re-export the file with the safetensors library; loaders may reject it or read attacker-chosen bytes.",
        default_severity: Severity::High,
    },
    Rule {
        id: GGUF_INVALID,
        short_description: "GGUF metadata is invalid",
        full_description: "The GGUF header is inconsistent: unknown value types, implausible counts or lengths, or tensors that lie outside the file or overlap.",
        help: "Re-convert the model with a maintained GGUF writer.",
        default_severity: Severity::High,
    },
    Rule {
        id: GGUF_TEMPLATE_INJECTION,
        short_description: "GGUF chat template reaches for Python internals",
        full_description: "A Jinja chat template in the GGUF metadata (tokenizer.chat_template) uses dunder attributes, imports or known sandbox-escape gadgets. Runtimes that render templates with Python's Jinja can be made to execute code.",
        help: "Replace the chat template with the one published by the model author, or render templates in a sandboxed environment.",
        default_severity: Severity::Critical,
    },
    Rule {
        id: ONNX_EXTERNAL_DATA_ESCAPE,
        short_description: "ONNX external data points outside the model folder",
        full_description: "A tensor's external-data location is absolute, contains '..', or otherwise resolves outside the model's folder, so loading the model reads arbitrary files.",
        help: "Keep external data files next to the model and reference them by relative name.",
        default_severity: Severity::High,
    },
    Rule {
        id: KERAS_LAMBDA,
        short_description: "Keras model contains a Lambda layer",
        full_description: "The Keras model configuration contains a Lambda layer, whose serialized Python bytecode runs when the model is loaded with safe_mode disabled (and always with legacy HDF5 loaders).",
        help: "Replace the Lambda layer with a registered custom layer and load models with safe_mode=True.",
        default_severity: Severity::High,
    },
    Rule {
        id: KERAS_UNSAFE_REFERENCE,
        short_description: "Keras config references a module outside Keras",
        full_description: "An object in the Keras model configuration names a module or function outside the Keras/TensorFlow namespaces. Keras deserialisation imports it, which can run arbitrary functions.",
        help: "Check the referenced module; only trusted custom objects should appear in a model config.",
        default_severity: Severity::Medium,
    },
    Rule {
        id: SAVEDMODEL_RISKY_OP,
        short_description: "TensorFlow SavedModel uses a risky op",
        full_description: "The SavedModel graph contains operations that read or write files or call back into Python (ReadFile, WriteFile, PyFunc, ...), which run when the graph is executed.",
        help: "Check why an inference graph needs file or Python access; rebuild the SavedModel without these ops.",
        default_severity: Severity::High,
    },
];

/// The catalogue entry for `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// A CVE whose attack class a finding matches, named in the finding's
/// `cve` property and message so users can look up affected versions.
pub struct KnownAttack {
    pub cve: &'static str,
    pub summary: &'static str,
}

/// torch.load(weights_only=True) still ran pickle code in PyTorch <= 2.5.1.
pub const TORCH_WEIGHTS_ONLY_BYPASS: KnownAttack = KnownAttack {
    cve: "CVE-2025-32434",
    summary: "torch.load weights_only=True bypass (PyTorch <= 2.5.1)",
};
/// Keras load_model ran functions named in a .keras config.json even with
/// safe_mode=True.
pub const KERAS_SAFE_MODE_BYPASS: KnownAttack = KnownAttack {
    cve: "CVE-2025-1550",
    summary: "Keras safe_mode bypass through config.json",
};
/// llama-cpp-python rendered GGUF chat templates with an unsandboxed Jinja.
pub const GGUF_CHAT_TEMPLATE_SSTI: KnownAttack = KnownAttack {
    cve: "CVE-2024-34359",
    summary: "llama-cpp-python chat_template Jinja injection",
};
/// ONNX external-data locations were followed outside the model folder.
pub const ONNX_EXTERNAL_DATA_TRAVERSAL: KnownAttack = KnownAttack {
    cve: "CVE-2024-27318",
    summary: "ONNX external-data path traversal",
};

/// The known attack a finding of `rule_id` in a file of `format` belongs
/// to, if any.
pub fn known_attack(
    rule_id: &str,
    format: crate::inventory::ModelFormat,
    legacy_torch: bool,
) -> Option<&'static KnownAttack> {
    use crate::inventory::ModelFormat;
    let torch_file =
        legacy_torch || matches!(format, ModelFormat::PytorchZip | ModelFormat::PytorchTar);
    match rule_id {
        PICKLE_CODE_EXECUTION | PICKLE_DANGEROUS_GLOBAL | PICKLE_UNRESOLVED_GLOBAL
            if torch_file =>
        {
            Some(&TORCH_WEIGHTS_ONLY_BYPASS)
        }
        KERAS_LAMBDA | KERAS_UNSAFE_REFERENCE if format == ModelFormat::KerasZip => {
            Some(&KERAS_SAFE_MODE_BYPASS)
        }
        GGUF_TEMPLATE_INJECTION => Some(&GGUF_CHAT_TEMPLATE_SSTI),
        ONNX_EXTERNAL_DATA_ESCAPE => Some(&ONNX_EXTERNAL_DATA_TRAVERSAL),
        _ => None,
    }
}

//! Which imported globals a pickle may use. Allow-list first: only globals
//! needed to rebuild PyTorch, NumPy and collections objects are clean;
//! everything else is reported, at critical severity for families that run
//! code and high for network, file and call-gadget families.

/// What importing one global means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Safe,
    /// Runs code or commands (or loads another pickle) when called.
    CodeExecution,
    /// Network, file system, process state or a call gadget.
    Dangerous,
    Unknown,
}

/// Exact `module.name` globals that rebuild tensors, arrays and containers.
/// Exact matches only: a prefix rule would also allow attribute chains such
/// as `torch.serialization` + `os.system`, which resolve to other modules.
const SAFE_GLOBALS: &[&str] = &[
    // PyTorch tensor, parameter and storage rebuild.
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_nested_tensor",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter",
    "torch.Tensor",
    "torch.Size",
    "torch.device",
    "torch.Generator",
    "torch.serialization._get_layout",
    "torch.strided",
    "torch.sparse_coo",
    "torch.sparse_csr",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    "torch.storage._StorageBase",
    // NumPy arrays, scalars and dtypes.
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.ma.core._mareconstruct",
    // Containers and plain values.
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.deque",
    "collections.Counter",
    "copyreg._reconstructor",
    "copy_reg._reconstructor",
    "_codecs.encode",
    "argparse.Namespace",
    "datetime.datetime",
    "datetime.date",
    "datetime.timedelta",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    // joblib's array wrapper (the array bytes follow it in the file).
    "joblib.numpy_pickle.NumpyArrayWrapper",
];

/// Builtins that only construct plain values.
const SAFE_BUILTINS: &[&str] = &[
    "set",
    "frozenset",
    "dict",
    "list",
    "tuple",
    "int",
    "float",
    "complex",
    "bool",
    "str",
    "bytes",
    "bytearray",
    "slice",
    "range",
    "object",
];

/// Builtins that run code, import modules or reach arbitrary attributes.
const CODE_EXECUTION_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "getattr",
    "setattr",
    "delattr",
    "__import__",
    "open",
    "file",
    "input",
    "raw_input",
    "breakpoint",
    "globals",
    "locals",
    "vars",
    "apply",
    "reload",
    "exit",
    "quit",
    "help",
    "memoryview",
    "__loader__",
    "__spec__",
];

/// Modules (and all their submodules) whose globals run code or commands,
/// or deserialize further untrusted data.
const CODE_EXECUTION_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "posixpath",
    "ntpath",
    "subprocess",
    "_posixsubprocess",
    "_winapi",
    "pty",
    "sys",
    "runpy",
    "importlib",
    "imp",
    "pkgutil",
    "zipimport",
    "marshal",
    "pickle",
    "_pickle",
    "cPickle",
    "pickletools",
    "dill",
    "cloudpickle",
    "shelve",
    "joblib.load",
    "joblib.numpy_pickle.load",
    "pip",
    "ensurepip",
    "setuptools",
    "distutils",
    "venv",
    "site",
    "socket",
    "_socket",
    "webbrowser",
    "shutil",
    "ctypes",
    "_ctypes",
    "cffi",
    "code",
    "codeop",
    "commands",
    "popen2",
    "multiprocessing",
    "asyncio",
    "concurrent",
    "timeit",
    "cProfile",
    "profile",
    "pdb",
    "bdb",
    "trace",
    "doctest",
    "types",
    "pydoc",
    "idlelib",
    "IPython",
    "torch.hub",
    "torch.load",
    "torch.jit",
    "torch.package",
    "torch.utils.cpp_extension",
    "torch.storage._load_from_bytes",
    "torch.serialization.load",
    "numpy.load",
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "pandas.read_pickle",
    "pandas.io.pickle",
    "keras.models.load_model",
    "tensorflow.keras.models.load_model",
    "logging.config",
];

/// Modules that reach the network, the file system, process state, or
/// compose other callables into calls (gadgets).
const DANGEROUS_MODULES: &[&str] = &[
    "operator",
    "_operator",
    "functools",
    "_functools",
    "copyreg",
    "copy_reg",
    "urllib",
    "urllib2",
    "urllib3",
    "http",
    "httplib",
    "requests",
    "aiohttp",
    "ftplib",
    "smtplib",
    "telnetlib",
    "poplib",
    "imaplib",
    "xmlrpc",
    "ssl",
    "io",
    "_io",
    "pathlib",
    "tempfile",
    "glob",
    "fileinput",
    "zipfile",
    "tarfile",
    "gzip",
    "bz2",
    "lzma",
    "signal",
    "threading",
    "_thread",
    "platform",
    "inspect",
    "gc",
    "logging",
    "sqlite3",
    "mmap",
    "fcntl",
    "resource",
    "selectors",
    "select",
];

/// The builtins module under its Python 3, Python 2 and `__builtins__` names.
const BUILTINS_MODULES: &[&str] = &["builtins", "__builtin__", "__builtins__"];

fn in_family(path: &str, family: &str) -> bool {
    path == family || (path.starts_with(family) && path.as_bytes().get(family.len()) == Some(&b'.'))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Verdict for the global `module`.`name` (what `find_class` would import;
/// `name` may be a dotted attribute chain since protocol 4).
pub fn classify(module: &str, name: &str) -> Verdict {
    // Dunder attribute chains (`__globals__`, `__builtins__`, `__subclasses__`)
    // are the classic escape from any innocuous-looking object to `os`.
    if name
        .split('.')
        .any(|part| part.starts_with("__") && part.ends_with("__") && part.len() > 4)
    {
        return Verdict::CodeExecution;
    }
    let full = format!("{module}.{name}");
    let name_parts: Vec<&str> = name.split('.').collect();
    // Check the module path, and every tail of the attribute chain, because
    // `torch.serialization` + `os.system` resolves to `os.system`.
    let mut candidates = vec![full.clone()];
    for start in 0..name_parts.len() {
        candidates.push(name_parts[start..].join("."));
    }
    let mut verdict = Verdict::Unknown;
    for path in &candidates {
        for builtins in BUILTINS_MODULES {
            if let Some(rest) = path
                .strip_prefix(builtins)
                .and_then(|r| r.strip_prefix('.'))
            {
                let first = rest.split('.').next().unwrap_or(rest);
                if CODE_EXECUTION_BUILTINS.contains(&first) {
                    return Verdict::CodeExecution;
                }
            }
        }
        if CODE_EXECUTION_MODULES
            .iter()
            .any(|family| in_family(path, family))
        {
            return Verdict::CodeExecution;
        }
        if DANGEROUS_MODULES
            .iter()
            .any(|family| in_family(path, family))
        {
            verdict = Verdict::Dangerous;
        }
    }
    if SAFE_GLOBALS.contains(&full.as_str()) {
        return Verdict::Safe;
    }
    if verdict == Verdict::Dangerous {
        return verdict;
    }
    if BUILTINS_MODULES.contains(&module) && SAFE_BUILTINS.contains(&name) {
        return Verdict::Safe;
    }
    // Storage classes (`torch.FloatStorage`, ...), dtypes (`torch.float16`)
    // and NumPy 2 dtype classes (`numpy.dtypes.Float32DType`): simple names only.
    if module == "torch"
        && is_identifier(name)
        && (name.ends_with("Storage") || TORCH_DTYPES.contains(&name))
    {
        return Verdict::Safe;
    }
    if module == "numpy.dtypes" && is_identifier(name) && name.ends_with("DType") {
        return Verdict::Safe;
    }
    // Module classes of full-model checkpoints (`torch.nn.modules.linear.Linear`):
    // constructing them runs no user code. Class names only.
    if module.starts_with("torch.nn.modules.")
        && is_identifier(name)
        && name.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Verdict::Safe;
    }
    Verdict::Unknown
}

const TORCH_DTYPES: &[&str] = &[
    "float16",
    "float32",
    "float64",
    "bfloat16",
    "half",
    "float",
    "double",
    "complex32",
    "complex64",
    "complex128",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "float8_e4m3fn",
    "float8_e5m2",
    "uint16",
    "uint32",
    "uint64",
];

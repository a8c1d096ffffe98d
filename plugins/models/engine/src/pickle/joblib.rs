//! joblib's array layout: after a `NumpyArrayWrapper` is built, joblib
//! writes the array's bytes straight into the file (raw, after an
//! alignment padding since joblib 1.2) or, for object arrays, a nested
//! pickle. The analyser reads the wrapper's state to move past them the way
//! `joblib.load` does, instead of reading raw bytes as opcodes.

use super::{NodeKind, Value};
use crate::finding::printable;

/// Whether `object` is joblib's array wrapper, after whose `BUILD` the
/// array's raw bytes (or a nested pickle, for object arrays) follow.
pub(super) fn is_joblib_array_wrapper(object: &Value) -> bool {
    let Value::Node(node) = object else {
        return false;
    };
    let NodeKind::Call {
        callable: Some(global),
        ..
    } = &node.kind
    else {
        return false;
    };
    global.name == "NumpyArrayWrapper"
        && matches!(
            global.module.as_str(),
            "joblib.numpy_pickle" | "sklearn.externals.joblib.numpy_pickle"
        )
}

/// How the bytes of one joblib array are laid out after its wrapper.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct JoblibArray {
    /// `None` for object arrays, which joblib writes as a nested pickle.
    pub bytes: Option<u64>,
    /// joblib >= 1.2 writes a padding-length byte and padding first.
    pub aligned: bool,
}

/// Size of one element of a NumPy dtype given as `dtype.__reduce__`
/// spells it (`f8`, `<i4`, `U5` = five UCS-4 characters, `O8`); `None`
/// for an object dtype.
fn dtype_item_size(descr: &str) -> Result<Option<u64>, ()> {
    let descr = descr.trim_start_matches(['<', '>', '|', '=']);
    let mut chars = descr.chars();
    let kind = chars.next().ok_or(())?;
    let count: u64 = if chars.as_str().is_empty() {
        if kind == '?' { 1 } else { return Err(()) }
    } else {
        chars.as_str().parse().map_err(|_| ())?
    };
    match kind {
        'O' => Ok(None),
        'U' => count.checked_mul(4).map(Some).ok_or(()),
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' | 'M' | 'm' | '?' => Ok(Some(count)),
        _ => Err(()),
    }
}

fn dict_get<'v>(items: &'v [Value], key: &str) -> Option<&'v Value> {
    items
        .chunks(2)
        .find(|pair| matches!(&pair[0], Value::Str(k) if &**k == key))
        .and_then(|pair| pair.get(1))
}

/// Reads the wrapper's state dict (`shape`, `dtype`,
/// `numpy_array_alignment_bytes`) into the array's byte layout.
pub(super) fn joblib_array(state: &Value) -> Result<JoblibArray, String> {
    let Value::Node(dict) = state else {
        return Err("its state is not a dict".into());
    };
    let items = dict.items.borrow();
    let Some(Value::Node(shape)) = dict_get(&items, "shape") else {
        return Err("its state has no shape tuple".into());
    };
    let dims = shape.items.borrow();
    if shape.weight.get() != 1 + dims.len() as u64 {
        return Err("its shape is not a tuple of integers".into());
    }
    let mut count: u64 = 1;
    for dim in dims.iter() {
        let Value::Int(dim) = dim else {
            return Err("its shape is not a tuple of integers".into());
        };
        let dim = u64::try_from(*dim).map_err(|_| format!("its shape has dimension {dim}"))?;
        count = count
            .checked_mul(dim)
            .ok_or("its shape overflows 64 bits")?;
    }
    let descr = match dict_get(&items, "dtype") {
        Some(Value::Node(dtype)) => match &dtype.kind {
            NodeKind::Call {
                args: Some(Value::Node(args)),
                ..
            } => match args.items.borrow().first() {
                Some(Value::Str(descr)) => descr.to_string(),
                _ => return Err("its dtype has no type string".into()),
            },
            _ => return Err("its dtype is not a numpy.dtype call".into()),
        },
        _ => return Err("its state has no dtype".into()),
    };
    let item_size = dtype_item_size(&descr).map_err(|()| {
        format!(
            "its dtype {:?} is not one joblib writes",
            printable(descr.as_bytes(), 40)
        )
    })?;
    let aligned = matches!(
        dict_get(&items, "numpy_array_alignment_bytes"),
        Some(Value::Int(_))
    );
    let bytes = match item_size {
        None => None,
        Some(size) => Some(
            count
                .checked_mul(size)
                .ok_or("its byte size overflows 64 bits")?,
        ),
    };
    Ok(JoblibArray { bytes, aligned })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_sizes_follow_numpy_reduce_spelling() {
        assert_eq!(dtype_item_size("f8"), Ok(Some(8)));
        assert_eq!(dtype_item_size("<i4"), Ok(Some(4)));
        assert_eq!(dtype_item_size("|b1"), Ok(Some(1)));
        assert_eq!(dtype_item_size("U5"), Ok(Some(20)), "UCS-4 characters");
        assert_eq!(dtype_item_size("S7"), Ok(Some(7)));
        assert_eq!(dtype_item_size("V16"), Ok(Some(16)));
        assert_eq!(dtype_item_size("M8"), Ok(Some(8)));
        assert_eq!(dtype_item_size("O8"), Ok(None), "object arrays are pickles");
        assert!(dtype_item_size("x4").is_err());
        assert!(dtype_item_size("f").is_err());
        assert!(dtype_item_size("U99999999999999999999").is_err());
    }
}

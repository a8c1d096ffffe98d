//! Byte offsets to 1-based lines and columns (columns count Unicode scalar
//! values, as the WIT contract and SARIF want).

/// Start offsets of every line of a buffer. Built only for buffers that have
/// findings, with one `memchr` pass.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(buffer: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', buffer).map(|newline| newline + 1));
        LineIndex { starts }
    }

    /// 0-based index of the line containing `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    pub(crate) fn line_start(&self, line: usize) -> usize {
        self.starts[line]
    }

    /// 0-based line index and 1-based column of `offset`. `memo` carries
    /// the previous answer so that increasing offsets on one long line
    /// (minified files) are counted incrementally, keeping the total linear.
    pub(crate) fn position(
        &self,
        buffer: &[u8],
        offset: usize,
        memo: &mut PositionMemo,
    ) -> (usize, u32) {
        let line = self.line_of(offset);
        let column = match memo.last {
            Some((last_offset, last_line, last_column))
                if last_line == line && last_offset <= offset =>
            {
                last_column + count_scalars(&buffer[last_offset..offset])
            }
            _ => count_scalars(&buffer[self.starts[line]..offset]) + 1,
        };
        memo.last = Some((offset, line, column));
        (line, column)
    }
}

/// The last position computed, see [`LineIndex::position`].
#[derive(Default)]
pub(crate) struct PositionMemo {
    last: Option<(usize, usize, u32)>,
}

/// Counts UTF-8 scalar values, treating every byte that is not a
/// continuation byte as the start of one (so invalid UTF-8 still counts one
/// column per byte).
fn count_scalars(bytes: &[u8]) -> u32 {
    let count = bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_unicode_columns() {
        let text = "ab\nçé x\n\nz".as_bytes();
        let index = LineIndex::new(text);
        let mut memo = PositionMemo::default();
        assert_eq!(index.position(text, 0, &mut memo), (0, 1));
        assert_eq!(index.position(text, 3, &mut memo), (1, 1));
        assert_eq!(index.position(text, 5, &mut memo), (1, 2));
        // `x` follows two 2-byte characters and a space.
        assert_eq!(index.position(text, 8, &mut memo), (1, 4));
        assert_eq!(index.position(text, 11, &mut memo), (3, 1));
        // Going backwards falls back to counting from the line start.
        assert_eq!(index.position(text, 8, &mut memo), (1, 4));
        assert_eq!(index.line_of(9), 1);
        assert_eq!(index.line_of(10), 2);
    }
}

//! Splitting a scan across CI jobs: `--shard K/N` gives each job the files
//! (and commits) whose key hashes to its slot, so each is scanned by exactly
//! one job and `cordon merge` can put the jobs' reports back together.

use sha2::{Digest, Sha256};

/// One of `count` slots, `index` 1-based (as users write `--shard 2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// More slots than any CI matrix has jobs; past this a typo is likelier.
pub const MAX_SHARDS: u32 = 1024;

impl Shard {
    /// Whether `key` (a workspace-relative path or a commit id) belongs to
    /// this slot. SHA-256 rather than std's hasher: the split must be the
    /// same on every machine and for every Cordon version that merges it.
    pub fn owns(&self, key: &str) -> bool {
        let digest = Sha256::digest(key.as_bytes());
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(head) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl Shard {
    /// The whole workspace as one slot.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// This slot cut into `parts` slots that together own exactly what it
    /// owns: slot K of N becomes slots K, K+N, … of N·parts, since a key
    /// whose hash is K-1 modulo N·parts is K-1 modulo N too. The runner
    /// splits a stage over its instances this way, inside a `--shard` job
    /// or over the whole workspace, with the one partitioning for both.
    pub fn split(self, parts: u32) -> Vec<Shard> {
        let parts = parts.max(1);
        let count = self.count.saturating_mul(parts);
        (0..parts)
            .map(|part| Shard {
                index: self.index + self.count * part,
                count,
            })
            .collect()
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("expected K/N with 1 <= K <= N <= {MAX_SHARDS}, got `{text}`");
        let (index, count) = text.split_once('/').ok_or_else(invalid)?;
        let index: u32 = index.trim().parse().map_err(|_| invalid())?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(invalid());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_exactly_one_slot() {
        let keys: Vec<String> = (0..500).map(|i| format!("src/file{i}.rs")).collect();
        for count in [1, 2, 3, 7] {
            let slots: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            let mut sizes = vec![0usize; count as usize];
            for key in &keys {
                let owners: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].owns(key)).collect();
                assert_eq!(owners.len(), 1, "{key} in {count} slots: {owners:?}");
                sizes[owners[0]] += 1;
            }
            // Spread, not all in one slot.
            assert!(
                sizes.iter().all(|&n| n > 500 / count as usize / 2),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn a_split_slot_owns_exactly_what_the_slot_owned() {
        let keys: Vec<String> = (0..400).map(|i| format!("dir/{i}.txt")).collect();
        for outer in [Shard::WHOLE, Shard { index: 2, count: 3 }] {
            let parts = outer.split(4);
            assert_eq!(parts.len(), 4);
            for key in &keys {
                let owners = parts.iter().filter(|part| part.owns(key)).count();
                assert_eq!(owners, usize::from(outer.owns(key)), "{key} in {outer}");
            }
            assert!(parts.iter().all(|part| keys.iter().any(|k| part.owns(k))));
        }
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", "1/5000", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}

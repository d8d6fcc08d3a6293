//! Maps keyed by object id, hashed cheaply.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use git2::Oid;

/// Object ids are SHA-1 digests: folding their bytes is as good a hash as `SipHash` makes
/// of them, at a fraction of the cost (id maps are hot on ranges of thousands of
/// commits). The ids come from the user's own repository, so there is no attacker to
/// choose colliding keys.
#[derive(Default)]
pub struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(word);
        }
    }
}

pub type OidMap<V> = HashMap<Oid, V, BuildHasherDefault<OidHasher>>;
pub type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;

pub fn map_with_capacity<V>(n: usize) -> OidMap<V> {
    OidMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differing_anywhere_hash_apart() {
        let hash = |hex: &str| {
            let mut h = OidHasher::default();
            std::hash::Hash::hash(&Oid::from_str(hex).unwrap(), &mut h);
            h.finish()
        };
        let a = hash("0123456789abcdef0123456789abcdef01234567");
        // Same first eight bytes, different tail: still a different hash.
        let b = hash("0123456789abcdef0123456789abcdef01234568");
        let c = hash("1123456789abcdef0123456789abcdef01234567");
        assert_ne!(a, b);
        assert_ne!(a, c);
        let mut m: OidMap<u32> = map_with_capacity(2);
        m.insert(
            Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
            1,
        );
        assert_eq!(
            m.get(&Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap()),
            Some(&1)
        );
    }
}

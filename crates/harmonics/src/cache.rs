//! An on-disk cache of computed harmonics, keyed by the connectome's content hash, the settings,
//! [`super::SOLVER_VERSION`] and the text of the solver code. Files carry a magic number, the full key and a BLAKE3 checksum, so a
//! corrupt, truncated or foreign file is detected and the harmonics recomputed (and the file
//! rewritten). Writes are atomic: a temporary file in the same folder, then a rename.

use super::{Harmonics, HarmonicsSettings, LaplacianKind, Mode, ModeKind, SOLVER_VERSION};
use anneal_connectome::Connectome;
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"ANNEALHC";

/// The text of the code that computes harmonics, and the lock file that fixes the versions of
/// nalgebra and faer, all part of the key. A bumped [`SOLVER_VERSION`] was once forgotten, and a
/// cache written by older code then served eigenvalues a few ulps away from what the same binary
/// computes afresh, so one binary gave different bits with and without a cache. Any edit of these
/// files now starts a new cache.
const SOLVER_SOURCES: [&str; 8] = [
    include_str!("lib.rs"),
    include_str!("solver/mod.rs"),
    include_str!("solver/factor.rs"),
    include_str!("solver/lanczos.rs"),
    include_str!("solver/orthogonal.rs"),
    include_str!("solver/verify.rs"),
    include_str!("laplacian.rs"),
    include_str!("../../../Cargo.lock"),
];
const FORMAT_VERSION: u32 = 1;

/// Environment variable naming the cache folder; a command-line flag should win over it.
pub const CACHE_DIR_ENV: &str = "ANNEAL_CACHE_DIR";

/// A folder of cached harmonics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The default location: `$ANNEAL_CACHE_DIR`, else `$XDG_CACHE_HOME/anneal/harmonics`, else
    /// `$HOME/.cache/anneal/harmonics`; `None` when none of these is set.
    pub fn from_env() -> Option<Cache> {
        let non_empty = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(dir) = non_empty(CACHE_DIR_ENV) {
            return Some(Cache::new(dir));
        }
        if let Some(xdg) = non_empty("XDG_CACHE_HOME") {
            return Some(Cache::new(xdg.join("anneal").join("harmonics")));
        }
        non_empty("HOME")
            .map(|home| Cache::new(home.join(".cache").join("anneal").join("harmonics")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a computation: connectome hash, settings and solver version.
    pub fn key(connectome: &Connectome, settings: &HarmonicsSettings) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"anneal-harmonics-key");
        h.update(&SOLVER_VERSION.to_le_bytes());
        for source in SOLVER_SOURCES {
            h.update(source.as_bytes());
        }
        h.update(connectome.content_hash().as_bytes());
        h.update(&[laplacian_code(settings.laplacian)]);
        for x in [
            settings.csh_modes as u64,
            settings.rsh_per_region as u64,
            settings.sshw as u64,
        ] {
            h.update(&x.to_le_bytes());
        }
        h.update(&settings.fundamental_hz.to_bits().to_le_bytes());
        *h.finalize().as_bytes()
    }

    /// The file a computation is stored in.
    pub fn path_for(&self, connectome: &Connectome, settings: &HarmonicsSettings) -> PathBuf {
        let key = Cache::key(connectome, settings);
        self.dir
            .join(format!("{}.harmonics", blake3::Hash::from(key).to_hex()))
    }

    /// The cached harmonics, or `None` when absent, unreadable, corrupt or for another key.
    pub fn load(&self, connectome: &Connectome, settings: &HarmonicsSettings) -> Option<Harmonics> {
        let bytes = std::fs::read(self.path_for(connectome, settings)).ok()?;
        decode(&bytes, &Cache::key(connectome, settings), connectome.n())
    }

    /// Stores harmonics atomically.
    pub fn store(
        &self,
        connectome: &Connectome,
        settings: &HarmonicsSettings,
        harmonics: &Harmonics,
    ) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path_for(connectome, settings);
        let bytes = encode(harmonics, &Cache::key(connectome, settings));
        let temporary = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)?;
        Ok(path)
    }
}

fn laplacian_code(kind: LaplacianKind) -> u8 {
    match kind {
        LaplacianKind::Combinatorial => 0,
        LaplacianKind::Normalized => 1,
    }
}

fn encode(h: &Harmonics, key: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + h.vectors.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(h.vectors.nrows() as u64).to_le_bytes());
    out.extend_from_slice(&(h.modes.len() as u64).to_le_bytes());
    out.push(laplacian_code(h.laplacian));
    out.extend_from_slice(&h.lambda_1.to_bits().to_le_bytes());
    out.extend_from_slice(&(h.notes.len() as u64).to_le_bytes());
    for note in &h.notes {
        out.extend_from_slice(&(note.len() as u64).to_le_bytes());
        out.extend_from_slice(note.as_bytes());
    }
    for m in &h.modes {
        out.push(match m.kind {
            ModeKind::Csh => 0,
            ModeKind::Rsh => 1,
            ModeKind::Ssh => 2,
        });
        out.extend_from_slice(&m.region.map_or(u64::MAX, |r| r as u64).to_le_bytes());
        out.extend_from_slice(&m.eigenvalue.to_bits().to_le_bytes());
        out.extend_from_slice(&m.frequency_hz.to_bits().to_le_bytes());
    }
    for x in h.vectors.iter() {
        out.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, count: usize) -> Option<&[u8]> {
        if self.bytes.len() < count {
            return None;
        }
        let (head, tail) = self.bytes.split_at(count);
        self.bytes = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }

    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
}

fn decode(bytes: &[u8], key: &[u8; 32], n: usize) -> Option<Harmonics> {
    if bytes.len() < 32 {
        return None;
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 32);
    if blake3::hash(body).as_bytes() != checksum {
        return None;
    }
    let mut r = Reader { bytes: body };
    if r.take(8)? != MAGIC || r.take(4)? != FORMAT_VERSION.to_le_bytes() || r.take(32)? != key {
        return None;
    }
    let rows = usize::try_from(r.u64()?).ok()?;
    let count = usize::try_from(r.u64()?).ok()?;
    if rows != n {
        return None;
    }
    let laplacian = match r.u8()? {
        0 => LaplacianKind::Combinatorial,
        1 => LaplacianKind::Normalized,
        _ => return None,
    };
    let lambda_1 = r.f64()?;
    let note_count = r.u64()?;
    let mut notes = Vec::new();
    for _ in 0..note_count {
        let len = usize::try_from(r.u64()?).ok()?;
        notes.push(String::from_utf8(r.take(len)?.to_vec()).ok()?);
    }
    let mut modes = Vec::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let kind = match r.u8()? {
            0 => ModeKind::Csh,
            1 => ModeKind::Rsh,
            2 => ModeKind::Ssh,
            _ => return None,
        };
        let region = match r.u64()? {
            u64::MAX => None,
            x => Some(usize::try_from(x).ok()?),
        };
        modes.push(Mode {
            kind,
            region,
            eigenvalue: r.f64()?,
            frequency_hz: r.f64()?,
        });
    }
    if r.bytes.len() != rows.checked_mul(count)?.checked_mul(8)? {
        return None;
    }
    let values: Vec<f64> = r
        .bytes
        .chunks_exact(8)
        .map(|b| f64::from_bits(u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
        .collect();
    Some(Harmonics {
        modes,
        vectors: DMatrix::from_vec(rows, count, values),
        laplacian,
        lambda_1,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute_harmonics;
    use anneal_connectome::generators::{lattice, ring};

    #[test]
    fn round_trip_and_corruption_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("h"));
        let c = lattice(6, 7, false).unwrap();
        let settings = HarmonicsSettings {
            csh_modes: 9,
            ..Default::default()
        };
        let computed = compute_harmonics(&c, &settings, Some(&cache)).unwrap();
        let path = cache.path_for(&c, &settings);
        assert!(path.exists());
        assert_eq!(cache.load(&c, &settings), Some(computed.clone()));

        // Flip one byte: detected, recomputed, rewritten.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.load(&c, &settings), None);
        assert_eq!(
            compute_harmonics(&c, &settings, Some(&cache)).unwrap(),
            computed
        );
        assert!(cache.load(&c, &settings).is_some());

        // A file of another key under this key's name (a foreign file) is rejected.
        let other = ring(42).unwrap();
        let foreign = compute_harmonics(&other, &settings, None).unwrap();
        std::fs::write(&path, encode(&foreign, &Cache::key(&other, &settings))).unwrap();
        assert_eq!(cache.load(&c, &settings), None);
        std::fs::write(&path, b"not a cache file").unwrap();
        assert_eq!(cache.load(&c, &settings), None);
    }

    #[test]
    fn key_changes_with_settings() {
        let c = ring(10).unwrap();
        let a = HarmonicsSettings {
            csh_modes: 3,
            ..Default::default()
        };
        let b = HarmonicsSettings {
            csh_modes: 3,
            fundamental_hz: 2.0,
            ..Default::default()
        };
        assert_ne!(Cache::key(&c, &a), Cache::key(&c, &b));
    }
}

//! The bundled default connectomes, embedded in the binary from `data/tvb/` (The Virtual Brain's
//! sample data, GPL-3.0-or-later; cite Sanz Leon et al. 2013, Front. Neuroinform. 7:10; see
//! `data/NOTICE.md` and `docs/harmonics.md`).

use super::import::{
    Warning, atasoy_connectome, region_mapping_from_text, tvb_connectivity_from_bytes,
    tvb_surface_from_bytes,
};
use super::{Connectome, ImportError};

const CONNECTIVITY_76: &[u8] = include_bytes!("../../../data/tvb/connectivity_76.zip");
const CORTEX_16384: &[u8] = include_bytes!("../../../data/tvb/cortex_16384.zip");
const REGION_MAPPING_16K_76: &str = include_str!("../../../data/tvb/regionMapping_16k_76.txt");

/// TVB's 76-region human connectome (`connectivity_76`) as a region-level connectome, with the
/// warnings its import raises (asymmetry, diagonal, isolated rCC and lCC, several components).
pub fn human_regions() -> Result<(Connectome, Vec<Warning>), ImportError> {
    tvb_connectivity_from_bytes("bundled:connectivity_76.zip", CONNECTIVITY_76)
}

/// The default human cortex: TVB's `cortex_16384` mesh joined to `connectivity_76` through
/// `regionMapping_16k_76`, Atasoy-style (model.md §1): 16,384 vertices, 49,140 mesh edges plus
/// 866 new long-range edges, one component, with regions, positions, tract lengths and the mesh.
pub fn human_cortex() -> Result<(Connectome, Vec<Warning>), ImportError> {
    let (regions, mut warnings) = human_regions()?;
    let mesh = tvb_surface_from_bytes("bundled:cortex_16384.zip", CORTEX_16384)?;
    let mapping = region_mapping_from_text(
        "bundled:regionMapping_16k_76.txt",
        REGION_MAPPING_16K_76,
        mesh.vertices.len(),
        regions.n(),
    )?;
    let (cortex, more, _) = atasoy_connectome("bundled:human_cortex", mesh, &mapping, &regions)?;
    warnings.extend(more);
    Ok((cortex, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_cortex_is_one_component_with_mesh_and_regions() {
        let (cortex, _) = human_cortex().unwrap();
        assert_eq!(cortex.n(), 16384);
        assert_eq!(cortex.edge_count(), 49140 + 866);
        assert_eq!(cortex.components().len(), 1);
        assert_eq!(cortex.regions().unwrap().names.len(), 76);
        assert_eq!(cortex.mesh().unwrap().triangles.len(), 32760);
        let (regions, _) = human_regions().unwrap();
        assert_eq!(regions.n(), 76);
    }
}

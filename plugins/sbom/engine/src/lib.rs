//! Detection engine of Cordon's `sbom` stage.

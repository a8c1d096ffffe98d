//! Detection engine of Cordon's `secrets` stage.

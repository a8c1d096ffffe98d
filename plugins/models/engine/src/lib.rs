//! Detection engine of Cordon's `models` stage.

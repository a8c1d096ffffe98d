//! Detection engine of Cordon's `audit` stage.

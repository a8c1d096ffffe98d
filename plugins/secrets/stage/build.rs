//! Computes the engine's keyword automaton for the built-in rules once, at
//! build time, so that a run with the default configuration does not build
//! it again in the sandbox (see `cordon_secrets::Scanner::with_prefilter_image`).

fn main() {
    let out_dir =
        std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let image = cordon_secrets::Scanner::default_prefilter_image();
    assert!(!image.is_empty(), "the built-in rules must compile");
    std::fs::write(out_dir.join("prefilter.image"), image).expect("OUT_DIR is writable");
}

//! The CycloneDX reader the audit stage runs over the `sbom` artifact
//! another stage produced: any bytes give inventories or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cordon_audit::inventories_from_cyclonedx("sbom", data);
});

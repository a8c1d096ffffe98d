//! The pipeline loader: any text gives a pipeline or a located error,
//! never a panic, and an error never points past the end of the text.
#![no_main]

use std::path::Path;

use cordon::config::Pipeline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Pipeline::parse(&text, "cordon.toml", Path::new("/repo")) {
        Ok(pipeline) => assert!(
            !pipeline.stages.is_empty(),
            "a pipeline with no stages loaded"
        ),
        Err(error) => {
            if let Some((line, _)) = error.position {
                assert!(
                    line >= 1 && line as usize <= text.lines().count().max(1) + 1,
                    "{error}"
                );
            }
        }
    }
});

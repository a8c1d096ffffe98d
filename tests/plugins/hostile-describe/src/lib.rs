//! `hostile-describe`: a stage whose `describe()` is the attack. The host
//! calls `describe()` before it knows anything about the plugin, so it must
//! run under the stage's own limits: this one allocates 256 MiB (stopped by
//! a smaller memory cap) and then spins forever (stopped by the timeout).

use std::hint::black_box;

use cordon_sdk::prelude::*;

struct HostileDescribe;

impl Stage for HostileDescribe {
    fn describe() -> StageInfo {
        let hoard = vec![1u8; 256 << 20];
        black_box(&hoard);
        #[allow(clippy::empty_loop)]
        loop {
            black_box(&hoard);
        }
    }

    fn run(_options: String) -> Result<Summary, StageError> {
        Err(StageError::Failed("run() is never reached".into()))
    }
}

cordon_sdk::export_stage!(HostileDescribe);

//! Prints the built-in policy catalogue as a Markdown table (for the
//! README), generated from the policy data so the two cannot drift.

use cordon_iac_engine::Engine;

fn main() {
    let engine = Engine::new().expect("built-in policies load");
    println!("| id | framework | severity | theme | title |");
    println!("|---|---|---|---|---|");
    // By id, so the table does not depend on which file a policy is in.
    let mut policies: Vec<_> = engine.policies().iter().collect();
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    for policy in policies {
        println!(
            "| `{}` | {} | {} | {} | {} |",
            policy.id,
            policy.framework,
            policy.severity,
            policy.theme,
            policy.title.replace('|', "\\|")
        );
    }
}

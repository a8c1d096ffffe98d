//! `docs/iac-rules.md` is the policy table generated from the policy data
//! (`cargo run -p cordon-iac-engine --example iac_rules`): this test fails
//! when the two drift, and says how to regenerate the file.

use cordon_iac_engine::Engine;

#[test]
fn the_documented_rule_table_matches_the_policy_data() {
    let engine = Engine::new().expect("built-in policies load");
    let mut table =
        String::from("| id | framework | severity | theme | title |\n|---|---|---|---|---|\n");
    let mut policies: Vec<_> = engine.policies().iter().collect();
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    for policy in policies {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            policy.id,
            policy.framework,
            policy.severity,
            policy.theme,
            policy.title.replace('|', "\\|")
        ));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../docs/iac-rules.md");
    let documented = std::fs::read_to_string(path).expect("docs/iac-rules.md exists");
    let body = documented
        .split_once("<!-- generated -->\n")
        .map(|(_, body)| body)
        .expect("docs/iac-rules.md has its <!-- generated --> marker");
    assert!(
        body == table,
        "docs/iac-rules.md is out of date: regenerate the table below its marker with \
         `cargo run -p cordon-iac-engine --example iac_rules`"
    );
}

pub mod fake_tokens;
pub mod templates;

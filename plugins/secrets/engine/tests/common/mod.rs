pub mod fake_tokens;

mod finding;
mod node;
mod policy;
mod terraform;
mod unit;
mod yaml;

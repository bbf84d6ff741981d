//! Configuration: schema, discovery, loading and validation with `file:line:col` errors.

mod model;

pub use model::*;

//! Request handlers, one file per request family; each parses its header/body, acts on the
//! route tables or KV config, and builds a fresh response.

pub mod admin;
pub mod broker;
pub mod route;

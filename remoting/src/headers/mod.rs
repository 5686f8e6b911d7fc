//! The concrete custom headers, each declared once with Java's class name and field names.
//! Required fields are the ones Java annotates `@CFNotNull`; fields only in 5.x are optional so
//! 4.9.8 peers decode.

pub mod admin;
pub mod broker;
pub mod controller;
pub mod namesrv;
pub mod pop;

pub use admin::*;
pub use broker::*;
pub use controller::*;
pub use namesrv::*;
pub use pop::*;

#[cfg(test)]
mod tests;

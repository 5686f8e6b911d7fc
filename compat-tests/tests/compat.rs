//! Every compatibility scenario, in one test binary so they run side by side under one pool
//! (`compat_tests::scenario`): the NameServer scenarios (`namesrv`), the Broker scenarios
//! (`broker`), golden frames and bodies (`golden`), a Java-written store read by ours
//! (`store_java`) and the standalone `thrust` binary (`standalone`).
//!
//! Each scenario runs against our servers and against Java's, which proves the scenario itself
//! is right; `compat-tests/README.md` tells how to add one.

mod broker;
mod controller;
mod golden;
mod namesrv;
mod standalone;
mod store_java;

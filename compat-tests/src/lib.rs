//! Harness that drives the real Java and Go RocketMQ clients, `mqadmin` and the Java servers
//! against Thrust and against the Java reference, side by side.

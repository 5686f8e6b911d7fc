//! The Broker: send, pull, consumer groups and offsets, topics, admin requests and registration.

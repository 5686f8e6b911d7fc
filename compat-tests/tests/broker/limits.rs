//! Limits and policies: topic auto-create on and off, maxMessageSize, and 1,000 topics of 8 queues.

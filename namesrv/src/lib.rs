//! The NameServer: a stateless route registry of brokers, topics, clusters and KV config.

//! Encoded GET_ROUTEINFO_BY_TOPIC bodies, reused until the route tables change.
//!
//! Route lookups outnumber route changes by orders of magnitude (every client asks for every
//! topic it uses every 30 s; brokers change routes when topics or brokers come and go). Building
//! a `TopicRouteData` and serializing it costs far more than answering, so the encoded body of
//! each topic asked for is kept as a `Bytes` (a lookup is then a map hit and a refcount).
//!
//! Invalidation is by generation: [`RouteTables`](super::RouteTables) counts every write-lock
//! acquisition that may change a route, and an entry is valid only for the generation it was
//! built from. The cache holds entries of one generation at a time: the first insert after a
//! change drops every older entry, so the cache never holds more than one body per existing
//! topic. A body built under a read lock is labelled with that lock's generation, so a write
//! that lands later can only make an entry stale, never make a stale entry look current.

use std::collections::HashMap;

use bytes::Bytes;

/// Bodies of one route-table generation and one `supportActingMaster` setting.
#[derive(Default)]
pub(super) struct RouteBodyCache {
    generation: u64,
    acting_master: bool,
    bodies: HashMap<String, Bytes>,
}

impl RouteBodyCache {
    /// The body of `topic` if it was built from exactly this generation and setting.
    pub(super) fn get(&self, generation: u64, acting_master: bool, topic: &str) -> Option<Bytes> {
        if self.generation != generation || self.acting_master != acting_master {
            return None;
        }
        self.bodies.get(topic).cloned()
    }

    /// Remembers the body of `topic` built from `generation`; entries of other generations or
    /// settings are dropped first. A body older than the cache's current generation (built by
    /// a lookup that raced a change) is not kept.
    pub(super) fn insert(
        &mut self,
        generation: u64,
        acting_master: bool,
        topic: &str,
        body: Bytes,
    ) {
        if generation < self.generation {
            return;
        }
        if generation != self.generation || acting_master != self.acting_master {
            self.bodies.clear();
            self.generation = generation;
            self.acting_master = acting_master;
        }
        self.bodies.insert(topic.to_owned(), body);
    }
}

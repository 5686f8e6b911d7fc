//! Durability: consumer offsets across a broker restart, no acknowledged message lost when the
//! broker is killed under SYNC_FLUSH load, and where a new group starts (last offset, timestamp).

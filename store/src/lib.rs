//! The message store: CommitLog, ConsumeQueue, IndexFile, checkpoint, flush, recovery and clean-up,
//! byte-compatible with the Java broker's store directory.

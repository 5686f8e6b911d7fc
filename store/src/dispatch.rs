//! From a stored record to its consume-queue unit and index entries (Java's
//! `CommitLogDispatcher`s, run synchronously under the append lock), and the preparation before
//! an append that makes those writes unable to fail: the files they land in exist with their
//! blocks reserved, so a full disk refuses the put before anything is written.

use std::sync::Arc;

use crate::consume_queue::{ConsumeQueue, CqUnit};
use crate::decode::{scheduled_delivery, DispatchInfo};
use crate::error::Result;
use crate::layout::round_cq_file_size;
use crate::message::{sysflag, NewMessage};
use crate::props::{self, DispatchSpans};
use crate::store::{Inner, Placed};

/// Look up a queue, creating its (file-less) entry if new, like Java's `findConsumeQueue`.
pub(crate) fn queue_or_create(
    inner: &Inner,
    topic: &str,
    queue_id: i32,
) -> Result<Arc<ConsumeQueue>> {
    if let Some(q) = inner
        .queues
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(topic)
        .and_then(|m| m.get(&queue_id))
    {
        return Ok(Arc::clone(q));
    }
    let dir = inner.paths.consume_queue_dir(topic, queue_id)?;
    let mut table = inner.queues.write().unwrap_or_else(|e| e.into_inner());
    let per_topic = table.entry(topic.to_string()).or_default();
    if let Some(q) = per_topic.get(&queue_id) {
        return Ok(Arc::clone(q));
    }
    let seg = round_cq_file_size(inner.cfg().mapped_file_size_consume_queue);
    let q = Arc::new(ConsumeQueue::open(topic, queue_id, &dir, seg)?);
    per_topic.insert(queue_id, Arc::clone(&q));
    Ok(q)
}

/// A record's `KEYS`, `UNIQ_KEY`, `TAGS` and `DELAY` properties, read in one pass before the
/// append lock is taken: the first two size the index entries [`prepare`] makes room for, then
/// all go into its [`DispatchInfo`].
#[derive(Debug, Default, PartialEq)]
pub(crate) struct DispatchProps<'a> {
    keys: Option<&'a str>,
    uniq_key: Option<&'a str>,
    /// `TAGS`' hash, the consume-queue tags code unless a delay replaces it.
    tags_code: i64,
    /// `DELAY`, which replaces the tags code in the schedule topic.
    delay: Option<&'a str>,
}

impl<'a> DispatchProps<'a> {
    pub fn of(m: &'a NewMessage) -> DispatchProps<'a> {
        let [keys, uniq_key, tags, delay] = props::properties(&m.properties, props::DISPATCH_KEYS);
        DispatchProps {
            keys,
            uniq_key,
            tags_code: crate::message::tags_code(tags),
            delay,
        }
    }

    /// [`of`](Self::of), from where its caller says the values are.
    pub fn at(m: &'a NewMessage, spans: &DispatchSpans) -> DispatchProps<'a> {
        let [keys, uniq_key, tags, delay] = spans
            .clone()
            .map(|span| span.and_then(|r| m.properties.get(r)));
        let found = DispatchProps {
            keys,
            uniq_key,
            tags_code: crate::message::tags_code(tags),
            delay,
        };
        debug_assert_eq!(found, Self::of(m), "spans {spans:?} of {:?}", m.properties);
        found
    }

    /// How many index entries the dispatch of `m` adds (see `IndexService::build`).
    pub fn count(&self, m: &NewMessage) -> usize {
        if m.sys_flag & sysflag::TRANSACTION_MASK == sysflag::TRANSACTION_ROLLBACK {
            return 0;
        }
        let keys = self
            .keys
            .map_or(0, |k| k.split(' ').filter(|k| !k.is_empty()).count());
        usize::from(self.uniq_key.is_some()) + keys
    }
}

/// Before an append of `count` records from queue offset `next_qo` adding `index_keys` index
/// entries (append lock held): the queue's segments and the index file they need exist, their
/// blocks reserved.
pub(crate) fn prepare(
    inner: &Inner,
    cq: &ConsumeQueue,
    next_qo: i64,
    count: usize,
    index_keys: usize,
) -> Result<()> {
    cq.prepare(next_qo, count)?;
    match &inner.index {
        Some(ix) => ix.prepare(index_keys),
        None => Ok(()),
    }
}

/// Consume-queue and index entries for a record just appended (append lock held).
pub(crate) fn dispatch_new(
    inner: &Inner,
    cq: &ConsumeQueue,
    m: &NewMessage,
    props: DispatchProps,
    p: &Placed,
    store_ts: i64,
) -> Result<()> {
    let info = DispatchInfo {
        topic: &m.topic,
        queue_id: m.queue_id,
        physical_offset: p.physical_offset,
        size: p.size,
        tags_code: scheduled_delivery(&m.topic, props.delay, store_ts, &inner.delays)
            .unwrap_or(props.tags_code),
        store_timestamp: store_ts,
        queue_offset: p.queue_offset,
        keys: props.keys,
        uniq_key: props.uniq_key,
        sys_flag: crate::message::effective_sys_flag(m),
        prepared_transaction_offset: m.prepared_transaction_offset,
    };
    dispatch(inner, Some(cq), &info)
}

/// Build the consume-queue unit and index entries of one record (Java's dispatchers). Caller
/// holds the append lock or runs before the store serves.
pub(crate) fn dispatch(inner: &Inner, cq: Option<&ConsumeQueue>, d: &DispatchInfo) -> Result<()> {
    if sysflag::takes_queue_offset(d.sys_flag) {
        let owned;
        let cq = match cq {
            Some(q) => q,
            None => {
                owned = queue_or_create(inner, d.topic, d.queue_id)?;
                &owned
            }
        };
        let unit = CqUnit {
            queue_offset: d.queue_offset,
            physical_offset: d.physical_offset,
            size: d.size,
            tags_code: d.tags_code,
        };
        cq.append(&unit, d.store_timestamp)?;
    }
    if let Some(ix) = &inner.index {
        ix.build(d)?;
    }
    Ok(())
}

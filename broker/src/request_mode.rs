//! Message request modes (Java `MessageRequestModeManager`, `QueryAssignmentProcessor`):
//! SET_MESSAGE_REQUEST_MODE (401, `mqadmin setConsumeMode`) records whether a group consumes a
//! topic by PULL or POP, persisted in `config/messageRequestMode.json`;
//! GET_ALL_MESSAGE_REQUEST_MODE (402) returns the whole table (a slave copies it from its
//! master).
//!
//! QUERY_ASSIGNMENT (400, [`crate::pop::assignment`]) reads the mode for a client that lets
//! the broker assign its queues (`clientRebalance=false`).
//!
//! ```text
//! {"messageRequestModeMap":{"<topic>":{"<group>":{"consumerGroup":"<group>","mode":"POP","popShareQueueNum":2,"topic":"<topic>"}}}}
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use remoting::body::admin::SetMessageRequestModeRequestBody;
use remoting::code::response as rc;
use remoting::{body, Command};
use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::error::{Reject, Reply};
use crate::persist;
use crate::topics::RETRY_PREFIX;

/// topic → group → mode.
type ModeMap = BTreeMap<String, BTreeMap<String, SetMessageRequestModeRequestBody>>;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModeTable {
    #[serde(default)]
    message_request_mode_map: ModeMap,
}

/// The table and its file.
pub struct RequestModes {
    table: Mutex<ModeTable>,
    path: PathBuf,
}

impl RequestModes {
    /// Loads `config/messageRequestMode.json` (or its `.bak`) under the store root.
    pub fn open(store_root: &str) -> Result<Self, String> {
        let path = PathBuf::from(store_root).join("config/messageRequestMode.json");
        let table =
            persist::load(&path, |text| body::from_body(text.as_bytes()).ok())?.unwrap_or_default();
        Ok(RequestModes {
            table: Mutex::new(table),
            path,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ModeTable> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, mode: SetMessageRequestModeRequestBody) {
        let text = {
            let mut t = self.lock();
            t.message_request_mode_map
                .entry(mode.topic.clone())
                .or_default()
                .insert(mode.consumer_group.clone(), mode);
            serde_json::to_string_pretty(&*t).unwrap_or_default()
        };
        if let Err(e) = persist::store(&self.path, &text) {
            tracing::error!(file = %self.path.display(), "persist messageRequestMode.json: {e}");
        }
    }

    /// A slave's table becomes its master's (Java `SlaveSynchronize.syncMessageRequestMode`),
    /// persisted.
    pub fn replace_from_master(&self, body: &[u8]) -> Result<(), String> {
        let table: ModeTable = body::from_body(body).map_err(|e| e.to_string())?;
        let text = {
            let mut t = self.lock();
            *t = table;
            serde_json::to_string_pretty(&*t).unwrap_or_default()
        };
        persist::store(&self.path, &text)
    }

    /// The mode of (topic, group), if one was set.
    pub fn get(&self, topic: &str, group: &str) -> Option<SetMessageRequestModeRequestBody> {
        self.lock()
            .message_request_mode_map
            .get(topic)
            .and_then(|g| g.get(group))
            .cloned()
    }

    fn encode(&self) -> Result<Vec<u8>, remoting::BodyError> {
        body::try_to_body(&*self.lock())
    }

    fn is_empty(&self) -> bool {
        self.lock().message_request_mode_map.is_empty()
    }
}

/// SET_MESSAGE_REQUEST_MODE (401): the topic and the group must exist; retry topics refused.
pub fn set_mode(b: &Arc<Broker>, req: Command) -> Reply {
    let mode: SetMessageRequestModeRequestBody =
        body::from_body(req.body.as_deref().unwrap_or(b""))?;
    if mode.topic.starts_with(RETRY_PREFIX) {
        return Err(Reject::no_permission(
            "retry topic is not allowed to set mode",
        ));
    }
    if b.topics.get(&mode.topic).is_none() {
        return Err(Reject::code(
            rc::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", mode.topic),
        ));
    }
    // Java `findSubscriptionGroupConfig`: created here when autoCreateSubscriptionGroup is on.
    if b.groups
        .find_or_create(&mode.consumer_group, &b.config())
        .is_none()
    {
        return Err(Reject::code(
            rc::SUBSCRIPTION_GROUP_NOT_EXIST,
            "subscription group does not exist",
        ));
    }
    b.request_modes.set(mode);
    Ok(Command::response(rc::SUCCESS, None))
}

/// GET_ALL_MESSAGE_REQUEST_MODE (402).
pub fn all_modes(b: &Arc<Broker>) -> Reply {
    // Java answers an empty table as an error.
    if b.request_modes.is_empty() {
        return Err(Reject::system("No message request mode in this broker"));
    }
    Ok(Command::response(rc::SUCCESS, None).with_body(b.request_modes.encode()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_persist_and_reload() {
        let dir = std::env::temp_dir().join(format!("thrust-modes-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("config")).unwrap();
        let root = dir.display().to_string();
        let modes = RequestModes::open(&root).unwrap();
        assert!(modes.is_empty());
        let pop: SetMessageRequestModeRequestBody = body::from_body(
            br#"{"topic":"T","consumerGroup":"G","mode":"POP","popShareQueueNum":2}"#,
        )
        .unwrap();
        modes.set(pop.clone());
        let again = RequestModes::open(&root).unwrap();
        assert_eq!(again.get("T", "G"), Some(pop));
        let text = String::from_utf8(again.encode().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"messageRequestModeMap":{"T":{"G":{"consumerGroup":"G","mode":"POP","popShareQueueNum":2,"topic":"T"}}}}"#
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! KV config and NameServer config requests: PUT/GET/DELETE_KV_CONFIG,
//! GET_KVLIST_BY_NAMESPACE, UPDATE/GET_NAMESRV_CONFIG (Java `DefaultRequestProcessor`).

use remoting::code::response;
use remoting::config_effect::at_start;
use remoting::headers::namesrv::{
    DeleteKVConfigRequestHeader, GetKVConfigRequestHeader, GetKVConfigResponseHeader,
    GetKVListByNamespaceRequestHeader, PutKVConfigRequestHeader,
};
use remoting::{Command, Connection};

use crate::config::NamesrvConfig;
use crate::dispatch::{success, Reject, Reply};
use crate::error::Error;
use crate::server::NameServer;

/// Java `putKVConfig`. A failed write of `kvConfigPath` is reported (Java only logs it): the
/// value is set in memory but would be lost on restart.
pub fn put_kv_config(ns: &NameServer, req: &Command) -> Reply {
    let h: PutKVConfigRequestHeader = req.decode_header()?;
    ns.kv.put(&h.namespace, &h.key, &h.value)?;
    Ok(success())
}

/// Java `getKVConfig`.
pub fn get_kv_config(ns: &NameServer, req: &Command) -> Reply {
    let h: GetKVConfigRequestHeader = req.decode_header()?;
    match ns.kv.get(&h.namespace, &h.key) {
        Some(value) => Ok(success().with_header(&GetKVConfigResponseHeader { value: Some(value) })),
        None => Err(Reject::Code(
            response::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
        )),
    }
}

/// Java `deleteKVConfig`.
pub fn delete_kv_config(ns: &NameServer, req: &Command) -> Reply {
    let h: DeleteKVConfigRequestHeader = req.decode_header()?;
    ns.kv.delete(&h.namespace, &h.key)?;
    Ok(success())
}

/// Java `getKVListByNamespace`.
pub fn get_kv_list_by_namespace(ns: &NameServer, req: &Command) -> Reply {
    let h: GetKVListByNamespaceRequestHeader = req.decode_header()?;
    match ns.kv.list(&h.namespace) {
        Some(table) => Ok(success().with_body(crate::body::encode(&table))),
        None => Err(Reject::Code(
            response::QUERY_NOT_FOUND,
            format!("No config item, Namespace: {}", h.namespace),
        )),
    }
}

/// Java `updateConfig`: properties text; black-listed keys refuse the whole request (16);
/// known keys are applied, the config file's other keys updated, the result persisted to
/// `configStorePath`. Keys the NameServer has never heard of are ignored, as in Java. A value
/// Thrust does not support yet refuses the whole request (SYSTEM_ERROR naming the key).
pub fn update_config(ns: &NameServer, conn: &Connection, req: &Command) -> Reply {
    tracing::info!(client = %conn.peer(), "updateConfig called");
    let Some(body) = &req.body else {
        return Ok(success());
    };
    let text = std::str::from_utf8(body).map_err(|e| Error::body("properties", e))?;
    let entries = remoting::props::parse(text);
    // `configBlackList` is itself black-listed, so the list cannot change under this check.
    if ns.with_config(|c| entries.iter().any(|(k, _)| c.is_black_listed(k))) {
        return Err(Reject::Code(
            response::NO_PERMISSION,
            "Can not update config in black list.".into(),
        ));
    }
    ns.update_config(|state| {
        for (key, value) in &entries {
            let before = state.config.get(key);
            if !state.config.set(key, value)? {
                if let Some(slot) = state.extra.get_mut(key) {
                    *slot = value.clone();
                }
            } else if at_start(NamesrvConfig::rules(key)) && state.config.get(key) != before {
                return Err(Error::AtStart { key: key.clone() });
            }
        }
        state.config.check_supported()
    })?;
    Ok(success())
}

/// Java `getConfig`: every config as sorted `key=value` lines.
pub fn get_config(ns: &NameServer) -> Reply {
    let state = ns.config_state();
    let props = state.config.properties(&state.extra);
    let text = remoting::props::render(props.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(success().with_body(text.into_bytes()))
}

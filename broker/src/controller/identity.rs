//! The broker-id files of controller mode (Java 5.3.3 `BrokerMetadata`, `TempBrokerMetadata`,
//! `MetadataFile`), byte-compatible:
//!
//! ```text
//! <storePathBrokerIdentity>, default <storePathRootDir>/brokerIdentity:   cluster#brokerName#id
//! <storePathBrokerIdentity>-temp, while an id is being applied for:       cluster#brokerName#id#registerCheckCode
//! ```
//! No line end. Java writes through `MixAll.string2File` (the previous content goes to `.bak`);
//! it reads only the file itself.

use std::path::{Path, PathBuf};

use store::ConfigFile;

/// What one of the files holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerMetadata {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
    /// Only in the temp file: `<brokerAddr>;<ms>`, which the controller checks on apply.
    pub register_check_code: Option<String>,
}

impl BrokerMetadata {
    pub fn encode(&self) -> String {
        let mut s = format!(
            "{}#{}#{}",
            self.cluster_name, self.broker_name, self.broker_id
        );
        if let Some(code) = &self.register_check_code {
            s.push('#');
            s.push_str(code);
        }
        s
    }

    /// Java `decodeFromStr` then `isLoaded`: `None` unless every field is there.
    pub fn decode(text: &str, temp: bool) -> Option<BrokerMetadata> {
        let parts: Vec<&str> = text.split('#').collect();
        let (cluster, name, id) = (parts.first()?, parts.get(1)?, parts.get(2)?);
        let code = parts
            .get(3)
            .filter(|c| !c.is_empty())
            .map(|c| c.to_string());
        if cluster.is_empty() || name.is_empty() || (temp && code.is_none()) {
            return None;
        }
        Some(BrokerMetadata {
            cluster_name: cluster.to_string(),
            broker_name: name.to_string(),
            broker_id: id.parse().ok()?,
            register_check_code: if temp { code } else { None },
        })
    }
}

/// One of the two files.
#[derive(Debug, Clone)]
pub struct MetadataFile {
    file: ConfigFile,
    temp: bool,
}

impl MetadataFile {
    /// The broker-id file at `path` (`storePathBrokerIdentity`).
    pub fn identity(path: &Path) -> MetadataFile {
        MetadataFile {
            file: ConfigFile::new(path),
            temp: false,
        }
    }

    /// The temp file beside it (`<path>-temp`).
    pub fn temp(path: &Path) -> MetadataFile {
        let mut p = path.as_os_str().to_os_string();
        p.push("-temp");
        MetadataFile {
            file: ConfigFile::new(PathBuf::from(p)),
            temp: true,
        }
    }

    /// The content, `None` when the file is missing or incomplete.
    pub fn read(&self) -> Option<BrokerMetadata> {
        let text = std::fs::read_to_string(self.file.path()).ok()?;
        BrokerMetadata::decode(&text, self.temp)
    }

    pub fn write(&self, m: &BrokerMetadata) -> store::Result<()> {
        self.file.persist(&m.encode())
    }

    /// Java `clear`: the file is deleted.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(self.file.path());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn javas_text_both_ways() {
        let m = BrokerMetadata {
            cluster_name: "DefaultCluster".into(),
            broker_name: "broker-a".into(),
            broker_id: 2,
            register_check_code: None,
        };
        assert_eq!(m.encode(), "DefaultCluster#broker-a#2");
        assert_eq!(BrokerMetadata::decode(&m.encode(), false), Some(m.clone()));
        let t = BrokerMetadata {
            register_check_code: Some("127.0.0.1:10911;1700000000000".into()),
            ..m
        };
        assert_eq!(
            t.encode(),
            "DefaultCluster#broker-a#2#127.0.0.1:10911;1700000000000"
        );
        assert_eq!(BrokerMetadata::decode(&t.encode(), true), Some(t));
        assert_eq!(BrokerMetadata::decode("c#b#2", true), None, "no check code");
        assert_eq!(BrokerMetadata::decode("c##2", false), None);
    }

    #[test]
    fn files_sit_where_java_puts_them() {
        let dir = std::env::temp_dir().join(format!("thrust-identity-{}", std::process::id()));
        let path = dir.join("brokerIdentity");
        let temp = MetadataFile::temp(&path);
        let m = BrokerMetadata::decode("c#b#3#addr;1", true).unwrap();
        temp.write(&m).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("brokerIdentity-temp")).unwrap(),
            "c#b#3#addr;1"
        );
        assert_eq!(temp.read(), Some(m));
        temp.clear();
        assert_eq!(temp.read(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}

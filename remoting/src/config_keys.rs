//! `config_keys!`: the one declaration of a server's config keys (used by the NameServer and the
//! controller; the broker's wider table is `broker/src/config_keys.rs`).

/// Declares a server's config struct and its key table once: one field per Java key, with its
/// key name, Java's default, its effect in Thrust and its rules (`config_effect`). The caller
/// names the struct and supplies `Error::ConfigValue` and `Result` in scope.
#[macro_export]
macro_rules! config_keys {
    ($(#[$smeta:meta])* struct $name:ident; $( $(#[$gmeta:meta])* group $group:ident { $( $(#[$meta:meta])* $field:ident : $ty:ty = $key:literal, $default:expr, $effect:expr $(, $rule:expr)*; )* } )*) => {
        $(#[$smeta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $( $(#[$meta])* pub $field: $ty, )* )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $( $field: $default, )* )* }
            }
        }

        /// Which Java config object a key belongs to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Group { $( $(#[$gmeta])* $group, )* }

        impl $name {
            /// Every key with its group, in Java's declaration order.
            pub const KEYS: &'static [(&'static str, Group)] = &[ $( $( ($key, Group::$group), )* )* ];

            /// Sets `key` from its text; `Ok(false)` for a key that is not declared.
            pub fn set(&mut self, key: &str, text: &str) -> Result<bool> {
                match key {
                    $( $( $key => {
                        let bad = |reason| Error::ConfigValue {
                            key: key.to_string(),
                            value: text.to_string(),
                            reason,
                        };
                        let value: $ty = $crate::props::ConfigValue::parse_java(text.trim()).map_err(bad)?;
                        $crate::config_effect::check_range(&[ $( $rule ),* ], &$crate::props::ConfigValue::render_java(&value).unwrap_or_default())
                            .map_err(bad)?;
                        self.$field = value;
                        Ok(true)
                    } )* )*
                    _ => Ok(false),
                }
            }

            /// The current value of `key` as Java renders it (`None` for null or unknown keys).
            pub fn get(&self, key: &str) -> Option<String> {
                match key {
                    $( $( $key => $crate::props::ConfigValue::render_java(&self.$field), )* )*
                    _ => None,
                }
            }

            /// What `key`'s value must satisfy, and whether an update may change it.
            pub fn rules(key: &str) -> &'static [$crate::config_effect::Rule] {
                match key {
                    $( $( $key => { const RULES: &[$crate::config_effect::Rule] = &[ $( $rule ),* ]; RULES } )* )*
                    _ => &[],
                }
            }

            /// What `key` does in Thrust (`None` for an undeclared key).
            pub fn effect(key: &str) -> Option<$crate::config_effect::Effect> {
                match key {
                    $( $( $key => Some($effect), )* )*
                    _ => None,
                }
            }

            /// Java's default of `key` as Java renders it (`None` for null or unknown keys).
            pub fn default_text(key: &str) -> Option<String> {
                match key {
                    $( $( $key => { let d: $ty = $default; $crate::props::ConfigValue::render_java(&d) } )* )*
                    _ => None,
                }
            }
        }
    };
}

//! Permission bits and the decision of Java's `Permission` and
//! `PlainPermissionManager.checkPerm` (4.9.x).

use remoting::code::request as rq;

/// Java `Permission.DENY`.
pub const DENY: u8 = 1;
/// Java `Permission.ANY`.
pub const ANY: u8 = 1 << 1;
/// Java `Permission.PUB`.
pub const PUB: u8 = 1 << 2;
/// Java `Permission.SUB`.
pub const SUB: u8 = 1 << 3;

/// Java `Permission.checkPermission`: DENY wins, ANY wants PUB or SUB, otherwise any common bit.
pub fn check_permission(needed: u8, owned: u8) -> bool {
    if owned & DENY != 0 {
        return false;
    }
    if needed & ANY != 0 {
        return owned & (PUB | SUB) != 0;
    }
    needed & owned != 0
}

/// Java `Permission.parsePermFromString`: anything unknown (or absent) is DENY.
pub fn parse_perm(s: Option<&str>) -> u8 {
    match s.map(str::trim) {
        Some("PUB") => PUB,
        Some("SUB") => SUB,
        Some("PUB|SUB") | Some("SUB|PUB") => PUB | SUB,
        _ => DENY,
    }
}

/// Java `Permission.ADMIN_CODE`: the requests only an `admin: true` account may send.
pub fn needs_admin(code: i32) -> bool {
    matches!(
        code,
        rq::UPDATE_AND_CREATE_TOPIC
            | rq::UPDATE_BROKER_CONFIG
            | rq::DELETE_TOPIC_IN_BROKER
            | rq::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
            | rq::DELETE_SUBSCRIPTIONGROUP
    )
}

/// Java `Permission.checkResourcePerms`, run on the perms an ACL admin request brings.
pub fn check_resource_perms(resources: &[String]) -> Result<(), String> {
    for r in resources {
        let items = split_tokens(r, '=');
        if items.len() != 2 {
            return Err(format!(
                "Parse Resource format error for {r}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB"
            ));
        }
        let perm = items[1].trim();
        if perm != "DENY" && parse_perm(Some(perm)) == DENY {
            return Err(format!(
                "Parse resource permission error for {r}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'."
            ));
        }
    }
    Ok(())
}

/// Commons-lang `StringUtils.split(s, c)`: the non-empty pieces.
pub fn split_tokens(s: &str, c: char) -> Vec<&str> {
    s.split(c).filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Permission.checkPermission(needed, owned)` for every pair of 4-bit values, from the
    /// rocketmq-acl 4.9.7 jar (a one-off Java program printing the 256 answers); each row is the
    /// owned values 0..16 for which the answer was true.
    const JAVA_TRUE_OWNED: [&[u8]; 16] = [
        &[],
        &[],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 12, 14],
        &[4, 6, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[8, 10, 12, 14],
        &[8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
        &[4, 6, 8, 10, 12, 14],
    ];

    #[test]
    fn check_permission_matches_java_for_all_bit_pairs() {
        for needed in 0..16u8 {
            for owned in 0..16u8 {
                let java = JAVA_TRUE_OWNED[needed as usize].contains(&owned);
                assert_eq!(check_permission(needed, owned), java, "{needed} {owned}");
            }
        }
    }

    #[test]
    fn perm_strings() {
        assert_eq!(parse_perm(Some(" PUB|SUB ")), PUB | SUB);
        assert_eq!(parse_perm(Some("SUB|PUB")), PUB | SUB);
        assert_eq!(parse_perm(Some("pub")), DENY);
        assert_eq!(parse_perm(None), DENY);
        assert!(check_resource_perms(&["a=PUB".into(), "b=DENY".into()]).is_ok());
        assert!(check_resource_perms(&["a=WRITE".into()]).is_err());
        assert!(check_resource_perms(&["a".into()]).is_err());
    }
}

//! The coercions of the lenient layer, one fastjson rule at a time (fastjson 1.2.83 codecs and
//! `TypeUtils`), on a bean-like type with every kind of field.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::body::from_body;
use crate::body::heartbeat::ConsumeFromWhere as Where;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
struct Bean {
    #[serde(rename = "clientID")]
    client_id: String,
    perm: i32,
    sub_version: i64,
    tps: f64,
    order: bool,
    topic_sys_flag: Option<i32>,
    code_set: Vec<i32>,
    tags_set: Vec<String>,
    table: BTreeMap<i64, String>,
    consume_from_where: Option<Where>,
    inner: Option<Box<Bean>>,
}

fn bean(text: &str) -> Bean {
    from_body(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn refused(text: &str) -> String {
    match from_body::<Bean>(text.as_bytes()) {
        Ok(b) => panic!("{text} read as {b:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn integers_from_strings_decimals_booleans_and_null() {
    for (text, perm) in [
        (r#"{"perm":6}"#, 6),
        (r#"{"perm":"6"}"#, 6),
        (r#"{"perm":"+6"}"#, 6),
        (r#"{"perm":"-6"}"#, -6),
        (r#"{"perm":"1,024"}"#, 1024),
        (r#"{"perm":"6.00"}"#, 6),
        (r#"{"perm":6.9}"#, 6),
        (r#"{"perm":-6.9}"#, -6),
        (r#"{"perm":true}"#, 1),
        (r#"{"perm":false}"#, 0),
        (r#"{"perm":null}"#, 0),
        (r#"{"perm":""}"#, 0),
        (r#"{"perm":"null"}"#, 0),
        (r#"{"perm":"NULL"}"#, 0),
        (r#"{"perm":'6'}"#, 6),
        ("{perm:6L}", 6),
    ] {
        assert_eq!(bean(text).perm, perm, "{text}");
    }
    assert_eq!(
        bean(r#"{"subVersion":"1700000000000"}"#).sub_version,
        1_700_000_000_000
    );
    // castToLong takes no decimal point; castToInt strips only zeros after it.
    refused(r#"{"subVersion":"5.0"}"#);
    refused(r#"{"perm":"6.5"}"#);
    refused(r#"{"perm":"six"}"#);
    refused(r#"{"perm":" 6"}"#);
    refused(r#"{"perm":99999999999}"#);
    refused(r#"{"perm":"99999999999"}"#);
    refused(r#"{"perm":[6]}"#);
    refused(r#"{"perm":{}}"#);
    assert_eq!(bean(r#"{"topicSysFlag":"7"}"#).topic_sys_flag, Some(7));
    assert_eq!(bean(r#"{"topicSysFlag":null}"#).topic_sys_flag, None);
}

#[test]
fn floats_from_strings_and_booleans() {
    for (text, tps) in [
        (r#"{"tps":1.5}"#, 1.5),
        (r#"{"tps":"1.5"}"#, 1.5),
        (r#"{"tps":"1,000.5"}"#, 1000.5),
        (r#"{"tps":2}"#, 2.0),
        (r#"{"tps":true}"#, 1.0),
        (r#"{"tps":""}"#, 0.0),
        ("{tps:1.5D}", 1.5),
    ] {
        assert_eq!(bean(text).tps, tps, "{text}");
    }
    refused(r#"{"tps":"fast"}"#);
}

#[test]
fn booleans_as_fastjson_casts_them() {
    let t = [
        "true",
        "1",
        r#""true""#,
        r#""TRUE""#,
        r#""1""#,
        r#""Y""#,
        r#""y""#,
        r#""T""#,
    ];
    let f = [
        "false",
        "0",
        "2",
        "-1",
        "null",
        r#""false""#,
        r#""False""#,
        r#""0""#,
        r#""F""#,
        r#""f""#,
        r#""N""#,
        r#""""#,
        r#""null""#,
    ];
    for (set, want) in [(&t[..], true), (&f[..], false)] {
        for v in set {
            let text = format!(r#"{{"order":{v}}}"#);
            assert_eq!(bean(&text).order, want, "{text}");
        }
    }
    for v in [r#""yes""#, r#""n""#, r#""t""#, "[]"] {
        refused(&format!(r#"{{"order":{v}}}"#));
    }
}

#[test]
fn strings_from_any_value() {
    for (v, want) in [
        (r#""c1""#, "c1"),
        ("12", "12"),
        ("-1.5", "-1.5"),
        ("true", "true"),
        ("null", ""),
        (r#"{"a":1}"#, r#"{"a":1}"#),
        ("[1,'x']", r#"[1,"x"]"#),
    ] {
        let text = format!(r#"{{"clientID":{v}}}"#);
        assert_eq!(bean(&text).client_id, want, "{text}");
    }
    let b = bean(r#"{"tagsSet":["TagA",7,true,null]}"#);
    assert_eq!(b.tags_set, ["TagA", "7", "true", ""]);
}

#[test]
fn enums_by_ordinal_or_name_in_any_case() {
    for (v, want) in [
        ("0", Where::LastOffset),
        ("1", Where::LastOffsetAndFromMinWhenBootFirst),
        ("4", Where::FirstOffset),
        ("5", Where::Timestamp),
        (r#""CONSUME_FROM_FIRST_OFFSET""#, Where::FirstOffset),
        (r#""consume_from_first_offset""#, Where::FirstOffset),
        (r#""Consume_From_Max_Offset""#, Where::MaxOffset),
    ] {
        let text = format!(r#"{{"consumeFromWhere":{v}}}"#);
        assert_eq!(bean(&text).consume_from_where, Some(want), "{text}");
    }
    assert_eq!(
        bean(r#"{"consumeFromWhere":null}"#).consume_from_where,
        None
    );
    assert!(refused(r#"{"consumeFromWhere":6}"#).contains("not an ordinal"));
    refused(r#"{"consumeFromWhere":-1}"#);
    refused(r#"{"consumeFromWhere":1.5}"#);
    assert!(refused(r#"{"consumeFromWhere":"CONSUME_FROM_NOWHERE"}"#).contains("unknown"));
    refused(r#"{"consumeFromWhere":"CONSUMEFROMFIRSTOFFSET"}"#);
}

#[test]
fn keys_match_as_fastjson_smart_match() {
    for text in [
        r#"{"clientID":"c"}"#,
        r#"{"clientId":"c"}"#,
        r#"{"clientid":"c"}"#,
        r#"{"client_id":"c"}"#,
        r#"{"CLIENT-ID":"c"}"#,
        "{clientID:'c'}",
    ] {
        assert_eq!(bean(text).client_id, "c", "{text}");
    }
    assert!(bean(r#"{"isOrder":true}"#).order);
    // `is` is stripped for boolean values only.
    assert_eq!(bean(r#"{"isPerm":6}"#).perm, 0);
    // The first key reaching a field sets it; an exact repeat of a key, the last one.
    assert_eq!(
        bean(r#"{"client_id":"first","clientID":"second"}"#).client_id,
        "first"
    );
    assert_eq!(
        bean(r#"{"clientID":"first","clientid":"second"}"#).client_id,
        "first"
    );
    assert_eq!(
        bean(r#"{"clientID":"first","clientID":"last"}"#).client_id,
        "last"
    );
    assert_eq!(
        bean(r#"{"inner":{"PERM":"4","sub_version":3}}"#)
            .inner
            .map(|b| (b.perm, b.sub_version)),
        Some((4, 3))
    );
    assert_eq!(bean(r#"{"unknownField":{"x":[1]},"perm":2}"#).perm, 2);
}

#[test]
fn nulls_and_empty_strings_for_containers_and_beans() {
    let b = bean(r#"{"codeSet":null,"tagsSet":null,"table":null,"inner":""}"#);
    assert!(b.code_set.is_empty() && b.tags_set.is_empty() && b.table.is_empty());
    assert_eq!(b.inner, Some(Box::default()));
    assert_eq!(bean("null"), Bean::default());
    refused(r#"{"codeSet":5}"#);
    refused(r#"{"codeSet":"5"}"#);
    refused(r#"{"table":[1]}"#);
}

#[test]
fn elements_and_typed_map_keys_are_lenient_too() {
    let b = bean(r#"{"codeSet":["2598919",-1,"0"],"table":{0:"a","7":"b",'-2':"c"}}"#);
    assert_eq!(b.code_set, [2_598_919, -1, 0]);
    let want: BTreeMap<i64, String> = [(-2, "c"), (0, "a"), (7, "b")]
        .map(|(k, v)| (k, v.to_string()))
        .into();
    assert_eq!(b.table, want);
    refused(r#"{"table":{"x":"a"}}"#);
}

#[test]
fn fastjson_syntax_reaches_the_types() {
    let java = bean(r#"{"clientID":"c","codeSet":[1,2],"order":true,"perm":6}"#);
    for text in [
        "{clientID:'c',codeSet:Set[1,2],order:true,perm:6}",
        "{,'clientID':'c',,codeSet:TreeSet[1,,2,],order:'true',perm:'6',}",
        "/* a */ {\"clientID\" : \"c\", // b\n \"codeSet\":[1,2],\"order\":1,\"perm\":6L}",
        "{\"clientID\":\"c\",\"codeSet\":[\"1\",\"2\"],\"order\":\"Y\",\"perm\":\"6\"}\n",
    ] {
        assert_eq!(bean(text), java, "{text}");
    }
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct WithDefaults {
    #[serde(default = "six")]
    perm: i32,
    #[serde(default = "tag")]
    expression_type: String,
}

fn six() -> i32 {
    6
}

fn tag() -> String {
    "TAG".into()
}

#[test]
fn a_null_field_keeps_its_default() {
    let w: WithDefaults = from_body(br#"{"perm":null,"expressionType":null}"#).unwrap();
    assert_eq!(
        w,
        WithDefaults {
            perm: 6,
            expression_type: "TAG".into()
        }
    );
    let w: WithDefaults = from_body(br#"{"PERM":null,"perm":4}"#).unwrap();
    assert_eq!(w.perm, 4);
}

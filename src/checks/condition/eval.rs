//! Judging a parsed condition against the facts one run saw, in three values: a fact
//! that is missing makes a comparison unknown, not failed.

use std::cmp::Ordering;
use std::time::Duration;

use serde_json::Value;

use super::lex::Op;
use super::parse::{Comparison, Expr, Literal};
use super::{Facts, Subject, Verdict};
use crate::checks::perfdata::split_number;
use crate::config::diagnostic::suggestion;
use crate::config::duration::format_duration;

/// How much of a text or JSON value a message quotes.
const SEEN_CHARS: usize = 60;

pub(super) fn eval(expr: &Expr, facts: &Facts) -> Verdict {
    match expr {
        // false and unknown = false; true and unknown = unknown.
        Expr::And(items) => {
            let mut unknown = None;
            for item in items {
                match eval(item, facts) {
                    Verdict::Holds => {}
                    Verdict::Fails(why) => return Verdict::Fails(why),
                    Verdict::Unknown(why) => {
                        unknown.get_or_insert(why);
                    }
                }
            }
            unknown.map_or(Verdict::Holds, Verdict::Unknown)
        }
        // true or unknown = true; false or unknown = unknown.
        Expr::Or(items) => {
            let mut fails = Vec::new();
            let mut unknown = None;
            for item in items {
                match eval(item, facts) {
                    Verdict::Holds => return Verdict::Holds,
                    Verdict::Fails(why) => fails.push(why),
                    Verdict::Unknown(why) => {
                        unknown.get_or_insert(why);
                    }
                }
            }
            unknown.map_or_else(|| Verdict::Fails(fails.join("; ")), Verdict::Unknown)
        }
        Expr::Not(inner, text) => match eval(inner, facts) {
            Verdict::Holds => Verdict::Fails(format!("{text} holds, expected it not to")),
            Verdict::Fails(_) => Verdict::Holds,
            unknown => unknown,
        },
        Expr::Compare(comparison) => compare(comparison, facts),
    }
}

fn compare(c: &Comparison, facts: &Facts) -> Verdict {
    let missing = |why: &str| Verdict::Unknown(why.to_string());
    match &c.subject {
        Subject::Status => match facts.status {
            Some(status) => number(c, f64::from(status), &status.to_string()),
            None => missing("no status: there was no HTTP response"),
        },
        Subject::Time => match facts.time {
            Some(time) => duration(c, time),
            None => missing("no time: nothing was timed"),
        },
        Subject::Body => match facts.body {
            Some(body) => text(c, body),
            None => missing("no body: there was no response"),
        },
        Subject::Output => match facts.output {
            Some(output) => text(c, output),
            None => missing("no output: nothing ran that prints"),
        },
        Subject::Banner => match facts.banner {
            Some(banner) => text(c, banner),
            None => missing("no banner: the server sent none"),
        },
        Subject::CertDays => match facts.cert_days {
            Some(days) => number(c, days, &days.to_string()),
            None => missing("no certificate: the connection was not TLS"),
        },
        Subject::Value => match facts.value {
            Some(value) => number(c, value, &value.to_string()),
            None => missing("no value: the query returned no sample"),
        },
        Subject::Exit => match facts.exit {
            Some(code) => number(c, f64::from(code), &code.to_string()),
            None => missing("no exit code: the command did not run or was killed"),
        },
        Subject::Metric(name) => match facts.metrics.iter().find(|m| m.label == *name) {
            None => {
                let labels = facts.metrics.iter().map(|m| m.label.as_str());
                let guess = suggestion(name, labels);
                Verdict::Unknown(format!("no metric \"{name}\" in the output{guess}"))
            }
            Some(m) => match m.value {
                Some(v) => number(c, v, &format!("{v}{}", m.uom)),
                None => Verdict::Unknown(format!(
                    "metric \"{name}\" is U: the plugin could not measure it"
                )),
            },
        },
        Subject::Label(name) => match facts.labels.map(|labels| labels.get(name)) {
            None => missing("no labels: only series and alerts have labels"),
            Some(None) => Verdict::Unknown(format!("no label \"{name}\"")),
            Some(Some(value)) => text(c, value),
        },
        Subject::Json(_) => json(c, facts.json),
    }
}

fn expected(c: &Comparison) -> String {
    format!("expected {} {}", c.op.as_str(), c.written)
}

/// Whether `ordering` (of seen against wanted) satisfies `op`. Incomparable (NaN) values
/// satisfy only `!=`.
fn satisfies(ordering: Option<Ordering>, op: Op) -> bool {
    use Ordering::{Equal, Greater, Less};
    match op {
        Op::Eq => ordering == Some(Equal),
        Op::Ne => ordering != Some(Equal),
        Op::Lt => ordering == Some(Less),
        Op::Le => matches!(ordering, Some(Less | Equal)),
        Op::Gt => ordering == Some(Greater),
        Op::Ge => matches!(ordering, Some(Greater | Equal)),
        Op::Match | Op::NotMatch => false,
    }
}

fn verdict(holds: bool, failed: impl FnOnce() -> String) -> Verdict {
    if holds {
        Verdict::Holds
    } else {
        Verdict::Fails(failed())
    }
}

/// A type the parser let through that this subject cannot be judged by; never expected.
fn mismatch(c: &Comparison) -> Verdict {
    Verdict::Unknown(format!(
        "{} cannot be compared with {}",
        c.subject, c.written
    ))
}

fn number(c: &Comparison, seen: f64, shown: &str) -> Verdict {
    let Literal::Number(want) = c.literal else {
        return mismatch(c);
    };
    verdict(satisfies(seen.partial_cmp(&want), c.op), || {
        format!("{} {shown}, {}", c.subject, expected(c))
    })
}

fn duration(c: &Comparison, seen: Duration) -> Verdict {
    let Literal::Duration(want) = c.literal else {
        return mismatch(c);
    };
    verdict(satisfies(Some(seen.cmp(&want)), c.op), || {
        format!("time {}, {}", format_duration(seen), expected(c))
    })
}

fn text(c: &Comparison, seen: &str) -> Verdict {
    let holds = match (&c.literal, c.op, &c.regex) {
        (_, Op::Match, Some(regex)) => regex.is_match(seen),
        (_, Op::NotMatch, Some(regex)) => !regex.is_match(seen),
        (Literal::Text(want), Op::Eq, _) => seen == want,
        (Literal::Text(want), Op::Ne, _) => seen != want,
        _ => return mismatch(c),
    };
    verdict(holds, || {
        format!("{} is {}, {}", c.subject, quote(seen), expected(c))
    })
}

/// A path that selects nothing fails; one that selects several nodes holds only if every
/// node does.
fn json(c: &Comparison, document: Option<&Value>) -> Verdict {
    let Some(document) = document else {
        return Verdict::Unknown("no body: the response was not JSON".into());
    };
    let Some(path) = &c.json else {
        return mismatch(c);
    };
    let nodes = path.query(document).all();
    if nodes.is_empty() {
        return Verdict::Fails(format!("{} is missing", c.subject));
    }
    for (i, node) in nodes.iter().enumerate() {
        if let Some(why) = json_node_fails(c, node) {
            let which = match nodes.len() {
                1 => String::new(),
                n => format!(" (node {} of {n})", i + 1),
            };
            let seen = clip(&node.to_string());
            return Verdict::Fails(format!(
                "{}{which} is {seen}{why}, {}",
                c.subject,
                expected(c)
            ));
        }
    }
    Verdict::Holds
}

/// None when `node` satisfies the comparison, else what to add after the value shown
/// (", not a number" when an ordering met something that is not one).
fn json_node_fails(c: &Comparison, node: &Value) -> Option<&'static str> {
    let holds = match (&c.literal, c.op) {
        (_, Op::Match | Op::NotMatch) => {
            let matched = c
                .regex
                .as_ref()
                .is_some_and(|r| r.is_match(&string_form(node)));
            matched == (c.op == Op::Match)
        }
        (Literal::Number(want), op) => match json_number(node) {
            Some(seen) => satisfies(seen.partial_cmp(want), op),
            None if op.is_ordering() => return Some(", not a number"),
            None => op == Op::Ne,
        },
        (Literal::Text(want), Op::Eq) => string_form(node) == *want,
        (Literal::Text(want), Op::Ne) => string_form(node) != *want,
        (Literal::Text(want), op) => match node {
            Value::String(seen) => satisfies(Some(seen.as_str().cmp(want.as_str())), op),
            _ => return Some(", not text"),
        },
        (Literal::Bool(want), op) => (*node == Value::Bool(*want)) == (op == Op::Eq),
        (Literal::Null, op) => node.is_null() == (op == Op::Eq),
        (Literal::Duration(_), _) => false,
    };
    (!holds).then_some("")
}

/// A JSON number, or a string that holds one (`"42"`, as some APIs send counts).
fn json_number(node: &Value) -> Option<f64> {
    match node {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match split_number(s.trim()) {
            Some((n, "")) => Some(n),
            _ => None,
        },
        _ => None,
    }
}

/// What a regex or text comparison sees of a node: a string's contents, else its JSON.
fn string_form(node: &Value) -> String {
    match node {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `text` quoted and escaped, cut short when long.
fn quote(text: &str) -> String {
    match text.char_indices().nth(SEEN_CHARS) {
        Some((cut, _)) => format!("{:?}", format!("{}…", &text[..cut])),
        None => format!("{text:?}"),
    }
}

/// JSON text cut short when long.
fn clip(text: &str) -> String {
    match text.char_indices().nth(SEEN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::json;

    use crate::checks::condition::{Condition, Facts, Verdict};
    use crate::checks::perfdata::{parse_plugin_output, Metric};

    fn eval(text: &str, facts: &Facts) -> Verdict {
        match Condition::parse(text) {
            Ok(c) => c.eval(facts),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn fails(why: &str) -> Verdict {
        Verdict::Fails(why.into())
    }

    fn unknown(why: &str) -> Verdict {
        Verdict::Unknown(why.into())
    }

    #[test]
    fn http_status_and_latency() {
        let slow = Facts {
            status: Some(503),
            time: Some(Duration::from_millis(812)),
            ..Facts::default()
        };
        assert_eq!(
            eval("status == 200", &slow),
            fails("status 503, expected == 200")
        );
        assert_eq!(
            eval("status != 503", &slow),
            fails("status 503, expected != 503")
        );
        assert_eq!(eval("status >= 500", &slow), Verdict::Holds);
        assert_eq!(
            eval("time < 500ms", &slow),
            fails("time 812ms, expected < 500ms")
        );
        assert_eq!(eval("time < 1s", &slow), Verdict::Holds);
        assert_eq!(eval("time <= 812ms", &slow), Verdict::Holds);
        assert_eq!(
            eval("time > 1.5s", &slow),
            fails("time 812ms, expected > 1.5s")
        );
        let none = Facts::default();
        assert_eq!(
            eval("status == 200", &none),
            unknown("no status: there was no HTTP response")
        );
        assert_eq!(
            eval("time < 1s", &none),
            unknown("no time: nothing was timed")
        );
    }

    #[test]
    fn and_or_not_with_unknowns() {
        let facts = Facts {
            status: Some(200),
            ..Facts::default()
        };
        let unknown_status = unknown("no time: nothing was timed");
        for (text, want) in [
            ("status == 200 and time < 1s", unknown_status.clone()),
            (
                "status == 500 and time < 1s",
                fails("status 200, expected == 500"),
            ),
            (
                "time < 1s and status == 500",
                fails("status 200, expected == 500"),
            ),
            ("status == 200 or time < 1s", Verdict::Holds),
            ("time < 1s or status == 200", Verdict::Holds),
            ("status == 500 or time < 1s", unknown_status.clone()),
            ("not time < 1s", unknown_status.clone()),
            ("not status == 500", Verdict::Holds),
            (
                "not status == 200",
                fails("status == 200 holds, expected it not to"),
            ),
            (
                "not (status == 200 or status == 204)",
                fails("(status == 200 or status == 204) holds, expected it not to"),
            ),
            (
                "status == 500 or status == 204",
                fails("status 200, expected == 500; status 200, expected == 204"),
            ),
            // not binds tighter than and, and than or.
            ("not status == 500 and status == 200", Verdict::Holds),
            (
                "status == 1 and status == 2 or status == 200",
                Verdict::Holds,
            ),
            (
                "status == 1 and (status == 2 or status == 200)",
                fails("status 200, expected == 1"),
            ),
        ] {
            assert_eq!(eval(text, &facts), want, "{text:?}");
        }
    }

    /// The Prometheus HTTP API documentation's instant query example (`up` at
    /// 2015-07-01T20:10:51.781Z).
    fn prometheus_up() -> serde_json::Value {
        json!({
           "status" : "success",
           "data" : {
              "resultType" : "vector",
              "result" : [
                 {
                    "metric" : { "__name__" : "up", "job" : "prometheus", "instance" : "localhost:9090" },
                    "value": [ 1435781451.781, "1" ]
                 },
                 {
                    "metric" : { "__name__" : "up", "job" : "node", "instance" : "localhost:9100" },
                    "value" : [ 1435781451.781, "0" ]
                 }
              ]
           }
        })
    }

    #[test]
    fn json_paths_against_the_prometheus_api_example() {
        let doc = prometheus_up();
        let facts = Facts {
            json: Some(&doc),
            ..Facts::default()
        };
        for (text, want) in [
            ("json.status == \"success\"", Verdict::Holds),
            ("json.data.resultType ~ \"^(vector|matrix)$\"", Verdict::Holds),
            // Every node must hold; the first that does not is named.
            ("json.data.result[*].value[1] == \"1\"", fails("json.data.result[*].value[1] (node 2 of 2) is \"0\", expected == \"1\"")),
            // Sample values are strings in this API: compared with a number, they are read as one.
            ("json.data.result[*].value[1] > 0", fails("json.data.result[*].value[1] (node 2 of 2) is \"0\", expected > 0")),
            ("json.data.result[*].value[1] >= 0", Verdict::Holds),
            ("json.data.result[?@.metric.job == \"prometheus\"].value[1] == 1", Verdict::Holds),
            ("json.data.result[0].metric.instance ~ \":9090$\"", Verdict::Holds),
            ("json.data.result[*].value[0] > 1435781451", Verdict::Holds),
            ("json.data.warnings == null", fails("json.data.warnings is missing")),
            ("json.data.warnings != null", fails("json.data.warnings is missing")),
            ("json.data.result[5].value[1] == \"1\"", fails("json.data.result[5].value[1] is missing")),
            ("json.data.resultType < \"string\"", fails("json.data.resultType is \"vector\", expected < \"string\"")),
            ("json.data.resultType > \"string\"", Verdict::Holds),
            ("json.data.result[0].value > 3", fails("json.data.result[0].value is [1435781451.781,\"1\"], not a number, expected > 3")),
            ("json ~ \"success\"", Verdict::Holds),
        ] {
            assert_eq!(eval(text, &facts), want, "{text:?}");
        }
        assert_eq!(
            eval("json.status == \"success\"", &Facts::default()),
            unknown("no body: the response was not JSON")
        );
    }

    #[test]
    fn json_values_compare_by_type() {
        let doc = json!({
            "status": "degraded", "ok": true, "gone": null, "code": 204, "count": "many",
            "items": [{"state": "up"}, {"state": "up"}], "version": "1.10", "big": 1e300
        });
        let facts = Facts {
            json: Some(&doc),
            ..Facts::default()
        };
        for (text, want) in [
            (
                "json.status == \"ok\"",
                fails("json.status is \"degraded\", expected == \"ok\""),
            ),
            ("json.status != \"ok\"", Verdict::Holds),
            ("json.ok == true", Verdict::Holds),
            (
                "json.ok == false",
                fails("json.ok is true, expected == false"),
            ),
            ("json.ok != null", Verdict::Holds),
            ("json.gone == null", Verdict::Holds),
            ("json.code == 204", Verdict::Holds),
            ("json.code ~ \"^2\"", Verdict::Holds),
            (
                "json.code !~ \"^2\"",
                fails("json.code is 204, expected !~ \"^2\""),
            ),
            ("json.code == \"204\"", Verdict::Holds),
            ("json.code < 300", Verdict::Holds),
            (
                "json.count > 3",
                fails("json.count is \"many\", not a number, expected > 3"),
            ),
            (
                "json.count == 3",
                fails("json.count is \"many\", expected == 3"),
            ),
            ("json.count != 3", Verdict::Holds),
            (
                "json.ok < \"z\"",
                fails("json.ok is true, not text, expected < \"z\""),
            ),
            ("json.items[*].state == \"up\"", Verdict::Holds),
            ("json.items[*] != null", Verdict::Holds),
            ("json.version == 1.1", Verdict::Holds),
            ("json.big > 1e299", Verdict::Holds),
        ] {
            assert_eq!(eval(text, &facts), want, "{text:?}");
        }
    }

    #[test]
    fn metrics_from_plugin_perfdata() {
        // check_load -w 5,4,3 -c 10,8,6 (Debian's monitoring-plugins-basic 2.3.3).
        let out = parse_plugin_output(
            "LOAD OK - total load average: 0.05, 0.74, 1.43|load1=0.050;5.000;10.000;0; \
             load5=0.740;4.000;8.000;0; load15=1.430;3.000;6.000;0; \n",
        );
        let mut metrics = out.metrics;
        metrics.push(Metric::new("disk usage", Some(91.0), "%"));
        metrics.push(Metric::new("pending", None, ""));
        let facts = Facts {
            metrics: &metrics,
            output: Some(&out.summary),
            exit: Some(0),
            ..Facts::default()
        };
        for (text, want) in [
            ("metric.load1 < 4", Verdict::Holds),
            (
                "metric.load15 < 1",
                fails("metric.load15 1.43, expected < 1"),
            ),
            (
                "metric[\"disk usage\"] < 90%",
                fails("metric[\"disk usage\"] 91%, expected < 90%"),
            ),
            (
                "metric.lod1 < 4",
                unknown("no metric \"lod1\" in the output (did you mean \"load1\"?)"),
            ),
            (
                "metric.swap < 4",
                unknown("no metric \"swap\" in the output"),
            ),
            (
                "metric.pending == 0",
                unknown("metric \"pending\" is U: the plugin could not measure it"),
            ),
            ("exit == 0 and output ~ \"^LOAD OK\"", Verdict::Holds),
            ("exit != 0", fails("exit 0, expected != 0")),
        ] {
            assert_eq!(eval(text, &facts), want, "{text:?}");
        }
    }

    #[test]
    fn text_subjects() {
        let mut labels = BTreeMap::new();
        labels.insert("severity".to_string(), "critical".to_string());
        let body = format!("<html>{}</html>", "x".repeat(500));
        let facts = Facts {
            body: Some(&body),
            banner: Some("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
            labels: Some(&labels),
            cert_days: Some(9.0),
            value: Some(0.95),
            ..Facts::default()
        };
        for (text, want) in [
            (r#"banner ~ "^SSH-2\.0-""#, Verdict::Holds),
            (
                r#"banner == "SSH""#,
                fails(
                    r#"banner is "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", expected == "SSH""#,
                ),
            ),
            ("banner !~ \"Dropbear\"", Verdict::Holds),
            ("body ~ \"(?i)</HTML>$\"", Verdict::Holds),
            (
                "body ~ \"ok\"",
                fails(&format!(
                    "body is \"<html>{}…\", expected ~ \"ok\"",
                    "x".repeat(54)
                )),
            ),
            ("label.severity == \"critical\"", Verdict::Holds),
            (
                "label.severity != \"critical\"",
                fails("label.severity is \"critical\", expected != \"critical\""),
            ),
            ("label.team == \"db\"", unknown("no label \"team\"")),
            ("cert_days > 14", fails("cert_days 9, expected > 14")),
            ("value < 0.9", fails("value 0.95, expected < 0.9")),
            (
                "output ~ \"x\"",
                unknown("no output: nothing ran that prints"),
            ),
            (
                "exit == 0",
                unknown("no exit code: the command did not run or was killed"),
            ),
        ] {
            assert_eq!(eval(text, &facts), want, "{text:?}");
        }
        let none = Facts::default();
        assert_eq!(
            eval("label.a == \"b\"", &none),
            unknown("no labels: only series and alerts have labels")
        );
        assert_eq!(
            eval("banner ~ \"x\"", &none),
            unknown("no banner: the server sent none")
        );
        assert_eq!(
            eval("cert_days > 1", &none),
            unknown("no certificate: the connection was not TLS")
        );
        assert_eq!(
            eval("value > 1", &none),
            unknown("no value: the query returned no sample")
        );
        assert_eq!(
            eval("body ~ \"x\"", &none),
            unknown("no body: there was no response")
        );
        let nan = Facts {
            value: Some(f64::NAN),
            ..Facts::default()
        };
        assert_eq!(eval("value != 1", &nan), Verdict::Holds);
        assert_eq!(eval("value < 1", &nan), fails("value NaN, expected < 1"));
    }
}

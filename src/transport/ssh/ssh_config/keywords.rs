//! OpenSSH's client keywords, and the values of those sheriff uses, checked as OpenSSH
//! checks them: a word OpenSSH does not know is "Bad configuration option" there, so it is
//! an error here too, and a value OpenSSH refuses is refused with the same reason.

use std::time::Duration;

use crate::transport::ssh::resolve::parse_destination;

/// Every keyword OpenSSH 9.2's client accepts (readconf.c `keywords[]`, with Debian's
/// GSSAPI additions), plus those later releases added (`channeltimeout`,
/// `obscurekeystroketiming`, `refuseconnection`, `tag`, `warnweakcrypto`), so that a config
/// written for a newer `ssh` still works; lowercased and sorted.
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "addkeystoagent", "addressfamily", "afstokenpassing", "batchmode", "bindaddress",
    "bindinterface", "canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname",
    "canonicalizemaxdots", "canonicalizepermittedcnames", "casignaturealgorithms",
    "certificatefile", "challengeresponseauthentication", "channeltimeout", "checkhostip",
    "cipher", "ciphers", "clearallforwardings", "compression", "compressionlevel",
    "connectionattempts", "connecttimeout", "controlmaster", "controlpath", "controlpersist",
    "dsaauthentication", "dynamicforward", "enableescapecommandline", "enablesshkeysign",
    "escapechar", "exitonforwardfailure", "fallbacktorsh", "fingerprinthash",
    "forkafterauthentication", "forwardagent", "forwardx11", "forwardx11timeout",
    "forwardx11trusted", "gatewayports", "globalknownhostsfile", "globalknownhostsfile2",
    "gssapiauthentication", "gssapiclientidentity", "gssapidelegatecredentials",
    "gssapikexalgorithms", "gssapikeyexchange", "gssapirenewalforcesrekey",
    "gssapiserveridentity", "gssapitrustdns", "hashknownhosts", "host",
    "hostbasedacceptedalgorithms", "hostbasedauthentication", "hostbasedkeytypes",
    "hostkeyalgorithms", "hostkeyalias", "hostname", "identitiesonly", "identityagent",
    "identityfile", "identityfile2", "ignoreunknown", "include", "ipqos",
    "kbdinteractiveauthentication", "kbdinteractivedevices", "keepalive",
    "kerberosauthentication", "kerberostgtpassing", "kexalgorithms", "knownhostscommand",
    "localcommand", "localforward", "loglevel", "logverbose", "macs", "match",
    "nohostauthenticationforlocalhost", "numberofpasswordprompts", "obscurekeystroketiming",
    "passwordauthentication", "permitlocalcommand", "permitremoteopen", "pkcs11provider",
    "port", "preferredauthentications", "protocol", "protocolkeepalives", "proxycommand",
    "proxyjump", "proxyusefdpass", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes",
    "pubkeyauthentication", "refuseconnection", "rekeylimit", "remotecommand", "remoteforward",
    "requesttty", "requiredrsasize", "revokedhostkeys", "rhostsauthentication",
    "rhostsrsaauthentication", "securitykeyprovider", "sendenv", "serveralivecountmax",
    "serveraliveinterval", "sessiontype", "setenv", "setuptimeout", "skeyauthentication",
    "smartcarddevice", "stdinnull", "streamlocalbindmask", "streamlocalbindunlink",
    "stricthostkeychecking", "syslogfacility", "tag", "tcpkeepalive", "tisauthentication",
    "tunnel", "tunneldevice", "updatehostkeys", "useblacklistedkeys", "useprivilegedport",
    "user", "userknownhostsfile", "userknownhostsfile2", "useroaming", "usersh",
    "verifyhostkeydns", "visualhostkey", "warnweakcrypto", "xauthlocation",
];

pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.binary_search(&word).is_ok()
}

/// A keyword sheriff acts on, with its checked value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Setting {
    HostName(String),
    User(String),
    Port(u16),
    IdentityFile(String),
    IdentitiesOnly(bool),
    /// `none`, or the jump hosts as `ssh -G` prints them.
    ProxyJump(String),
    ProxyCommand(String),
    ConnectTimeout(Duration),
    ServerAliveInterval(Duration),
    ServerAliveCountMax(u32),
    UserKnownHostsFiles(Vec<String>),
    GlobalKnownHostsFiles(Vec<String>),
    HostKeyAlias(String),
    IdentityAgent(String),
    IgnoreUnknown(String),
    CanonicalizeHostname(bool),
    /// A keyword OpenSSH knows and sheriff has no use for.
    Other,
}

/// Checks `args` for `keyword` (known to OpenSSH); `Err` is OpenSSH's complaint.
pub(super) fn interpret(keyword: &str, args: &[String]) -> Result<Setting, String> {
    let single = |args: &[String]| -> Result<String, String> {
        match args {
            [] => Err("Missing argument.".into()),
            [a] if a.is_empty() => Err("Missing argument.".into()),
            [a] => Ok(a.clone()),
            _ => Err(format!("keyword {keyword} extra arguments at end of line")),
        }
    };
    let setting = match keyword {
        "hostname" => Setting::HostName(single(args)?),
        "user" => Setting::User(single(args)?),
        "port" => {
            let arg = single(args)?;
            Setting::Port(port_number(&arg).ok_or_else(|| format!("Bad port '{arg}'."))?)
        }
        "identityfile" => Setting::IdentityFile(single(args)?),
        "identitiesonly" => Setting::IdentitiesOnly(yes_no(&single(args)?)?),
        "proxyjump" => {
            let arg = single(args)?;
            if arg == "none" {
                Setting::ProxyJump(arg)
            } else {
                Setting::ProxyJump(
                    normalize_jump(&arg).ok_or_else(|| format!("Invalid ProxyJump \"{arg}\""))?,
                )
            }
        }
        "proxycommand" => {
            if args.is_empty() {
                return Err("Missing argument.".into());
            }
            Setting::ProxyCommand(args.join(" "))
        }
        "connecttimeout" => Setting::ConnectTimeout(time_value(&single(args)?)?),
        "serveraliveinterval" => Setting::ServerAliveInterval(time_value(&single(args)?)?),
        "serveralivecountmax" => {
            let arg = single(args)?;
            Setting::ServerAliveCountMax(
                arg.parse::<u32>()
                    .map_err(|_| format!("integer value {arg:?} is invalid."))?,
            )
        }
        "userknownhostsfile" => Setting::UserKnownHostsFiles(file_list(keyword, args)?),
        "globalknownhostsfile" => Setting::GlobalKnownHostsFiles(file_list(keyword, args)?),
        "hostkeyalias" => Setting::HostKeyAlias(single(args)?),
        "identityagent" => Setting::IdentityAgent(single(args)?),
        "ignoreunknown" => Setting::IgnoreUnknown(single(args)?),
        "canonicalizehostname" => {
            let arg = single(args)?;
            match arg.to_ascii_lowercase().as_str() {
                "yes" | "true" | "always" => Setting::CanonicalizeHostname(true),
                "no" | "false" => Setting::CanonicalizeHostname(false),
                _ => return Err(format!("unsupported option \"{arg}\".")),
            }
        }
        _ => Setting::Other,
    };
    Ok(setting)
}

fn yes_no(arg: &str) -> Result<bool, String> {
    match arg.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("unsupported option \"{arg}\".")),
    }
}

/// `UserKnownHostsFile`/`GlobalKnownHostsFile`: one or more files, or `none` alone.
fn file_list(keyword: &str, args: &[String]) -> Result<Vec<String>, String> {
    if args.iter().any(String::is_empty) {
        return Err(format!("keyword {keyword} empty argument"));
    }
    if args.len() > 1 && args.iter().any(|a| a.eq_ignore_ascii_case("none")) {
        return Err(format!(
            "keyword {keyword} \"none\" argument must appear alone."
        ));
    }
    if args.len() > 16 {
        return Err(format!("too many {keyword} entries."));
    }
    Ok(args.to_vec())
}

/// misc.c `a2port`: 1–65535, or a service name from the services database.
fn port_number(arg: &str) -> Option<u16> {
    if let Ok(n) = arg.parse::<u32>() {
        return u16::try_from(n).ok().filter(|p| *p > 0);
    }
    let name = std::ffi::CString::new(arg).ok()?;
    // SAFETY: both strings are NUL-terminated; the result points into libc's static storage
    // and is read at once.
    let port = unsafe {
        let entry = libc::getservbyname(name.as_ptr(), c"tcp".as_ptr());
        if entry.is_null() {
            return None;
        }
        (*entry).s_port
    };
    Some(u16::from_be(port as u16)).filter(|p| *p > 0)
}

/// misc.c `convtime`: `90`, `1m30s`, `2h`, units s m h d w (either case).
fn time_value(arg: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid time value \"{arg}\".");
    if arg.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in arg.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(invalid()),
        };
        let n: u64 = digits.parse().map_err(|_| invalid())?;
        total = total.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() {
        let n: u64 = digits.parse().map_err(|_| invalid())?;
        total = total.saturating_add(n);
    }
    if total > i32::MAX as u64 {
        return Err(invalid());
    }
    Ok(Duration::from_secs(total))
}

/// A `ProxyJump` list as `ssh -G` prints it: the hops before the last as written, the last
/// as `[user@]host[:port]` (an `ssh://` URI is rewritten). None when a hop is malformed.
pub(super) fn normalize_jump(spec: &str) -> Option<String> {
    let (extra, last) = match spec.rsplit_once(',') {
        Some((extra, last)) => (Some(extra), last),
        None => (None, spec),
    };
    for hop in extra.into_iter().flat_map(|e| e.split(',')) {
        jump_hop(hop)?;
    }
    let dest = jump_hop(last)?;
    let mut out = String::new();
    if let Some(extra) = extra {
        out.push_str(extra);
        out.push(',');
    }
    if let Some(user) = &dest.user {
        out.push_str(user);
        out.push('@');
    }
    if dest.host.contains(':') {
        out.push_str(&format!("[{}]", dest.host));
    } else {
        out.push_str(&dest.host);
    }
    if let Some(port) = dest.port {
        out.push_str(&format!(":{port}"));
    }
    Some(out)
}

fn jump_hop(hop: &str) -> Option<crate::transport::ssh::resolve::Destination> {
    let hop = hop
        .strip_suffix('/')
        .filter(|_| hop.starts_with("ssh://"))
        .unwrap_or(hop);
    parse_destination(hop).ok().filter(|d| !d.host.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_keyword("proxyjump") && !is_keyword("bogus"));
    }

    #[test]
    fn values_are_checked_as_openssh_checks_them() {
        let one = |k: &str, v: &str| interpret(k, &[v.to_string()]);
        assert_eq!(one("port", "ssh"), Ok(Setting::Port(22)));
        assert!(one("port", "0").is_err());
        assert!(one("port", "70000").is_err());
        assert_eq!(
            one("connecttimeout", "1m30s"),
            Ok(Setting::ConnectTimeout(Duration::from_secs(90)))
        );
        assert!(one("connecttimeout", "soon").is_err());
        assert!(one("identitiesonly", "maybe").is_err());
        assert!(one("user", "").is_err());
        assert!(interpret("hostname", &["a".into(), "b".into()]).is_err());
        assert!(interpret("userknownhostsfile", &["a".into(), "none".into()]).is_err());
        assert_eq!(
            one("proxyjump", "ssh://u@b:2"),
            Ok(Setting::ProxyJump("u@b:2".into()))
        );
        assert_eq!(
            one("proxyjump", "a,u@[::1]:2"),
            Ok(Setting::ProxyJump("a,u@[::1]:2".into()))
        );
        assert!(one("proxyjump", "u@").is_err());
    }
}

//! NS-001's text rules: which strings in env values, args and ConfigMap values
//! name a host, and the `$(VAR)` expansion the kubelet applies first.
//!
//! Pure string functions; deciding whether a host is a Service (and which)
//! is NS-002's job (`resolve`).

use std::borrow::Cow;

/// Expand `$(VAR)` the way the kubelet does for env values, args and command
/// (k8s.io/kubernetes `third_party/forked/golang/expansion`): `$$` is a
/// literal `$`, `$(NAME)` becomes the value of a variable defined earlier,
/// and a reference to an unknown variable is left as written.
///
/// Borrowed when there is nothing to expand (most values): no copy is made.
pub fn expand<'i, 'v>(input: &'i str, lookup: &dyn Fn(&str) -> Option<&'v str>) -> Cow<'i, str> {
    if !input.contains('$') {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match lookup(name) {
                        Some(value) => out.push_str(value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Words that mark a variable (or flag) as holding a host; the first six
/// are the strong ones (see [`is_weak_host_var`]).
const HOST_WORDS: [&str; 8] = [
    "HOST", "ADDR", "URL", "URI", "DSN", "ENDPOINT", "SERVICE", "SERVER",
];

/// Last words that mark a variable as *about* a host rather than holding one
/// (`SERVICE_NAME`, `SERVER_PORT`, `SERVICE_ACCOUNT`).
const NOT_HOST_SUFFIXES: [&str; 26] = [
    "NAME", "NAMES", "ACCOUNT", "PORT", "PORTS", "PATH", "USER", "USERNAME", "PASSWORD", "PASS",
    "KEY", "KEYS", "TOKEN", "TIMEOUT", "ENABLED", "LEVEL", "MODE", "MODES", "TYPE", "TYPES",
    "VERSION", "ID", "IDS", "SECRET", "CERT", "FAMILY",
];

/// Whether a variable (or `--flag`) name says it holds a host: one of its words
/// starts or ends with HOST, ADDR, URL, URI, DSN, ENDPOINT, SERVICE or SERVER
/// (case-insensitive; `DB_HOST`, `apiUrl`, `BOOTSTRAP_SERVERS`, `BROKER_ADDRESS`),
/// unless its last word says it is about something else (`SERVICE_NAME`).
/// Whole-word matching keeps `SECURITY_MODE` (which contains "URI") out.
pub fn is_host_var(name: &str) -> bool {
    let (mut last, mut any, mut count) = ("", false, 0);
    for w in words(name) {
        (last, count) = (w, count + 1);
        any = any || has_keyword(w, ANY_HOST_WORD);
    }
    // Most variables have no host word (`LOG_LEVEL`, `POD_NAME`): they are
    // done here, before the list of suffixes.
    if !any {
        return false;
    }
    if count == 1 && last.eq_ignore_ascii_case("HOSTNAME") {
        // The container's own hostname, not a peer.
        return false;
    }
    // A last word about something else (`SERVICE_NAME`), unless it is a
    // host word itself.
    has_keyword(last, ANY_HOST_WORD)
        || !NOT_HOST_SUFFIXES
            .iter()
            .any(|s| last.eq_ignore_ascii_case(s))
}

/// Whether the variable's only host words are SERVICE/SERVER: its bare
/// names may be the application's own name rather than a peer.
pub fn is_weak_host_var(name: &str) -> bool {
    !words(name).any(|w| has_keyword(w, STRONG_HOST_WORD))
}

/// [`HOST_WORDS`] as bits: all of them, and the strong ones.
const ANY_HOST_WORD: u8 = 0xff;
const STRONG_HOST_WORD: u8 = 0x3f;

/// For each byte, the [`HOST_WORDS`] (bit `i` for `HOST_WORDS[i]`) that
/// begin with it (`at_start`) or end with it, in either case.
const fn host_word_letters(at_start: bool) -> [u8; 256] {
    let mut letters = [0u8; 256];
    let mut i = 0;
    while i < HOST_WORDS.len() {
        let word = HOST_WORDS[i].as_bytes();
        let b = if at_start {
            word[0]
        } else {
            word[word.len() - 1]
        };
        letters[b as usize] |= 1 << i;
        letters[b.to_ascii_lowercase() as usize] |= 1 << i;
        i += 1;
    }
    letters
}
const FIRST_LETTERS: [u8; 256] = host_word_letters(true);
const LAST_LETTERS: [u8; 256] = host_word_letters(false);

/// Whether `word` starts or ends with one of the [`HOST_WORDS`] in
/// `keywords` (bits), without regard to case. This runs for every variable
/// of every container, and most words start and end with letters no
/// keyword does: two table lookups tell, before any comparison.
fn has_keyword(word: &str, keywords: u8) -> bool {
    let (Some(&first), Some(&last)) = (word.as_bytes().first(), word.as_bytes().last()) else {
        return false;
    };
    let starts = FIRST_LETTERS[usize::from(first)] & keywords;
    let ends = LAST_LETTERS[usize::from(last)] & keywords;
    if starts | ends == 0 {
        return false;
    }
    // Only the keywords whose bit is set, lowest first.
    let bits = |mut set: u8| {
        std::iter::from_fn(move || {
            let i = set.trailing_zeros() as usize;
            set &= set.wrapping_sub(1);
            HOST_WORDS.get(i)
        })
    };
    bits(starts).any(|k| starts_with(word, k)) || bits(ends).any(|k| ends_with(word, k))
}

/// Split `DB_HOST`, `db-host`, `dbHost`, `api.url` into words (slices of
/// `name`, compared without regard to case): separators are anything but
/// ASCII letters and digits, and a new word starts at an upper-case letter
/// after a lower-case letter or a digit.
fn words(name: &str) -> impl Iterator<Item = &str> {
    let mut rest = name;
    std::iter::from_fn(move || {
        // An ASCII byte always starts a character: no decoding needed.
        let start = rest.bytes().position(|b| b.is_ascii_alphanumeric())?;
        rest = &rest[start..];
        let bytes = rest.as_bytes();
        let mut end = 1;
        while end < bytes.len()
            && bytes[end].is_ascii_alphanumeric()
            && !(bytes[end].is_ascii_uppercase()
                && (bytes[end - 1].is_ascii_lowercase() || bytes[end - 1].is_ascii_digit()))
        {
            end += 1;
        }
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

// `str`'s `starts_with`, `ends_with` and `contains`, without regard to ASCII
// case (and without building a lower-case copy).

fn starts_with(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Whether `text` ends with `suffix`, without regard to ASCII case.
pub(super) fn ends_with(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Whether `text` holds `part`. Where `part`'s first character is found
/// (by `memchr`), the rest is compared: `str::contains` would build a
/// two-way searcher for each call, which costs more than the search for a
/// host in a value of a few dozen bytes.
pub(super) fn holds(text: &str, part: &str) -> bool {
    let Some(first) = part.chars().next() else {
        return true;
    };
    text.match_indices(first)
        .any(|(at, _)| text[at..].starts_with(part))
}

/// [`holds`] without regard to ASCII case, for a `needle` that starts
/// with a character that has none (`.svc`).
fn contains(text: &str, needle: &str) -> bool {
    let Some(first) = needle.chars().next() else {
        return true;
    };
    debug_assert!(!first.is_alphabetic(), "{needle}");
    text.match_indices(first)
        .any(|(at, _)| starts_with(&text[at..], needle))
}

/// Where the first `://` at or after `from` in `text` starts. Found by its
/// `:` (`memchr`), as most values have none.
fn scheme_separator(text: &str, from: usize) -> Option<usize> {
    text[from..]
        .match_indices(':')
        .map(|(i, _)| from + i)
        .find(|&colon| text[colon + 1..].starts_with("//"))
}

/// How a host was written, which decides how sure we are that it names a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The host of a URL (`http://api:3000`).
    Url,
    /// A `*.svc` or `*.svc.<domain>` name.
    SvcName,
    /// A name we are not sure names a peer: a `host:port` word outside a host
    /// variable (could be `image:tag`), or a bare name in a variable whose only
    /// host word is SERVICE or SERVER (`DD_SERVICE=checkout` is the app's own
    /// name). Kept only when it resolves from the client's namespace.
    Loose,
    /// A name in a host variable (`DB_HOST=postgres`) or a `key=value` DSN.
    Named,
}

/// A host found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// As written (without a trailing dot).
    pub host: String,
    pub port: Option<u16>,
    /// Whether `port` was written (false: the URL scheme's default).
    pub port_explicit: bool,
    pub form: Form,
}

/// Keys of `key=value` connection strings that hold a host (libpq, ADO.NET, JDBC-ish).
const DSN_HOST_KEYS: [&str; 6] = [
    "host",
    "hostaddr",
    "server",
    "address",
    "addr",
    "data source",
];

/// Values that are never a Service name, even in a host variable.
const NOT_NAMES: [&str; 17] = [
    "localhost",
    "true",
    "false",
    "yes",
    "no",
    "none",
    "null",
    "nil",
    "on",
    "off",
    "auto",
    "enabled",
    "disabled",
    "default",
    "any",
    "all",
    "unix",
];

/// Whether [`extract`] can find anything in `text` at all, by a cheap look:
/// outside a host variable only a URL, a `host:port` or a `.svc` name can
/// count (see [`extract`]), and most values have none of them.
pub fn may_hold_hosts(text: &str, host_var: bool) -> bool {
    host_var || text.contains(':') || contains(text, ".svc")
}

/// Find the hosts in `text`. `host_var`: the text is the value of a variable
/// (or flag) whose name says it holds a host, so bare names count too.
pub fn extract(text: &str, host_var: bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    if !may_hold_hosts(text, host_var) {
        return out;
    }
    let rest = match scheme_separator(text, 0) {
        Some(_) => Cow::Owned(extract_urls(text, &mut out)),
        None => Cow::Borrowed(text),
    };
    // A host variable holding only names (`postgres`, `kafka-0.kafka:9092, kafka-1.kafka:9092`).
    let coarse = |c: char| c.is_whitespace() || matches!(c, ',' | ';');
    let fine = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';'
                    | '='
                    | '"'
                    | '\''
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '<'
                    | '>'
                    | '|'
                    | '`'
            )
    };
    let words = |sep: fn(char) -> bool| rest.split(sep).filter(|t| !t.is_empty());
    let all_named = host_var
        && words(coarse).next().is_some()
        && words(coarse).all(|t| split_host_port(t).is_some());
    for word in words(if all_named { coarse } else { fine }) {
        let Some((host, port)) = split_host_port(word) else {
            continue;
        };
        // `a.ns.svc`, `a.ns.svc.cluster.local`.
        let form = if ends_with(host, ".svc") || contains(host, ".svc.") {
            Form::SvcName
        } else if all_named && port.is_none() && host.bytes().any(|b| b.is_ascii_uppercase()) {
            // Service names are lower case: `InternalIP,Hostname` is a list
            // of words, not of hosts, unless one happens to resolve.
            Form::Loose
        } else if all_named {
            Form::Named
        } else if port.is_some() {
            Form::Loose
        } else {
            continue;
        };
        out.push(Candidate {
            host: host.to_string(),
            port,
            port_explicit: port.is_some(),
            form,
        });
    }
    if host_var && !all_named {
        // `host=db port=5432 user=app`, `Server=sql;Database=x`.
        for pair in rest.split([';', ' ', '\t', '\n']) {
            if let Some((key, value)) = pair.split_once('=')
                && DSN_HOST_KEYS
                    .iter()
                    .any(|k| key.trim().eq_ignore_ascii_case(k))
                && let Some((host, port)) = split_host_port(value.trim())
                && !out.iter().any(|c| c.host == host)
            {
                out.push(Candidate {
                    host: host.to_string(),
                    port,
                    port_explicit: port.is_some(),
                    form: Form::Named,
                });
            }
        }
    }
    out.retain(|c| !NOT_NAMES.iter().any(|n| c.host.eq_ignore_ascii_case(n)));
    out
}

/// Pull the hosts out of every `scheme://authority` in `text`; the rest of
/// the text, each of them replaced by a space, so the word scan does not
/// see them again.
fn extract_urls(text: &str, out: &mut Vec<Candidate>) -> String {
    let mut rest = String::with_capacity(text.len());
    // `text[kept..]` is not in `rest` yet.
    let (mut search, mut kept) = (0, 0);
    while let Some(sep) = scheme_separator(text, search) {
        // Scheme characters are ASCII: as many bytes as characters.
        let scheme_len = text[..sep]
            .bytes()
            .rev()
            .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        let scheme_start = sep - scheme_len;
        let scheme = &text[scheme_start..sep];
        let is = |s: &str| scheme.eq_ignore_ascii_case(s);
        let default = if is("http") || is("ws") {
            Some(80)
        } else if is("https") || is("wss") {
            Some(443)
        } else {
            None
        };
        let auth_start = sep + 3;
        let auth_end = text[auth_start..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ';' | '|' | '`' | ')' | ']'
                    )
            })
            .map_or(text.len(), |i| auth_start + i);
        let authority = &text[auth_start..auth_end];
        // Credentials end at the last `@`; never keep them.
        let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        for part in hosts.split(',') {
            if part.ends_with(':') {
                // `http://a:80,http://b` — the next scheme, not a host.
                continue;
            }
            let Some((host, port)) = split_host_port(part) else {
                continue;
            };
            out.push(Candidate {
                host: host.to_string(),
                port: port.or(default),
                port_explicit: port.is_some(),
                form: Form::Url,
            });
        }
        // A URL starts after the end of the one before (its authority ends
        // at a character no scheme has).
        rest.push_str(&text[kept..scheme_start.max(kept)]);
        rest.push(' ');
        kept = auth_end;
        search = auth_end.max(sep + 3);
    }
    rest.push_str(&text[kept..]);
    rest
}

/// `name` or `name:port` where `name` is a DNS name that is not an IP address
/// and `port` a number 1..=65535.
pub fn split_host_port(word: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match word.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().ok().filter(|p| *p > 0)?)),
        None => (word, None),
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    is_dns_name(host).then_some((host, port))
}

/// A DNS name made of labels `[A-Za-z0-9-]`, not starting or ending with `-`,
/// starting with a letter (Service names do), and so not an IP address: an
/// IPv4 address starts with a digit, an IPv6 address has a `:`.
fn is_dns_name(host: &str) -> bool {
    let starts_with_letter = host.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    starts_with_letter
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Replace `old_host` (and, when asked, the `:port` after it) in `raw` with
/// the new host and port. Only whole names are replaced (`api` never inside
/// `api-v2` or `api.example.com`). `None` when `old_host` is not there.
pub fn rewrite(
    raw: &str,
    old_host: &str,
    new_host: &str,
    port: Option<PortChange>,
) -> Option<String> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut from = 0;
    while let Some(rel) = raw[from..].find(old_host) {
        let start = from + rel;
        let end = start + old_host.len();
        let before_ok = raw[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_name_char(c) && c != '.');
        let after = &raw[end..];
        let after_ok = match after.chars().next() {
            None => true,
            Some('.') => !after[1..].starts_with(|c: char| c.is_ascii_alphanumeric()),
            Some(c) => !is_name_char(c),
        };
        if before_ok && after_ok {
            let mut out = String::with_capacity(raw.len() + new_host.len());
            out.push_str(&raw[..start]);
            out.push_str(new_host);
            let mut tail = after;
            if let Some(change) = port {
                match change
                    .old
                    .and_then(|old| tail.strip_prefix(&format_exact!(":{old}")))
                {
                    Some(t) => {
                        out.push_str(&format_exact!(":{}", change.new));
                        tail = t;
                    }
                    None if !tail.starts_with(':') => {
                        out.push_str(&format_exact!(":{}", change.new))
                    }
                    None => {}
                }
            }
            out.push_str(tail);
            return Some(out);
        }
        from = start + 1;
    }
    None
}

/// A port to write after the host: `old` is the explicit port to replace
/// (`None`: insert one where the scheme's default was used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortChange {
    pub old: Option<u16>,
    pub new: u16,
}

/// Hide credentials before a value is shown: the password of URL userinfo
/// and `password=`/`pwd=` pairs become `***`.
pub fn redact(value: &str) -> String {
    let mut out = value.to_string();
    let mut search = 0;
    while let Some(rel) = out[search..].find("://") {
        let auth_start = search + rel + 3;
        let auth_end = out[auth_start..]
            .find(|c: char| c.is_whitespace() || "/?#".contains(c))
            .map_or(out.len(), |i| auth_start + i);
        if let Some(at) = out[auth_start..auth_end].rfind('@') {
            let userinfo = &out[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(auth_start + colon + 1..auth_start + at, "***");
            }
        }
        search = (auth_start).min(out.len());
        if search >= out.len() {
            break;
        }
    }
    let lower = out.to_ascii_lowercase();
    for key in ["password=", "pwd=", "pass="] {
        if let Some(pos) = lower.find(key) {
            let start = pos + key.len();
            let end = out[start..]
                .find([';', ' ', '&'])
                .map_or(out.len(), |i| start + i);
            out.replace_range(start..end, "***");
            return out;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str, host_var: bool) -> Vec<(String, Option<u16>, Form)> {
        extract(text, host_var)
            .into_iter()
            .map(|c| (c.host, c.port, c.form))
            .collect()
    }

    #[test]
    fn expansion_follows_the_kubelet() {
        let lookup = |n: &str| (n == "HOST").then_some("api");
        assert_eq!(expand("http://$(HOST):80", &lookup), "http://api:80");
        assert_eq!(expand("$$(HOST)", &lookup), "$(HOST)");
        assert_eq!(expand("$(NOPE)x", &lookup), "$(NOPE)x");
        assert_eq!(expand("a$b$(", &lookup), "a$b$(");
    }

    #[test]
    fn host_variables_by_whole_words() {
        for yes in [
            "DB_HOST",
            "apiUrl",
            "BOOTSTRAP_SERVERS",
            "BROKER_ADDRESS",
            "DATABASE_URI",
            "db-dsn",
            "KAFKA_ENDPOINTS",
            "UPSTREAM_SERVICE",
            "DBHOST",
            "DB_HOSTNAME",
            "PAYMENT_SERVICE_URL",
        ] {
            assert!(is_host_var(yes), "{yes}");
        }
        assert!(is_weak_host_var("DD_SERVICE") && is_weak_host_var("SMTP_SERVER"));
        assert!(!is_weak_host_var("PAYMENT_SERVICE_URL") && !is_weak_host_var("DB_HOST"));
        for no in [
            "DB_PORT",
            "SECURITY_MODE",
            "SERVICE_NAME",
            "OTEL_SERVICE_NAME",
            "SERVER_PORT",
            "SERVICE_ACCOUNT",
            "HOSTNAME",
            "LOG_LEVEL",
            "GREETING",
        ] {
            assert!(!is_host_var(no), "{no}");
        }
    }

    #[test]
    fn urls_host_ports_and_svc_names() {
        assert_eq!(
            hosts("http://backend-api-service:3000/health", false),
            vec![("backend-api-service".into(), Some(3000), Form::Url)]
        );
        assert_eq!(
            hosts("https://api", false),
            vec![("api".into(), Some(443), Form::Url)]
        );
        assert_eq!(
            hosts(
                "postgres://app:s3cr@t@db.prod.svc.cluster.local:5432/app",
                false
            ),
            vec![("db.prod.svc.cluster.local".into(), Some(5432), Form::Url)]
        );
        assert_eq!(
            hosts("mongodb://a:27017,b:27017/db", false),
            vec![
                ("a".into(), Some(27017), Form::Url),
                ("b".into(), Some(27017), Form::Url)
            ]
        );
        assert_eq!(
            hosts("--upstream redis:6379 --x=cache.shop.svc", false),
            vec![
                ("redis".into(), Some(6379), Form::Loose),
                ("cache.shop.svc".into(), None, Form::SvcName)
            ]
        );
    }

    #[test]
    fn svc_names_need_no_port_outside_host_variables() {
        // No ':' anywhere: only the `.svc` label makes these hosts, in any case.
        assert_eq!(
            hosts("cache.shop.svc", false),
            vec![("cache.shop.svc".into(), None, Form::SvcName)]
        );
        assert_eq!(
            hosts("use Cache.Shop.SVC.cluster.local please", false),
            vec![("Cache.Shop.SVC.cluster.local".into(), None, Form::SvcName)]
        );
        // Near miss: `svc` that is not a label of the name.
        assert_eq!(hosts("mysvc-cache shop-svc svc", false), vec![]);
    }

    #[test]
    fn bare_names_only_in_host_variables() {
        assert_eq!(hosts("postgres-service", false), vec![]);
        assert_eq!(
            hosts("postgres-service", true),
            vec![("postgres-service".into(), None, Form::Named)]
        );
        assert_eq!(
            hosts("kafka-0.kafka:9092, kafka-1.kafka:9092", true).len(),
            2
        );
        assert_eq!(
            hosts("host=pg port=5432 user=app", true),
            vec![("pg".into(), None, Form::Named)]
        );
    }

    /// `://` and `.svc` are found past a `:` or a `.` that begins neither,
    /// and the text between two URLs is still read for words.
    #[test]
    fn a_url_or_svc_name_after_a_colon_or_dot_that_is_not_one() {
        assert_eq!(
            hosts("port:8080 url=http://api:3000/x", false),
            vec![
                ("api".into(), Some(3000), Form::Url),
                ("port".into(), Some(8080), Form::Loose)
            ]
        );
        assert_eq!(
            hosts("v1.2 cache.shop.svc", false),
            vec![("cache.shop.svc".into(), None, Form::SvcName)]
        );
        assert_eq!(
            hosts("http://a:1 b.c.svc wss://d", false),
            vec![
                ("a".into(), Some(1), Form::Url),
                ("d".into(), Some(443), Form::Url),
                ("b.c.svc".into(), None, Form::SvcName)
            ]
        );
    }

    /// A host is found wherever its first letter recurs, also after a
    /// place where only a part of it matches; near misses are not.
    #[test]
    fn holds_finds_a_part_after_a_false_start() {
        assert!(holds("http://api-v2:80,http://api:80", "api:80"));
        assert!(holds("db", "db") && holds("x", ""));
        assert!(!holds("http://api-v2:80", "api:80"));
        assert!(!holds("ap", "api"));
    }

    #[test]
    fn mixed_case_words_are_loose() {
        assert_eq!(
            hosts("InternalIP,Hostname", true),
            vec![
                ("InternalIP".into(), None, Form::Loose),
                ("Hostname".into(), None, Form::Loose)
            ]
        );
    }

    #[test]
    fn not_hosts() {
        for text in [
            "10.0.0.1:5432",
            "localhost",
            "true",
            "5432",
            "http://127.0.0.1:80",
            "[::1]:80",
            // IPv6 addresses that start with a letter.
            "fe80::1",
            "http://[abcd::1]:80",
            "my_db",
            "$(DB)",
        ] {
            assert_eq!(hosts(text, true), vec![], "{text}");
        }
        // An image tag with a dotted version is not host:port.
        assert_eq!(hosts("busybox:1.36", false), vec![]);
    }

    #[test]
    fn rewrite_whole_names_only() {
        assert_eq!(
            rewrite(
                "http://api:3000/x",
                "api",
                "api.prod.svc.cluster.local",
                None
            )
            .as_deref(),
            Some("http://api.prod.svc.cluster.local:3000/x")
        );
        assert_eq!(
            rewrite("api-v2 api", "api", "x", None).as_deref(),
            Some("api-v2 x")
        );
        assert_eq!(rewrite("api.example.com", "api", "x", None), None);
        assert_eq!(
            rewrite(
                "http://web",
                "web",
                "web",
                Some(PortChange {
                    old: None,
                    new: 8080
                })
            )
            .as_deref(),
            Some("http://web:8080")
        );
        assert_eq!(
            rewrite(
                "web:81",
                "web",
                "web",
                Some(PortChange {
                    old: Some(81),
                    new: 80
                })
            )
            .as_deref(),
            Some("web:80")
        );
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact("host=db password=hunter2 user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(redact("http://api:3000"), "http://api:3000");
    }
}

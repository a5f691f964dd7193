//! Column names as the two ROOT formats spell them: `Container.variable` (ATLAS TTree
//! branches) and `Container:variable` (ATLAS RNTuple fields). Everything in this crate that reads
//! meaning into a name — the compression exemptions, a column's container for neural context,
//! relation rules — goes through these functions, so both conventions behave alike.

/// A name's container, the separator, and its variable: split at the first `:` if there is one
/// (RNTuple field names), else at the last `.`; `None` for a bare name. A member of an RNTuple
/// record field whose own name ends in `:` (an ATLAS static aux store, `JetsAux:` with members
/// `pt`, …, read as `JetsAux:.pt`) has the container `JetsAux:` and the separator `.`; other
/// record members keep their path in the variable (`Jets:link.m_persKey`).
///
/// ```
/// use models::names::split;
/// assert_eq!(split("AnalysisJetsAuxDyn.pt"), Some(("AnalysisJetsAuxDyn", '.', "pt")));
/// assert_eq!(split("AnalysisJetsAuxDyn:pt"), Some(("AnalysisJetsAuxDyn", ':', "pt")));
/// assert_eq!(split("HLT_xe.x:pt"), Some(("HLT_xe.x", ':', "pt")));
/// assert_eq!(split("TruthJetsAux:.pt"), Some(("TruthJetsAux:", '.', "pt")));
/// assert_eq!(split("pt"), None);
/// ```
pub fn split(name: &str) -> Option<(&str, char, &str)> {
    if let Some((c, v)) = name.split_once(':') {
        return match v.strip_prefix('.') {
            Some(member) => Some((&name[..=c.len()], '.', member)),
            None => Some((c, ':', v)),
        };
    }
    name.rsplit_once('.').map(|(c, v)| (c, '.', v))
}

/// The variable of a name (the whole name if it has no container).
///
/// ```
/// assert_eq!(models::names::variable("Jets:eta"), "eta");
/// assert_eq!(models::names::variable("eta"), "eta");
/// ```
pub fn variable(name: &str) -> &str {
    split(name).map_or(name, |s| s.2)
}

/// The container of a name, if it has one.
///
/// ```
/// assert_eq!(models::names::container("Jets.eta"), Some("Jets"));
/// assert_eq!(models::names::container("eta"), None);
/// ```
pub fn container(name: &str) -> Option<&str> {
    split(name).map(|s| s.0)
}

/// The same variable under the other format's convention: `Container.var` for `sep = '.'`,
/// `Container:var` for `sep = ':'` (a name without container is returned as it is). This is the
/// explicit mapping between the TTree and RNTuple spellings of one variable.
///
/// ```
/// use models::names::with_separator;
/// assert_eq!(with_separator("AnalysisJetsAuxDyn:pt", '.'), "AnalysisJetsAuxDyn.pt");
/// assert_eq!(with_separator("AnalysisJetsAuxDyn.pt", ':'), "AnalysisJetsAuxDyn:pt");
/// assert_eq!(with_separator("pt", ':'), "pt");
/// ```
pub fn with_separator(name: &str, sep: char) -> String {
    match split(name) {
        Some((c, _, v)) => format!("{c}{sep}{v}"),
        None => name.to_string(),
    }
}

/// Where a rule's name ending `suffix` matches `name`: a suffix starting with `.` names a
/// variable (after either separator), any other suffix is a plain ending (`_pu`). Returns the
/// prefix and the separator to rebuild the other members with [`member`].
pub(crate) fn strip_suffix<'a>(name: &'a str, suffix: &str) -> Option<(&'a str, char)> {
    match suffix.strip_prefix('.') {
        Some(var) => split(name).filter(|s| s.2 == var).map(|s| (s.0, s.1)),
        None => name.strip_suffix(suffix).map(|p| (p, '\0')),
    }
}

/// The member name of a rule's `suffix` for a prefix found by [`strip_suffix`].
pub(crate) fn member(prefix: &str, sep: char, suffix: &str) -> String {
    match suffix.strip_prefix('.') {
        Some(var) => format!("{prefix}{sep}{var}"),
        None => format!("{prefix}{suffix}"),
    }
}

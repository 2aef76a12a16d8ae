//! Role names and the role hierarchy (`eng`, `eng/web`).
//!
//! A role is a `/`-separated path. No component may be empty, `.`, `..` or
//! `*`, start with `-`, or contain whitespace, a backslash or a control
//! character. `*` alone is the default role of unreserved resources.

use crate::ResourceError;

/// The default role.
pub const DEFAULT: &str = "*";

/// Checks a role name as Mesos does.
pub fn validate(role: &str) -> Result<(), ResourceError> {
    let invalid = |reason: &str| ResourceError::InvalidRole { role: role.to_owned(), reason: reason.to_owned() };
    if role == DEFAULT {
        return Ok(());
    }
    if role.is_empty() {
        return Err(invalid("empty role name"));
    }
    if role.starts_with('/') || role.ends_with('/') {
        return Err(invalid("role must not start or end with '/'"));
    }
    for component in role.split('/') {
        match component {
            "" => return Err(invalid("role must not contain '//'")),
            "." | ".." | "*" => {
                return Err(invalid("'.', '..' and '*' are not valid role components"));
            }
            _ => {}
        }
        if component.starts_with('-') {
            return Err(invalid("role components must not start with '-'"));
        }
        if component.chars().any(|c| c.is_whitespace() || c == '\\' || c.is_control()) {
            return Err(invalid("role must not contain whitespace, backslashes or control characters"));
        }
    }
    Ok(())
}

/// Whether `child` lies strictly below `parent` (`eng/web` below `eng`).
pub fn is_strict_subrole(child: &str, parent: &str) -> bool {
    child.len() > parent.len() + 1 && child.starts_with(parent) && child.as_bytes()[parent.len()] == b'/'
}

/// The ancestors of `role`, nearest first: `a/b/c` gives `a/b`, `a`.
pub fn ancestors(role: &str) -> impl Iterator<Item = &str> {
    role.char_indices().rev().filter(|(_, c)| *c == '/').map(move |(i, _)| &role[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        for good in ["*", "eng", "eng/web", "a.b", "a-b"] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for bad in ["", "/eng", "eng/", "a//b", ".", "a/..", "-a", "a b", "a\\b", "a/*"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hierarchy() {
        assert!(is_strict_subrole("eng/web", "eng"));
        assert!(!is_strict_subrole("engineering", "eng"));
        assert!(!is_strict_subrole("eng", "eng"));
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a/b", "a"]);
    }
}

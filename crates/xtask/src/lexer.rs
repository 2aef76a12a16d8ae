//! Just enough of Rust's lexical grammar to tell code from comments and
//! literals: [`code_only`] blanks out comments, string, byte-string, raw
//! string and character literals (keeping line breaks), so that rules look
//! at code and not at what code says.

/// `source` with every comment and literal replaced by spaces; newlines
/// are kept so line numbers stay right.
pub fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(length) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: ends at a quote with as many hashes.
            let hashes = length - if chars[i] == 'b' { 3 } else { 2 };
            for _ in 0..length {
                out.push(' ');
            }
            i += length;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' || (c == 'b' && next == Some('"') && !is_ident(chars.get(i.wrapping_sub(1)))) {
            if c == 'b' {
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                out.push(' ');
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The length of a raw string's opening (`r"`, `r#"`, `br##"`, ...) at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if is_ident(i.checked_sub(1).and_then(|p| chars.get(p))) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(j + 1 - i)
}

/// A quote that opens a character literal rather than a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!((chars.get(i + 1), chars.get(i + 2)), (Some('\\'), _) | (Some(_), Some('\'')))
}

#[cfg(test)]
mod tests {
    use super::code_only;

    #[test]
    fn comments_and_literals_are_blanked_and_lines_kept() {
        let source = "let a = \"slave\"; // slave\nlet b = r#\"x \"q\" slave\"#; /* slave\n */ let c = 'x'; fn f<'a>() {}\nlet slave = b\"s\";";
        let code = code_only(source);
        assert_eq!(code.lines().count(), source.lines().count());
        assert!(!code.lines().take(3).any(|l| l.contains("slave")), "{code}");
        assert!(code.contains("fn f<'a>()"), "lifetimes stay: {code}");
        assert!(code.lines().nth(3).is_some_and(|l| l.contains("let slave")), "{code}");
    }
}

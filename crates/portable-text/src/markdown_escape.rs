//! Escaping of span text for Markdown.
//!
//! Works line by line over a block's joined text (hard breaks split lines,
//! inline objects are opaque), so hazards that span several spans (an
//! emphasis run, a list marker at the start of a line) are found with their
//! real neighbours. Each hazard becomes an edit (insert a backslash, or
//! replace a leading space/tab by an entity) that is then split back into
//! the text of the span it belongs to. The rules follow
//! `@portabletext/markdown` 2.2; bare URLs and e-mail addresses that a
//! Markdown linkifier would turn into links are left alone (approximated:
//! `http(s)://`, `ftp://`, `mailto:` URLs and e-mail addresses).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::model::Entry;
use crate::node::Block;
use crate::scan::{bytes_equal, find};
use crate::tree::{MNode, MarkTree};

/// One edit at a position of a line (one byte, so the per-character
/// edit table stays small).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Insert a backslash.
    Bs,
    /// Insert a backslash even inside a linkified URL.
    BsBypass,
    /// Replace a leading space with `&#32;`.
    Space,
    /// Replace a leading tab with `&#9;`.
    Tab,
}

impl Edit {
    fn delete(self) -> usize {
        match self {
            Edit::Bs | Edit::BsBypass => 0,
            Edit::Space | Edit::Tab => 1,
        }
    }
    fn insert(self) -> &'static str {
        match self {
            Edit::Bs | Edit::BsBypass => "\\",
            Edit::Space => "&#32;",
            Edit::Tab => "&#9;",
        }
    }
    fn bypass_mask(self) -> bool {
        self == Edit::BsBypass
    }
}

const BS: Edit = Edit::Bs;

/// The piece index of a character that belongs to no text piece.
const OPAQUE: usize = usize::MAX;

enum Piece<'t> {
    Text {
        raw: &'t str,
        link: bool,
        /// The span's marks (decorators and mark-definition keys).
        marks: &'t [Cow<'t, str>],
    },
    Opaque,
    Break,
}

/// Returns the escaped text of each text leaf of the block, in tree order.
pub(crate) fn plan<'t>(
    tree: &'t MarkTree<'_>,
    b: &Block<'_, '_>,
    heading: bool,
    list_item: bool,
    break_has_newline: bool,
    every_tilde: bool,
) -> Vec<Cow<'t, str>> {
    let mut link_keys: Vec<Cow<'_, str>> = Vec::new();
    let mut def_keys: Vec<Cow<'_, str>> = Vec::new();
    for d in b.mark_defs {
        if let Entry::Object(o) = d {
            if let Some(k) = o.str("_key") {
                if o.str_is("_type", "link") {
                    link_keys.push(k.clone());
                }
                def_keys.push(k);
            }
        }
    }
    // Above eight links, a set (a search per mark would grow with marks times links).
    let link_set: Option<HashSet<&str>> =
        (link_keys.len() > 8).then(|| link_keys.iter().map(|k| &**k).collect());
    let is_link_key = |m: &str| match &link_set {
        Some(set) => set.contains(m),
        None => link_keys.iter().any(|k| k == m),
    };
    // The tree's leaves in the order they were made, which is the children's order with each
    // span's lines in turn (the tree has already split the text at its newlines).
    let mut pieces: Vec<Piece<'t>> = Vec::with_capacity(tree.nodes.len());
    // The last span's child index and whether it is link text.
    let mut last_link: Option<(usize, bool)> = None;
    for node in &tree.nodes {
        match *node {
            MNode::Mark { .. } => {}
            MNode::Text { child, start, end } => {
                let Some(Some(span)) = tree.spans.get(child) else {
                    continue;
                };
                let link = match last_link {
                    Some((c, link)) if c == child => link,
                    _ => {
                        let link = span.marks.iter().any(|m| is_link_key(m));
                        last_link = Some((child, link));
                        link
                    }
                };
                pieces.push(Piece::Text {
                    raw: tree.text(child, start, end),
                    link,
                    marks: &span.marks,
                });
            }
            MNode::Break if break_has_newline => pieces.push(Piece::Break),
            MNode::Break | MNode::Inline(_) => pieces.push(Piece::Opaque),
        }
    }
    let mut outputs: Vec<Cow<'t, str>> = vec![Cow::Borrowed(""); pieces.len()];
    let mut line_index = 0;
    let mut start = 0;
    for i in 0..=pieces.len() {
        if i == pieces.len() || matches!(pieces[i], Piece::Break) {
            let line = Line {
                pieces: &pieces[start..i],
                offset: start,
                index: line_index,
                heading,
                list_item,
                every_tilde,
                def_keys: &def_keys,
            };
            process_line(&line, &mut outputs);
            line_index += 1;
            start = i + 1;
        }
    }
    pieces
        .iter()
        .zip(outputs)
        .filter_map(|(p, o)| match p {
            Piece::Text { .. } => Some(o),
            _ => None,
        })
        .collect()
}

fn needs_slow_path(line: &Line<'_, '_>) -> bool {
    let Line {
        pieces,
        index: line_index,
        heading,
        every_tilde,
        ..
    } = *line;
    let mut first = true;
    let mut last_text: Option<&str> = None;
    for p in pieces {
        match p {
            Piece::Text { raw, link, .. } => {
                if has_inline_hazard(raw.as_bytes(), *link, every_tilde) {
                    return true;
                }
                if first && !raw.is_empty() {
                    first = false;
                    let t = raw.trim_start_matches(' ');
                    if raw.len() - t.len() >= 4 {
                        return true;
                    }
                    if let Some(c) = t.bytes().next() {
                        if matches!(c, b'#' | b'>' | b'[' | b'-' | b'+' | b'*' | b'=' | b'\t')
                            || c.is_ascii_digit()
                        {
                            return true;
                        }
                    } else {
                        // Only spaces so far: decide on the joined line.
                        return true;
                    }
                }
                if !raw.is_empty() {
                    last_text = Some(raw);
                }
            }
            Piece::Opaque => {
                if first {
                    first = false;
                }
            }
            Piece::Break => {}
        }
    }
    if heading && line_index == 0 && last_text.is_some() {
        // A `#` anywhere may end up in the closing-sequence position.
        return pieces
            .iter()
            .any(|p| matches!(p, Piece::Text { raw, .. } if memchr::memchr(b'#', raw.as_bytes()).is_some()));
    }
    false
}

/// Whether a piece of text may need an inline edit other than [`escape_angles`]: a superset
/// of the inline rules of [`escape_line`], decided on the piece alone. A character whose
/// rule depends on the next character counts as a hazard at the end of the piece (the next
/// piece decides).
fn has_inline_hazard(raw: &[u8], link: bool, every_tilde: bool) -> bool {
    let mut k = 0;
    loop {
        k = find(
            raw,
            k,
            |w| {
                bytes_equal(w, b'`')
                    | bytes_equal(w, b'*')
                    | bytes_equal(w, b'_')
                    | bytes_equal(w, b'[')
                    | bytes_equal(w, b'\\')
                    | bytes_equal(w, b']')
                    | bytes_equal(w, b'~')
                    | bytes_equal(w, b'<')
                    | bytes_equal(w, b'&')
            },
            |c| {
                matches!(
                    c,
                    b'`' | b'*' | b'_' | b'[' | b'\\' | b']' | b'~' | b'<' | b'&'
                )
            },
        );
        let Some(&c) = raw.get(k) else { return false };
        let next = raw.get(k + 1).copied();
        let hazard = match c {
            b'`' | b'*' => true,
            b'_' => {
                // A run of underscores between ASCII letters or digits (`snake_case`) can
                // neither open nor close emphasis.
                let end = k + raw[k..].iter().take_while(|b| **b == b'_').count();
                let word = |i: Option<usize>| {
                    i.and_then(|i| raw.get(i))
                        .is_some_and(|b| b.is_ascii_alphanumeric())
                };
                if word(k.checked_sub(1)) && word(Some(end)) {
                    k = end;
                    continue;
                }
                true
            }
            // Link text gets a backslash before each of these.
            b'[' => link,
            b'\\' => link || next.is_none_or(|d| d.is_ascii_punctuation()),
            b']' => link || next.is_none_or(|d| d == b'(' || d == b'['),
            b'~' => every_tilde || next.is_none_or(|d| d == b'~'),
            // Before a letter, `/`, `!` or `?` in the piece, `<` gets its backslash from
            // `escape_angles` whatever the rest of the line holds (no linkify claim
            // contains a `<`); at the piece's end the next piece decides.
            b'<' => next.is_none(),
            // Entities start `&#` or `&` and a letter.
            _ => next.is_none_or(|d| d == b'#' || d.is_ascii_alphabetic()),
        };
        if hazard {
            return true;
        }
        k += 1;
    }
}

/// `raw` with a backslash before each `<` that starts something tag-like (the one inline
/// edit the fast path makes); borrowed when there is none.
fn escape_angles(raw: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut done = 0;
    let b = raw.as_bytes();
    for i in memchr::memchr_iter(b'<', b) {
        if b.get(i + 1)
            .is_some_and(|d| d.is_ascii_alphabetic() || matches!(d, b'/' | b'!' | b'?'))
        {
            out.push_str(&raw[done..i]);
            out.push('\\');
            done = i;
        }
    }
    // Every edit writes a backslash, so an empty `out` means none.
    if out.is_empty() {
        return Cow::Borrowed(raw);
    }
    out.push_str(&raw[done..]);
    Cow::Owned(out)
}

/// One line of a block: its pieces (a slice of the block's), where they start in the
/// block's list, and what decides its line-start rules.
struct Line<'p, 't> {
    pieces: &'p [Piece<'t>],
    offset: usize,
    index: usize,
    heading: bool,
    list_item: bool,
    /// Whether every `~` gets a backslash, not only runs of two or more.
    every_tilde: bool,
    /// Keys of the block's mark definitions (a span's other marks are decorators).
    def_keys: &'p [Cow<'p, str>],
}

fn process_line<'t>(line: &Line<'_, 't>, outputs: &mut [Cow<'t, str>]) {
    if !needs_slow_path(line) {
        for (i, p) in line.pieces.iter().enumerate() {
            if let Piece::Text { raw, .. } = p {
                // Each piece belongs to exactly one line, so its output is still empty
                // here; a piece without edits is borrowed, not copied.
                outputs[line.offset + i] = escape_angles(raw);
            }
        }
        return;
    }
    escape_line(line, outputs);
}

/// The full escaping of one line (the slow path of [`process_line`]).
fn escape_line<'t>(line: &Line<'_, 't>, outputs: &mut [Cow<'t, str>]) {
    let Line {
        pieces,
        offset,
        index: line_index,
        heading,
        list_item,
        every_tilde,
        def_keys,
    } = *line;
    // Build the joined line: its chars and the piece each belongs to (`OPAQUE` for an inline
    // object or break). The bytes of the text (doubled for link text, which may gain a
    // backslash per character) bound the number of characters.
    let chars: usize = pieces
        .iter()
        .map(|p| match p {
            Piece::Text { raw, link, .. } => raw.len() * if *link { 2 } else { 1 },
            _ => 1,
        })
        .sum();
    let mut text: Vec<char> = Vec::with_capacity(chars);
    let mut piece: Vec<usize> = Vec::with_capacity(chars);
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Text { raw, link, .. } => {
                for c in raw.chars() {
                    if *link && matches!(c, '[' | ']' | '\\') {
                        text.push('\\');
                        piece.push(i);
                    }
                    text.push(c);
                    piece.push(i);
                }
            }
            _ => {
                text.push('\0');
                piece.push(OPAQUE);
            }
        }
    }
    let piece_link: Vec<bool> = pieces
        .iter()
        .map(|p| matches!(p, Piece::Text { link: true, .. }))
        .collect();
    let is_link = |i: usize| piece[i] != OPAQUE && piece_link[piece[i]];
    // The decorators of a text piece, sorted: pieces with the same ones are one run of
    // identical decorator marks (computed only when a linkify claim crosses pieces).
    let decorators = |i: usize| -> Option<Vec<&str>> {
        let Some(Piece::Text { marks, .. }) = pieces.get(i) else {
            return None;
        };
        let mut d: Vec<&str> = marks
            .iter()
            .map(|m| &**m)
            .filter(|m| !def_keys.iter().any(|k| k == m))
            .collect();
        d.sort_unstable();
        Some(d)
    };
    let same_sig = |a: usize, b: usize| -> bool {
        a == b || matches!((decorators(a), decorators(b)), (Some(x), Some(y)) if x == y)
    };
    let n = text.len();
    let mut edits: Vec<Option<Edit>> = vec![None; n];
    let add = |edits: &mut Vec<Option<Edit>>, at: usize, e: Edit| {
        if at < edits.len() && edits[at].is_none() {
            edits[at] = Some(e);
        }
    };
    // Inline hazards.
    for i in 0..n {
        let next = text.get(i + 1).copied();
        let e = match text[i] {
            '\\' if !is_link(i) && next.is_some_and(|d| d.is_ascii_punctuation()) => Some(BS),
            '`' => Some(Edit::BsBypass),
            '&' if entity_at(&text, i) => Some(Edit::BsBypass),
            '<' if next
                .is_some_and(|d| d.is_ascii_alphabetic() || matches!(d, '/' | '!' | '?')) =>
            {
                Some(BS)
            }
            ']' if !is_link(i) && matches!(next, Some('(') | Some('[')) => Some(BS),
            _ => None,
        };
        if let Some(e) = e {
            add(&mut edits, i, e);
        }
    }
    // Tilde runs of two or more (every tilde for renderers that strike through with one).
    let mut i = 0;
    while i < n {
        if text[i] == '~' {
            let mut e = i;
            while e < n && text[e] == '~' {
                e += 1;
            }
            if e - i >= 2 || every_tilde {
                for p in i..e {
                    add(&mut edits, p, BS);
                }
            }
            i = e;
        } else {
            i += 1;
        }
    }
    emphasis_edits(&text, &mut edits);
    line_start_edits(&text, line_index, heading, list_item, &mut edits);

    // Linkify mask.
    let mask = linkify_mask(&text, &piece, &piece_link, &same_sig);
    write_pieces(pieces, &edits, &mask, &mut outputs[offset..]);
}

/// Writes each text piece with the edits of its characters applied (`edits` and `mask` are
/// indexed like the joined line). The text between edits is copied from the piece as a
/// slice; a piece without edits is borrowed.
fn write_pieces<'t>(
    pieces: &[Piece<'t>],
    edits: &[Option<Edit>],
    mask: &[bool],
    outputs: &mut [Cow<'t, str>],
) {
    // The edit at a character of the line, unless the linkify mask hides it.
    let edit_at = |i: usize| {
        edits
            .get(i)
            .copied()
            .flatten()
            .filter(|e| e.bypass_mask() || !mask.get(i).copied().unwrap_or(false))
    };
    // Index in the joined line of the current character.
    let mut i = 0;
    for (p, piece) in pieces.iter().enumerate() {
        let Piece::Text { raw, link, .. } = piece else {
            // An inline object or break: one character, never written.
            i += 1;
            continue;
        };
        let mut out: Option<String> = None;
        // Bytes of `raw` already written to `out`.
        let mut done = 0;
        let flush = |out: &mut Option<String>, upto: usize, done: &mut usize| {
            let o = out.get_or_insert_with(|| String::with_capacity(raw.len() + 8));
            o.push_str(&raw[*done..upto]);
            *done = upto;
        };
        for (at, c) in raw.char_indices() {
            if *link && matches!(c, '[' | ']' | '\\') {
                // The backslash the joined line has before this character (link text).
                flush(&mut out, at, &mut done);
                let o = out.get_or_insert_with(String::new);
                if let Some(e) = edit_at(i) {
                    o.push_str(e.insert());
                }
                o.push('\\');
                i += 1;
            }
            if let Some(e) = edit_at(i) {
                flush(&mut out, at, &mut done);
                let o = out.get_or_insert_with(String::new);
                o.push_str(e.insert());
                if e.delete() > 0 {
                    // The character is replaced by the insert.
                    done = at + c.len_utf8();
                }
            }
            i += 1;
        }
        outputs[p] = match out {
            Some(mut o) => {
                o.push_str(&raw[done..]);
                Cow::Owned(o)
            }
            None => Cow::Borrowed(raw),
        };
    }
}

fn entity_at(t: &[char], i: usize) -> bool {
    let mut j = i + 1;
    match t.get(j) {
        Some('#') => {
            j += 1;
            if matches!(t.get(j), Some('x') | Some('X')) {
                let s = j + 1;
                let mut k = s;
                while k < t.len() && t[k].is_ascii_hexdigit() {
                    k += 1;
                }
                if k > s && t.get(k) == Some(&';') {
                    return true;
                }
            }
            let s = j;
            let mut k = s;
            while k < t.len() && t[k].is_ascii_digit() {
                k += 1;
            }
            k > s && t.get(k) == Some(&';')
        }
        Some(c) if c.is_ascii_alphabetic() => {
            j += 1;
            while j < t.len() && t[j].is_ascii_alphanumeric() {
                j += 1;
            }
            t.get(j) == Some(&';')
        }
        _ => false,
    }
}

pub(crate) fn is_ws(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        ),
    }
}

/// Unicode punctuation or symbol (approximated for non-ASCII characters).
pub(crate) fn is_punct(c: Option<char>) -> bool {
    let Some(c) = c else { return false };
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    if c.is_alphanumeric() || is_ws(Some(c)) || c.is_control() {
        return false;
    }
    let u = c as u32;
    let mark_or_format = matches!(u, 0x300..=0x36f | 0x483..=0x489 | 0x591..=0x5bd | 0x610..=0x61a | 0x64b..=0x65f | 0x900..=0x903 | 0x93a..=0x94f | 0x1ab0..=0x1aff | 0x1dc0..=0x1dff | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x20d0..=0x20ff | 0xfe00..=0xfe0f | 0xfe20..=0xfe2f | 0xe0100..=0xe01ef | 0xe0001..=0xe007f);
    !mark_or_format
}

pub(crate) fn left_flanking(before: Option<char>, after: Option<char>) -> bool {
    if is_ws(after) {
        return false;
    }
    !is_punct(after) || is_ws(before) || is_punct(before)
}

pub(crate) fn right_flanking(before: Option<char>, after: Option<char>) -> bool {
    if is_ws(before) {
        return false;
    }
    !is_punct(before) || is_ws(after) || is_punct(after)
}

fn emphasis_edits(t: &[char], edits: &mut [Option<Edit>]) {
    let n = t.len();
    let mut i = 0;
    while i < n {
        let c = t[i];
        if c != '*' && c != '_' {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < n && t[end] == c {
            end += 1;
        }
        let before = if i > 0 { Some(t[i - 1]) } else { None };
        let after = t.get(end).copied();
        let l = left_flanking(before, after);
        let r = right_flanking(before, after);
        let (open, close) = if c == '_' {
            (l && (!r || is_punct(before)), r && (!l || is_punct(after)))
        } else {
            (l, r)
        };
        if open || close {
            for e in edits.iter_mut().take(end).skip(i) {
                if e.is_none() {
                    *e = Some(BS);
                }
            }
        }
        i = end;
    }
}

/// Applies the line-start rules to each line of already rendered Markdown `text` (a block's
/// content): a line that starts like a block (a list marker, `#`, `>`, a thematic break...)
/// gets the escape the escaper would have given it. For a renderer that writes nothing for
/// some inline objects: the escaper saw the object at the start of the line, the reader
/// sees the text after it. Lines that already start with an escape or markup are left as
/// they are.
pub(crate) fn escape_line_starts(text: &str, heading: bool, list_item: bool) -> Cow<'_, str> {
    let mut changed = false;
    let lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .enumerate()
        .map(|(index, line)| {
            // A `[` there is a link's markup (text would have its `[` escaped); the rules for
            // `[` (a task box, a reference definition) would misread the link text, whose
            // brackets are escaped here.
            if line.trim_start_matches(' ').starts_with('[') {
                return Cow::Borrowed(line);
            }
            let chars: Vec<char> = line.chars().collect();
            let mut edits = vec![None; chars.len()];
            line_start_edits(&chars, index, heading, list_item, &mut edits);
            if edits.iter().all(Option::is_none) {
                return Cow::Borrowed(line);
            }
            changed = true;
            let mut o = String::with_capacity(line.len() + 8);
            for (c, e) in chars.iter().zip(&edits) {
                if let Some(e) = e {
                    o.push_str(e.insert());
                    if e.delete() > 0 {
                        continue;
                    }
                }
                o.push(*c);
            }
            Cow::Owned(o)
        })
        .collect();
    if changed {
        Cow::Owned(lines.join("\n"))
    } else {
        Cow::Borrowed(text)
    }
}

fn line_start_edits(
    t: &[char],
    line_index: usize,
    heading: bool,
    list_item: bool,
    edits: &mut [Option<Edit>],
) {
    let first = line_index == 0;
    let lead = t.iter().take(3).take_while(|c| **c == ' ').count();
    let rest = &t[lead..];
    let mut set = |at: usize, e: Edit| {
        if at < edits.len() && edits[at].is_none() {
            edits[at] = Some(e);
        }
    };
    if list_item
        && first
        && rest.len() >= 4
        && rest[0] == '['
        && matches!(rest[1], ' ' | 'x' | 'X')
        && rest[2] == ']'
        && rest[3] == ' '
    {
        set(lead, BS);
    }
    if heading && first {
        // A trailing `#` run preceded by a space/tab (or at the start) would be
        // read as the heading's closing sequence.
        let mut end = t.len();
        while end > 0 && matches!(t[end - 1], ' ' | '\t') {
            end -= 1;
        }
        let mut s = end;
        while s > 0 && t[s - 1] == '#' {
            s -= 1;
        }
        if s < end && (s == 0 || matches!(t[s - 1], ' ' | '\t')) {
            set(s, BS);
        }
        return;
    }
    // Ordered list marker: up to 3 spaces, 1-9 digits, `.` or `)`, then space/tab/end.
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=9).contains(&digits)
        && matches!(rest.get(digits), Some('.') | Some(')'))
        && matches!(rest.get(digits + 1), None | Some(' ') | Some('\t'))
    {
        set(lead + digits, BS);
        return;
    }
    let ws_or_end = |c: Option<&char>| matches!(c, None | Some(' ') | Some('\t'));
    let hashes = rest.iter().take_while(|c| **c == '#').count();
    let atx = (1..=6).contains(&hashes) && ws_or_end(rest.get(hashes));
    let quote = rest.first() == Some(&'>');
    let refdef = rest.first() == Some(&'[') && {
        let close = rest.iter().skip(1).position(|c| *c == ']' || *c == '\n');
        matches!(close, Some(p) if rest[p + 1] == ']' && rest.get(p + 2) == Some(&':'))
    };
    let bullet =
        matches!(rest.first(), Some('-') | Some('+') | Some('*')) && ws_or_end(rest.get(1));
    let thematic = {
        match rest.first() {
            Some(&m) if matches!(m, '-' | '*' | '_') => {
                let mut count = 0;
                let mut ok = true;
                for c in rest {
                    if *c == m {
                        count += 1;
                    } else if !matches!(c, ' ' | '\t') {
                        ok = false;
                        break;
                    }
                }
                ok && count >= 3
            }
            _ => false,
        }
    };
    let run_of = |ch: char| -> bool {
        let k = rest.iter().take_while(|c| **c == ch).count();
        k >= 1 && rest[k..].iter().all(|c| matches!(c, ' ' | '\t'))
    };
    if atx || quote || refdef || bullet || thematic || run_of('=') || run_of('-') {
        set(lead, BS);
        return;
    }
    if t.len() >= 4 && t[..4].iter().all(|c| *c == ' ') {
        set(0, Edit::Space);
        return;
    }
    if rest.first() == Some(&'\t') {
        set(lead, Edit::Tab);
    }
}

/// Marks characters a Markdown linkifier would claim as a URL or e-mail,
/// when the claim lies within one run of identical decorator marks. `piece` is the piece of
/// each character (`OPAQUE` for none), `piece_link` whether a piece is link text.
fn linkify_mask(
    text: &[char],
    piece: &[usize],
    piece_link: &[bool],
    same_sig: &dyn Fn(usize, usize) -> bool,
) -> Vec<bool> {
    let n = text.len();
    // Only scheme URLs (`…://`) and e-mail addresses are claimed here; without either, the
    // mask is empty (no character is masked).
    let has_scheme = text.windows(3).any(|w| w == [':', '/', '/']);
    if !has_scheme && !text.contains(&'@') {
        return Vec::new();
    }
    let mut mask = vec![false; n];
    let probe: Vec<char> = (0..n)
        .map(|i| {
            if piece[i] == OPAQUE || piece_link[piece[i]] {
                ' '
            } else {
                text[i]
            }
        })
        .collect();
    let mut matches: Vec<(usize, usize)> = Vec::new();
    let lower_at = |i: usize, pat: &str| -> bool {
        let mut k = i;
        for pc in pat.chars() {
            match probe.get(k) {
                Some(c) if c.to_ascii_lowercase() == pc => k += 1,
                _ => return false,
            }
        }
        true
    };
    let mut i = 0;
    while i < n {
        let boundary = i == 0 || !(probe[i - 1].is_alphanumeric() || probe[i - 1] == '_');
        if boundary {
            let scheme = ["https://", "http://", "ftp://"]
                .iter()
                .find(|s| lower_at(i, s))
                .map(|s| s.chars().count());
            if let Some(len) = scheme {
                let host_start = i + len;
                if probe.get(host_start).is_some_and(|c| c.is_alphanumeric()) {
                    let end = url_end(&probe, host_start);
                    matches.push((i, end));
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    // E-mail addresses (optionally preceded by `mailto:`).
    for at in 0..n {
        if probe[at] != '@' || matches.iter().any(|(s, e)| *s <= at && at < *e) {
            continue;
        }
        let local_ok =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
        let mut s = at;
        while s > 0 && local_ok(probe[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < n && (probe[e].is_ascii_alphanumeric() || matches!(probe[e], '.' | '-')) {
            e += 1;
        }
        while e > at + 1 && matches!(probe[e - 1], '.' | '-') {
            e -= 1;
        }
        let domain: String = probe[at + 1..e].iter().collect();
        let tld_ok = domain
            .rsplit_once('.')
            .is_some_and(|(_, tld)| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if s < at && probe[s] != '.' && tld_ok {
            let mut start = s;
            if s >= 7 && lower_at(s - 7, "mailto:") {
                start = s - 7;
            }
            matches.push((start, e));
        }
    }
    for (s, e) in matches {
        if s >= e {
            continue;
        }
        let first = piece[s];
        if (s..e).all(|k| piece[k] != OPAQUE && same_sig(piece[k], first)) {
            for m in mask.iter_mut().take(e).skip(s) {
                *m = true;
            }
        }
    }
    mask
}

fn url_end(p: &[char], from: usize) -> usize {
    // linkify-it's "pseudo letters": anything but whitespace, controls, `<`, `>`, `｜` and
    // Unicode punctuation (symbols such as `~` or `$` count as letters).
    let letter = |c: char| {
        !(is_ws(Some(c))
            || c.is_control()
            || matches!(c, '<' | '>' | '\u{ff5c}')
            || (c.is_ascii_punctuation() && !matches!(c, '$' | '+' | '=' | '^' | '`' | '|' | '~')))
    };
    // Host: letters/digits, `-` and `.`; then an optional port.
    let mut e = from;
    while e < p.len() && (letter(p[e]) || matches!(p[e], '-' | '.')) {
        e += 1;
    }
    while e > from && matches!(p[e - 1], '.' | '-') {
        e -= 1;
    }
    if p.get(e) == Some(&':') {
        let digits = p[e + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=5).contains(&digits) {
            e += 1 + digits;
        }
    }
    // Path only after `/`, `?` or `#`.
    if !matches!(p.get(e), Some('/') | Some('?') | Some('#')) {
        return e;
    }
    let stop = |c: char| is_ws(Some(c)) || c.is_control() || matches!(c, '<' | '>' | '\u{ff5c}');
    // linkify-it's path grammar: brackets and quotes only as closed pairs,
    // punctuation only when more path follows.
    let closing = |from: usize, close: char, min: usize| -> Option<usize> {
        let mut k = from;
        while k < p.len() && !stop(p[k]) {
            if p[k] == close {
                return if k - from >= min { Some(k) } else { None };
            }
            k += 1;
        }
        None
    };
    let more = |k: usize| k < p.len() && !stop(p[k]);
    while e < p.len() {
        let c = p[e];
        if stop(c) {
            break;
        }
        match c {
            '(' | '[' | '{' => {
                let close = match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                match closing(e + 1, close, 0) {
                    Some(k) => e = k + 1,
                    None => break,
                }
            }
            '"' => match closing(e + 1, '"', 1) {
                Some(k) => e = k + 1,
                None => break,
            },
            '\'' => match closing(e + 1, '\'', 1) {
                Some(k) => e = k + 1,
                None if p
                    .get(e + 1)
                    .is_some_and(|n| n.is_alphanumeric() || *n == '-') =>
                {
                    e += 1
                }
                None => break,
            },
            ')' | ']' | '}' => break,
            '.' => {
                let run = p[e..].iter().take_while(|x| **x == '.').count();
                if run >= 2 {
                    if p.get(e + run)
                        .is_some_and(|n| n.is_ascii_alphanumeric() || matches!(n, '%' | '/' | '&'))
                    {
                        e += run + 1;
                    } else {
                        break;
                    }
                } else if more(e + 1) {
                    e += 1;
                } else {
                    break;
                }
            }
            ',' | ';' => {
                if more(e + 1) {
                    e += 1;
                } else {
                    break;
                }
            }
            '!' | '?' => {
                let run = p[e..].iter().take_while(|x| **x == c).count();
                if c == '!' && more(e + run) {
                    e += run;
                } else if c == '?' && run == 1 && more(e + 1) {
                    e += 1;
                } else {
                    break;
                }
            }
            _ => e += 1,
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The escaped pieces of one line, by the fast check or always by the full escaper.
    fn escape(texts: &[(String, bool)], full: bool) -> Vec<String> {
        escape_in(texts, full, LineKind::default())
    }

    /// Where a line is: which line of its block, in a heading or a list item.
    #[derive(Clone, Copy, Default, Debug)]
    struct LineKind {
        index: usize,
        heading: bool,
        list_item: bool,
        every_tilde: bool,
    }

    fn escape_in(texts: &[(String, bool)], full: bool, kind: LineKind) -> Vec<String> {
        let pieces: Vec<Piece<'_>> = texts
            .iter()
            .map(|(t, link)| Piece::Text {
                raw: t,
                link: *link,
                marks: &[],
            })
            .collect();
        escape_pieces(&pieces, &[], full, kind)
    }

    /// One line of `pieces` (the first line of a normal block), escaped.
    fn escape_pieces(
        pieces: &[Piece<'_>],
        def_keys: &[Cow<'_, str>],
        full: bool,
        kind: LineKind,
    ) -> Vec<String> {
        let mut outputs = vec![Cow::Borrowed(""); pieces.len()];
        let line = Line {
            pieces,
            offset: 0,
            index: kind.index,
            heading: kind.heading,
            list_item: kind.list_item,
            every_tilde: kind.every_tilde,
            def_keys,
        };
        if full {
            escape_line(&line, &mut outputs);
        } else {
            process_line(&line, &mut outputs);
        }
        outputs.into_iter().map(Cow::into_owned).collect()
    }

    /// A URL split over two spans is left alone (as a linkifier would claim it) only when
    /// both spans carry the same decorators; a mark-definition key does not count.
    #[test]
    fn a_url_across_spans_is_one_claim_only_within_one_decorator_run() {
        let escape_two = |first: &[&str], second: &[&str]| -> Vec<String> {
            let first: Vec<Cow<'_, str>> = first.iter().map(|m| Cow::Borrowed(*m)).collect();
            let second: Vec<Cow<'_, str>> = second.iter().map(|m| Cow::Borrowed(*m)).collect();
            let pieces = [
                Piece::Text {
                    raw: "see https://example.com/a",
                    link: false,
                    marks: &first,
                },
                Piece::Text {
                    raw: "*b*c",
                    link: false,
                    marks: &second,
                },
            ];
            escape_pieces(&pieces, &[Cow::Borrowed("k1")], false, LineKind::default())
        };
        let claimed = ["see https://example.com/a", "*b*c"];
        let escaped = ["see https://example.com/a", "\\*b\\*c"];
        assert_eq!(escape_two(&["em", "strong"], &["strong", "em"]), claimed);
        assert_eq!(escape_two(&["em"], &["em", "k1"]), claimed);
        assert_eq!(escape_two(&["em"], &["strong"]), escaped);
        assert_eq!(escape_two(&[], &["em"]), escaped);
    }

    /// A line that would read as indented code or start with a tab keeps its text: the
    /// first space or the tab is replaced by its entity, nothing else changes.
    #[test]
    fn leading_spaces_and_tabs_become_entities() {
        let one = |t: &str| escape(&[(t.to_owned(), false)], false);
        assert_eq!(one("    a b"), ["&#32;   a b"]);
        assert_eq!(one("\tb\tc"), ["&#9;b\tc"]);
        assert_eq!(one("  \tc"), ["  &#9;c"]);
        // Split over spans: the entity lands in the span that had the character.
        assert_eq!(
            escape(&[("  ".to_owned(), false), ("  d".to_owned(), true)], false),
            ["&#32; ", "  d"]
        );
    }

    proptest! {
        // Short spans over a small alphabet, many cases: hazards at span boundaries.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The fast check only skips the escaper where it would change nothing, also when a
        /// hazard's deciding neighbour is in the next span.
        #[test]
        fn the_fast_check_never_skips_an_edit(
            texts in proptest::collection::vec((prop_oneof![
                // Short: hazards at span boundaries.
                "[ a1&#;<>/!?~_*=+.\t\\-\\\\\\[\\]()]{0,4}",
                // Longer: hazards anywhere in a word of eight bytes, or in the tail after it.
                "[a-z0-9 ]{0,12}[ a&#;<>/!?~_*\\\\\\[\\]()]{0,3}[a-z0-9 ]{0,12}",
            ], any::<bool>()), 1..6),
            index in 0usize..2,
            heading in any::<bool>(),
            list_item in any::<bool>(),
            every_tilde in any::<bool>(),
        ) {
            let kind = LineKind { index, heading, list_item, every_tilde };
            prop_assert_eq!(escape_in(&texts, false, kind), escape_in(&texts, true, kind));
        }
    }
}

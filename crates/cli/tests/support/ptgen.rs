//! Seeded generator of random Portable Text documents for the differential test.
//!
//! The generator is self-contained (its own SplitMix64 generator) so a seed names the same
//! corpus on every machine and with every version of the dependencies. It aims at the inputs
//! where renderers disagree: every block style, nested bullet and number lists with level jumps
//! and style changes, all default decorators, link annotations with safe and unsafe hrefs,
//! unknown marks, annotations and types (block and inline), spans with many marks (overlapping
//! links among them; repeated names on request), blocks with many mark definitions (a key
//! given twice on request), text full of characters that HTML or Markdown must escape, empty
//! spans, hard line breaks and runs of spaces.
//!
//! Every object carries a `_key`: the Markdown reference invents a random key for an object
//! without one and prints it, which no other renderer can reproduce.

use std::fmt::Write as _;

/// A JSON value that keeps object keys in the order they were written, so the generated
/// documents look like real ones (`_type` and `_key` first) rather than alphabetically sorted,
/// and numbers keep the exact spelling they were given (`1.5`, `0`, `1.0`).
#[derive(Clone, Debug)]
pub enum J {
    Null,
    Bool(bool),
    /// A number, written exactly as given.
    Num(&'static str),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => write_str(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn remove(&mut self, key: &str) {
        if let J::Obj(fields) = self {
            fields.retain(|(k, _)| k != key);
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn s<T: AsRef<str> + ?Sized>(text: &T) -> J {
    J::Str(text.as_ref().to_string())
}

fn obj(fields: Vec<(&str, J)>) -> J {
    J::Obj(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// SplitMix64: tiny, fast, and good enough to drive a test-data generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "post",
    "renders",
    "markdown",
    "portable",
    "text",
    "quickly",
    "and",
    "safely",
    "with",
    "links",
    "lists",
    "code",
    "a",
    "of",
    "to",
    "in",
    "is",
    "blog",
    "article",
    "headline",
    "Rust",
    "Sanity",
    "crosspost",
    "draft",
    "canonical",
    "URL",
    "hello",
    "world",
    "editor",
    "note",
];

/// Tokens that need escaping in HTML or Markdown, or that tempt a renderer into linkifying,
/// entity decoding or list/heading detection.
const SPECIAL: &[&str] = &[
    "<",
    ">",
    "&",
    "\"",
    "'",
    "<b>bold?</b>",
    "<script>alert(1)</script>",
    "&amp;",
    "&#39;",
    "&nbsp;",
    "a & b",
    "*",
    "**",
    "_",
    "__",
    "`",
    "``",
    "```",
    "[",
    "]",
    "[x]",
    "(",
    ")",
    "[link](https://example.com)",
    "![img](a.png)",
    "#",
    "# not a heading",
    "\\",
    "\\*",
    "|",
    "a|b",
    "~",
    "~~",
    "!",
    "1.",
    "2)",
    "-",
    "+",
    "- item",
    "> quote",
    "---",
    "===",
    "$",
    "%",
    "{",
    "}",
    "{{ liquid }}",
    "{% raw %}",
    "<!-- c -->",
    "http://example.com",
    "https://example.com/a_b_c?x=1&y=2",
    "www.example.com",
    "mail@example.com",
    "é",
    "ñ",
    "日本語",
    "🎉",
    "\u{00A0}",
    "\t",
    "snake_case_word",
    "2*3*4",
    "a_b_",
    "_a_",
    "*a*",
    ":smile:",
    "foo\\",
    "x<y",
    "1 < 2 > 0",
    "\"quoted\"",
    "it's",
    "—",
    "«",
    "»",
    "“quoted”",
    "…",
    "¿",
    "e\u{301}",
    "\r\n",
    "\u{200B}",
    "10.",
    "*)",
    "<https://example.com>",
];

const DECORATORS: &[&str] = &["strong", "em", "code", "underline", "strike-through"];
const UNKNOWN_DECORATORS: &[&str] = &["highlight", "sup", "kbd"];
const STYLES: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6", "blockquote"];

const SAFE_HREFS: &[&str] = &[
    "https://example.com",
    "https://example.com/path?query=1&other=\"two\"",
    "http://example.com/a b",
    "mailto:someone@example.com",
    "tel:+15551234",
    "/relative/path",
    "#anchor",
    "relative/page.html",
    "  https://example.com/padded  ",
    "HTTPS://EXAMPLE.COM/UPPER",
    "page?next=javascript:alert(1)",
    "page#frag:ment",
    "https://example.com/<tag>",
    "https://example.com/(paren)",
    "https://example.com/it's",
    "",
];

const UNSAFE_HREFS: &[&str] = &[
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "  javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "ftp://example.com/file",
    "java\tscript:alert(1)",
    "javascript:alert(1)?x=1",
    "file:///etc/passwd",
];

pub struct Generator {
    rng: Rng,
    key: u64,
    repeat_marks: bool,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: Rng::new(seed),
            key: 0,
            repeat_marks: false,
        }
    }

    /// Lets a span with many marks name one mark more than once (the reference nests it
    /// again) and a mark definition reuse a key (the first one counts). Editors write
    /// neither, and the Markdown profiles give them no meaning of their own.
    #[allow(dead_code)] // not every test that includes this module repeats marks
    pub fn repeating_marks(mut self) -> Self {
        self.repeat_marks = true;
        self
    }

    fn key(&mut self) -> J {
        self.key += 1;
        J::Str(format!("k{}", self.key))
    }

    /// One document: usually an array of blocks, sometimes one bare block.
    pub fn document(&mut self) -> J {
        if self.rng.chance(3) {
            let style = self.style();
            return self.text_block(style, None);
        }
        let count = self.rng.range(1, 9);
        let mut blocks = Vec::new();
        while blocks.len() < count {
            match self.rng.below(100) {
                0..=49 => {
                    let style = self.style();
                    blocks.push(self.text_block(style, None));
                }
                50..=79 => {
                    let items = if self.rng.chance(10) {
                        self.rng.range(9, 13)
                    } else {
                        self.rng.range(1, 6)
                    };
                    blocks.extend(self.list_run(items));
                }
                _ => blocks.push(self.object()),
            }
        }
        J::Arr(blocks)
    }

    fn style(&mut self) -> &'static str {
        match self.rng.below(100) {
            0..=59 => "normal",
            60..=95 => self.rng.pick_str(STYLES),
            _ => "lead", // no renderer knows this style
        }
    }

    /// A run of consecutive list items: levels wander, sometimes jump by two, kinds switch.
    fn list_run(&mut self, items: usize) -> Vec<J> {
        let mut level: i64 = 1;
        let mut kind = if self.rng.chance(50) {
            "bullet"
        } else {
            "number"
        };
        let mut out = Vec::new();
        for _ in 0..items {
            level = match self.rng.below(10) {
                0..=3 => level,
                4..=5 => level + 1,
                6 => level + 2,
                7..=8 => level - 1,
                _ => 1,
            }
            .clamp(1, 5);
            if self.rng.chance(20) {
                kind = if kind == "bullet" { "number" } else { "bullet" };
            }
            let item_kind = if self.rng.chance(3) { "square" } else { kind };
            let style = if self.rng.chance(85) {
                "normal"
            } else {
                self.style()
            };
            let mut block = self.text_block(style, Some((item_kind, level)));
            if self.rng.chance(5) {
                block.remove("level"); // defaults to 1
            }
            out.push(block);
        }
        out
    }

    fn text_block(&mut self, style: &str, list: Option<(&str, i64)>) -> J {
        let mut mark_defs = Vec::new();
        let mut link_keys: Vec<J> = Vec::new();
        let mut annotation_keys: Vec<J> = Vec::new();
        // Usually up to two definitions; now and then many (past the renderers' short-list
        // searches), with a key given twice if asked for (the first definition counts).
        let defs = if self.rng.chance(3) {
            self.rng.range(9, 14)
        } else {
            self.rng.below(3)
        };
        for _ in 0..defs {
            let key = if self.repeat_marks && !link_keys.is_empty() && self.rng.chance(10) {
                self.rng.pick(&link_keys).clone()
            } else {
                self.key()
            };
            if self.rng.chance(80) {
                let href = if self.rng.chance(75) {
                    self.rng.pick_str(SAFE_HREFS)
                } else {
                    self.rng.pick_str(UNSAFE_HREFS)
                };
                if self.rng.chance(5) {
                    mark_defs.push(obj(vec![("_type", s("link")), ("_key", key.clone())]));
                } else {
                    mark_defs.push(obj(vec![
                        ("_type", s("link")),
                        ("_key", key.clone()),
                        ("href", s(href)),
                    ]));
                }
                link_keys.push(key);
            } else {
                mark_defs.push(obj(vec![
                    ("_type", s("internalLink")),
                    ("_key", key.clone()),
                    ("reference", obj(vec![("_ref", s("post-1"))])),
                ]));
                annotation_keys.push(key);
            }
        }

        let mut children = Vec::new();
        for _ in 0..self.rng.range(1, 6) {
            if self.rng.chance(5) {
                children.push(self.inline_object());
                continue;
            }
            let mut marks: Vec<J> = Vec::new();
            let mut names: Vec<&str> = Vec::new();
            if self.rng.chance(45) {
                for _ in 0..self.rng.range(1, 2) {
                    let d = self.rng.pick_str(DECORATORS);
                    if !names.contains(&d) {
                        names.push(d);
                        marks.push(s(d));
                    }
                }
            }
            if !link_keys.is_empty() && self.rng.chance(40) {
                marks.push(self.rng.pick(&link_keys).clone());
            }
            if !annotation_keys.is_empty() && self.rng.chance(40) {
                marks.push(self.rng.pick(&annotation_keys).clone());
            }
            if self.rng.chance(4) {
                marks.push(s(self.rng.pick_str(UNKNOWN_DECORATORS)));
            }
            if self.rng.chance(3) {
                // Many marks on one span (names repeated, if asked for): past the mark
                // tree's short-list searches (it uses maps above eight marks).
                for _ in 0..self.rng.range(9, 16) {
                    let mark = match self.rng.below(4) {
                        0 if !link_keys.is_empty() => self.rng.pick(&link_keys).clone(),
                        1 if !annotation_keys.is_empty() => self.rng.pick(&annotation_keys).clone(),
                        2 => s(self.rng.pick_str(UNKNOWN_DECORATORS)),
                        _ => s(self.rng.pick_str(DECORATORS)),
                    };
                    let repeated = marks
                        .iter()
                        .any(|m| matches!((m, &mark), (J::Str(a), J::Str(b)) if a == b));
                    if self.repeat_marks || !repeated {
                        marks.push(mark);
                    }
                }
            }
            let text = self.text();
            let mut span = vec![
                ("_type", s("span")),
                ("_key", self.key()),
                ("text", J::Str(text)),
            ];
            if !(marks.is_empty() && self.rng.chance(10)) {
                span.push(("marks", J::Arr(marks)));
            }
            children.push(obj(span));
        }
        if self.rng.chance(2) {
            children.clear();
        }

        let mut block = vec![("_type", s("block")), ("_key", self.key())];
        if !(style == "normal" && self.rng.chance(5)) {
            block.push(("style", s(style)));
        }
        if let Some((kind, level)) = list {
            block.push(("listItem", s(kind)));
            block.push(("level", J::Num(LEVELS[level as usize])));
        }
        if !(mark_defs.is_empty() && self.rng.chance(10)) {
            block.push(("markDefs", J::Arr(mark_defs)));
        }
        block.push(("children", J::Arr(children)));
        obj(block)
    }

    /// Span text: words, special tokens, hard breaks, runs of spaces, sometimes nothing.
    fn text(&mut self) -> String {
        match self.rng.below(100) {
            0..=5 => return String::new(),
            6..=7 => return "\n".to_string(),
            8..=9 => return " ".to_string(),
            10..=13 => return self.soup(),
            _ => {}
        }
        let mut out = String::new();
        if self.rng.chance(8) {
            out.push(' ');
        }
        for i in 0..self.rng.range(1, 8) {
            if i > 0 {
                out.push_str(match self.rng.below(20) {
                    0 => "  ",
                    1 => "\n",
                    _ => " ",
                });
            }
            if self.rng.chance(22) {
                out.push_str(self.rng.pick_str(SPECIAL));
            } else {
                out.push_str(self.rng.pick_str(WORDS));
            }
        }
        if self.rng.chance(10) {
            out.push(' ');
        }
        out
    }

    /// A short run of letters, digits, spaces and ASCII punctuation: the characters whose
    /// escaping depends on their neighbours (emphasis flanking, list and heading markers,
    /// link brackets, entity references, autolinks).
    fn soup(&mut self) -> String {
        const CHARS: &[u8] = b"aZ09 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        (0..self.rng.range(1, 10))
            .map(|_| CHARS[self.rng.below(CHARS.len())] as char)
            .collect()
    }

    fn inline_object(&mut self) -> J {
        let key = self.key();
        match self.rng.below(3) {
            0 => obj(vec![
                ("_type", s("mention")),
                ("_key", key),
                ("user", s("ada")),
                ("id", J::Num("7")),
            ]),
            1 => obj(vec![
                ("_type", s("emoji")),
                ("_key", key),
                ("name", s("tada")),
                ("unicode", s("🎉")),
            ]),
            _ => obj(vec![
                ("_type", s("footnote")),
                ("_key", key),
                ("text", s("see <note> & \"more\"")),
                ("n", J::Num("1.5")),
            ]),
        }
    }

    /// A block-level custom object: types the Markdown reference knows (code, image, html,
    /// horizontal-rule) and types no default renderer knows.
    fn object(&mut self) -> J {
        let key = self.key();
        match self.rng.below(8) {
            0 | 1 => {
                let code = self.code_text();
                if self.rng.chance(80) {
                    let lang = *self
                        .rng
                        .pick(&["js", "rust", "typescript", "sh", "", "C++"]);
                    obj(vec![
                        ("_type", s("code")),
                        ("_key", key),
                        ("language", s(lang)),
                        ("code", J::Str(code)),
                    ])
                } else {
                    obj(vec![
                        ("_type", s("code")),
                        ("_key", key),
                        ("code", J::Str(code)),
                    ])
                }
            }
            2 => {
                let src = self.rng.pick_str(&[
                    "https://example.com/cat.png",
                    "/images/a b.png",
                    "javascript:alert(1)",
                ]);
                let alt = self.rng.pick_str(&["a cat", "", "[brackets] & *stars*"]);
                obj(vec![
                    ("_type", s("image")),
                    ("_key", key),
                    ("src", s(src)),
                    ("alt", s(alt)),
                ])
            }
            3 => obj(vec![
                ("_type", s("image")),
                ("_key", key),
                (
                    "asset",
                    obj(vec![
                        ("_ref", s("image-abc-200x100-png")),
                        ("_type", s("reference")),
                    ]),
                ),
            ]),
            4 => obj(vec![
                ("_type", s("youtube")),
                ("_key", key),
                ("url", s("https://youtu.be/x?t=1&a=<b>")),
                ("start", J::Num("0")),
                ("ratio", J::Num("0.5")),
                ("width", J::Num("640.0")),
                ("autoplay", J::Bool(false)),
                ("tags", J::Arr(vec![s("a"), J::Null])),
            ]),
            5 => obj(vec![
                ("_type", s("author")),
                ("_key", key),
                ("name", s("Ada \"Countess\" Lovelace")),
                ("bio", s("line one\nline two\t\u{1} </script>")),
                (
                    "nested",
                    obj(vec![
                        ("z", J::Num("1")),
                        (
                            "a",
                            J::Arr(vec![
                                J::Num("1"),
                                J::Num("2"),
                                obj(vec![("b", J::Bool(true))]),
                            ]),
                        ),
                    ]),
                ),
            ]),
            6 => obj(vec![("_type", s("horizontal-rule")), ("_key", key)]),
            _ => obj(vec![
                ("_type", s("html")),
                ("_key", key),
                ("html", s("<div class=\"embed\">raw &amp; ready</div>")),
            ]),
        }
    }

    fn code_text(&mut self) -> String {
        let lines = [
            "fn main() {",
            "    println!(\"<hello> & 'world'\");",
            "}",
            "const x = a < b && c > d;",
            "```",
            "",
            "\tindented with a tab",
        ];
        let mut out = Vec::new();
        for _ in 0..self.rng.range(1, 4) {
            out.push(self.rng.pick_str(&lines));
        }
        out.join("\n")
    }
}

const LEVELS: [&str; 6] = ["0", "1", "2", "3", "4", "5"];

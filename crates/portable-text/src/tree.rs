//! Inline mark nesting and list nesting, both built without recursion.
//!
//! The mark tree follows the Portable Text toolkit's rules: marks shared by
//! the most following siblings open first, then annotations and unknown
//! marks, then the known decorators in a fixed order. The list tree follows
//! the toolkit's HTML nesting mode, including the empty placeholder item it
//! inserts when a list skips a level.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};

use crate::html::uri_looks_safe;
use crate::markdown_escape::is_ws;
use crate::model::Object;
use crate::node::{span_view, Block, MarkDefs, SpanView};
use crate::reuse::{keep, recycle, KEEP_LEN};

const KNOWN_DECORATORS: [&str; 5] = ["strong", "em", "code", "underline", "strike-through"];

/// One node of a block's mark tree.
pub(crate) enum MNode {
    /// A mark wrapping its children.
    Mark { key: usize, children: Vec<usize> },
    /// Text: `(child index, byte range)` of a span's text.
    Text {
        child: usize,
        start: usize,
        end: usize,
    },
    /// A newline inside a span's text (a hard break).
    Break,
    /// An inline object (the child at this index).
    Inline(usize),
}

/// The mark tree of one block.
pub(crate) struct MarkTree<'a> {
    pub spans: Vec<Option<SpanView<'a>>>,
    pub nodes: Vec<MNode>,
    /// The mark each node is a child of (`None` at the top), indexed like `nodes`; made
    /// on first use (only the Markdown profiles' rarer lookups need it).
    parents: OnceCell<Vec<Option<usize>>>,
    pub root: Vec<usize>,
    /// Mark names, indexed by `MNode::Mark::key`.
    pub marks: Vec<Cow<'a, str>>,
}

/// The vectors of [`MarkTree::build`] and [`MarkTree::walk`], kept from block to block on
/// each thread (emptied, borrowing for `'static` in place of the document's lifetime): a
/// tree is a dozen small vectors, and growing them anew for every block cost about 6 % of
/// the single-threaded Markdown time on the bench corpus. A tree gives its vectors back
/// when it is dropped; a tree made while another one holds the space finds it empty and
/// allocates.
#[derive(Default)]
struct Space {
    spans: Vec<Option<SpanView<'static>>>,
    nodes: Vec<MNode>,
    root: Vec<usize>,
    marks: Vec<Cow<'static, str>>,
    /// Emptied children lists of mark nodes, each of at most [`LIST_KEEP`] elements.
    lists: Vec<Vec<usize>>,
    start: Vec<usize>,
    occ: Vec<u32>,
    stack: Vec<(usize, Cow<'static, str>)>,
    needed: Vec<(u32, i32, Cow<'static, str>)>,
    /// [`MarkTree::walk`]'s open marks and the emptied buffers of closed ones.
    frames: Vec<Frame>,
    pool: Vec<String>,
}

thread_local! {
    static SPACE: Cell<Space> = Cell::new(Space::default());
}

/// The largest children list of a mark node kept for reuse. A mark has a few children, and
/// the lists are many (up to [`KEEP_LEN`]): with this bound they hold at most about 10 MB per thread,
/// whatever blocks went before.
const LIST_KEEP: usize = 16;

/// A mark open in [`MarkTree::walk`]: its node, the position of its next child, and the
/// output of its children so far.
struct Frame {
    node: usize,
    next: usize,
    buf: String,
}

impl Drop for MarkTree<'_> {
    fn drop(&mut self) {
        // At thread exit the space may be gone already: the vectors are then just freed.
        let _ = SPACE.try_with(|kept| {
            let mut space = kept.take();
            for node in self.nodes.drain(..) {
                if let MNode::Mark { mut children, .. } = node {
                    if space.lists.len() < KEEP_LEN && children.capacity() <= LIST_KEEP {
                        children.clear();
                        space.lists.push(children);
                    }
                }
            }
            keep(&mut space.nodes, std::mem::take(&mut self.nodes));
            keep(&mut space.root, std::mem::take(&mut self.root));
            keep(&mut space.spans, recycle(std::mem::take(&mut self.spans)));
            keep(&mut space.marks, recycle(std::mem::take(&mut self.marks)));
            kept.set(space);
        });
    }
}

/// A mark's place among the known decorators (-1 for any other mark).
pub(crate) fn known_pos(m: &str) -> i32 {
    KNOWN_DECORATORS
        .iter()
        .position(|k| *k == m)
        .map(|p| p as i32)
        .unwrap_or(-1)
}

/// An approximation of `String.prototype.localeCompare` for mark names:
/// case-insensitive first, lower case before upper case, then code points.
fn locale_cmp(a: &str, b: &str) -> Ordering {
    let la = a.to_lowercase();
    let lb = b.to_lowercase();
    la.cmp(&lb).then_with(|| {
        for (x, y) in a.chars().zip(b.chars()) {
            if x != y {
                if x.is_lowercase() && y.is_uppercase() {
                    return Ordering::Less;
                }
                if x.is_uppercase() && y.is_lowercase() {
                    return Ordering::Greater;
                }
                return x.cmp(&y);
            }
        }
        a.len().cmp(&b.len())
    })
}

/// The toolkit's `sortMarks` for marks given as (occurrence count, [`known_pos`], name): the
/// mark shared by more spans in a row first, then other marks before the known decorators
/// (in their fixed order), then by name.
pub(crate) fn mark_order(a: (u32, i32, &str), b: (u32, i32, &str)) -> Ordering {
    if a.0 != b.0 {
        return b.0.cmp(&a.0);
    }
    if a.1 == b.1 {
        locale_cmp(a.2, b.2)
    } else {
        a.1.cmp(&b.1)
    }
}

impl<'a> MarkTree<'a> {
    pub fn build(block: &Block<'_, 'a>) -> MarkTree<'a> {
        let children = block.children;
        let mut space = SPACE.with(Cell::take);
        let mut spans: Vec<Option<SpanView<'a>>> = recycle(std::mem::take(&mut space.spans));
        spans.extend(children.iter().map(span_view));
        // occ[start[i] + j]: how many consecutive spans from i carry spans[i].marks[j]
        // (one flat table: `start[i]` is where span i's row begins).
        let mut start = std::mem::take(&mut space.start);
        start.clear();
        start.push(0);
        for s in &spans {
            let len = s.as_ref().map_or(0, |s| s.marks.len());
            start.push(start.last().copied().unwrap_or(0) + len);
        }
        let mut occ = std::mem::take(&mut space.occ);
        occ.clear();
        occ.resize(start.last().copied().unwrap_or(0), 0);
        // Where each name first stands in the next span's marks, when it has many (a search
        // per mark would be quadratic in the number of marks).
        let mut next_at: HashMap<&str, usize> = HashMap::new();
        for i in (0..spans.len()).rev() {
            let Some(s) = &spans[i] else { continue };
            let next = match spans.get(i + 1) {
                Some(Some(next)) => Some(next),
                _ => None,
            };
            let many = next.is_some_and(|n| n.marks.len() > 8);
            if let (true, Some(next)) = (many, next) {
                next_at.clear();
                for (p, m) in next.marks.iter().enumerate() {
                    next_at.entry(&**m).or_insert(p);
                }
            }
            for (j, m) in s.marks.iter().enumerate() {
                let at = match next {
                    Some(_) if many => next_at.get(&**m).copied(),
                    Some(next) => next.marks.iter().position(|x| x == m),
                    None => None,
                };
                occ[start[i] + j] = at.map_or(1, |p| 1 + occ[start[i + 1] + p]);
            }
        }
        let mut tree = MarkTree {
            spans: Vec::new(),
            nodes: std::mem::take(&mut space.nodes),
            parents: OnceCell::new(),
            root: std::mem::take(&mut space.root),
            marks: recycle(std::mem::take(&mut space.marks)),
        };
        // Stack of open mark nodes: (node id, mark name).
        let mut stack: Vec<(usize, Cow<'a, str>)> = recycle(std::mem::take(&mut space.stack));
        // The marks a span needs, in opening order (reused from span to span).
        let mut needed: Vec<(u32, i32, Cow<'a, str>)> = recycle(std::mem::take(&mut space.needed));
        for (i, child) in children.iter().enumerate() {
            needed.clear();
            if let Some(s) = &spans[i] {
                let row = &occ[start[i]..start[i + 1]];
                // JS keeps one occurrence count per distinct mark name (the first
                // occurrence's).
                // Many marks: a map from name to first count (made only then, not per span).
                let first: Option<HashMap<&str, u32>> = (s.marks.len() > 8).then(|| {
                    let mut first = HashMap::new();
                    for (p, m) in s.marks.iter().enumerate() {
                        first.entry(&**m).or_insert(row[p]);
                    }
                    first
                });
                let count = |m: &str| -> u32 {
                    match &first {
                        Some(first) => first.get(m).copied().unwrap_or(1),
                        None => s
                            .marks
                            .iter()
                            .position(|x| x == m)
                            .map(|p| row[p])
                            .unwrap_or(1),
                    }
                };
                needed.extend(s.marks.iter().map(|m| (count(m), known_pos(m), m.clone())));
                needed.sort_by(|a, b| mark_order((a.0, a.1, &a.2), (b.0, b.1, &b.2)));
            }
            // The open marks this span still needs stay open (in order, up to the first it
            // does not need); each takes the first remaining occurrence of its name.
            let pos = if needed.len() > 8 && !stack.is_empty() {
                // Many marks: the occurrences of each name in a queue, and the taken ones
                // removed at the end (searching and removing one by one is quadratic).
                let mut taken = vec![false; needed.len()];
                let mut pos = 0;
                let mut at: HashMap<&str, VecDeque<usize>> = HashMap::new();
                for (k, m) in needed.iter().enumerate() {
                    at.entry(&*m.2).or_default().push_back(k);
                }
                while pos < stack.len() {
                    match at.get_mut(&*stack[pos].1).and_then(VecDeque::pop_front) {
                        Some(k) => {
                            taken[k] = true;
                            pos += 1;
                        }
                        None => break,
                    }
                }
                drop(at);
                let mut k = 0;
                needed.retain(|_| {
                    k += 1;
                    !taken[k - 1]
                });
                pos
            } else {
                let mut pos = 0;
                while pos < stack.len() {
                    match needed.iter().position(|m| m.2 == stack[pos].1) {
                        Some(idx) => {
                            needed.remove(idx);
                            pos += 1;
                        }
                        None => break,
                    }
                }
                pos
            };
            stack.truncate(pos);
            for (_, _, m) in needed.drain(..) {
                let id = tree.nodes.len();
                let key = tree.marks.len();
                tree.marks.push(m.clone());
                tree.nodes.push(MNode::Mark {
                    key,
                    children: space.lists.pop().unwrap_or_default(),
                });
                tree.attach(&stack, id);
                stack.push((id, m));
            }
            match &spans[i] {
                Some(s) => {
                    let text: &str = &s.text;
                    let mut start = 0;
                    for (n, line) in crate::scan::lines(text).enumerate() {
                        if n > 0 {
                            let id = tree.nodes.len();
                            tree.nodes.push(MNode::Break);
                            tree.attach(&stack, id);
                        }
                        let id = tree.nodes.len();
                        tree.nodes.push(MNode::Text {
                            child: i,
                            start,
                            end: start + line.len(),
                        });
                        tree.attach(&stack, id);
                        start += line.len() + 1;
                    }
                }
                None => {
                    let _ = child;
                    let id = tree.nodes.len();
                    tree.nodes.push(MNode::Inline(i));
                    tree.attach(&stack, id);
                }
            }
        }
        tree.spans = spans;
        keep(&mut space.start, start);
        keep(&mut space.occ, occ);
        keep(&mut space.stack, recycle(stack));
        keep(&mut space.needed, recycle(needed));
        SPACE.with(|kept| kept.set(space));
        tree
    }

    fn attach(&mut self, stack: &[(usize, Cow<'a, str>)], id: usize) {
        match stack.last() {
            Some((parent, _)) => {
                if let Some(MNode::Mark { children, .. }) = self.nodes.get_mut(*parent) {
                    children.push(id);
                }
            }
            None => self.root.push(id),
        }
    }

    /// The text of a text node.
    pub fn text(&self, child: usize, start: usize, end: usize) -> &str {
        match self.spans.get(child) {
            Some(Some(s)) => s.text.get(start..end).unwrap_or(""),
            _ => "",
        }
    }

    /// Renders the tree depth-first without recursion. Each leaf goes to `leaf`, which writes
    /// it into the output of its innermost open mark (or `out` at the top); each mark, once
    /// its children are rendered, goes to `mark` with their output, to be written into its
    /// parent's. Text leaves come in document order.
    pub fn walk(
        &self,
        b: &Block<'_, 'a>,
        out: &mut String,
        mut leaf: impl FnMut(Leaf<'_>, &mut String),
        mut mark: impl FnMut(&Mark<'_, 'a>, &str, &mut String),
    ) {
        let mut space = SPACE.with(Cell::take);
        // Open marks.
        let mut stack = std::mem::take(&mut space.frames);
        stack.clear();
        // Buffers of closed marks, reused by the next marks opened. Only small ones are kept:
        // in a chain of nested marks every closed buffer held all the output inside it, so
        // keeping them all held memory growing with the square of the depth (10,000 marks on
        // one span held 5 GB).
        const POOL_KEEP: usize = 16 * 1024;
        const POOL_BLOCKS: usize = 64;
        let mut pool = std::mem::take(&mut space.pool);
        let mark_defs = MarkDefs::new(b.mark_defs);
        let mut root_pos = 0;
        loop {
            // The next child of the innermost open mark (or of the root).
            let next_id = match stack.last_mut() {
                Some(f) => match &self.nodes[f.node] {
                    MNode::Mark { children, .. } => {
                        let id = children.get(f.next).copied();
                        f.next += 1;
                        id
                    }
                    _ => None,
                },
                None => {
                    let id = self.root.get(root_pos).copied();
                    root_pos += 1;
                    id
                }
            };
            let Some(id) = next_id else {
                // Close the innermost mark, or finish at the root.
                let Some(f) = stack.pop() else { break };
                let MNode::Mark { key, .. } = &self.nodes[f.node] else {
                    continue;
                };
                let name: &str = &self.marks[*key];
                let def = mark_defs.get(name);
                let def_type = def.and_then(|d| d.type_name());
                let m = Mark {
                    key: name,
                    mark_type: def_type.as_deref().unwrap_or(name),
                    def,
                    tree: self,
                    node: f.node,
                    parent: stack.last().map(|p| p.node),
                    mark_defs: &mark_defs,
                };
                let parent = match stack.last_mut() {
                    Some(p) => &mut p.buf,
                    None => &mut *out,
                };
                mark(&m, &f.buf, parent);
                let mut buf = f.buf;
                if buf.capacity() <= POOL_KEEP {
                    buf.clear();
                    pool.push(buf);
                }
                continue;
            };
            let parent = match stack.last_mut() {
                Some(p) => &mut p.buf,
                None => &mut *out,
            };
            match &self.nodes[id] {
                MNode::Mark { .. } => stack.push(Frame {
                    node: id,
                    next: 0,
                    buf: pool.pop().unwrap_or_default(),
                }),
                MNode::Text { child, start, end } => {
                    leaf(Leaf::Text(self.text(*child, *start, *end)), parent)
                }
                MNode::Break => leaf(Leaf::Break, parent),
                MNode::Inline(i) => leaf(Leaf::Inline(*i), parent),
            }
        }
        // The buffers of as many nested marks as the renderers' blocks usually have are kept
        // for the next block, not those of an odd deep chain.
        pool.truncate(POOL_BLOCKS);
        space.pool = pool;
        keep(&mut space.frames, stack);
        SPACE.with(|kept| kept.set(space));
    }

    /// The last node of the subtree under `id` (node ids are in document order, so a
    /// subtree is the range from its root to this).
    fn subtree_end(&self, mut id: usize) -> usize {
        while let Some(MNode::Mark { children, .. }) = self.nodes.get(id) {
            match children.last() {
                Some(&c) => id = c,
                None => break,
            }
        }
        id
    }

    /// The mark whose children include node `id`, `None` at the top of the block.
    fn parent_of(&self, id: usize) -> Option<usize> {
        let parents = self.parents.get_or_init(|| {
            let mut parents = vec![None; self.nodes.len()];
            for (id, node) in self.nodes.iter().enumerate() {
                if let MNode::Mark { children, .. } = node {
                    for &c in children {
                        parents[c] = Some(id);
                    }
                }
            }
            parents
        });
        parents.get(id).copied().flatten()
    }

    /// The sibling just before node `id`, if any. Node ids are in document order, so the
    /// node before `id` is its parent or the last node under that sibling; the sibling is
    /// found by climbing from there (as many steps as marks are nested, not as many as
    /// there are siblings).
    fn previous_sibling(&self, id: usize) -> Option<usize> {
        let parent = self.parent_of(id);
        let mut node = id.checked_sub(1)?;
        if Some(node) == parent {
            return None;
        }
        loop {
            let up = self.parent_of(node);
            if up == parent {
                return Some(node);
            }
            node = up?;
        }
    }

    /// The plain text under a node (`spanToPlainText`), without recursion.
    pub fn plain_text(&self, id: usize) -> String {
        let mut out = String::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            match &self.nodes[n] {
                MNode::Mark { children, .. } => stack.extend(children.iter().rev()),
                MNode::Text { child, start, end } => out.push_str(self.text(*child, *start, *end)),
                MNode::Break => out.push('\n'),
                MNode::Inline(_) => {}
            }
        }
        out
    }
}

/// A leaf of a mark tree, as [`MarkTree::walk`] hands it out.
pub(crate) enum Leaf<'t> {
    /// Text (one line of a span's text).
    Text(&'t str),
    /// A newline inside a span's text.
    Break,
    /// An inline object: the index of the block's child.
    Inline(usize),
}

/// Resolved information about a mark, handed to mark renderers.
pub struct Mark<'r, 'a> {
    /// The mark name as written in `marks` (a decorator or a `markDefs` key).
    pub key: &'r str,
    /// The mark type: the definition's `_type` for annotations, else the key.
    pub mark_type: &'r str,
    /// The annotation definition, when the key names one.
    pub def: Option<&'r Object<'a>>,
    pub(crate) tree: &'r MarkTree<'a>,
    pub(crate) node: usize,
    /// The enclosing mark's node, `None` at the top of the block.
    pub(crate) parent: Option<usize>,
    pub(crate) mark_defs: &'r MarkDefs<'r, 'a>,
}

/// What sits beside a mark's output in the rendered line, as far as the mark tree tells:
/// enough to decide whether an emphasis delimiter placed there can open or close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beside<'r> {
    /// The start or end of the line (a block edge or a hard break).
    Edge,
    /// This character of span text.
    Char(char),
    /// The opening or closing markup of a mark of this type (a known decorator or `link`),
    /// and the mark's node.
    Markup(&'r str, usize),
    /// Something whose first or last character is not known here: an inline object, or a
    /// mark rendered as its bare text.
    Unknown,
}

impl<'r> Mark<'r, '_> {
    /// The plain text the mark covers (hard breaks as `\n`).
    pub fn text(&self) -> String {
        self.tree.plain_text(self.node)
    }

    /// The plain text under another mark of the block (a node named by [`Beside::Markup`]).
    pub(crate) fn text_of(&self, node: usize) -> String {
        self.tree.plain_text(node)
    }

    /// What is written just before this mark's output when nothing was written before it
    /// in its parent: the parent's opening markup, or the start of the line at the top. A
    /// parent rendered as its bare text writes no opening, so the answer is then what is
    /// written before that parent: the end of its previous sibling, or further out.
    pub(crate) fn before_when_first(&self) -> Beside<'r> {
        let mut parent = self.parent;
        while let Some(p) = parent {
            let markup = self.markup_of(p);
            if markup != Beside::Unknown {
                return markup;
            }
            match self.tree.previous_sibling(p) {
                Some(sibling) => return self.end_of(sibling),
                None => parent = self.tree.parent_of(p),
            }
        }
        Beside::Edge
    }

    /// What the node `id` writes last, as far as the mark tree tells.
    fn end_of(&self, mut id: usize) -> Beside<'r> {
        loop {
            match &self.tree.nodes[id] {
                MNode::Text { child, start, end } => {
                    return match self.tree.text(*child, *start, *end).chars().next_back() {
                        Some(c) => Beside::Char(c),
                        None => Beside::Unknown,
                    }
                }
                MNode::Break => return Beside::Edge,
                MNode::Inline(_) => return Beside::Unknown,
                MNode::Mark { children, .. } => match self.markup_of(id) {
                    Beside::Unknown => match children.last() {
                        Some(&last) => id = last,
                        None => return Beside::Unknown,
                    },
                    // A mark over nothing visible may write no markup (inline code over no
                    // text, emphasis over whitespace).
                    _ if !self.has_visible_text(id, self.tree.subtree_end(id)) => {
                        return Beside::Unknown
                    }
                    markup => return markup,
                },
            }
        }
    }

    /// What is written just after this mark's output: the next span text, a sibling
    /// mark's opening, the parent's closing, or the end of the line. Marks rendered as
    /// their bare text write nothing around it, so the answer is looked up past them.
    pub(crate) fn after(&self) -> Beside<'r> {
        let nodes = &self.tree.nodes;
        let end = |id: usize| self.tree.subtree_end(id);
        let mut parent = self.parent;
        let mut first = end(self.node) + 1;
        loop {
            // Node ids are in document order and a mark's subtree is a contiguous range, so
            // the nodes after this subtree and up to the end of the parent's are the
            // siblings that follow (and what they hold).
            let last_in_parent = match parent {
                Some(p) => end(p),
                None => nodes.len().saturating_sub(1),
            };
            let following = nodes.get(first..=last_in_parent).unwrap_or_default();
            for (id, node) in (first..).zip(following) {
                match node {
                    // A mark over nothing but whitespace writes no delimiters in the
                    // profiles, and a mark rendered as bare text none at all: what follows
                    // is its first child (the next node).
                    MNode::Mark { .. } if !self.has_visible_text(id, end(id)) => {}
                    MNode::Mark { .. } => match self.markup_of(id) {
                        Beside::Unknown => {}
                        markup => return markup,
                    },
                    MNode::Text { child, start, end } => {
                        if let Some(c) = self.tree.text(*child, *start, *end).chars().next() {
                            return Beside::Char(c);
                        }
                    }
                    MNode::Break => return Beside::Edge,
                    MNode::Inline(_) => return Beside::Unknown,
                }
            }
            let Some(p) = parent else {
                return Beside::Edge;
            };
            match self.markup_of(p) {
                // The parent writes no closing: what follows it in its own parent.
                Beside::Unknown => {
                    first = last_in_parent + 1;
                    parent = self.tree.parent_of(p);
                }
                markup => return markup,
            }
        }
    }

    /// Whether the nodes `from..=to` hold anything but whitespace.
    fn has_visible_text(&self, from: usize, to: usize) -> bool {
        self.tree.nodes[from..=to].iter().any(|n| match n {
            MNode::Text { child, start, end } => self
                .tree
                .text(*child, *start, *end)
                .chars()
                .any(|c| !is_ws(Some(c))),
            MNode::Inline(_) => true,
            MNode::Mark { .. } | MNode::Break => false,
        })
    }

    /// Whether the mark at node `id` writes markup around its text (a known decorator or a
    /// link) or possibly only its text (anything else, in the Markdown profiles).
    fn markup_of(&self, id: usize) -> Beside<'r> {
        let Some(MNode::Mark { key, .. }) = self.tree.nodes.get(id) else {
            return Beside::Unknown;
        };
        let tree: &'r MarkTree<'_> = self.tree;
        let name: &'r str = &tree.marks[*key];
        if KNOWN_DECORATORS.contains(&name) {
            Beside::Markup(name, id)
        } else if self.is_link(id) && !self.in_link(id) {
            Beside::Markup("link", id)
        } else {
            Beside::Unknown
        }
    }

    /// Whether the mark at node `id` is a link with a URL that is written.
    fn is_link(&self, id: usize) -> bool {
        let Some(MNode::Mark { key, .. }) = self.tree.nodes.get(id) else {
            return false;
        };
        self.mark_defs
            .get(&self.tree.marks[*key])
            .is_some_and(is_written_link)
    }

    /// Whether a mark enclosing node `id` is a link.
    fn in_link(&self, id: usize) -> bool {
        // The mark being rendered knows its parent; others are looked up.
        let mut up = if id == self.node {
            self.parent
        } else {
            self.tree.parent_of(id)
        };
        while let Some(p) = up {
            if self.is_link(p) {
                return true;
            }
            up = self.tree.parent_of(p);
        }
        false
    }

    /// Whether this mark is a link inside another link. Markdown has no link in a link (the
    /// inner one is read, and the outer one's brackets and URL are left as text), so the
    /// profiles write such a link as its text: where links overlap, the one that opened
    /// first keeps the words they share.
    pub(crate) fn is_link_in_link(&self) -> bool {
        self.def.is_some_and(is_written_link) && self.in_link(self.node)
    }
}

/// Whether a mark definition is a link with a URL that is written (a safe one).
fn is_written_link(def: &Object<'_>) -> bool {
    def.str_is("_type", "link") && uri_looks_safe(&def.str("href").unwrap_or_default())
}

// ---------------------------------------------------------------------------
// List nesting (toolkit `nestLists`, HTML mode), arena based.

/// An item of a nested list.
pub(crate) struct Item {
    /// Index of the block in the top-level entries.
    pub block: usize,
    /// True for the empty placeholder item of a skipped level.
    pub placeholder: bool,
    /// Lists nested in this item (appended after its text).
    pub sublists: Vec<usize>,
}

/// A nested list.
pub(crate) struct List {
    pub level: f64,
    /// Index of the block whose `listItem` names this list's type.
    pub first_block: usize,
    pub items: Vec<Item>,
}

/// A top-level rendering unit.
pub(crate) enum Top {
    Node(usize),
    List(usize),
}

pub(crate) struct Nested {
    pub top: Vec<Top>,
    pub lists: Vec<List>,
}

/// Raised when list nesting would create too many lists.
#[derive(Debug)]
pub(crate) struct TooDeep {
    pub index: usize,
    pub level: f64,
}

/// Upper bound on the number of lists (including placeholders) one document
/// may create. Level 100 000 in one block is fine; pathological inputs that
/// would need more are rejected instead of exhausting memory.
pub(crate) const MAX_LISTS: usize = 1_000_000;

pub(crate) fn nest_lists<'n, 'a>(blocks: &[Option<Block<'n, 'a>>]) -> Result<Nested, TooDeep> {
    let mut n = Nested {
        top: Vec::new(),
        lists: Vec::new(),
    };
    let mut current: Option<usize> = None;
    for (i, b) in blocks.iter().enumerate() {
        let block = match b {
            Some(b) if b.is_list_item() => b,
            _ => {
                n.top.push(Top::Node(i));
                current = None;
                continue;
            }
        };
        let level = block.level_or_one();
        let li = block.list_item.unwrap_or("");
        let Some(cur) = current else {
            let (root, cur) = create_nested(&mut n, blocks, i, 0.0)?;
            n.top.push(Top::List(root));
            current = Some(cur);
            continue;
        };
        let cur_level = n.lists[cur].level;
        let cur_li = list_item_of(blocks, n.lists[cur].first_block);
        if level == cur_level && li == cur_li {
            n.lists[cur].items.push(Item {
                block: i,
                placeholder: false,
                sublists: Vec::new(),
            });
            continue;
        }
        if level > cur_level {
            let (root, newcur) = create_nested(&mut n, blocks, i, cur_level)?;
            append_nested(&mut n, cur, root);
            current = Some(newcur);
            continue;
        }
        if level < cur_level {
            let found = match n.top.last() {
                Some(Top::List(root)) => find_matching(&n, blocks, *root, level, Some(li)),
                _ => None,
            };
            if let Some(m) = found {
                n.lists[m].items.push(Item {
                    block: i,
                    placeholder: false,
                    sublists: Vec::new(),
                });
                current = Some(m);
                continue;
            }
            let (root, newcur) = create_nested(&mut n, blocks, i, 0.0)?;
            n.top.push(Top::List(root));
            current = Some(newcur);
            continue;
        }
        // Same level, different list type: the toolkit searches without a
        // type filter, which never matches, so a new top-level list starts.
        let (root, newcur) = create_nested(&mut n, blocks, i, 0.0)?;
        n.top.push(Top::List(root));
        current = Some(newcur);
    }
    Ok(n)
}

fn list_item_of<'n>(blocks: &[Option<Block<'n, '_>>], i: usize) -> &'n str {
    match blocks.get(i) {
        Some(Some(b)) => b.list_item.unwrap_or(""),
        _ => "",
    }
}

fn create_nested(
    n: &mut Nested,
    blocks: &[Option<Block<'_, '_>>],
    i: usize,
    start_level: f64,
) -> Result<(usize, usize), TooDeep> {
    let level = match &blocks[i] {
        Some(b) => b.level_or_one(),
        None => 1.0,
    };
    let first = start_level + 1.0;
    let span = level - first;
    if span > 0.0 && (span >= MAX_LISTS as f64 || n.lists.len() + span as usize > MAX_LISTS) {
        return Err(TooDeep { index: i, level });
    }
    let item = |lvl: f64| Item {
        block: i,
        placeholder: lvl != level,
        sublists: Vec::new(),
    };
    let root = n.lists.len();
    n.lists.push(List {
        level: first,
        first_block: i,
        items: vec![item(first)],
    });
    let mut cur = root;
    let mut l = first + 1.0;
    while l <= level {
        let id = n.lists.len();
        n.lists.push(List {
            level: l,
            first_block: i,
            items: vec![item(l)],
        });
        append_nested(n, cur, id);
        cur = id;
        l += 1.0;
    }
    Ok((root, cur))
}

fn append_nested(n: &mut Nested, parent: usize, child: usize) {
    if let Some(last) = n.lists[parent].items.last_mut() {
        last.sublists.push(child);
    }
}

/// `findListMatching`: walks down the last-child chain from `root`.
fn find_matching(
    n: &Nested,
    blocks: &[Option<Block<'_, '_>>],
    root: usize,
    level: f64,
    li: Option<&str>,
) -> Option<usize> {
    let mut list = root;
    loop {
        let l = &n.lists[list];
        if l.level == level {
            if let Some(li) = li {
                if list_item_of(blocks, l.first_block) == li {
                    return Some(list);
                }
            }
        }
        let item = l.items.last()?;
        match item.sublists.last() {
            Some(s) => list = *s,
            None => return None,
        }
    }
}

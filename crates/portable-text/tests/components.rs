//! The components API: a profile overrides only what differs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portable_text::html::HtmlComponents;
use portable_text::markdown::{default_mark, MarkdownComponents};
use portable_text::{render_html_with, render_markdown_with, Block, Mark, Object};

const DOC: &str = r#"[
  {"_type":"block","style":"h1","children":[{"_type":"span","text":"Title"}]},
  {"_type":"block","markDefs":[{"_key":"n","_type":"note","text":"hi"}],"children":[
    {"_type":"span","text":"a ","marks":[]},
    {"_type":"span","text":"b","marks":["strong"]},
    {"_type":"span","text":" c","marks":["n"]},
    {"_type":"span","text":"\nd"},
    {"_type":"star","n":3}
  ]},
  {"_type":"block","listItem":"bullet","children":[{"_type":"span","text":"item"}]},
  {"_type":"callToAction","label":"Go"}
]"#;

struct Custom;

impl HtmlComponents for Custom {
    fn block_open(&self, style: &str, _b: &Block<'_, '_>, out: &mut String) {
        out.push_str(if style == "h1" {
            "<h2 class=\"title\">"
        } else {
            "<p>"
        });
    }
    fn block_close(&self, style: &str, _b: &Block<'_, '_>, out: &mut String) {
        out.push_str(if style == "h1" { "</h2>" } else { "</p>" });
    }
    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        match mark.mark_type {
            "note" => {
                let note = mark.def.and_then(|d| d.str("text")).unwrap_or_default();
                out.push_str(&format!("<abbr title=\"{note}\">{children}</abbr>"));
            }
            "strong" => out.push_str(&format!("<b>{children}</b>")),
            _ => out.push_str(children),
        }
    }
    fn hard_break(&self, out: &mut String) {
        out.push_str("<br>");
    }
    fn list_open(&self, _li: &str, _level: f64, out: &mut String) {
        out.push_str("<ul class=\"l\">");
    }
    fn custom_type(&self, obj: &Object<'_>, is_inline: bool, out: &mut String) -> bool {
        match (obj.type_name().as_deref(), is_inline) {
            (Some("star"), true) => {
                let n = obj.f64("n").unwrap_or(0.0) as usize;
                out.push_str(&"★".repeat(n));
                true
            }
            _ => false,
        }
    }
    fn unknown_type(&self, type_name: &str, _is_inline: bool, out: &mut String) {
        out.push_str(&format!("<!-- {type_name} -->"));
    }
}

#[test]
fn html_overrides_apply_and_defaults_remain() {
    let html = render_html_with(DOC, &Custom).unwrap();
    assert_eq!(
        html,
        "<h2 class=\"title\">Title</h2><p>a <b>b</b><abbr title=\"hi\"> c</abbr><br>d★★★</p>\
         <ul class=\"l\"><li>item</li></ul><!-- callToAction -->"
    );
}

struct Md;

impl MarkdownComponents for Md {
    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        if mark.mark_type == "strong" {
            out.push_str(&format!("__{children}__"));
        } else {
            default_mark(self, mark, children, out);
        }
    }
    fn hard_break(&self) -> &str {
        "\\\n"
    }
    fn custom_type(&self, obj: &Object<'_>, _is_inline: bool, out: &mut String) -> bool {
        if obj.type_name().as_deref() == Some("callToAction") {
            out.push_str(&format!("**{}**", obj.str("label").unwrap_or_default()));
            return true;
        }
        false
    }
}

#[test]
fn markdown_overrides_apply_and_defaults_remain() {
    let md = render_markdown_with(DOC, &Md).unwrap();
    assert_eq!(
        md,
        "# Title\n\na __b__ c\\\ndjson:object`{\"_type\":\"star\",\"n\":3}`\n\n- item\n\n**Go**"
    );
}

//! `crosspost preview`: the page is opened in headless Chromium, which must find a column per
//! platform, the code block and the images rendered.
//!
//! The images of the fixture are served by a stand-in HTTP server on 127.0.0.1 (the renderer
//! only keeps http(s) image URLs), so the check needs no outside network: an image counts as
//! rendered when the browser loaded it (`naturalWidth > 0`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A 3×2 RGB PNG, written out by hand (signature, IHDR, IDAT, IEND with their CRCs).
fn png() -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn adler(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for x in bytes {
            a = (a + u32::from(*x)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    let (w, h) = (3u32, 2u32);
    let row: Vec<u8> = std::iter::once(0)
        .chain([30, 120, 200].repeat(w as usize))
        .collect();
    let raw: Vec<u8> = row.repeat(h as usize);
    // zlib stream with one stored (uncompressed) block.
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend((raw.len() as u16).to_le_bytes());
    z.extend((!(raw.len() as u16)).to_le_bytes());
    z.extend(&raw);
    z.extend(adler(&raw).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Serves the PNG for every request; returns the base URL.
fn image_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let body = png();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output() {
            if out.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            }
        }
    }
    panic!(
        "the preview test needs headless Chromium: install it with `apt-get install -y chromium`"
    );
}

/// Collects what the browser rendered into `<pre id="summary">` after every image settled.
const PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  var cols = Array.prototype.slice.call(document.querySelectorAll('section.platform'));
  var s = cols.map(function (c) {
    var imgs = Array.prototype.slice.call(c.querySelectorAll('.body img'));
    var cover = c.querySelector('.m-cover img');
    return {
      target: c.getAttribute('data-target'),
      title: c.querySelector('.m-title').textContent,
      tags: Array.prototype.map.call(c.querySelectorAll('.m-tags .tag'), function (t) { return t.textContent; }),
      canonical: c.querySelector('.m-canonical').textContent,
      code: Array.prototype.map.call(c.querySelectorAll('.body pre code'), function (e) { return e.textContent; }),
      images: imgs.length,
      loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
      cover: cover ? cover.naturalWidth : 0,
      width: Math.round(c.getBoundingClientRect().width)
    };
  });
  var p = document.createElement('pre');
  p.id = 'summary';
  p.textContent = JSON.stringify(s);
  document.body.appendChild(p);
});
</script>"#;

fn summary(page: &Path, tmp: &Path) -> Vec<Value> {
    let html = std::fs::read_to_string(page).unwrap();
    assert!(!html.contains("<script"), "the page itself has no script");
    let probe = tmp.join("probe.html");
    std::fs::write(&probe, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,1000",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", tmp.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", probe.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"summary\">")
        .unwrap_or_else(|| panic!("no summary in the DOM: {dom}"))
        + "<pre id=\"summary\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str::<Vec<Value>>(&text).unwrap()
}

#[test]
fn every_platform_column_shows_the_code_and_the_images() {
    let tmp = tempfile::tempdir().unwrap();
    let base = image_server();
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/preview-post.json"),
    )
    .unwrap();
    let post = tmp.path().join("post.json");
    std::fs::write(&post, fixture.replace("IMAGE_BASE", &base)).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
    cmd.arg("preview").arg(&post).current_dir(tmp.path());
    for var in [
        "DEVTO_API_KEY",
        "HASHNODE_TOKEN",
        "MEDIUM_TOKEN",
        "OPENSEARCH_ENDPOINT",
        "CROSSPOST_TARGETS",
        "CROSSPOST_SITE_URL",
        "SANITY_PROJECT_ID",
        "SANITY_DATASET",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let page = tmp.path().join("out/previewing-a-post/preview.html");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "out/previewing-a-post/preview.html"
    );
    let cols = summary(&page, tmp.path());
    let targets: Vec<&str> = cols.iter().map(|c| c["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["devto", "hashnode", "medium"]);
    let code = "fn main() {\n    println!(\"hello\");\n}\n";
    for c in &cols {
        let t = c["target"].as_str().unwrap();
        assert_eq!(c["title"], "Previewing a post everywhere", "{t}");
        // One code block with the source (Medium's HTML drops the final newline).
        let blocks: Vec<&str> = c["code"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().trim_end())
            .collect();
        assert_eq!(blocks, [code.trim_end()], "{t}");
        assert_eq!(c["images"], 1, "{t}");
        assert_eq!(c["loaded"], 1, "{t}: the body image rendered");
        // Side by side: three columns share the 1400 px window.
        let w = c["width"].as_u64().unwrap();
        assert!((300..500).contains(&w), "{t}: {w} px wide");
        assert!(
            c["canonical"]
                .as_str()
                .unwrap()
                .ends_with("/previewing-a-post"),
            "{t}: {c}"
        );
    }
    // Dev.to lower-cases tags; Hashnode and Medium keep the category titles.
    assert_eq!(cols[0]["tags"], serde_json::json!(["rust", "tooling"]));
    assert_eq!(cols[1]["tags"], serde_json::json!(["Rust", "Tooling"]));
    assert_eq!(cols[2]["tags"], serde_json::json!(["Rust", "Tooling"]));
    // Dev.to and Hashnode take a cover image in the request; Medium has no such field.
    assert_eq!(cols[0]["cover"], 3);
    assert_eq!(cols[1]["cover"], 3);
    assert_eq!(cols[2]["cover"], 0);

    // The Markdown columns are exactly the bodies the dry run writes for `crosspost run`.
    let html = std::fs::read_to_string(&page).unwrap();
    let mut run = Command::new(env!("CARGO_BIN_EXE_crosspost"));
    run.arg("run").arg(&post).current_dir(tmp.path());
    for var in [
        "DEVTO_API_KEY",
        "CROSSPOST_TARGETS",
        "SANITY_PROJECT_ID",
        "SANITY_DATASET",
    ] {
        run.env_remove(var);
    }
    assert!(run.output().unwrap().status.success());
    let md = std::fs::read_to_string(tmp.path().join("out/previewing-a-post/devto.md")).unwrap();
    assert!(md.contains("```rust\nfn main() {"), "{md}");
    assert!(html.contains(
        "<code class=\"language-rust\">fn main() {\n    println!(\"hello\");\n}\n</code>"
    ));
}

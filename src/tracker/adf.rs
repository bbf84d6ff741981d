//! Markdown bodies as Atlassian Document Format, which Jira Cloud's REST v3 requires for
//! descriptions and comments (a plain string there is refused). Only what a sheriff's
//! bug body holds is mapped: blank-line-separated blocks become paragraphs (their line
//! breaks kept, log lines read one per line), ``` fences code blocks, `#` lines headings.
//! Everything else stays literal text, so nothing is lost.

use serde_json::{json, Value};

/// `{"type":"doc","version":1,"content":[…]}` for `markdown`.
pub fn doc(markdown: &str) -> Value {
    let mut content: Vec<Value> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut fence: Option<(String, Vec<&str>)> = None;
    for line in markdown.lines() {
        if let Some((language, code)) = fence.as_mut() {
            if line.trim_start().starts_with("```") {
                content.push(code_block(language, code));
                fence = None;
            } else {
                code.push(line);
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(language) = trimmed.strip_prefix("```") {
            flush(&mut content, &mut paragraph);
            fence = Some((language.trim().to_string(), Vec::new()));
        } else if line.trim().is_empty() {
            flush(&mut content, &mut paragraph);
        } else if let Some((level, text)) = heading(trimmed) {
            flush(&mut content, &mut paragraph);
            content.push(json!({
                "type": "heading",
                "attrs": {"level": level},
                "content": [text_node(text)],
            }));
        } else {
            paragraph.push(line);
        }
    }
    // An unclosed fence still shows its lines as code.
    if let Some((language, code)) = fence {
        content.push(code_block(&language, &code));
    }
    flush(&mut content, &mut paragraph);
    json!({"type": "doc", "version": 1, "content": content})
}

fn text_node(text: &str) -> Value {
    json!({"type": "text", "text": text})
}

/// `# Title` … `###### Title`; `#hashtag` is not one.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    let text = line[level..].strip_prefix(' ')?.trim();
    ((1..=6).contains(&level) && !text.is_empty()).then_some((level, text))
}

/// One paragraph, its lines joined by hard breaks.
fn flush(content: &mut Vec<Value>, lines: &mut Vec<&str>) {
    if lines.is_empty() {
        return;
    }
    let mut inline = Vec::new();
    for (i, line) in lines.drain(..).enumerate() {
        if i > 0 {
            inline.push(json!({"type": "hardBreak"}));
        }
        inline.push(text_node(line));
    }
    content.push(json!({"type": "paragraph", "content": inline}));
}

/// ADF refuses an empty text node, so an empty block has no content at all.
fn code_block(language: &str, lines: &[&str]) -> Value {
    let mut block = json!({"type": "codeBlock"});
    if !language.is_empty() {
        block["attrs"] = json!({"language": language});
    }
    let code = lines.join("\n");
    if !code.is_empty() {
        block["content"] = json!([text_node(&code)]);
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_paragraphs_and_fences_code_blocks() {
        let md = "## What broke\n\napi on staging: 503\nsince 12:00\n\n```log\nGET / 503\n\nGET / 503\n```\n\nsheriff fingerprint: sheriff0123456789abcdef\n";
        let got = doc(md);
        let want = json!({
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "heading", "attrs": {"level": 2},
                 "content": [{"type": "text", "text": "What broke"}]},
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "api on staging: 503"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "since 12:00"},
                ]},
                {"type": "codeBlock", "attrs": {"language": "log"},
                 "content": [{"type": "text", "text": "GET / 503\n\nGET / 503"}]},
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "sheriff fingerprint: sheriff0123456789abcdef"},
                ]},
            ],
        });
        assert_eq!(got, want);
    }

    #[test]
    fn empty_pieces_make_no_empty_text_nodes() {
        assert_eq!(doc(""), json!({"type": "doc", "version": 1, "content": []}));
        assert_eq!(
            doc("```\n```\n#tag")["content"],
            json!([
                {"type": "codeBlock"},
                {"type": "paragraph", "content": [{"type": "text", "text": "#tag"}]},
            ])
        );
    }
}

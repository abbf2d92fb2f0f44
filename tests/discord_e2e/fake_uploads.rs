//! Proof that the fake Discord takes files as Discord does (no bot): `multipart/form-data` with
//! `payload_json` (validated against the schema like any body) and `files[n]` parts, on the
//! interaction callback and on `@original` edits. An `attachments` entry pointing at a missing
//! part, or a file part without a filename, is refused (400, 50035); an accepted file becomes
//! the message's attachment (its `url` serves the same bytes) and is kept, byte for byte, for
//! tests (`uploads_for`).

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::support::fake_discord::{Actor, FakeDiscord, Interaction, APPLICATION_ID};

/// A `w` × `h` RGB PNG.
fn tiny_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().expect("header");
    writer
        .write_image_data(&vec![0x80; (w * h * 3) as usize])
        .expect("data");
    writer.finish().expect("finish");
    out
}

/// Send `payload` as `payload_json` with `files` (part name, file name or none, bytes).
async fn send(
    fake: &FakeDiscord,
    method: reqwest::Method,
    path: &str,
    payload: &Value,
    files: Vec<(&str, Option<&str>, Vec<u8>)>,
) -> (u16, Value) {
    let mut form = Form::new().text("payload_json", payload.to_string());
    for (name, filename, bytes) in files {
        let mut part = Part::bytes(bytes).mime_str("image/png").expect("mime");
        if let Some(f) = filename {
            part = part.file_name(f.to_string());
        }
        form = form.part(name.to_string(), part);
    }
    let resp = reqwest::Client::new()
        .request(method, format!("{}/api/v10{path}", fake.base_url()))
        .header("authorization", format!("Bot {}", fake.token()))
        .multipart(form)
        .send()
        .await
        .expect("request to the fake");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn command(fake: &FakeDiscord) -> Interaction {
    let i = fake.command_interaction("stats", json!([]), &Actor::moderator(1));
    fake.dispatch(&i);
    i
}

fn assert_refused(what: &str, (status, body): &(u16, Value), pointer: &str) {
    assert_eq!(*status, 400, "{what}: {body}");
    assert_eq!(body["code"], 50035, "{what}: {body}");
    let at = body["errors"].pointer(pointer);
    assert!(
        at.is_some_and(|e| e["_errors"].is_array()),
        "{what}: errors at {pointer}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_takes_files_as_discord_does_and_keeps_them() {
    let fake = FakeDiscord::start().await;
    let png = tiny_png(3, 2);
    // A message with a file, as the callback: the attachment gets an id, a url and its size.
    let i = command(&fake);
    let cb = format!("/interactions/{}/{}/callback", i.id, i.token);
    let payload = json!({"type": 4, "data": {"content": "chart",
        "attachments": [{"id": 0, "filename": "chart.png"}]}});
    let files = vec![("files[0]", Some("chart.png"), png.clone())];
    let (status, _) = send(&fake, reqwest::Method::POST, &cb, &payload, files).await;
    assert_eq!(status, 204);
    let m = fake.original_message(&i.token).expect("@original");
    let att = &m["attachments"][0];
    assert_eq!(att["filename"], "chart.png");
    assert_eq!(
        (
            att["size"].clone(),
            att["width"].clone(),
            att["height"].clone()
        ),
        (json!(png.len()), json!(3), json!(2))
    );
    let url = att["url"].as_str().expect("a url");
    let served = reqwest::get(url)
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(served.as_ref(), png.as_slice(), "the url serves the file");
    let kept = fake.uploads_for(&i.token);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].bytes, png, "byte for byte");
    assert_eq!(
        kept[0].attachment_id,
        att["id"].as_str().unwrap_or_default()
    );

    // Edits of @original: every byte value survives (binary-safe parsing); the attachment is replaced.
    let edit = format!("/webhooks/{APPLICATION_ID}/{}/messages/@original", i.token);
    let all_bytes: Vec<u8> = (0..=255u8)
        .cycle()
        .take(4096)
        .chain(*b"\r\n--x\r\n")
        .collect();
    let payload = json!({"attachments": [{"id": 1, "filename": "raw.bin"}]});
    let files = vec![("files[1]", Some("raw.bin"), all_bytes.clone())];
    let (status, body) = send(&fake, reqwest::Method::PATCH, &edit, &payload, files).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["attachments"][0]["filename"], "raw.bin");
    assert_eq!(fake.uploads_for(&i.token)[1].bytes, all_bytes);
    assert!(fake.invalid_bodies().is_empty());

    // Refused as Discord refuses: an attachment without its part, a part without a filename,
    // and a payload the schema refuses (checked as in a JSON body).
    let missing = json!({"attachments": [{"id": 0, "filename": "a.png"}]});
    let r = send(&fake, reqwest::Method::PATCH, &edit, &missing, vec![]).await;
    assert_refused("attachment 0 without files[0]", &r, "/attachments/0/id");
    let r = send(
        &fake,
        reqwest::Method::PATCH,
        &edit,
        &missing,
        vec![("files[0]", None, png.clone())],
    )
    .await;
    assert_refused("a file part without a filename", &r, "/files[0]");
    let too_long =
        json!({"content": "x".repeat(2001), "attachments": [{"id": 0, "filename": "a.png"}]});
    let files = vec![("files[0]", Some("a.png"), png.clone())];
    let r = send(&fake, reqwest::Method::PATCH, &edit, &too_long, files).await;
    assert_refused("content over 2000 characters", &r, "/content");
    assert_eq!(fake.invalid_bodies().len(), 3);
    assert_eq!(
        fake.uploads_for(&i.token).len(),
        2,
        "refused files are not kept"
    );
}

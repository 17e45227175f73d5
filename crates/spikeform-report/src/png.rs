//! PNG versions of the figures: the SVG is rendered by `resvg` (pure Rust) with DejaVu Sans
//! from the `dejavu` crate as its only font, so text renders the same on a machine without any
//! system fonts.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{fontdb, Options, Tree};

/// The embedded fonts, loaded once.
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        // Generic families resolve to the one embedded family.
        db.set_sans_serif_family("DejaVu Sans");
        db.set_serif_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Renders an SVG document to PNG bytes at `scale` pixels per SVG unit.
pub(crate) fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    let options = Options {
        font_family: "DejaVu Sans".into(),
        fontdb: fonts(),
        ..Options::default()
    };
    let tree = Tree::from_str(svg, &options).map_err(|e| format!("invalid SVG: {e}"))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap =
        Pixmap::new(w.max(1), h.max(1)).ok_or_else(|| format!("cannot allocate {w}×{h} pixels"))?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| format!("PNG encoding: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dark pixels of a PNG.
    fn dark_pixels(png: &[u8]) -> usize {
        let p = Pixmap::decode_png(png).unwrap();
        p.pixels().iter().filter(|c| c.red() < 128).count()
    }

    #[test]
    fn text_renders_with_the_embedded_font_only() {
        let text = |family: &str, weight: &str| {
            format!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/><text x="10" y="28" font-family="{family}" font-weight="{weight}" font-size="20">Rate (Hz) 0.5</text></svg>"##
            )
        };
        // Text is the only dark content: if no font were found, the picture would be blank.
        let regular = dark_pixels(&svg_to_png(&text("DejaVu Sans", "normal"), 1.0).unwrap());
        let bold = dark_pixels(&svg_to_png(&text("DejaVu Sans", "bold"), 1.0).unwrap());
        let fallback =
            dark_pixels(&svg_to_png(&text("NoSuchFont, sans-serif", "normal"), 1.0).unwrap());
        assert!(regular > 100, "{regular} dark pixels");
        assert!(bold > regular, "bold {bold} vs regular {regular}");
        assert!(fallback > 100, "generic family: {fallback}");
    }

    #[test]
    fn scale_sets_the_pixel_size() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"><rect width="30" height="20" fill="red"/></svg>"#;
        let p = Pixmap::decode_png(&svg_to_png(svg, 2.0).unwrap()).unwrap();
        assert_eq!((p.width(), p.height()), (60, 40));
        assert!(svg_to_png("<svg", 1.0).is_err());
    }
}

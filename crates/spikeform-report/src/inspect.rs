//! Pixel statistics of PNG images, to tell a drawn figure from a blank one: the PNGs of
//! `figures/`, or a browser's screenshot of `report.html`.

use resvg::tiny_skia::Pixmap;

/// Statistics of a rectangle of an image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InkStats {
    /// Width of the whole image (pixels).
    pub width: u32,
    /// Height of the whole image (pixels).
    pub height: u32,
    /// Pixels in the rectangle (after clipping it to the image).
    pub pixels: usize,
    /// Fraction of those pixels that are not near-white (some channel below 200).
    pub inked: f64,
    /// Number of distinct RGB colours.
    pub colours: usize,
    /// Standard deviation of the luminance (0–255).
    pub luminance_sd: f64,
}

/// Statistics of the rectangle `(x, y, w, h)` of a PNG (the whole image with `None`).
/// Any PNG colour type is accepted (converted to 8-bit RGBA).
pub fn png_stats(png: &[u8], region: Option<(u32, u32, u32, u32)>) -> Result<InkStats, String> {
    let p = Pixmap::decode_png(png).map_err(|e| format!("not a PNG image: {e}"))?;
    let (w, h) = (p.width(), p.height());
    let (x0, y0, rw, rh) = region.unwrap_or((0, 0, w, h));
    let (x1, y1) = ((x0 + rw).min(w), (y0 + rh).min(h));
    let mut colours = Vec::new();
    let (mut n, mut inked, mut sum, mut sum2) = (0usize, 0usize, 0.0, 0.0);
    for y in y0.min(h)..y1 {
        for x in x0.min(w)..x1 {
            // Premultiplied; screenshots and our figures are opaque, so this is the colour.
            let c = p.pixel(x, y).expect("inside the image").demultiply();
            let (r, g, b) = (c.red(), c.green(), c.blue());
            n += 1;
            if r < 200 || g < 200 || b < 200 {
                inked += 1;
            }
            let l = 0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b);
            sum += l;
            sum2 += l * l;
            colours.push((r, g, b));
        }
    }
    colours.sort_unstable();
    colours.dedup();
    let mean = if n > 0 { sum / n as f64 } else { 0.0 };
    Ok(InkStats {
        width: w,
        height: h,
        pixels: n,
        inked: if n > 0 { inked as f64 / n as f64 } else { 0.0 },
        colours: colours.len(),
        luminance_sd: if n > 0 {
            (sum2 / n as f64 - mean * mean).max(0.0).sqrt()
        } else {
            0.0
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_drawn_images_differ() {
        let blank = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="white"/></svg>"#;
        let drawn = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="white"/><rect width="20" height="20" fill="blue"/></svg>"#;
        let b = png_stats(&crate::png::svg_to_png(blank, 1.0).unwrap(), None).unwrap();
        let d = png_stats(&crate::png::svg_to_png(drawn, 1.0).unwrap(), None).unwrap();
        assert_eq!((b.inked, b.colours), (0.0, 1));
        assert!(b.luminance_sd < 1e-3, "{b:?}");
        assert_eq!(d.inked, 0.5);
        assert_eq!(d.colours, 2);
        assert!(d.luminance_sd > 50.0);
        // A region of the blue half only.
        let png = crate::png::svg_to_png(drawn, 1.0).unwrap();
        let r = png_stats(&png, Some((0, 0, 10, 10))).unwrap();
        assert_eq!((r.pixels, r.inked), (100, 1.0));
        assert!(png_stats(b"nope", None).is_err());
    }
}

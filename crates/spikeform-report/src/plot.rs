//! A small SVG plotting layer: a figure is a title, an optional legend row and a grid of
//! panels; a panel has axes with "nice" ticks and holds lines, bands, points, bars, raster ticks
//! and horizontal reference lines.
//!
//! Text uses the family "DejaVu Sans" first: the PNG renderer has it embedded, and browsers
//! without it fall back to their sans-serif font. Coordinates are written with one decimal.

use std::fmt::Write;

/// Font families of every text element.
pub(crate) const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// Something drawn in a panel's data coordinates.
pub(crate) enum Item {
    /// A polyline; NaN values break it.
    Line {
        x: Vec<f64>,
        y: Vec<f64>,
        color: &'static str,
        width: f64,
        dashed: bool,
    },
    /// A filled band between `lo` and `hi`; NaN values break it.
    Band {
        x: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        color: &'static str,
    },
    /// Markers.
    Points {
        x: Vec<f64>,
        y: Vec<f64>,
        color: &'static str,
    },
    /// Bars from 0 to `height` between `left` and `right`.
    Bars {
        left: Vec<f64>,
        right: Vec<f64>,
        height: Vec<f64>,
        color: &'static str,
        opacity: f64,
    },
    /// Vertical ticks of half-height `half` centred on (x, y): a spike raster.
    Ticks {
        x: Vec<f64>,
        y: Vec<f64>,
        half: f64,
        color: &'static str,
    },
    /// A horizontal reference line.
    HLine { y: f64, color: &'static str },
}

/// One set of axes.
#[derive(Default)]
pub(crate) struct Panel {
    /// Title above the axes.
    pub title: String,
    /// Label of the x axis.
    pub xlabel: String,
    /// Label of the y axis.
    pub ylabel: String,
    /// What is drawn.
    pub items: Vec<Item>,
    /// Fixed x range.
    pub xlim: Option<(f64, f64)>,
    /// Fixed y range.
    pub ylim: Option<(f64, f64)>,
    /// Fixed x ticks (position, label) instead of computed ones.
    pub xticks: Option<Vec<(f64, String)>>,
    /// Fixed y ticks (position, label) instead of computed ones.
    pub yticks: Option<Vec<(f64, String)>>,
    /// Shaded x intervals (e.g. the stimulus).
    pub shade: Vec<(f64, f64)>,
}

impl Panel {
    /// An empty panel with a title and axis labels.
    pub fn new(title: impl Into<String>, xlabel: &str, ylabel: &str) -> Self {
        Panel {
            title: title.into(),
            xlabel: xlabel.into(),
            ylabel: ylabel.into(),
            ..Panel::default()
        }
    }

    /// Adds a solid line.
    pub fn line(&mut self, x: Vec<f64>, y: Vec<f64>, color: &'static str) -> &mut Self {
        self.items.push(Item::Line {
            x,
            y,
            color,
            width: 1.5,
            dashed: false,
        });
        self
    }

    /// Adds a dashed line.
    pub fn dashed(&mut self, x: Vec<f64>, y: Vec<f64>, color: &'static str) -> &mut Self {
        self.items.push(Item::Line {
            x,
            y,
            color,
            width: 1.5,
            dashed: true,
        });
        self
    }

    /// Adds a band.
    pub fn band(
        &mut self,
        x: Vec<f64>,
        lo: Vec<f64>,
        hi: Vec<f64>,
        color: &'static str,
    ) -> &mut Self {
        self.items.push(Item::Band { x, lo, hi, color });
        self
    }

    /// Adds markers.
    pub fn points(&mut self, x: Vec<f64>, y: Vec<f64>, color: &'static str) -> &mut Self {
        self.items.push(Item::Points { x, y, color });
        self
    }

    /// Adds a histogram given bin edges and heights.
    pub fn histogram(
        &mut self,
        edges: &[f64],
        height: Vec<f64>,
        color: &'static str,
        opacity: f64,
    ) -> &mut Self {
        self.items.push(Item::Bars {
            left: edges[..edges.len() - 1].to_vec(),
            right: edges[1..].to_vec(),
            height,
            color,
            opacity,
        });
        self
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    /// A short solid line.
    Line,
    /// A short dashed line.
    Dashed,
    /// A filled square.
    Fill,
}

/// A figure: title, legend row, panels in a grid.
pub(crate) struct Figure {
    /// File stem under figures/ and the HTML anchor.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// Caption shown under the figure in the report.
    pub caption: String,
    /// Panels per row.
    pub cols: usize,
    /// Width of one panel (px).
    pub panel_w: f64,
    /// Height of one panel (px).
    pub panel_h: f64,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Legend entries: label, colour, swatch.
    pub legend: Vec<(String, &'static str, Swatch)>,
}

/// Escapes text for XML.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Approximate width of `s` at `size` px (DejaVu Sans averages about 0.6 em per character).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

/// A tick spacing of 1, 2 or 5 × 10^k giving about `target` ticks over `range`.
pub(crate) fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).abs().max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Tick positions in [lo, hi] at a nice spacing, and the spacing.
pub(crate) fn ticks(lo: f64, hi: f64, target: f64) -> (Vec<f64>, f64) {
    let step = nice_step(hi - lo, target);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 && out.len() < 50 {
        out.push(v);
        v += step;
    }
    (out, step)
}

/// A tick label: as many decimals as the spacing needs, exponent form for extreme scales.
pub(crate) fn fmt_tick(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&step) {
        return format!("{v:.1e}");
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// The finite values of a slice.
fn finite(v: &[f64]) -> impl Iterator<Item = f64> + '_ {
    v.iter().copied().filter(|x| x.is_finite())
}

/// Data extent of a panel: (xmin, xmax, ymin, ymax), or None without finite data.
fn extent(p: &Panel) -> Option<(f64, f64, f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    let mut grow_x = |v: f64| {
        x0 = x0.min(v);
        x1 = x1.max(v);
    };
    let mut ys: Vec<f64> = Vec::new();
    for item in &p.items {
        match item {
            Item::Line { x, y, .. } | Item::Points { x, y, .. } => {
                for (a, b) in x.iter().zip(y) {
                    if a.is_finite() && b.is_finite() {
                        grow_x(*a);
                        ys.push(*b);
                    }
                }
            }
            Item::Band { x, lo, hi, .. } => {
                for ((a, l), h) in x.iter().zip(lo).zip(hi) {
                    if a.is_finite() && l.is_finite() && h.is_finite() {
                        grow_x(*a);
                        ys.push(*l);
                        ys.push(*h);
                    }
                }
            }
            Item::Bars {
                left,
                right,
                height,
                ..
            } => {
                for ((l, r), h) in left.iter().zip(right).zip(height) {
                    if l.is_finite() && r.is_finite() && h.is_finite() {
                        grow_x(*l);
                        grow_x(*r);
                        ys.push(*h);
                        ys.push(0.0);
                    }
                }
            }
            Item::Ticks { x, y, half, .. } => {
                for (a, b) in x.iter().zip(y) {
                    if a.is_finite() && b.is_finite() {
                        grow_x(*a);
                        ys.push(b - half);
                        ys.push(b + half);
                    }
                }
            }
            Item::HLine { y, .. } => ys.extend(finite(&[*y])),
        }
    }
    for y in ys {
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if let Some((a, b)) = p.xlim {
        x0 = a;
        x1 = b;
    }
    if let Some((a, b)) = p.ylim {
        y0 = a;
        y1 = b;
    }
    (x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite())
        .then_some((x0, x1, y0, y1))
}

/// Widens a degenerate range.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi - lo > 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        (lo, hi)
    } else {
        let d = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        (lo - d, hi + d)
    }
}

/// Where a panel's plot area lies in figure pixels, and its data ranges.
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        let v = self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left);
        v.clamp(self.left - 1.0, self.right + 1.0)
    }
    fn py(&self, y: f64) -> f64 {
        let v = self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top);
        v.clamp(self.top - 1.0, self.bottom + 1.0)
    }
}

/// Path data of a polyline through (x, y), broken at non-finite points.
fn polyline(f: &Frame, x: &[f64], y: &[f64]) -> String {
    let mut d = String::new();
    let mut pen = false;
    for (a, b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if pen { " L" } else { " M" },
                f.px(*a),
                f.py(*b)
            );
            pen = true;
        } else {
            pen = false;
        }
    }
    d
}

fn draw_panel(out: &mut String, p: &Panel, cx: f64, cy: f64, w: f64, h: f64) {
    // Left margin: wide enough for the y tick labels.
    let ytick_w = p
        .yticks
        .as_ref()
        .map(|t| {
            t.iter()
                .map(|(_, s)| text_width(s, 10.0))
                .fold(0.0, f64::max)
        })
        .unwrap_or(40.0);
    let left = cx + (ytick_w + 26.0).max(58.0);
    let (right, top, bottom) = (cx + w - 14.0, cy + 26.0, cy + h - 42.0);
    // Title.
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" font-weight="bold" fill="#222">{}</text>"##,
        (left + right) / 2.0,
        cy + 16.0,
        esc(&p.title)
    );
    let Some((x0, x1, y0, y1)) = extent(p) else {
        let _ = write!(
            out,
            r##"<rect x="{left:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#bbb"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#666">no data</text>"##,
            right - left,
            bottom - top,
            (left + right) / 2.0,
            (top + bottom) / 2.0
        );
        return;
    };
    let (x0, x1) = widen(x0, x1);
    let (y0, y1) = widen(y0, y1);
    let (x0, x1) = if p.xlim.is_some() {
        (x0, x1)
    } else {
        let pad = 0.02 * (x1 - x0);
        (x0 - pad, x1 + pad)
    };
    let (y0, y1) = if p.ylim.is_some() {
        (y0, y1)
    } else {
        let pad = 0.05 * (y1 - y0);
        (y0 - pad, y1 + pad)
    };
    let f = Frame {
        left,
        right,
        top,
        bottom,
        x0,
        x1,
        y0,
        y1,
    };
    // Shaded intervals, grid and ticks.
    for &(a, b) in &p.shade {
        let (a, b) = (f.px(a.max(x0)), f.px(b.min(x1)));
        if b > a {
            let _ = write!(
                out,
                r##"<rect x="{a:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="#000" fill-opacity="0.07"/>"##,
                b - a,
                bottom - top
            );
        }
    }
    let xt: Vec<(f64, String)> = match &p.xticks {
        Some(t) => t.clone(),
        None => {
            let (t, step) = ticks(x0, x1, ((right - left) / 80.0).clamp(2.0, 8.0));
            t.into_iter().map(|v| (v, fmt_tick(v, step))).collect()
        }
    };
    let yt: Vec<(f64, String)> = match &p.yticks {
        Some(t) => t.clone(),
        None => {
            let (t, step) = ticks(y0, y1, ((bottom - top) / 45.0).clamp(2.0, 7.0));
            t.into_iter().map(|v| (v, fmt_tick(v, step))).collect()
        }
    };
    let grid = p.yticks.is_none();
    for (v, label) in &xt {
        if *v < x0 || *v > x1 {
            continue;
        }
        let x = f.px(*v);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#444"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#333">{}</text>"##,
            bottom + 4.0,
            bottom + 15.0,
            esc(label)
        );
    }
    for (v, label) in &yt {
        if *v < y0 || *v > y1 {
            continue;
        }
        let y = f.py(*v);
        if grid {
            let _ = write!(
                out,
                r##"<line x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#e8e8e8"/>"##
            );
        }
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{left:.1}" y2="{y:.1}" stroke="#444"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10" fill="#333">{}</text>"##,
            left - 4.0,
            left - 6.0,
            y + 3.5,
            esc(label)
        );
    }
    // Data.
    for item in &p.items {
        match item {
            Item::Band { x, lo, hi, color } => {
                // One polygon per run of finite points.
                let n = x.len().min(lo.len()).min(hi.len());
                let mut i = 0;
                while i < n {
                    let ok = |k: usize| x[k].is_finite() && lo[k].is_finite() && hi[k].is_finite();
                    if !ok(i) {
                        i += 1;
                        continue;
                    }
                    let mut j = i;
                    while j < n && ok(j) {
                        j += 1;
                    }
                    let mut d = String::new();
                    for k in i..j {
                        let _ = write!(
                            d,
                            "{}{:.1} {:.1}",
                            if k == i { "M" } else { " L" },
                            f.px(x[k]),
                            f.py(hi[k])
                        );
                    }
                    for k in (i..j).rev() {
                        let _ = write!(d, " L{:.1} {:.1}", f.px(x[k]), f.py(lo[k]));
                    }
                    let _ = write!(
                        out,
                        r#"<path d="{d} Z" fill="{color}" fill-opacity="0.22" stroke="none"/>"#
                    );
                    i = j;
                }
            }
            Item::Bars {
                left: l,
                right: r,
                height,
                color,
                opacity,
            } => {
                let _ = write!(out, r#"<g fill="{color}" fill-opacity="{opacity}">"#);
                for ((a, b), hgt) in l.iter().zip(r).zip(height) {
                    if !(a.is_finite() && b.is_finite() && hgt.is_finite()) || *hgt == 0.0 {
                        continue;
                    }
                    let (xa, xb) = (f.px(*a), f.px(*b));
                    let (ya, yb) = (f.py(hgt.max(0.0)), f.py(hgt.min(0.0)));
                    let _ = write!(
                        out,
                        r#"<rect x="{xa:.1}" y="{ya:.1}" width="{:.1}" height="{:.1}"/>"#,
                        (xb - xa).max(0.5),
                        (yb - ya).max(0.5)
                    );
                }
                out.push_str("</g>");
            }
            _ => {}
        }
    }
    for item in &p.items {
        match item {
            Item::Line {
                x,
                y,
                color,
                width,
                dashed,
            } => {
                let d = polyline(&f, x, y);
                if !d.is_empty() {
                    let dash = if *dashed {
                        r#" stroke-dasharray="5 3""#
                    } else {
                        ""
                    };
                    let _ = write!(
                        out,
                        r#"<path d="{}" fill="none" stroke="{color}" stroke-width="{width}" stroke-linejoin="round"{dash}/>"#,
                        d.trim_start()
                    );
                }
            }
            Item::Points { x, y, color } => {
                let _ = write!(out, r#"<g fill="{color}">"#);
                for (a, b) in x.iter().zip(y) {
                    if a.is_finite() && b.is_finite() {
                        let _ = write!(
                            out,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="3"/>"#,
                            f.px(*a),
                            f.py(*b)
                        );
                    }
                }
                out.push_str("</g>");
            }
            Item::Ticks { x, y, half, color } => {
                let mut d = String::new();
                for (a, b) in x.iter().zip(y) {
                    if a.is_finite() && b.is_finite() {
                        let (ya, yb) = (f.py(b + half), f.py(b - half));
                        let _ = write!(d, "M{:.1} {ya:.1}V{yb:.1}", f.px(*a));
                    }
                }
                if !d.is_empty() {
                    let _ = write!(
                        out,
                        r#"<path d="{d}" stroke="{color}" stroke-width="1.2" fill="none"/>"#
                    );
                }
            }
            Item::HLine { y, color } if y.is_finite() && *y >= y0 && *y <= y1 => {
                let yy = f.py(*y);
                let _ = write!(
                    out,
                    r#"<line x1="{left:.1}" y1="{yy:.1}" x2="{right:.1}" y2="{yy:.1}" stroke="{color}" stroke-width="1" stroke-dasharray="2 2"/>"#
                );
            }
            _ => {}
        }
    }
    // Axes and labels.
    let _ = write!(
        out,
        r##"<path d="M{left:.1} {top:.1}V{bottom:.1}H{right:.1}" fill="none" stroke="#444"/>"##
    );
    if !p.xlabel.is_empty() {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#222">{}</text>"##,
            (left + right) / 2.0,
            bottom + 31.0,
            esc(&p.xlabel)
        );
    }
    if !p.ylabel.is_empty() {
        let (x, y) = (cx + 13.0, (top + bottom) / 2.0);
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="11" fill="#222" transform="rotate(-90 {x:.1} {y:.1})">{}</text>"##,
            esc(&p.ylabel)
        );
    }
}

impl Figure {
    /// Pixel size of the figure.
    pub fn size(&self) -> (f64, f64) {
        let rows = self.panels.len().div_ceil(self.cols.max(1)).max(1);
        let head = 34.0 + if self.legend.is_empty() { 0.0 } else { 22.0 };
        (
            self.cols.max(1) as f64 * self.panel_w,
            head + rows as f64 * self.panel_h + 6.0,
        )
    }

    /// The figure as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = self.size();
        let mut out = String::new();
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="{FONT}" font-size="11"><title>{}</title><rect x="0" y="0" width="{w:.0}" height="{h:.0}" fill="#ffffff"/>"##,
            esc(&self.title)
        );
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="22" text-anchor="middle" font-size="15" font-weight="bold" fill="#111">{}</text>"##,
            w / 2.0,
            esc(&self.title)
        );
        let mut head = 34.0;
        if !self.legend.is_empty() {
            let widths: Vec<f64> = self
                .legend
                .iter()
                .map(|(l, _, _)| 26.0 + text_width(l, 11.0) + 18.0)
                .collect();
            let total: f64 = widths.iter().sum();
            let mut x = ((w - total) / 2.0).max(6.0);
            let y = 46.0;
            for ((label, color, swatch), wd) in self.legend.iter().zip(&widths) {
                match swatch {
                    Swatch::Line | Swatch::Dashed => {
                        let dash = if matches!(swatch, Swatch::Dashed) {
                            r#" stroke-dasharray="5 3""#
                        } else {
                            ""
                        };
                        let _ = write!(
                            out,
                            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"{dash}/>"#,
                            x + 20.0
                        );
                    }
                    Swatch::Fill => {
                        let _ = write!(
                            out,
                            r#"<rect x="{:.1}" y="{:.1}" width="12" height="10" fill="{color}" fill-opacity="0.7"/>"#,
                            x + 4.0,
                            y - 5.0
                        );
                    }
                }
                let _ = write!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#222">{}</text>"##,
                    x + 26.0,
                    y + 4.0,
                    esc(label)
                );
                x += wd;
            }
            head += 22.0;
        }
        let cols = self.cols.max(1);
        for (i, p) in self.panels.iter().enumerate() {
            let (r, c) = (i / cols, i % cols);
            draw_panel(
                &mut out,
                p,
                c as f64 * self.panel_w,
                head + r as f64 * self.panel_h,
                self.panel_w,
                self.panel_h,
            );
        }
        out.push_str("</svg>");
        out
    }
}

/// Histogram of the finite values over `bins` equal bins spanning [lo, hi]
/// ([`spikeform::analysis::histogram`], widened where lo = hi); values outside the range count in
/// the end bins. Returns the edges and the fraction of all finite values in each bin.
pub(crate) fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> (Vec<f64>, Vec<f64>) {
    let range = match widen(lo, hi) {
        (lo, hi) if lo.is_finite() && hi.is_finite() => (lo, hi),
        _ => (0.0, 1.0),
    };
    let values: Vec<f64> = finite(values).collect();
    let h = spikeform::analysis::histogram(&values, bins, range);
    let mut counts = h.counts;
    counts[0] += h.below;
    counts[bins - 1] += h.above;
    let n = values.len().max(1) as f64;
    (h.edges, counts.iter().map(|&c| c as f64 / n).collect())
}

/// Smallest and largest finite value over several slices.
pub(crate) fn range_of<'a>(sets: impl IntoIterator<Item = &'a [f64]>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in sets {
        for v in finite(s) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    (lo <= hi).then_some((lo, hi))
}

/// Averages consecutive chunks so that at most `max` points remain (long traces stay light).
pub(crate) fn decimate(x: &[f64], y: &[f64], max: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len().min(y.len());
    if n <= max || max == 0 {
        return (x[..n].to_vec(), y[..n].to_vec());
    }
    let k = n.div_ceil(max);
    let mut xs = Vec::with_capacity(n / k + 1);
    let mut ys = Vec::with_capacity(n / k + 1);
    for c in (0..n).step_by(k) {
        let e = (c + k).min(n);
        let m = (e - c) as f64;
        xs.push(x[c..e].iter().sum::<f64>() / m);
        ys.push(y[c..e].iter().sum::<f64>() / m);
    }
    (xs, ys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round_and_cover_the_range() {
        let (t, step) = ticks(0.0, 3000.0, 6.0);
        assert_eq!(step, 500.0);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.last(), Some(&3000.0));
        let (t, step) = ticks(-0.37, 0.81, 5.0);
        assert_eq!(step, 0.2);
        assert_eq!(fmt_tick(t[0], step), "-0.2");
        assert_eq!(fmt_tick(1e-17, 0.2), "0");
        assert_eq!(fmt_tick(2.5e6, 1e6), "2.5e6");
    }

    #[test]
    fn histogram_fractions_sum_to_one() {
        let (edges, h) = histogram(&[0.0, 1.0, 1.0, 2.0, f64::NAN], 0.0, 2.0, 4);
        assert_eq!(edges.len(), 5);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(h[3], 0.25); // the maximum falls in the last bin
    }

    #[test]
    fn decimate_keeps_the_mean() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let (xs, ys) = decimate(&x, &x, 100);
        assert_eq!(xs.len(), 100);
        assert_eq!(ys[0], 4.5);
    }

    #[test]
    fn empty_panel_says_no_data_and_lines_break_at_nan() {
        let mut p = Panel::new("t", "x", "y");
        let fig_empty = Figure {
            id: "e",
            title: "T".into(),
            caption: String::new(),
            cols: 1,
            panel_w: 300.0,
            panel_h: 200.0,
            panels: vec![Panel::new("t", "x", "y")],
            legend: vec![],
        };
        assert!(fig_empty.to_svg().contains("no data"));
        p.line(
            vec![0.0, 1.0, 2.0, 3.0],
            vec![1.0, f64::NAN, 2.0, 3.0],
            "#000",
        );
        let fig = Figure {
            panels: vec![p],
            ..fig_empty
        };
        let svg = fig.to_svg();
        // Two sub-paths: one point, then a segment.
        let d = svg.split("<path d=\"").nth(1).unwrap();
        let d = &d[..d.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(!svg.contains("NaN"));
    }
}

//! Colours brought down to what a terminal can show: xterm's 256-colour cube and greys,
//! or the nearest of the 16 base colours.

use ratatui::style::Color;

use super::ColorDepth;

/// The closest colour the terminal can show.
pub fn degrade_color(color: Color, depth: ColorDepth) -> Option<Color> {
    match (depth, color) {
        (ColorDepth::None, _) => None,
        (ColorDepth::TrueColor, c) => Some(c),
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Some(Color::Indexed(rgb_to_256(r, g, b))),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_16(r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i >= 16 => {
            let (r, g, b) = indexed_to_rgb(i);
            Some(nearest_16(r, g, b))
        }
        (_, c) => Some(c),
    }
}

/// xterm's 6x6x6 cube and grey ramp.
fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let cube = |v: u8| {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (cr, cg, cb) = (cube(r), cube(g), cube(b));
    let cube_index = 16 + 36 * cr + 6 * cg + cb;
    let avg = (r as u16 + g as u16 + b as u16) / 3;
    let grey_index = if avg > 238 {
        23
    } else {
        (avg.saturating_sub(3) / 10) as u8
    };
    let grey_level = 8 + 10 * grey_index as u16;
    let (cube_rgb, grey) = (
        indexed_to_rgb(cube_index),
        (grey_level, grey_level, grey_level),
    );
    let dist = |a: (u8, u8, u8)| sq(a.0, r) + sq(a.1, g) + sq(a.2, b);
    let grey_dist = sq(grey.0 as u8, r) + sq(grey.1 as u8, g) + sq(grey.2 as u8, b);
    if grey_dist < dist(cube_rgb) {
        232 + grey_index
    } else {
        cube_index
    }
}

fn indexed_to_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => BASE16[i as usize].1,
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

const BASE16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    BASE16
        .iter()
        .min_by_key(|(_, (br, bg, bb))| sq(*br, r) + sq(*bg, g) + sq(*bb, b))
        .map(|(c, _)| *c)
        .unwrap_or(Color::Reset)
}

fn sq(a: u8, b: u8) -> u32 {
    let d = a as i32 - b as i32;
    (d * d) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_degrade() {
        assert_eq!(
            degrade_color(Color::Rgb(255, 85, 85), ColorDepth::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(
            degrade_color(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Some(Color::Indexed(16))
        );
        assert_eq!(
            degrade_color(Color::Rgb(255, 255, 255), ColorDepth::Ansi256),
            Some(Color::Indexed(231))
        );
        assert_eq!(
            degrade_color(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Some(Color::Indexed(244))
        );
        assert_eq!(degrade_color(Color::Cyan, ColorDepth::None), None);
    }
}

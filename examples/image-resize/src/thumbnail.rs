//! The thumbnail transformation: box-filter downscaling of binary Netpbm images.
//!
//! Supports 8-bit binary PGM (`P5`, grey) and PPM (`P6`, RGB) and writes the thumbnail in the
//! input's format. The example stays free of image codec crates on purpose (its subject is the
//! IAM role, and the workspace builds on small machines); swapping in the `image` crate to accept
//! JPEG and PNG changes only this module.

use std::fmt;

/// Largest width or height accepted, so a hostile header cannot make the function allocate
/// gigabytes.
const MAX_SIDE: usize = 16_384;

/// A thumbnail ready to upload.
#[derive(Debug)]
pub struct Thumbnail {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// Its media type, for the object's `Content-Type`.
    pub content_type: &'static str,
}

/// Why an upload cannot be made into a thumbnail.
#[derive(Debug, PartialEq, Eq)]
pub enum ThumbnailError {
    /// Not a binary PGM or PPM file.
    UnsupportedFormat,
    /// A PGM or PPM file whose header or raster is broken or out of range.
    Malformed(&'static str),
}

impl fmt::Display for ThumbnailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedFormat => f.write_str("not a binary PGM (P5) or PPM (P6) image"),
            Self::Malformed(what) => write!(f, "malformed image: {what}"),
        }
    }
}

impl std::error::Error for ThumbnailError {}

/// A decoded image: `channels` 8-bit samples per pixel, rows top to bottom.
#[derive(Debug, PartialEq, Eq)]
struct Image {
    width: usize,
    height: usize,
    channels: usize,
    max_value: u8,
    samples: Vec<u8>,
}

/// Scales `encoded` down so that neither side exceeds `max_side` (never up), keeping the aspect
/// ratio and the format.
pub fn make(encoded: &[u8], max_side: usize) -> Result<Thumbnail, ThumbnailError> {
    let image = decode(encoded)?;
    let scaled = downscale(&image, max_side.max(1));
    let content_type =
        if scaled.channels == 1 { "image/x-portable-graymap" } else { "image/x-portable-pixmap" };
    Ok(Thumbnail { bytes: encode(&scaled), content_type })
}

/// Parses a binary PGM or PPM file.
fn decode(encoded: &[u8]) -> Result<Image, ThumbnailError> {
    let channels = match encoded.get(..2) {
        Some(b"P5") => 1,
        Some(b"P6") => 3,
        _ => return Err(ThumbnailError::UnsupportedFormat),
    };
    let mut header = Header { bytes: encoded, position: 2 };
    let width = header.number()?;
    let height = header.number()?;
    let max_value = header.number()?;
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(ThumbnailError::Malformed("dimensions out of range"));
    }
    let max_value = u8::try_from(max_value).ok().filter(|value| *value > 0).ok_or(
        ThumbnailError::Malformed("only 8-bit samples (maximum value 1..=255) are supported"),
    )?;
    // Exactly one whitespace byte separates the header from the raster.
    let raster_start = header.position + 1;
    let length = width * height * channels;
    let samples = encoded
        .get(raster_start..raster_start + length)
        .ok_or(ThumbnailError::Malformed("raster shorter than the header says"))?
        .to_vec();
    Ok(Image { width, height, channels, max_value, samples })
}

/// Reads the whitespace-separated decimal fields of a Netpbm header, skipping `#` comments.
struct Header<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Header<'_> {
    fn number(&mut self) -> Result<usize, ThumbnailError> {
        loop {
            match self.bytes.get(self.position) {
                Some(byte) if byte.is_ascii_whitespace() => self.position += 1,
                Some(b'#') => {
                    while self.bytes.get(self.position).is_some_and(|byte| *byte != b'\n') {
                        self.position += 1;
                    }
                }
                _ => break,
            }
        }
        let mut value: usize = 0;
        let start = self.position;
        while let Some(byte) = self.bytes.get(self.position).filter(|byte| byte.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|value| value.checked_add(usize::from(byte - b'0')))
                .filter(|value| *value <= MAX_SIDE)
                .ok_or(ThumbnailError::Malformed("header number out of range"))?;
            self.position += 1;
        }
        if self.position == start {
            return Err(ThumbnailError::Malformed("header field is not a number"));
        }
        Ok(value)
    }
}

/// Averages each box of source pixels that maps onto one target pixel.
fn downscale(image: &Image, max_side: usize) -> Image {
    let longest = image.width.max(image.height);
    if longest <= max_side {
        return Image { samples: image.samples.clone(), ..*image };
    }
    let width = (image.width * max_side / longest).max(1);
    let height = (image.height * max_side / longest).max(1);
    let channels = image.channels;
    let mut samples = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        let (top, bottom) = span(y, height, image.height);
        for x in 0..width {
            let (left, right) = span(x, width, image.width);
            for channel in 0..channels {
                let mut sum: u64 = 0;
                for row in top..bottom {
                    let row_start = row * image.width;
                    for column in left..right {
                        let index = (row_start + column) * channels + channel;
                        sum += u64::from(image.samples.get(index).copied().unwrap_or(0));
                    }
                }
                let count = ((bottom - top) * (right - left)) as u64;
                // An average of bytes fits in a byte.
                samples.push(u8::try_from((sum + count / 2) / count).unwrap_or(u8::MAX));
            }
        }
    }
    Image { width, height, channels, max_value: image.max_value, samples }
}

/// The source range `[start, end)` (never empty) that target index `index` of `target` covers
/// out of `source` indices.
fn span(index: usize, target: usize, source: usize) -> (usize, usize) {
    let start = index * source / target;
    let end = ((index + 1) * source / target).max(start + 1);
    (start, end)
}

/// Writes a binary PGM or PPM file.
fn encode(image: &Image) -> Vec<u8> {
    let magic = if image.channels == 1 { "P5" } else { "P6" };
    let mut bytes =
        format!("{magic}\n{} {}\n{}\n", image.width, image.height, image.max_value).into_bytes();
    bytes.extend_from_slice(&image.samples);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ppm(width: usize, height: usize, pixel: impl Fn(usize, usize) -> [u8; 3]) -> Vec<u8> {
        let mut bytes = format!("P6\n# a test image\n{width} {height}\n255\n").into_bytes();
        for y in 0..height {
            for x in 0..width {
                bytes.extend_from_slice(&pixel(x, y));
            }
        }
        bytes
    }

    #[test]
    fn scales_the_longest_side_to_the_limit_and_keeps_the_aspect_ratio()
    -> Result<(), ThumbnailError> {
        let thumbnail = make(&ppm(400, 200, |_, _| [10, 20, 30]), 100)?;
        let image = decode(&thumbnail.bytes)?;
        assert_eq!((image.width, image.height, image.channels), (100, 50, 3));
        assert!(image.samples.chunks(3).all(|pixel| pixel == [10, 20, 30]));
        assert_eq!(thumbnail.content_type, "image/x-portable-pixmap");
        Ok(())
    }

    #[test]
    fn averages_each_box() -> Result<(), ThumbnailError> {
        // A 4×2 grey image of two 2×2 boxes: 0/100/0/100 on the left, 200s on the right.
        let pgm = [b"P5 4 2 255\n".as_slice(), &[0, 100, 200, 200, 100, 0, 200, 200]].concat();
        let image = decode(&make(&pgm, 2)?.bytes)?;
        assert_eq!((image.width, image.height, image.samples), (2, 1, vec![50, 200]));
        Ok(())
    }

    #[test]
    fn leaves_small_images_alone() -> Result<(), ThumbnailError> {
        let original = ppm(3, 2, |x, y| [x as u8, y as u8, 7]);
        assert_eq!(make(&original, 128)?.bytes, encode(&decode(&original)?));
        Ok(())
    }

    #[test]
    fn rejects_other_formats_and_broken_files() {
        assert_eq!(make(b"\x89PNG\r\n", 10).err(), Some(ThumbnailError::UnsupportedFormat));
        assert!(matches!(make(b"P6 2 2 255\n\0\0", 10), Err(ThumbnailError::Malformed(_))));
        assert!(matches!(make(b"P5 2 2 65535\n", 10), Err(ThumbnailError::Malformed(_))));
        assert!(matches!(make(b"P5 99999 1 255\n", 10), Err(ThumbnailError::Malformed(_))));
        assert!(matches!(make(b"P5 0 1 255\n", 10), Err(ThumbnailError::Malformed(_))));
        assert!(matches!(make(b"P5 x", 10), Err(ThumbnailError::Malformed(_))));
    }
}

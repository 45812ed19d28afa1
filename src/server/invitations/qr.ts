import { PNG } from "pngjs";
import QRCode from "qrcode";

export interface QrOptions {
  /** Width and height of the PNG in pixels, quiet zone included (default 512). */
  size?: number;
}

/**
 * The invitation link as a QR code PNG, to save, share, print, or place on the business card.
 *
 * Error correction "Q" (~25% of the code may be damaged) rather than the default "M": the code is
 * printed on cards, photographed from screens at an angle and shrunk into the card image, so a
 * smudge, glare or moiré must not make it unreadable, while the short invitation URL keeps the
 * code at a low version (few, large modules) even at this level.
 * The 4-module quiet zone is what the QR standard asks for; scanners lose codes without it when
 * the card background or a photo sits close by.
 */
export async function invitationQrPng(url: string, opts: QrOptions = {}): Promise<Buffer> {
  const size = opts.size ?? 512;
  const png = await QRCode.toBuffer(url, {
    type: "png",
    errorCorrectionLevel: "Q",
    margin: 4,
    width: size,
    color: { dark: "#000000ff", light: "#ffffffff" },
  });
  return padToSize(png, size);
}

/**
 * qrcode scales by whole pixels per module and may come out a pixel or two short of the width
 * asked for; the rest is added as white (more quiet zone), so callers get exactly size × size.
 */
function padToSize(png: Buffer, size: number): Buffer {
  const img = PNG.sync.read(png);
  // Too small a size for the code (qrcode then uses 4 px per module): nothing to pad.
  if (img.width >= size || img.height >= size) return png;
  const out = new PNG({ width: size, height: size });
  out.data.fill(255);
  const dx = Math.floor((size - img.width) / 2);
  const dy = Math.floor((size - img.height) / 2);
  PNG.bitblt(img, out, 0, 0, img.width, img.height, dx, dy);
  return PNG.sync.write(out);
}

import QRCode from "qrcode";

/**
 * A ticket code as a PNG QR image. Medium error correction survives a scuffed phone screen; the
 * output is a pure function of the code, so a resent email carries the same bytes.
 */
export function qrPng(code: string): Promise<Buffer> {
  return QRCode.toBuffer(code, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 360 });
}

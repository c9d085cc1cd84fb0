// QR codes of invitation links, drawn by the qrcode package: SVG to put inside a page (no image
// request, nothing for the content security policy to allow) and text for a terminal.
import { escapeAttribute } from '../../util/xml.js';

// qrcode (with pngjs) is loaded when the first code is drawn, not by every server start: most
// runs draw none, and a Raspberry Pi keeps what is loaded until it stops (issue 12).
const loadQrCode = async () => (await import('qrcode')).default;

/** An <svg> element for HTML, announced to screen readers as an image named `label`. */
export async function qrCodeSvg(text: string, label: string): Promise<string> {
  const QRCode = await loadQrCode();
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
  return svg.replace(/^<svg /, `<svg class="qr" role="img" aria-label="${escapeAttribute(label)}" `);
}

/** Block characters for a terminal (two rows per line), dark on light as phone scanners expect. */
export async function qrCodeForTerminal(text: string): Promise<string> {
  const QRCode = await loadQrCode();
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

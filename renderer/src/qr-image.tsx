// A QR code image of a link (drawn by useQrCode), dark on white as phone cameras read it best.
import { useQrCode } from './qr-code';

/** A 176 px square; the placeholder keeps the layout still while the code is drawn. */
export function QrImage({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const url = useQrCode(text);
  if (!url) return <span className="qr-image qr-placeholder" aria-hidden="true" />;
  return <img className="qr-image" src={url} width={176} height={176} alt={label} data-testid={testId} />;
}

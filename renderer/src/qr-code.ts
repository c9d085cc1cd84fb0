// A QR code as an SVG data: URL (the content security policy allows data: images, nothing
// inline), for values to carry to a phone: a certificate fingerprint, an address.
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

export function useQrCode(text: string): string | undefined {
  const [url, setUrl] = useState<string | undefined>();
  useEffect(() => {
    let current = true;
    QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } })
      .then((svg) => {
        if (current) setUrl(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      })
      .catch(() => {
        if (current) setUrl(undefined);
      });
    return () => {
      current = false;
    };
  }, [text]);
  return url;
}

// Builds the admin UI into dist/renderer/. Relative asset paths (base './') let the same build
// load from the admin port (`/`) and from a file in the Electron app.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  // Everything ships inside the app: no CDN, no external fonts (the CSP allows only 'self').
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script, which the CSP refuses; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});

// Quantities as people read them, for messages and logs.

/** Bytes in powers of 1024, as file managers count them: "512 bytes", "1.5 MB", "10 GB". */
export function describeBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  return `${Number(value.toFixed(value < 10 ? 1 : 0))} ${units[unit]}`;
}

import { describe, expect, it } from 'vitest';
import { describeMemoryMap, readMemoryMap, summarizeSmaps } from '../../bench/memory-map.js';

const smaps = [
  '00400000-00b6f000 r--p 00000000 08:01 1234    /usr/bin/node',
  'Size:               7612 kB',
  'Rss:                6824 kB',
  '00b72000-025fe000 r-xp 00772000 08:01 1234    /usr/bin/node',
  'Rss:               21744 kB',
  '41383000-467b3000 rw-p 00000000 00:00 0       [heap]',
  'Rss:               31200 kB',
  '7f134c000000-7f134c731000 rw-p 00000000 00:00 0 ',
  'Rss:                2048 kB',
  '7f1350000000-7f1350040000 rw-p 00000000 00:00 0',
  'Rss:                 256 kB',
  '7f1351000000-7f1351200000 r-xp 00000000 08:01 99  /work/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'Rss:                1800 kB',
  '7f1352000000-7f1352100000 r-xp 00000000 08:01 98  /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
  'Rss:                1400 kB',
  '7f1353000000-7f1353001000 rw-s 00000000 08:01 97  /tmp/data/hearth.sqlite-shm',
  'Rss:                  32 kB',
  '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0   [stack]',
  'Rss:                 132 kB',
].join('\n');

describe('the memory map', () => {
  it('adds up the resident pages of each kind of mapping, largest first', () => {
    expect(summarizeSmaps(smaps, '/usr/bin/node')).toEqual([
      { name: 'malloc heap', kib: 31_200 },
      { name: 'the executable (/usr/bin/node)', kib: 28_568 },
      { name: 'other anonymous memory', kib: 2304 },
      { name: 'native addons', kib: 1800 },
      { name: 'shared libraries', kib: 1400 },
      { name: 'stacks and kernel pages', kib: 132 },
      { name: 'other files', kib: 32 },
    ]);
  });

  it('says it in one line, leaving out the small parts', () => {
    expect(describeMemoryMap(summarizeSmaps(smaps, '/usr/bin/node'))).toBe(
      '30.5 MiB malloc heap, 27.9 MiB the executable (/usr/bin/node), 2.3 MiB other anonymous memory, 1.8 MiB native addons, 1.4 MiB shared libraries',
    );
  });

  it('reads a live process: this one adds up to about its RSS', () => {
    const parts = readMemoryMap(process.pid)!;
    const total = parts.reduce((sum, part) => sum + part.kib, 0);
    const rss = process.memoryUsage().rss / 1024;
    expect(parts.some((part) => part.name === `the executable (${process.execPath})`)).toBe(true);
    expect(Math.abs(total - rss) / rss).toBeLessThan(0.1);
  });
});

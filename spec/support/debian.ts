/** Debian's armhf static programs that scripts/fetch-debian.sh unpacks into vendor/debian. */
import * as fs from 'fs';
import * as path from 'path';

const DEBIAN = path.resolve(__dirname, '..', '..', '..', 'vendor', 'debian');

/** The programs the real-program suite runs, by short name → path inside the unpacked packages. */
export const DEBIAN_PROGRAMS = {
  busybox: 'bin/busybox',
  bash: 'bin/bash-static',
  'mksh-klibc': 'usr/lib/klibc/bin/mksh',
  'mksh-diet': 'usr/lib/diet/bin/mksh',
  'mksh-musl': 'usr/lib/arm-linux-musleabihf/bin/mksh',
  'go-md2man': 'usr/bin/go-md2man',
} as const;

/** Short name of one of the downloaded programs. */
export type DebianProgram = keyof typeof DEBIAN_PROGRAMS;

/** One downloaded package as recorded by the fetch script. */
export interface DebianPackage {
  package: string;
  version: string;
  deb: string;
  sha256: string;
}

/** The downloaded packages, or a clear error saying how to get them. */
export function debianPackages(): DebianPackage[] {
  const manifest = path.join(DEBIAN, 'manifest.json');
  if (!fs.existsSync(manifest)) {
    throw new Error(`${manifest} is missing: run 'bash scripts/fetch-debian.sh' (needs the Debian mirrors)`);
  }
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { packages: DebianPackage[] }).packages;
}

/** Host path of a downloaded program (throws, naming the fetch script, when it is absent). */
export function debianProgram(name: DebianProgram): string {
  const p = path.join(DEBIAN, 'root', DEBIAN_PROGRAMS[name]);
  if (!fs.existsSync(p)) throw new Error(`${p} is missing: run 'bash scripts/fetch-debian.sh'`);
  return p;
}

/** A page loaded in the distro's Chromium, headless: the DOM after load and what the page wrote to its console. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './toolchain';

/** What loading one page gave. */
export interface LoadedPage {
  status: number | null;
  /** The serialized DOM after load (--dump-dom). */
  dom: string;
  /** Console messages and uncaught errors, one per line as Chromium logs them. */
  console: string[];
}

/** Load `file` in headless Chromium and wait for it to finish; Chromium missing is an error that says how to install it. */
export function loadInChromium(file: string): Promise<LoadedPage> {
  const profile = tempDir('cc-chromium-');
  const args = [
    '--headless',
    '--disable-gpu',
    '--no-sandbox',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    // Console messages (and uncaught exceptions) go to stderr as ":CONSOLE" log lines.
    '--enable-logging=stderr',
    '--v=0',
    '--dump-dom',
    'file://' + path.resolve(file),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('chromium', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`chromium is not available (${e.message}): run 'bash scripts/setup.sh'`));
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      fs.rmSync(profile, { recursive: true, force: true });
      resolve({ status, dom: out, console: err.split('\n').filter((l) => /:CONSOLE\b/.test(l)) });
    });
  });
}

/**
 * The layer check and the lint catch what they are there for: each runs with the project's own
 * configuration on a small tree made here, once with the mistake planted and once without, so
 * a change to a configuration that stops it catching the mistake fails here.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, types: [] },
  include: ['emulator/**/*.ts'],
};

/** A tree holding `files` (path -> text), a tsconfig, and the given project files copied in. */
function plantTree(files: Record<string, string>, copied: string[]): string {
  const dir = tempDir('cc-checks-');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const name of copied) fs.copyFileSync(path.join(ROOT, name), path.join(dir, name));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Run a tool installed in the project's node_modules inside `dir`, then remove `dir`. */
function run(dir: string, script: string, args: string[]): { status: number | null; out: string } {
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', script), ...args], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('project checks', function () {
  this.timeout(120_000);

  describe('layers (dependency-cruiser)', () => {
    const args = ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'emulator'];
    const depcruise = (files: Record<string, string>) =>
      run(plantTree(files, ['.dependency-cruiser.cjs']), 'dependency-cruiser/bin/dependency-cruise.mjs', args);

    it('passes imports that go down the layers', () => {
      const r = depcruise({
        'emulator/cli/main.ts': "import { step } from '../kernel/step';\nexport const main = step;\n",
        'emulator/kernel/step.ts': "import { CloneCloudError } from '../errors';\nexport const step = () => new CloneCloudError('x');\n",
        'emulator/errors.ts': 'export class CloneCloudError extends Error {}\n',
      });
      assert.equal(r.status, 0, r.out);
    });

    it('fails on an upward import, naming the layer rule and the import', () => {
      const r = depcruise({
        'emulator/cli/main.ts': 'export const main = 1;\n',
        'emulator/kernel/step.ts': "import { main } from '../cli/main';\nexport const step = main;\n",
      });
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /layer-kernel: emulator\/kernel\/step\.ts → emulator\/cli\/main\.ts/);
    });

    it('fails on an import cycle inside a layer', () => {
      const r = depcruise({
        'emulator/kernel/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
        'emulator/kernel/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      });
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /no-import-cycles: emulator\/kernel\/a\.ts/);
    });
  });

  describe('lint (typescript-eslint)', () => {
    const eslint = (text: string) => run(plantTree({ 'emulator/store/commit.ts': text }, ['eslint.config.mjs']), 'eslint/bin/eslint.js', ['emulator']);
    const commit = 'export function commit(): Promise<void> {\n  return Promise.resolve();\n}\n';

    it('passes a promise that is awaited', () => {
      const r = eslint(`${commit}export async function save(): Promise<void> {\n  await commit();\n}\n`);
      assert.equal(r.status, 0, r.out);
    });

    it('fails on a floating promise, naming the rule and the line', () => {
      const r = eslint(`${commit}export function save(): void {\n  commit();\n}\n`);
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /commit\.ts\s+5:3\s+error .*@typescript-eslint\/no-floating-promises/);
    });

    it('fails on a promise passed where a callback returns nothing', () => {
      const r = eslint(`${commit}export function onEvent(handler: () => void): void {\n  handler();\n}\nonEvent(commit);\n`);
      assert.notEqual(r.status, 0, r.out);
      assert.match(r.out, /@typescript-eslint\/no-misused-promises/);
    });
  });
});

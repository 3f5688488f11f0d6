/**
 * The random-instruction generator: one seed gives one program, every template and the listed
 * instruction families are drawn, reserved registers are never written, and every program
 * assembles without error or warning.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { CATEGORIES, Category, generateProgram, modeOf, programText, templatesOf } from '../../emulator/difftest/random-insns';
import { armImm } from '../../emulator/difftest/operands';
import { Rand } from '../../emulator/difftest/rand';
import { assembleProgram } from '../../emulator/difftest/toolchain';
import { tempDir } from '../support/toolchain';

const SIZE = { sequences: 40, length: 20 };

/** Random lines of a program (the per-sequence prologue and epilogue left out). */
function randomLines(seed: number, category: Category): string[] {
  return generateProgram(seed, category, SIZE).sequences.flatMap((s) => s.units.flatMap((u) => u.lines));
}

/** Mnemonics of `lines` (the part before the first space). */
function mnemonics(lines: string[]): Set<string> {
  return new Set(lines.map((l) => l.split(' ')[0]));
}

describe('random-instruction generator', () => {
  it('is deterministic: one seed, one program; another seed, another program', () => {
    for (const c of CATEGORIES) {
      assert.equal(programText(generateProgram(7, c, SIZE)), programText(generateProgram(7, c, SIZE)));
      assert.notEqual(programText(generateProgram(7, c, SIZE)), programText(generateProgram(8, c, SIZE)));
    }
  });

  it('draws every template of every category', () => {
    for (const c of CATEGORIES) {
      const used = new Set<string>();
      for (let seed = 1; seed <= 6; seed++)
        generateProgram(seed, c, SIZE).sequences.forEach((s) => s.units.forEach((u) => u.templates.forEach((t) => used.add(t))));
      const missing = templatesOf(c)
        .map(([t]) => t.name)
        .filter((n) => !used.has(n));
      assert.deepEqual(missing, [], `${c}: templates never drawn`);
    }
  });

  it('covers the instruction families the test is meant to compare', () => {
    const seen = new Set<string>();
    for (const c of CATEGORIES)
      for (let seed = 1; seed <= 12; seed++) for (const m of mnemonics(randomLines(seed, c))) seen.add(m.replace(/\.[a-z0-9.]+$/, ''));
    const wanted = [
      'adcs',
      'rsc',
      'orn',
      'teq',
      'rrx',
      'mul',
      'mla',
      'mls',
      'umull',
      'smull',
      'umlal',
      'smlal',
      'smulbt',
      'smlatb',
      'smmul',
      'smmlar',
      'qadd',
      'qsub',
      'qadd16',
      'uadd8',
      'sel',
      'usad8',
      'ssat',
      'usat16',
      'ubfx',
      'sbfx',
      'bfi',
      'bfc',
      'uxtb',
      'sxtah',
      'rev',
      'rev16',
      'revsh',
      'rbit',
      'clz',
      'sdiv',
      'udiv',
      'ldr',
      'str',
      'ldrb',
      'ldrh',
      'ldrsh',
      'ldrd',
      'strd',
      'ldmia',
      'stmdb',
      'ldrex',
      'strex',
      'strexd',
      'vadd',
      'vsub',
      'vmul',
      'vdiv',
      'vmla',
      'vfma',
      'vsqrt',
      'vabs',
      'vneg',
      'vcmp',
      'vmrs',
      'vcvt',
      'vcvtr',
      'vcvtb',
      'vmov',
      'vldr',
      'vstmia',
      'vdup',
      'vshl',
      'vzip',
      'vuzp',
      'vtrn',
      'vtbl',
      'vext',
      'vqadd',
      'vqdmulh',
      'vrecpe',
      'vrsqrte',
      'vcnt',
      'vmull',
      'vqshrun',
      'vld2',
      'vst4',
    ];
    assert.deepEqual(
      wanted.filter((m) => !seen.has(m)),
      [],
    );
    assert.ok(
      [...seen].some((m) => /^it[te]*$/.test(m)),
      'Thumb IT blocks',
    );
    assert.ok(
      [...seen].some((m) => /^add(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)$/.test(m)),
      'A32 conditions',
    );
  });

  it('never writes the reserved registers, sp or pc (pc is only read)', () => {
    for (const c of CATEGORIES) {
      for (let seed = 1; seed <= 6; seed++) {
        for (const line of randomLines(seed, c)) {
          // pc only as a source (ADR forms: 'add rX, pc, #n', 'mov rX, pc'), never sp at all.
          assert.doesNotMatch(line.replace(/^(add|sub|addw|subw|mov)\w* r\d+, pc\b/, ''), /\b(sp|pc|r13|r14|r15)\b/, line);
          const [op, ...rest] = line.split(' ');
          const first = rest.join(' ').split(',')[0];
          const multiple = /^v?(ldm|stm)/.test(op);
          if (first === 'r11') assert.ok(multiple, `r11 written by: ${line}`);
          if (first.startsWith('r10')) assert.ok(/^(add|mov|movw|movt) r10, /.test(line) || (multiple && first === 'r10!'), `r10 written by: ${line}`);
        }
      }
    }
  });

  it('draws VFP fixed-to-float conversions only under round-to-nearest (libunicorn 2.1.4 rounds them by FPSCR)', () => {
    let drawn = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const seq of generateProgram(seed, 'vfp', SIZE).sequences) {
        let fpscr = seq.init.fpscr;
        for (const line of seq.units.flatMap((u) => u.lines)) {
          const lo = /^movw r10, #(\S+)$/.exec(line);
          const hi = /^movt r10, #(\S+)$/.exec(line);
          if (lo) fpscr = Number(lo[1]);
          if (hi) fpscr = (fpscr | (Number(hi[1]) << 16)) >>> 0;
          if (/^vcvt\w*\.f(32|64)\.[su](16|32) .*#\d+$/.test(line)) {
            drawn++;
            assert.equal((fpscr >>> 22) & 3, 0, `${line} under FPSCR ${fpscr.toString(16)}`);
          }
        }
      }
    }
    assert.ok(drawn > 20, `only ${drawn} drawn`);
  });

  it('draws only encodable A32 immediates', () => {
    const r = new Rand(3);
    const encodable = (v: number): boolean => Array.from({ length: 16 }, (_, k) => ((v << (2 * k)) | (v >>> (32 - 2 * k))) >>> 0).some((x) => x < 256);
    for (let i = 0; i < 2000; i++) assert.ok(encodable(armImm(r)));
  });

  it('mixes A32 and T32 for VFP and NEON programs', () => {
    for (const c of ['vfp', 'neon'] as const) {
      const modes = new Set(Array.from({ length: 16 }, (_, i) => modeOf(c, i * 8 + 2)));
      assert.deepEqual([...modes].sort(), ['arm', 'thumb']);
    }
  });

  it('produces programs the distro assembler accepts without a warning', () => {
    const dir = tempDir('cc-risu-');
    for (const c of CATEGORIES)
      for (const seed of [1, 2]) assembleProgram(programText(generateProgram(seed, c, { sequences: 100, length: 20 })), dir, `${c}-${seed}`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * Assembly text of a test program. Each sequence: refill the scratch buffer, load the
 * sequence's starting state (d0–d31, APSR, FPSCR, r0–r12), point r11 at the scratch middle, clear
 * the exclusive monitor, run the random instructions, then store r0–r12, APSR, FPSCR and d0–d31
 * into the record (sp points at it; random code never touches sp) and write(1, record).
 * The program ends with exit_group(0).
 */
import { IsaMode } from './insn';
import { hex } from './operands';
import { FAR_PAGES } from './templates-mem';
import { RECORD_D, RECORD_SCRATCH, RECORD_SIZE, SCRATCH_SIZE } from './record';
import type { Sequence } from './sequence';

function loadAddress(reg: string, label: string): string[] {
  return [`movw ${reg}, #:lower16:${label}`, `movt ${reg}, #:upper16:${label}`];
}

/** Lines that start sequence `i`. */
function prologue(i: number): string[] {
  return [
    `@ sequence ${i}`,
    ...loadAddress('r0', 'scratch_init'),
    `add r1, sp, #${RECORD_SCRATCH}`,
    `mov r2, #${SCRATCH_SIZE / 4}`,
    '1: ldr r3, [r0], #4',
    'str r3, [r1], #4',
    'subs r2, r2, #1',
    'bne 1b',
    ...loadAddress('r0', `init_${i}`),
    'vldmia r0!, {d0-d15}',
    'vldmia r0!, {d16-d31}',
    'ldr r1, [r0, #52]',
    'msr APSR_nzcvqg, r1',
    'ldr r1, [r0, #56]',
    'vmsr fpscr, r1',
    'ldm r0, {r0-r12}',
    `add r11, sp, #${RECORD_SCRATCH + SCRATCH_SIZE / 2}`,
    'clrex',
  ];
}

/** Lines that save the state of sequence `i` and write it out. */
function epilogue(i: number): string[] {
  return [
    `@ record of sequence ${i}`,
    ...Array.from({ length: 13 }, (_, r) => `str r${r}, [sp, #${r * 4}]`),
    'mrs r0, apsr',
    'str r0, [sp, #52]',
    'vmrs r0, fpscr',
    'str r0, [sp, #56]',
    `movw r0, #${i & 0xffff}`,
    'str r0, [sp, #60]',
    `add r0, sp, #${RECORD_D}`,
    'vstmia r0!, {d0-d15}',
    'vstmia r0, {d16-d31}',
    'mov r0, #1',
    'mov r1, sp',
    `movw r2, #${RECORD_SIZE}`,
    'mov r7, #4',
    'svc #0',
  ];
}

/** The starting state of sequence `i` as data: d0–d31, then r0–r12, APSR, FPSCR. */
function initData(seq: Sequence, i: number): string[] {
  const { init } = seq;
  return [`init_${i}:`, ...init.d.map((v) => `.quad 0x${v.toString(16)}`), `.word ${[...init.core, init.apsr, init.fpscr].map(hex).join(', ')}`];
}

/** Scratch content every sequence starts from: a fixed, recognisable pattern. */
function scratchInit(): string[] {
  const words = Array.from({ length: SCRATCH_SIZE / 4 }, (_, i) => hex(Math.imul(i + 1, 0x9e3779b9) ^ 0x5a5a0000));
  return ['scratch_init:', ...words.map((w) => `.word ${w}`)];
}

/** The whole program for `sequences` in `mode`. */
export function renderProgram(mode: IsaMode, sequences: Sequence[]): string {
  const code: string[] = [];
  sequences.forEach((seq, i) => {
    code.push(...prologue(i), ...seq.units.flatMap((u) => u.lines), ...epilogue(i));
  });
  const lines = [
    '.syntax unified',
    '.cpu cortex-a15',
    '.fpu neon-vfpv4',
    '.text',
    mode === 'arm' ? '.arm' : '.thumb',
    '.global _start',
    ...(mode === 'thumb' ? ['.thumb_func'] : []),
    '_start:',
    ...loadAddress('r0', 'record'),
    'mov sp, r0',
    ...code,
    'mov r0, #0',
    'mov r7, #248',
    'svc #0',
    '.data',
    '.balign 8',
    ...sequences.flatMap(initData),
    ...scratchInit(),
    '.bss',
    // The scratch middle (r11) is then 64-byte aligned, so NEON alignment hints on it hold.
    '.balign 64',
    'record:',
    `.space ${RECORD_SIZE}`,
    '.balign 4096',
    'far:',
    `.space ${FAR_PAGES * 4096}`,
  ];
  return lines.map((l) => (l.endsWith(':') || l.startsWith('.') || l.startsWith('@') ? l : `\t${l}`)).join('\n') + '\n';
}

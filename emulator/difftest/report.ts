/** Turning a differential test's result into text for people and JSON for programs. */
import { AddressSpace } from '../memory/address-space';
import { DifftestResult } from './difftest';
import { disassembleAt, Disassembled } from './disassemble';
import { hex32, REG_NAMES } from './registers';

/** The result with instruction text resolved, ready to print or serialise. */
export interface DifftestReport {
  same: boolean;
  instructions: string;
  syscalls: number;
  exitStatus?: number;
  limited?: boolean;
  seconds: number;
  passes: number;
  probes: number;
  divergence?: {
    reason: string;
    window: [string, string];
    kind?: string;
    instructions?: string;
    culprit?: { pc: string; thumb: boolean; bytes?: string; text?: string; tracedByClonecloud: boolean };
    at?: { pc: string; thumb: boolean; bytes?: string; text?: string };
    registers: { name: string; clonecloud: string; reference: string; differs: boolean }[];
    writes: { address: string; size: number; clonecloud: string; reference: string }[];
    previous: { pc: string; text?: string }[];
    lastSyscalls: string[];
  };
  kernelDifferences: { index: number; syscall: string; instructions: string; what: string }[];
}

/** Resolve instruction text from `space` (clonecloud's memory: same program, same addresses). */
export async function buildReport(r: DifftestResult, space: AddressSpace): Promise<DifftestReport> {
  const text = async (pc: number, thumb: boolean): Promise<Disassembled | undefined> => disassembleAt(space, pc, thumb);
  const out: DifftestReport = {
    same: r.same,
    instructions: r.instructions.toString(),
    syscalls: r.syscalls,
    exitStatus: r.exitStatus,
    limited: r.limited,
    seconds: r.seconds,
    passes: r.passes,
    probes: r.probes,
    kernelDifferences: r.kernelDifferences.map((k) => ({ ...k, instructions: k.instructions.toString() })),
  };
  const d = r.divergence;
  if (!d) return out;
  const ins = d.instruction;
  const regsOf = (dut?: Uint32Array, ref?: Uint32Array) =>
    dut && ref ? REG_NAMES.map((name, i) => ({ name, clonecloud: hex32(dut[i]), reference: hex32(ref[i]), differs: dut[i] !== ref[i] })) : [];
  out.divergence = {
    reason: d.reason,
    window: [d.window[0].toString(), d.window[1].toString()],
    registers: ins ? regsOf(ins.dutRegs, ins.refRegs) : regsOf(d.atSyscall?.dutRegs, d.atSyscall?.refRegs),
    writes: (ins?.writes ?? []).map((w) => ({
      address: hex32(w.address),
      size: w.size,
      clonecloud: '0x' + w.dut.toString(16),
      reference: w.ref === undefined ? 'unreadable' : '0x' + w.ref.toString(16),
    })),
    previous: [],
    lastSyscalls: d.lastSyscalls,
  };
  if (ins) {
    const c = await text(ins.culprit.pc, ins.culprit.thumb);
    const a = await text(ins.pc, ins.thumb);
    out.divergence.kind = ins.kind;
    out.divergence.instructions = ins.instructions.toString();
    out.divergence.culprit = { pc: hex32(ins.culprit.pc), thumb: ins.culprit.thumb, bytes: c?.bytes, text: c?.text, tracedByClonecloud: ins.culprit.traced };
    out.divergence.at = { pc: hex32(ins.pc), thumb: ins.thumb, bytes: a?.bytes, text: a?.text };
    for (const p of ins.previous) out.divergence.previous.push({ pc: hex32(p.pc), text: (await text(p.pc, p.thumb))?.text });
  }
  return out;
}

/** The report as text. */
export function formatReport(r: DifftestReport): string {
  const lines: string[] = [];
  const n = (s: string) => BigInt(s).toLocaleString('en-US');
  if (r.same && r.limited) {
    lines.push(
      `no difference so far: the ${r.syscalls} syscalls met in the first ${n(r.instructions)} instructions agree with qemu-arm (--max-instructions; the rest was not compared)`,
    );
  } else if (r.same) {
    lines.push(`same: ${n(r.instructions)} instructions and ${r.syscalls} syscalls agree with qemu-arm; exit status ${r.exitStatus}`);
  } else {
    const d = r.divergence!;
    lines.push(`DIFFERENT: ${d.reason}`);
    lines.push(`  between instructions ${n(d.window[0])} and ${n(d.window[1])}`);
    if (d.instructions !== undefined && d.culprit && d.at) {
      const kindText = d.kind === 'store' ? 'stores a different value' : d.kind === 'flow' ? 'is followed by different code' : 'leaves different registers';
      lines.push(`first difference at instruction ${n(d.instructions)}: the instruction at ${d.culprit.pc} ${kindText}`);
      lines.push(
        `  ${d.culprit.pc}  ${(d.culprit.bytes ?? '').padEnd(10)}  ${d.culprit.text ?? '?'}  (${d.culprit.thumb ? 'thumb' : 'arm'})` +
          (d.culprit.tracedByClonecloud ? '' : '  <- executed by qemu-arm; clonecloud did not execute it (or skipped it as a condition-failed IT instruction)'),
      );
      if (d.kind !== 'store') lines.push(`  next: ${d.at.pc}  ${(d.at.bytes ?? '').padEnd(10)}  ${d.at.text ?? '?'}`);
      if (d.previous.length) {
        lines.push('  executed before it (oldest first):');
        for (const p of d.previous) lines.push(`    ${p.pc}  ${p.text ?? '?'}`);
      }
    } else if (d.kind === undefined && d.registers.length === 0) {
      lines.push('  (no instruction-level difference was seen in that window: see the reason above)');
    }
    if (d.registers.length) {
      lines.push(`  registers ${d.at ? `before ${d.at.pc}` : 'at the syscall'}:   clonecloud   qemu-arm`);
      for (const g of d.registers) lines.push(`    ${g.name.padEnd(5)} ${g.clonecloud}   ${g.reference}${g.differs ? '   <-' : ''}`);
    }
    for (const w of d.writes) lines.push(`  store of ${w.size} byte(s) at ${w.address}: clonecloud ${w.clonecloud}, qemu-arm ${w.reference}`);
    if (d.lastSyscalls.length) lines.push(`  last syscalls: ${d.lastSyscalls.join('; ')}`);
  }
  if (r.kernelDifferences.length) {
    lines.push(`syscall results that differed (qemu-arm's were used so the comparison could go on): ${r.kernelDifferences.length}`);
    for (const k of r.kernelDifferences.slice(0, 20)) lines.push(`  #${k.index} ${k.syscall} at ${n(k.instructions)}: ${k.what}`);
    if (r.kernelDifferences.length > 20) lines.push(`  ... and ${r.kernelDifferences.length - 20} more (--json lists them all)`);
  }
  lines.push(`${r.seconds.toFixed(1)} s, ${r.passes} pass(es), ${r.probes} probe(s)`);
  return lines.join('\n') + '\n';
}

/** ARM and Thumb disassembly for reports, by Capstone (its WebAssembly build, loaded on first use). */
import { AddressSpace, PROT_EXEC, PROT_READ } from '../memory/address-space';

interface CsInstruction {
  mnemonic: string;
  op_str: string;
  size: number;
}
interface CsDecoder {
  disasm(bytes: number[], address: number, count?: number): CsInstruction[];
}
interface CsModule {
  Capstone: new (arch: number, mode: number) => CsDecoder;
  ARCH_ARM: number;
  MODE_ARM: number;
  MODE_THUMB: number;
}

// The package is an Emscripten module without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadCapstone = require('@alexaltea/capstone-js') as () => Promise<CsModule>;

let decoders: Promise<{ arm: CsDecoder; thumb: CsDecoder }> | undefined;

/** One decoded instruction: its bytes as hex (halfwords for Thumb) and its text. */
export interface Disassembled {
  bytes: string;
  text: string;
  size: number;
}

/** Disassemble the instruction at `pc` in guest memory (undefined when it cannot be read). */
export async function disassembleAt(space: AddressSpace, pc: number, thumb: boolean): Promise<Disassembled | undefined> {
  const readable = (a: number) => space.isMapped(a, 2, PROT_READ) || space.isMapped(a, 2, PROT_EXEC);
  if (!readable(pc)) return undefined;
  const raw = Array.from(space.bytes.subarray(pc, pc + 4));
  return disassembleBytes(raw, pc, thumb);
}

/** Disassemble the first instruction of `raw` (4 bytes suffice for ARM and Thumb-2). */
export async function disassembleBytes(raw: number[], pc: number, thumb: boolean): Promise<Disassembled> {
  decoders ??= loadCapstone().then((cs) => ({
    arm: new cs.Capstone(cs.ARCH_ARM, cs.MODE_ARM),
    thumb: new cs.Capstone(cs.ARCH_ARM, cs.MODE_THUMB),
  }));
  const d = await decoders;
  const [insn] = (thumb ? d.thumb : d.arm).disasm(raw, pc, 1);
  const size = insn?.size ?? (thumb ? 2 : 4);
  const hw = (i: number) => (raw[i] | (raw[i + 1] << 8)).toString(16).padStart(4, '0');
  const bytes = thumb
    ? size === 4
      ? `${hw(0)} ${hw(2)}`
      : hw(0)
    : ((raw[0] | (raw[1] << 8) | (raw[2] << 16) | (raw[3] << 24)) >>> 0).toString(16).padStart(8, '0');
  return { bytes, text: insn ? `${insn.mnemonic} ${insn.op_str}`.trim() : '(undefined instruction)', size };
}

/**
 * What a machine is connected to on the host it runs on: the program's bytes, standard streams,
 * the warning channel and engine switches. None of it is persisted; a restored or cloned machine
 * is wired afresh beside the same BootSpec.
 */
import { InputSource, OutputSink } from '../kernel/console';
import { EngineOptions } from '../unicorn/engine';

/** The host side of a machine, given beside its BootSpec. */
export interface HostWiring {
  /** The program's bytes; absent when the machine will be restored from a checkpoint instead. */
  elf?: Uint8Array;
  /** Standard input: bytes, or a source read on demand; empty when absent. */
  stdin?: Uint8Array | InputSource;
  stdout: OutputSink;
  stderr: OutputSink;
  /** Told about unimplemented syscalls and similar non-fatal oddities. */
  warn: (message: string) => void;
  /** Native hook switches (benchmarks only). */
  engine?: EngineOptions;
}

/** Wiring that drops every output and warning (probes, tests that only look at state). */
export function silentWiring(extra: Partial<HostWiring> = {}): HostWiring {
  return { stdout: () => undefined, stderr: () => undefined, warn: () => undefined, ...extra };
}

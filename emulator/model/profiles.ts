/**
 * Device profiles: the machines a phone image can run on. Figures and their sources are listed in
 * the README ("Device profiles"); where a figure is a modelling assumption, the README says so.
 */
import * as fs from 'fs';
import { ProfileError } from '../errors';

/** What the model needs to know about a device. */
export interface DeviceProfile {
  id: string;
  name: string;
  kind: 'phone' | 'computer';
  cpu: string;
  /** Core clock in Hz. */
  clockHz: number;
  /** Guest (ARM) instructions retired per cycle per core: a modelling assumption. */
  ipc: number;
  cores: number;
  ramBytes: number;
  /** Storage for the guest's files (internal flash or disk); the writable layer fills it. */
  storageBytes: number;
  /** CPU power when busy and when idle, in watts. */
  cpuActiveW: number;
  cpuIdleW: number;
  source: string;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** Built-in profiles: the paper's Table 1 phones and Table 2 computers, plus two current machines. */
export const BUILTIN_PROFILES: readonly DeviceProfile[] = [
  {
    id: 'iphone-3g',
    name: 'Apple iPhone 3G',
    kind: 'phone',
    cpu: 'Samsung ARM1176JZF-S',
    clockHz: 412e6,
    ipc: 0.6,
    cores: 1,
    ramBytes: 128 * MB,
    storageBytes: 8 * GB,
    cpuActiveW: 0.4,
    cpuIdleW: 0.03,
    source: 'CloneCloud HotOS 2009, Table 1 (412 MHz, 128 MB); storage: Apple iPhone 3G specifications (8 GB model)',
  },
  {
    id: 'htc-g1',
    name: 'HTC G1 (Dream)',
    kind: 'phone',
    cpu: 'Qualcomm MSM7201A ARM11',
    clockHz: 528e6,
    ipc: 0.6,
    cores: 1,
    ramBytes: 192 * MB,
    storageBytes: 256 * MB,
    cpuActiveW: 0.43,
    cpuIdleW: 0.03,
    source:
      'CloneCloud HotOS 2009, Table 1 (528 MHz, 192 MB); storage: HTC Dream specifications (256 MB internal flash); power: PowerTutor (Zhang et al. 2010) HTC G1 model',
  },
  {
    id: 'blackberry-bold',
    name: 'BlackBerry Bold 9000',
    kind: 'phone',
    cpu: 'Marvell PXA930',
    clockHz: 624e6,
    ipc: 0.6,
    cores: 1,
    ramBytes: 128 * MB,
    storageBytes: 1 * GB,
    cpuActiveW: 0.45,
    cpuIdleW: 0.03,
    source: 'CloneCloud HotOS 2009, Table 1 (624 MHz, 128 MB); storage: BlackBerry Bold 9000 specifications (1 GB on-board memory)',
  },
  {
    id: 'pixel-8',
    name: 'Google Pixel 8',
    kind: 'phone',
    cpu: 'Google Tensor G3 (Cortex-X3 prime core)',
    clockHz: 2.91e9,
    ipc: 2.5,
    cores: 9,
    ramBytes: 8 * GB,
    storageBytes: 128 * GB,
    cpuActiveW: 3.0,
    cpuIdleW: 0.05,
    source: 'Google Pixel 8 specifications (Tensor G3: 1x2.91 GHz + 4x2.37 GHz + 4x1.70 GHz, 8 GB; 128 GB storage model)',
  },
  {
    id: 'macbook-pro',
    name: 'MacBook Pro (2008)',
    kind: 'computer',
    cpu: 'Intel Core 2 Duo T9300',
    clockHz: 2.5e9,
    ipc: 1.5,
    cores: 2,
    ramBytes: 4 * GB,
    storageBytes: 250 * GB,
    cpuActiveW: 35,
    cpuIdleW: 8,
    source:
      'CloneCloud HotOS 2009, Table 2 (2.5 GHz, 2 cores, 4 GB); storage: Apple MacBook Pro (Early 2008) 2.5 GHz specifications (250 GB disk); power: Intel T9300 TDP 35 W',
  },
  {
    id: 'dell-t7400',
    name: 'Dell Precision T7400',
    kind: 'computer',
    cpu: 'Intel Xeon X5470',
    clockHz: 3.3e9,
    ipc: 1.5,
    cores: 4,
    ramBytes: 8 * GB,
    storageBytes: 250 * GB,
    cpuActiveW: 120,
    cpuIdleW: 30,
    source: 'CloneCloud HotOS 2009, Table 2 (3.3 GHz, 4 cores, 8 GB); storage: estimate (250 GB disk); power: Intel X5470 TDP 120 W',
  },
  {
    id: 'clone-2009',
    name: 'Desktop clone of the paper',
    kind: 'computer',
    cpu: 'Intel Core 2 at 2.83 GHz, one core running the QEMU clone',
    clockHz: 2.83e9,
    // The clone ran Dalvik inside QEMU: assume it retired guest instructions per cycle at the
    // phone's rate, so its CPU advantage is the clock ratio alone (5.4x).
    ipc: 0.6,
    cores: 1,
    ramBytes: 4 * GB,
    storageBytes: 250 * GB,
    cpuActiveW: 30,
    cpuIdleW: 10,
    source:
      'CloneCloud HotOS 2009, file-scan experiment (single-core QEMU clone on a 2.83 GHz desktop with 4 GB); storage: estimate (250 GB disk); power: estimate for one core',
  },
  {
    id: 'cloud-graviton3',
    name: 'Cloud server (AWS c7g.4xlarge)',
    kind: 'computer',
    cpu: 'AWS Graviton3 (Neoverse V1)',
    clockHz: 2.6e9,
    ipc: 2.5,
    cores: 16,
    ramBytes: 32 * GB,
    storageBytes: 100 * GB,
    cpuActiveW: 100,
    cpuIdleW: 20,
    source: 'AWS c7g instance specifications (Graviton3 2.6 GHz; c7g.4xlarge: 16 vCPU, 32 GiB); storage: estimate (100 GiB EBS volume; c7g has no local disk)',
  },
];

/** The profile images use when they name none. */
export const DEFAULT_PROFILE = 'htc-g1';

/**
 * Accepted range of each numeric field. The bounds are far beyond any real device and only keep
 * the model's arithmetic sound: clock x IPC becomes an integer rate of instructions per second
 * (at least 1, and finite), RAM must fit the guest's 32-bit view and the host.
 */
const RANGES: Record<'clockHz' | 'ipc' | 'cores' | 'ramBytes' | 'storageBytes' | 'cpuActiveW' | 'cpuIdleW', [number, number, string]> = {
  clockHz: [1e3, 1e12, 'between 1 kHz and 1 THz'],
  ipc: [1e-3, 64, 'between 0.001 and 64'],
  cores: [1, 1024, 'a whole number between 1 and 1024'],
  ramBytes: [2 ** 20, 2 ** 40, 'a whole number of bytes between 1 MiB and 1 TiB'],
  storageBytes: [2 ** 20, 2 ** 50, 'a whole number of bytes between 1 MiB and 1 PiB'],
  cpuActiveW: [0, 1e6, 'between 0 and 1,000,000'],
  cpuIdleW: [0, 1e6, 'between 0 and 1,000,000'],
};
const WHOLE = new Set(['cores', 'ramBytes', 'storageBytes']);
/** Storage of a user profile that names none (profile files written before the field existed). */
export const DEFAULT_STORAGE_BYTES = GB;

/** Check one user-supplied profile object; throws ProfileError saying which field is wrong. */
export function validateProfile(raw: unknown, where: string): DeviceProfile {
  if (typeof raw !== 'object' || raw === null) throw new ProfileError(`${where}: a profile must be a JSON object`);
  const o = raw as Record<string, unknown>;
  if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(o.id)) {
    throw new ProfileError(`${where}: "id" must be a lower-case name like "my-phone"`);
  }
  for (const [k, [min, max, text]] of Object.entries(RANGES)) {
    const v = k === 'storageBytes' ? (o[k] ?? DEFAULT_STORAGE_BYTES) : o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (WHOLE.has(k) && !Number.isInteger(v))) {
      throw new ProfileError(`${where}: profile "${o.id}": "${k}" must be a number ${text}, got ${JSON.stringify(v)}`);
    }
  }
  const kind = o.kind ?? 'phone';
  if (kind !== 'phone' && kind !== 'computer') {
    throw new ProfileError(`${where}: profile "${o.id}": "kind" must be "phone" or "computer"`);
  }
  return {
    id: o.id,
    name: typeof o.name === 'string' ? o.name : o.id,
    kind,
    cpu: typeof o.cpu === 'string' ? o.cpu : 'unspecified',
    clockHz: o.clockHz as number,
    ipc: o.ipc as number,
    cores: o.cores as number,
    ramBytes: o.ramBytes as number,
    storageBytes: (o.storageBytes as number | undefined) ?? DEFAULT_STORAGE_BYTES,
    cpuActiveW: o.cpuActiveW as number,
    cpuIdleW: o.cpuIdleW as number,
    source: typeof o.source === 'string' ? o.source : `user file ${where}`,
  };
}

/** Largest profile file read. */
const MAX_PROFILE_FILE_BYTES = 1 << 20;

/** Read user profiles from a JSON file holding one profile or an array of them. */
export function loadProfileFile(file: string): DeviceProfile[] {
  let text: string;
  try {
    // Only a regular file of sane size: /dev/zero would never end, a FIFO could block forever.
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_PROFILE_FILE_BYTES) throw new Error(`${st.size} bytes is more than a profile file needs (at most ${MAX_PROFILE_FILE_BYTES})`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProfileError(`cannot read profile file ${file}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`profile file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(data) ? data : [data];
  return list.map((p, i) => validateProfile(p, `${file} [${i}]`));
}

/** All profiles: built-ins, then those from `file` (which may override a built-in by id). */
export function allProfiles(file?: string): DeviceProfile[] {
  const map = new Map(BUILTIN_PROFILES.map((p) => [p.id, p]));
  if (file) for (const p of loadProfileFile(file)) map.set(p.id, p);
  return [...map.values()];
}

/** Find a profile by id; the error lists the known ids. */
export function findProfile(id: string, file?: string): DeviceProfile {
  const all = allProfiles(file);
  const p = all.find((x) => x.id === id);
  if (!p) throw new ProfileError(`unknown profile "${id}"; known: ${all.map((x) => x.id).join(', ')}`);
  return p;
}

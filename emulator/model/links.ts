/**
 * Link profiles: the networks between the phone and its clone, with the phone radio's power
 * states. Every figure names its source in `sources`; where sources disagree, the source text
 * says which figure was taken and why. The README ("Link profiles") lists them.
 */
import { ProfileError } from '../errors';

/** A radio state the phone lingers in after a transfer, before dropping to the next (or idle). */
export interface TailState {
  /** The standard's name for it: DCH, FACH, RRC_CONNECTED, high. */
  state: string;
  /** How long the radio stays in this state with no traffic (the inactivity timer). */
  seconds: number;
  /** Radio power in this state, in watts. */
  watts: number;
}

/** Figures of a link and of the phone's radio on it. */
export interface LinkProfile {
  id: string;
  name: string;
  /** wired links have no radio: no promotion, no tail, no radio energy. */
  kind: 'cellular' | 'wifi' | 'wired';
  /** Usable throughput from the phone to the clone, in bits per second (a whole number). */
  uplinkBps: number;
  /** Usable throughput from the clone to the phone, in bits per second (a whole number). */
  downlinkBps: number;
  /** Round-trip time between phone and clone. */
  rttSeconds: number;
  /** Delay before the first byte moves when the radio is idle, and the radio's power meanwhile. */
  promotionSeconds: number;
  promotionW: number;
  /** Radio power while sending and while receiving at the link's rate. */
  activeUpW: number;
  activeDownW: number;
  /** States the radio passes through after the last byte, in order, before it is idle again. */
  tails: TailState[];
  /** Radio power when idle: the radio's standing cost, which a sync does not add to. */
  idleW: number;
  /** Where each figure comes from, by field (tails: all tail states). */
  sources: Record<LinkFigure, string>;
}

/** The fields of a link profile that are figures and need a source. */
export type LinkFigure = 'uplinkBps' | 'downlinkBps' | 'rttSeconds' | 'promotion' | 'active' | 'tails' | 'idleW';

/** Fields of `sources`, in the order the README and `clonecloud links` show them. */
export const LINK_FIGURES: readonly LinkFigure[] = ['uplinkBps', 'downlinkBps', 'rttSeconds', 'promotion', 'active', 'tails', 'idleW'];

const POWERTUTOR = 'PowerTutor (Zhang et al., CODES+ISSS 2010) HTC G1 model';
const HUANG_2012 = 'Huang et al., "A Close Examination of Performance and Power Characteristics of 4G LTE Networks", MobiSys 2012';

// Huang et al.'s LTE data power model: P = 438.39 mW/Mbps x uplink + 51.97 mW/Mbps x downlink + 1288.04 mW.
const LTE_BASE_W = 1.28804;
const LTE_UP_MBPS = 6;
const LTE_DOWN_MBPS = 13;
// Xu et al. (SIGCOMM 2020) measured 5G NSA radio power at 2-3x LTE's; the middle of that range.
const NR_OVER_LTE = 2.5;

/** Built-in links: the paper's era (3G, 802.11g Wi-Fi), today's cellular, and wired Ethernet. */
export const BUILTIN_LINKS: readonly LinkProfile[] = [
  {
    id: '3g-2009',
    name: 'UMTS/HSPA 3G as of 2009 (HTC G1 radio)',
    kind: 'cellular',
    uplinkBps: 215_000,
    downlinkBps: 1_259_000,
    rttSeconds: 0.22,
    promotionSeconds: 0.582,
    promotionW: 0.57,
    activeUpW: 0.57,
    activeDownW: 0.57,
    tails: [
      { state: 'DCH', seconds: 6, watts: 0.57 },
      { state: 'FACH', seconds: 4, watts: 0.401 },
    ],
    idleW: 0.01,
    sources: {
      uplinkBps:
        'PCWorld/Novarum 13-city 3G test, Dec 2009-Jan 2010: smartphone uploads 100-200 kbps on every carrier; 215 kbps is the fastest pair (iPhone 3G on AT&T HSPA). The CloneCloud paper gives no link figures',
      downlinkBps:
        'PCWorld/Novarum 13-city 3G test, Dec 2009-Jan 2010: iPhone 3G on AT&T HSPA averaged 1259 kbps (other carriers 851-1000 kbps); the fastest pair is taken so 3G is not made to look worse than it was',
      rttSeconds: 'MAUI (Cuervo et al., MobiSys 2010): 220 ms round trip over 3G to the offload server',
      promotion: `IDLE->DCH promotion delay 582 ms: ${HUANG_2012} (3G, measured 2011; PowerTutor models no promotion delay). Power during promotion: the G1's DCH power (570 mW, ${POWERTUTOR}), as PowerTutor has no promotion state`,
      active: `DCH 570 mW: ${POWERTUTOR}`,
      tails: `DCH 570 mW then FACH 401 mW, inactivity timers DCH->FACH 6 s and FACH->IDLE 4 s (T-Mobile USA, the G1's carrier; PowerTutor uses 5 s and 12 s for AT&T): ${POWERTUTOR} and its released HTC Dream constants`,
      idleW: `IDLE 10 mW: ${POWERTUTOR}`,
    },
  },
  {
    id: 'wifi-2009',
    name: 'Wi-Fi 802.11g to a nearby clone (HTC G1 radio)',
    kind: 'wifi',
    uplinkBps: 20_000_000,
    downlinkBps: 20_000_000,
    rttSeconds: 0.01,
    promotionSeconds: 0,
    promotionW: 0,
    activeUpW: 0.71,
    activeDownW: 0.71,
    tails: [{ state: 'high', seconds: 0.238, watts: 0.71 }],
    idleW: 0.02,
    sources: {
      uplinkBps:
        'Modelling assumption: IEEE 802.11g signals at up to 54 Mbit/s; one client close to its access point gets about 20 Mbit/s of TCP throughput. The CloneCloud paper gives no Wi-Fi figure',
      downlinkBps: 'Modelling assumption: as the uplink (802.11g shares one channel both ways)',
      rttSeconds:
        'MAUI (Cuervo et al., MobiSys 2010): 10 ms round trip, its Wi-Fi setting with the server on the same network, as the paper\'s "nearby computer" clone',
      promotion: `None: ${POWERTUTOR} switches Wi-Fi between its low and high states by packet rate, with no wake-up delay`,
      active: `High state 710 mW: ${POWERTUTOR}, paper figure (PowerTutor's released code uses 720 mW; the paper's measured figure is taken)`,
      tails: `High state 710 mW (${POWERTUTOR}) for 238 ms, the Wi-Fi tail measured by ${HUANG_2012}; PowerTutor itself has no timer and drops to low once the packet rate falls, within its 1 s sampling interval`,
      idleW: `Low state 20 mW: ${POWERTUTOR}, paper figure (its released code uses 38.554 mW; the paper's measured figure is taken)`,
    },
  },
  {
    id: 'lte',
    name: '4G LTE',
    kind: 'cellular',
    uplinkBps: LTE_UP_MBPS * 1_000_000,
    downlinkBps: LTE_DOWN_MBPS * 1_000_000,
    rttSeconds: 0.07,
    promotionSeconds: 0.2601,
    promotionW: 1.2107,
    activeUpW: round6(LTE_BASE_W + 0.43839 * LTE_UP_MBPS),
    activeDownW: round6(LTE_BASE_W + 0.05197 * LTE_DOWN_MBPS),
    tails: [{ state: 'RRC_CONNECTED', seconds: 11.576, watts: 1.06 }],
    idleW: 0.02,
    sources: {
      uplinkBps: `Median LTE uplink 6 Mbit/s: ${HUANG_2012} (4GTest, 3000+ users)`,
      downlinkBps: `Median LTE downlink 13 Mbit/s: ${HUANG_2012} (4GTest)`,
      rttSeconds: `About 70 ms median round trip on LTE: ${HUANG_2012} (4GTest)`,
      promotion: `RRC_IDLE->RRC_CONNECTED promotion 260.1 ms at 1210.7 mW: ${HUANG_2012}`,
      active: `Data power model P = 438.39 mW/Mbps x uplink + 51.97 mW/Mbps x downlink + 1288.04 mW (${HUANG_2012}) at this profile's 6 and 13 Mbit/s`,
      tails: `Tail 11.576 s at the 1060 mW tail base power (DRX in RRC_CONNECTED): ${HUANG_2012}`,
      idleW: `Idle DRX: on 43.2 ms every 1280.2 ms at 594.3 mW, about 20 mW on average: ${HUANG_2012}`,
    },
  },
  {
    id: '5g',
    name: '5G NR mmWave (non-standalone)',
    kind: 'cellular',
    uplinkBps: 60_000_000,
    downlinkBps: 1_000_000_000,
    rttSeconds: 0.03,
    promotionSeconds: 0.2601,
    promotionW: round6(NR_OVER_LTE * 1.2107),
    activeUpW: round6(NR_OVER_LTE * LTE_BASE_W),
    activeDownW: round6(NR_OVER_LTE * LTE_BASE_W),
    tails: [{ state: 'RRC_CONNECTED', seconds: 11.576, watts: round6(NR_OVER_LTE * 1.06) }],
    idleW: 0.02,
    sources: {
      uplinkBps:
        'About 60 Mbit/s uplink on commercial mmWave 5G: Narayanan et al., "A First Look at Commercial 5G Performance on Smartphones", WWW 2020 (uplink stays far below downlink)',
      downlinkBps:
        'About 1 Gbit/s downlink on commercial mmWave 5G with a clear line of sight: Narayanan et al., WWW 2020 (mid-band 5G gives 100-200 Mbit/s; Xu et al., SIGCOMM 2020, found TCP using under a third of the link)',
      rttSeconds: 'About 30 ms round trip to a nearby server over mmWave 5G: Narayanan et al., WWW 2020',
      promotion: `Non-standalone 5G attaches through its LTE anchor: LTE's promotion delay (260.1 ms, ${HUANG_2012}); power ${NR_OVER_LTE}x LTE's, the middle of the 2-3x that Xu et al. (SIGCOMM 2020) measured for 5G over 4G`,
      active: `${NR_OVER_LTE}x LTE's 1288.04 mW data base power (${HUANG_2012}; Xu et al., SIGCOMM 2020: 5G radio power 2-3x 4G's; Narayanan et al., SIGCOMM 2021, likewise find mmWave 5G costlier per second than LTE)`,
      tails: `LTE's 11.576 s tail (the non-standalone control plane is LTE's RRC; ${HUANG_2012}) at ${NR_OVER_LTE}x LTE's 1060 mW tail power (Xu et al., SIGCOMM 2020)`,
      idleW: `Idle on the LTE anchor: LTE's idle DRX average, about 20 mW (${HUANG_2012})`,
    },
  },
  {
    id: 'ethernet',
    name: 'Gigabit Ethernet (wired; no radio)',
    kind: 'wired',
    uplinkBps: 1_000_000_000,
    downlinkBps: 1_000_000_000,
    rttSeconds: 0.0005,
    promotionSeconds: 0,
    promotionW: 0,
    activeUpW: 0,
    activeDownW: 0,
    tails: [],
    idleW: 0,
    sources: {
      uplinkBps: 'CloneCloud HotOS 2009, Table 2: the clone computers connect by 1 Gbit/s Ethernet',
      downlinkBps: 'CloneCloud HotOS 2009, Table 2 (1 Gbit/s Ethernet)',
      rttSeconds: 'Modelling assumption: 0.5 ms, phone and clone on one switched LAN',
      promotion: 'None: a wired link has no radio to wake',
      active: 'None: no radio (the NIC is not modelled)',
      tails: 'None: no radio, no tail',
      idleW: 'None: no radio',
    },
  },
];

/** The link the clone commands use when none is named. */
export const DEFAULT_LINK = 'wifi-2009';

/** Round to micro-units, so derived watts are exact whole microwatts. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Largest rate, time and power a link may declare: far beyond any real link, it keeps the pricing in safe integers. */
const MAX_BPS = 1e12;
const MAX_SECONDS = 3600;
const MAX_WATTS = 1000;

/** Check a link profile's figures; throws ProfileError naming the field that is wrong. */
export function checkLink(p: LinkProfile): LinkProfile {
  const bad = (field: string, text: string, got: unknown) => {
    throw new ProfileError(`link profile "${p.id}": "${field}" must be ${text}, got ${JSON.stringify(got)}`);
  };
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(p.id)) throw new ProfileError(`link profile id ${JSON.stringify(p.id)} must be a lower-case name like "wifi-2009"`);
  for (const f of ['uplinkBps', 'downlinkBps'] as const) {
    const v = p[f];
    if (!Number.isInteger(v) || v < 1 || v > MAX_BPS) bad(f, `a whole number of bits per second between 1 and ${MAX_BPS}`, v);
  }
  const seconds: [string, number][] = [
    ['rttSeconds', p.rttSeconds],
    ['promotionSeconds', p.promotionSeconds],
    ...p.tails.map((t, i): [string, number] => [`tails[${i}].seconds`, t.seconds]),
  ];
  for (const [f, v] of seconds) if (!Number.isFinite(v) || v < 0 || v > MAX_SECONDS) bad(f, `between 0 and ${MAX_SECONDS} seconds`, v);
  const watts: [string, number][] = [
    ['promotionW', p.promotionW],
    ['activeUpW', p.activeUpW],
    ['activeDownW', p.activeDownW],
    ['idleW', p.idleW],
    ...p.tails.map((t, i): [string, number] => [`tails[${i}].watts`, t.watts]),
  ];
  for (const [f, v] of watts) if (!Number.isFinite(v) || v < 0 || v > MAX_WATTS) bad(f, `between 0 and ${MAX_WATTS} watts`, v);
  if (p.kind === 'wired' && (p.tails.length > 0 || watts.some(([, v]) => v > 0)))
    bad('kind', 'a radio ("cellular" or "wifi") when the link has radio power or tails', p.kind);
  for (const f of LINK_FIGURES)
    if (typeof p.sources[f] !== 'string' || p.sources[f].length === 0) bad(`sources.${f}`, 'a non-empty text naming where the figure comes from', p.sources[f]);
  return p;
}

/** Find a built-in link by id; the error lists the known ids. */
export function findLink(id: string): LinkProfile {
  const p = BUILTIN_LINKS.find((x) => x.id === id);
  if (!p) throw new ProfileError(`unknown link "${id}"; known: ${BUILTIN_LINKS.map((x) => x.id).join(', ')}`);
  return p;
}

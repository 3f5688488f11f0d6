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
const PT_CODE = "PowerTutor's released code (DreamConstants.java)";
const HUANG_2012 = 'Huang et al., "A Close Examination of Performance and Power Characteristics of 4G LTE Networks", MobiSys 2012';
// Figures from a paper that this text could not be read from again; said so in each source text.
const AS_CITED = 'as cited, not re-checked against the text';

// PowerTutor's Wi-Fi high state: a base power plus, while sending, a link ratio times the uplink rate
// (released code: DreamPowerCalculator, rate in 2^20 bit/s units as Wifi.java computes it); the ratio
// for a 54 Mbit/s 802.11g channel is DreamConstants.wifiLinkRatios' last entry, in mW per unit.
const WIFI_HIGH_W = 0.71;
const WIFI_BPS = 20_000_000;
const WIFI_RATIO_54_W = 0.006427122;

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
      uplinkBps: `215 kbit/s, the iPhone 3G on AT&T HSPA, PCWorld/Novarum 13-city 3G test (Dec 2009-Jan 2010), ${AS_CITED}; PCWorld's summary confirms that pair was the fastest smartphone one both ways. The CloneCloud paper gives no link figures`,
      downlinkBps: `1259 kbit/s, the same pair (PCWorld/Novarum, ${AS_CITED}); the fastest smartphone pair is taken so 3G is not made to look worse than it was (PCWorld gives AT&T's overall average as 1410 kbit/s)`,
      rttSeconds: `220 ms round trip over 3G to the offload server: MAUI (Cuervo et al., MobiSys 2010), ${AS_CITED}`,
      promotion: `IDLE->DCH promotion 582 ms: ${HUANG_2012}, Table 3 (3G), ${AS_CITED}; PowerTutor has no promotion delay. Charged at the DCH 570 mW (${PT_CODE}), a modelling choice: PowerTutor has no promotion state`,
      active: `DCH 570 mW: ${POWERTUTOR}; ${PT_CODE} threegDchPower`,
      tails: `DCH 570 mW for 6 s, then FACH 401 mW for 4 s: ${PT_CODE}, T-Mobile's timers (the G1's carrier; AT&T's are 5 s and 12 s there)`,
      idleW: `IDLE 10 mW: ${POWERTUTOR}; ${PT_CODE} threegIdlePower`,
    },
  },
  {
    id: 'wifi-2009',
    name: 'Wi-Fi 802.11g to a nearby clone (HTC G1 radio)',
    kind: 'wifi',
    uplinkBps: WIFI_BPS,
    downlinkBps: WIFI_BPS,
    rttSeconds: 0.01,
    promotionSeconds: 0,
    promotionW: 0,
    activeUpW: round6(WIFI_HIGH_W + WIFI_RATIO_54_W * (WIFI_BPS / 2 ** 20)),
    activeDownW: WIFI_HIGH_W,
    tails: [{ state: 'high', seconds: 0.238, watts: WIFI_HIGH_W }],
    idleW: 0.02,
    sources: {
      uplinkBps:
        'Modelling assumption: IEEE 802.11g signals at up to 54 Mbit/s; one client close to its access point gets about 20 Mbit/s of TCP throughput. The CloneCloud paper gives no Wi-Fi figure',
      downlinkBps: 'Modelling assumption: as the uplink (802.11g shares one channel both ways)',
      rttSeconds: `10 ms round trip, MAUI's Wi-Fi setting with the server on the same network, as the paper's "nearby computer" clone: MAUI (Cuervo et al., MobiSys 2010), ${AS_CITED}`,
      promotion: `None: ${PT_CODE} (Wifi.java) switches low->high when the packet rate passes 15/s, with no wake-up delay`,
      active: `High state 710 mW (${POWERTUTOR}, paper figure; the released code's 720 mW is not taken), plus, sending only, the code's uplink term: 6.427122 mW per 2^20 bit/s on a 54 Mbit/s channel x 19.07 units at 20 Mbit/s = 122.6 mW`,
      tails: `High state 710 mW for 238 ms, the Wi-Fi tail of ${HUANG_2012}, Table 3, ${AS_CITED}. PowerTutor has no timer: its code drops to low once the packet rate falls below 8/s`,
      idleW: `Low state 20 mW: ${POWERTUTOR}, paper figure (also in libpowertutor's transcription of it); the released code's 38.554 mW is not taken`,
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
      uplinkBps: `Median LTE uplink 6 Mbit/s from 4GTest (3000+ users): ${HUANG_2012}, abstract`,
      downlinkBps: `Median LTE downlink 13 Mbit/s from 4GTest: ${HUANG_2012}, abstract`,
      rttSeconds: `About 70 ms median LTE round trip from 4GTest: ${HUANG_2012}, ${AS_CITED}`,
      promotion: `RRC_IDLE->RRC_CONNECTED 260.1 ms at 1210.7 mW: ${HUANG_2012}, Table 3, ${AS_CITED}; AT&T's ARO tool defaults to the same rounded (0.26 s, 1.21 W)`,
      active: `Data power model 438.39 mW/Mbps x up + 51.97 mW/Mbps x down + 1288.04 mW (${HUANG_2012}, ${AS_CITED}) at 6 and 13 Mbit/s; ARO's defaults have the same slopes and round the base to 1.2 W, the paper's figure is taken`,
      tails: `Tail 11.576 s at the 1060 mW tail base power: ${HUANG_2012}, Table 3, ${AS_CITED}; ARO's default tail power is also 1.06 W`,
      idleW: `Idle DRX: on 43.2 ms every 1280.2 ms at 594.3 mW, about 20 mW on average: ${HUANG_2012}, Table 3, ${AS_CITED}; ARO's defaults (43 ms every 1.28 s at 0.594 W) give the same average`,
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
      uplinkBps: `About 60 Mbit/s uplink on commercial mmWave 5G: Narayanan et al., "A First Look at Commercial 5G Performance on Smartphones", WWW 2020, ${AS_CITED}`,
      downlinkBps: `About 1 Gbit/s downlink on mmWave 5G with a clear line of sight: Narayanan et al., WWW 2020, ${AS_CITED}. Xu et al., SIGCOMM 2020 (abstract), found TCP using under 32 % of a 5G link; the radio figure is taken`,
      rttSeconds: `About 30 ms round trip to a nearby server over mmWave 5G: Narayanan et al., WWW 2020, ${AS_CITED}`,
      promotion: `Modelling assumption: non-standalone 5G attaches through its LTE anchor, so LTE's 260.1 ms (${HUANG_2012}); power ${NR_OVER_LTE}x LTE's, the middle of the 2-3x over 4G in Xu et al., SIGCOMM 2020, abstract`,
      active: `${NR_OVER_LTE}x LTE's 1288.04 mW data base power (${HUANG_2012}): the middle of the 2-3x over 4G in Xu et al., SIGCOMM 2020, abstract; a modelling assumption, as no per-rate 5G model is used`,
      tails: `Modelling assumption: LTE's 11.576 s tail (the non-standalone control plane is LTE's RRC; ${HUANG_2012}) at ${NR_OVER_LTE}x LTE's 1060 mW (Xu et al., SIGCOMM 2020, abstract: 2-3x)`,
      idleW: `Modelling assumption: idle on the LTE anchor, LTE's idle DRX average of about 20 mW (${HUANG_2012})`,
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
      uplinkBps: `1 Gbit/s Ethernet to the clone computers: CloneCloud HotOS 2009, Table 2, ${AS_CITED}`,
      downlinkBps: `1 Gbit/s Ethernet: CloneCloud HotOS 2009, Table 2, ${AS_CITED}`,
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

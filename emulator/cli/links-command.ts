/** `clonecloud links`: list the link profiles a phone can sync to its clone over. */
import { BUILTIN_LINKS, DEFAULT_LINK, LinkProfile } from '../model/links';
import { printJson, table } from './output';

/** Options of the links command. */
export interface LinksOptions {
  json?: boolean;
}

/** Print the built-in link profiles: a table, or every figure with its source as JSON. */
export function linksCommand(opts: LinksOptions): number {
  if (opts.json) {
    printJson(BUILTIN_LINKS);
    return 0;
  }
  const rows = BUILTIN_LINKS.map((l) => [
    l.id + (l.id === DEFAULT_LINK ? ' *' : ''),
    l.kind,
    formatRate(l.uplinkBps),
    formatRate(l.downlinkBps),
    formatSeconds(l.rttSeconds),
    l.promotionSeconds > 0 ? `${formatSeconds(l.promotionSeconds)} @ ${formatWatts(l.promotionW)}` : '-',
    l.activeUpW === l.activeDownW ? formatWatts(l.activeUpW) : `${formatWatts(l.activeUpW)} / ${formatWatts(l.activeDownW)}`,
    formatTails(l),
    formatWatts(l.idleW),
  ]);
  process.stdout.write(table(['id', 'kind', 'up', 'down', 'RTT', 'promotion', 'active (up/down)', 'tail', 'idle'], rows));
  process.stdout.write(`* default link. Sources: clonecloud links --json (field "sources").\n`);
  return 0;
}

/** 215 kbit/s, 13 Mbit/s, 1 Gbit/s. */
function formatRate(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${+(bps / 1e3).toFixed(1)} kbit/s`;
}

/** 220 ms, 0.5 ms, 11.6 s. */
function formatSeconds(s: number): string {
  return s >= 1 ? `${+s.toFixed(3)} s` : `${+(s * 1000).toFixed(1)} ms`;
}

/** 570 mW, 3.92 W; a radio-less link shows a dash. */
function formatWatts(w: number): string {
  if (w === 0) return '-';
  return w >= 1 ? `${+w.toFixed(2)} W` : `${+(w * 1000).toFixed(1)} mW`;
}

/** DCH 6 s @ 570 mW, then FACH 4 s @ 401 mW. */
function formatTails(l: LinkProfile): string {
  if (l.tails.length === 0) return '-';
  return l.tails.map((t) => `${t.state} ${formatSeconds(t.seconds)} @ ${formatWatts(t.watts)}`).join(', then ');
}

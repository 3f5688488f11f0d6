/**
 * The run report (`boot --report`): one self-contained HTML page with the run's lanes (phone, link,
 * clone), its energy over modelled time and a table of figures. The charts are SVG rendered here,
 * inline; the page loads nothing and runs no script.
 */
import { formatSeconds } from '../model/run-summary';
import { energyChartSvg, lanesChartSvg } from './charts';
import { deriveTimeline, LANES, RunReportInput, Timeline } from './timeline';

export { RunReportInput } from './timeline';

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Offloaded calls listed in the page at most; the rest are counted. */
const MAX_CALL_ROWS = 200;

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 820px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; }
.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 0.25em 0.8em 0.25em 0; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0.6em 0; overflow-x: auto; }
p.note { color: #444; font-size: 0.93em; }
`;

/** A number of bytes in MiB (KiB below one MiB). */
function bytes(n: number): string {
  return n >= 1048576 ? `${(n / 1048576).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Rows of the figures table: label and value, both plain text (escaped when written). */
function figureRows(input: RunReportInput, t: Timeline): [string, string][] {
  const s = input.summary;
  const rows: [string, string][] = [
    ['exit status', String(s.exitStatus) + (s.stoppedBy ? ` (stopped by --${s.stoppedBy})` : '')],
    ['instructions', s.instructions.toLocaleString('en-US')],
    ['modelled time', formatSeconds(s.modelledSeconds)],
    ['phone energy', `${s.energyJoules.toFixed(4)} J (CPU ${t.breakdown.cpuJoules.toFixed(4)} J, radio ${t.breakdown.radioJoules.toFixed(4)} J)`],
  ];
  const c = s.clone;
  if (c) {
    rows.push(
      ['syncs', `${c.syncs} memory, ${c.fileSyncs} file-only, ${c.failed} failed`],
      ['bytes up / down', `${bytes(c.bytesUp)} / ${bytes(c.bytesDown)}`],
      ['mean mirror staleness', formatSeconds(c.meanStalenessSeconds)],
    );
  }
  const o = s.offload;
  if (o) {
    rows.push(
      ['offloaded calls', `${o.offloaded} of ${o.calls} (${o.local} ran on the phone)`],
      ['clone compute', `${o.cloneInstructions.toLocaleString('en-US')} instructions in ${formatSeconds(o.cloneSeconds)}`],
      ['phone waited', formatSeconds(o.waitSeconds)],
      ['local-only estimate', `${formatSeconds(o.localEstimate.modelledSeconds)}, ${o.localEstimate.energyJoules.toFixed(4)} J on the phone alone`],
    );
  }
  if (s.memoryHash) rows.push(['memory hash', s.memoryHash]);
  return rows;
}

/** The offloaded calls, one row each. */
function callsTable(input: RunReportInput): string {
  const log = input.summary.offload?.log ?? [];
  if (!log.length) return '';
  const row = (c: (typeof log)[number]) => {
    const cells =
      c.outcome === 'offloaded'
        ? [
            c.target,
            formatSeconds(c.atSeconds),
            'clone',
            formatSeconds(c.cloneSeconds ?? 0),
            formatSeconds(c.waitSeconds ?? 0),
            `${bytes(c.bytesUp ?? 0)} / ${bytes(c.bytesDown ?? 0)}`,
            c.stop ?? '',
          ]
        : [c.target, formatSeconds(c.atSeconds), 'phone', '', '', '', c.why ?? ''];
    return `<tr>${cells.map((v, i) => `<td${i >= 3 && i <= 5 ? ' class="n"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`;
  };
  const more = log.length > MAX_CALL_ROWS ? `<p class="note">and ${log.length - MAX_CALL_ROWS} more calls</p>` : '';
  return (
    `<h2>Calls to offloaded functions</h2>\n<table id="calls"><tr><th>function</th><th>at</th><th>ran on</th><th>clone time</th><th>phone waited</th><th>up / down</th><th>how it ended</th></tr>\n` +
    log.slice(0, MAX_CALL_ROWS).map(row).join('\n') +
    `</table>${more}\n`
  );
}

/** The lanes legend: what each lane holds, with its stretch count. */
function lanesTable(t: Timeline): string {
  const says: Record<(typeof LANES)[number], string> = {
    phone: "the phone's CPU: computing, or idle while it waits for a transfer or the clone",
    link: 'the link: syncs of memory and files, and each migration up and back down',
    clone: 'the clone: offloaded calls running on its profile',
  };
  return (
    '<table id="lanes"><tr><th>lane</th><th>stretches</th><th>what it shows</th></tr>\n' +
    t.lanes
      .map((l) => `<tr data-lane="${l}"><td>${l}</td><td class="n">${t.segments.filter((s) => s.lane === l).length}</td><td>${says[l]}</td></tr>`)
      .join('\n') +
    '</table>\n'
  );
}

/** How the energy curve is derived, in words, with this run's figures. */
function energyNote(input: RunReportInput, t: Timeline): string {
  const b = t.breakdown;
  const p = input.profile;
  const slept = b.computeWatts < p.cpuActiveW - 1e-9 ? "; below the profile's active power because the program also slept" : '';
  const tail =
    b.unattributedRadioJoules > 0 ? ` The radio's last tail and any failed transfers (${b.unattributedRadioJoules.toFixed(4)} J) come at the end.` : '';
  const cpu = input.summary.clone
    ? `the run's CPU energy (its total less the radio's) is split between the phone's waits, priced at the profile's idle ` +
      `power (${p.cpuIdleW} W over ${formatSeconds(b.waitSeconds)}), and its compute, spread evenly over ` +
      `${formatSeconds(b.computeSeconds)} (${b.computeWatts.toFixed(3)} W; the profile's active power is ${p.cpuActiveW} W${slept}). `
    : `without a clone all of the run's energy is the CPU's, spread evenly over its ${formatSeconds(b.computeSeconds)} ` +
      `(${b.computeWatts.toFixed(3)} W; the profile's active power is ${p.cpuActiveW} W${slept}). `;
  const radio = input.summary.clone
    ? `Each transfer's radio energy, as the link priced it (its promotion, and the tail since the transfer before), is spread over ` +
      `that transfer; an offloaded call's radio energy (its sync, request and return) over the phone's wait for it.${tail} `
    : '';
  return `<p class="note">How this curve is derived: ${cpu}${radio}The curves end at the run's totals.</p>\n`;
}

/** The report page for one run. */
export async function renderRunReport(input: RunReportInput): Promise<string> {
  const t = deriveTimeline(input);
  const s = input.summary;
  const links = [...new Set(input.syncs.map((r) => r.link))];
  const linkText = s.clone ? (links.length ? links.join(', ') : 'no sync acknowledged') : 'none (no clone)';
  const [lanes, energy] = await Promise.all([lanesChartSvg(t.lanes, t.segments, t.endSeconds), energyChartSvg(t.energy)]);
  const figures = figureRows(input, t)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  const title = `clonecloud run: ${s.image}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub" id="run">image <b>${escapeHtml(s.image)}</b> on profile <b>${escapeHtml(input.profile.id)}</b> (${escapeHtml(input.profile.name)}); link ${escapeHtml(linkText)}</p>
<h2>Timeline</h2>
<figure id="lanes-chart">${lanes}</figure>
${lanesTable(t)}
<h2>Phone energy over modelled time</h2>
<figure id="energy-chart">${energy}</figure>
${energyNote(input, t)}
<h2>Figures</h2>
<table id="figures">
${figures}
</table>
${callsTable(input)}</body>
</html>
`;
}

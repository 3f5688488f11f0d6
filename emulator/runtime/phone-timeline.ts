/**
 * A phone timeline: which link the phone has and whether it is charging, over modelled time. The
 * opportunistic sync policy reads it (sync on Wi-Fi or while charging, defer on a cellular link).
 *
 * File format (JSON, version 1):
 *   { "version": 1, "description": "...", "spans": [
 *       { "until": 600, "link": "3g-2009", "charging": false },
 *       { "until": 1800, "link": "wifi-2009", "charging": true },
 *       { "link": null, "charging": false } ] }
 * Spans follow each other from 0 s; `until` is the modelled second a span ends (ascending); the
 * last span has no `until` and lasts for ever. `link` is a link profile id, or null for no
 * connectivity.
 */
import * as fs from 'fs';
import { UsageError } from '../errors';

/** The timeline file format this version reads. */
export const TIMELINE_FORMAT = 1;

/** The phone's situation during one span. */
export interface PhoneState {
  /** Link profile id, or null when the phone has no connectivity. */
  link: string | null;
  charging: boolean;
}

/** A span: the state holds from the previous span's end up to `until` (exclusive; Infinity for the last). */
export interface TimelineSpan extends PhoneState {
  until: number;
}

/** A timeline problem, naming the file and the field. */
export class TimelineError extends UsageError {}

/** A validated phone timeline. */
export class PhoneTimeline {
  private constructor(readonly spans: readonly TimelineSpan[]) {}

  /** A timeline in which the phone is always in `state`. */
  static constant(state: PhoneState): PhoneTimeline {
    return new PhoneTimeline([{ ...state, until: Infinity }]);
  }

  /** Check a parsed timeline document; `where` names it in errors; `knownLink` says whether a link id exists. */
  static parse(raw: unknown, where: string, knownLink: (id: string) => boolean): PhoneTimeline {
    const fail = (what: string): never => {
      throw new TimelineError(`${where}: ${what}`);
    };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('a phone timeline must be a JSON object');
    const doc = raw as Record<string, unknown>;
    for (const key of Object.keys(doc))
      if (!['version', 'description', 'spans'].includes(key)) fail(`unknown field "${key}"; a timeline has version, description and spans`);
    if (doc.version !== TIMELINE_FORMAT) fail(`"version" must be ${TIMELINE_FORMAT}, got ${JSON.stringify(doc.version)}`);
    if (doc.description !== undefined && typeof doc.description !== 'string') fail('"description" must be a string');
    if (!Array.isArray(doc.spans) || doc.spans.length === 0) fail('"spans" must be a non-empty list');
    const list = doc.spans as unknown[];
    let previous = 0;
    const spans = list.map((item, i): TimelineSpan => {
      const at = `span ${i + 1}`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(`${at} must be an object`);
      const s = item as Record<string, unknown>;
      for (const key of Object.keys(s))
        if (!['until', 'link', 'charging'].includes(key)) fail(`${at}: unknown field "${key}"; a span has until, link and charging`);
      const last = i === list.length - 1;
      let until = Infinity;
      if (s.until !== undefined || !last) {
        if (typeof s.until !== 'number' || !Number.isFinite(s.until))
          return fail(`${at}: "until" must be a number of modelled seconds${last ? '' : ' (only the last span may leave it out)'}`);
        if (s.until <= previous) return fail(`${at}: "until" ${s.until} must be above ${previous}, where the span starts`);
        until = s.until;
      }
      previous = until;
      if (s.link !== null && typeof s.link !== 'string') return fail(`${at}: "link" must be a link profile id or null (no connectivity)`);
      if (typeof s.link === 'string' && !knownLink(s.link)) return fail(`${at}: unknown link "${s.link}"; 'clonecloud links' lists them`);
      if (typeof s.charging !== 'boolean') return fail(`${at}: "charging" must be true or false`);
      return { until, link: s.link, charging: s.charging };
    });
    return new PhoneTimeline(spans);
  }

  /** Read and check a timeline file. */
  static load(file: string, knownLink: (id: string) => boolean): PhoneTimeline {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new TimelineError(`cannot read the phone timeline ${file}: ${(e as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new TimelineError(`${file}: not JSON (${(e as Error).message})`);
    }
    return PhoneTimeline.parse(raw, file, knownLink);
  }

  /** The phone's state at modelled second `t` (t ≥ 0). */
  at(t: number): PhoneState {
    const span = this.spans.find((s) => t < s.until) ?? this.spans[this.spans.length - 1];
    return { link: span.link, charging: span.charging };
  }
}

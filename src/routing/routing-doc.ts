/**
 * The routing model written back as the YAML document validateRoutingModel reads: destinations as
 * `extension:101`, weekly ranges as `mon,tue 09:00-17:30`, holidays as `2026-12-24..2026-12-26`.
 * `parseRoutingYaml(serializeRoutingYaml(m))` gives `m` back for every model validation produces
 * (docs/STYLE.md rule 2), so the hub can store a model it built (a CSV import) as YAML. A model
 * holds HA1s only, and so does the YAML.
 */
import { stringify } from 'yaml';
import type { CallQueue, Ivr, IvrAway, IvrDestination } from './feature-model.js';
import type { Destination, Extension, Holiday, InboundRule, OutboundRule, RingGroup, RoutingModel, Schedule, Trunk, WeeklyRange } from './model.js';
import { RINGING_STATUSES, EXTENSION_STATUSES } from './model.js';

type Doc = Record<string, unknown>;
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

export function destinationText(d: Destination | IvrDestination): string {
  return d.kind === 'end-call' || d.kind === 'repeat' ? d.kind : `${d.kind}:${d.number}`;
}

/** Days as the YAML writes them: runs of three or more as `mon-fri`, the others listed. */
function daysText(days: readonly number[]): string {
  if (days.length === 7) return 'daily';
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === (days[j] ?? 0) + 1) j++;
    const first = DAY_NAMES[days[i] ?? 0] ?? '';
    const last = DAY_NAMES[days[j] ?? 0] ?? '';
    if (j - i >= 2) parts.push(`${first}-${last}`);
    else parts.push(...days.slice(i, j + 1).map((d) => DAY_NAMES[d] ?? ''));
    i = j + 1;
  }
  return parts.join(',');
}

export function weeklyRangeText(r: WeeklyRange): string {
  return `${daysText(r.days)} ${clock(r.from)}-${clock(r.to)}`;
}

function holidayDoc(h: Holiday): unknown {
  const date = `${h.from}${h.to === h.from ? '' : `..${h.to}`}${h.hours === undefined ? '' : ` ${clock(h.hours.from)}-${clock(h.hours.to)}`}`;
  return h.name === date ? date : { name: h.name, date };
}

function scheduleDoc(s: Schedule): Doc {
  return { timeZone: s.timeZone, open: s.open.map(weeklyRangeText), breaks: s.breaks.map(weeklyRangeText), holidays: s.holidays.map(holidayDoc) };
}

/** Leaves out the keys whose value is undefined (YAML has no undefined). */
function defined(doc: Doc): Doc {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined));
}

function extensionDoc(e: Extension): Doc {
  const forwarding: Doc = {};
  for (const status of EXTENSION_STATUSES) {
    const f = e.forwarding[status];
    if (f === undefined) continue;
    forwarding[status] = defined({ noAnswer: RINGING_STATUSES.has(status) ? f.noAnswerSeconds : undefined, internal: destinationText(f.internal), external: destinationText(f.external) });
  }
  return defined({
    number: e.number,
    name: e.name,
    ha1: e.ha1,
    realm: e.realm,
    enabled: e.enabled,
    outboundCallerId: e.outboundCallerId,
    emergencyCallerId: e.emergencyCallerId,
    department: e.department,
    homeAgent: e.homeAgent,
    forwarding,
    exceptions: e.exceptions.map((x) => defined({ caller: x.caller, when: x.when?.map(weeklyRangeText), destination: destinationText(x.destination) })),
    schedule: e.schedule === undefined ? undefined : scheduleDoc(e.schedule),
    autoStatus: e.autoStatus,
  });
}

function ringGroupDoc(g: RingGroup): Doc {
  const dest = (d: Destination | undefined): string | undefined => (d === undefined ? undefined : destinationText(d));
  return defined({
    number: g.number,
    name: g.name,
    strategy: g.strategy,
    members: [...g.members],
    ringSeconds: g.ringSeconds,
    noAnswer: destinationText(g.noAnswer),
    schedule: g.schedule === undefined ? undefined : scheduleDoc(g.schedule),
    outOfHours: dest(g.outOfHours),
    onBreak: dest(g.onBreak),
    onHoliday: dest(g.onHoliday),
  });
}

function inboundDoc(r: InboundRule): Doc {
  const d = r.destinations;
  return defined({
    name: r.name,
    did: r.did,
    callerMasks: [...r.callerMasks],
    destinations: defined({ open: destinationText(d.open), closed: destinationText(d.closed), break: d.break && destinationText(d.break), holiday: d.holiday && destinationText(d.holiday) }),
    schedule: r.schedule === undefined ? undefined : scheduleDoc(r.schedule),
  });
}

function outboundDoc(r: OutboundRule): Doc {
  return defined({
    name: r.name,
    prefixes: [...r.prefixes],
    lengths: [...r.lengths],
    extensions: [...r.extensions],
    departments: [...r.departments],
    routes: r.routes === 'block' ? 'block' : r.routes.map((x) => ({ trunk: x.trunk, strip: x.strip, prepend: x.prepend })),
    schedule: r.schedule === undefined ? undefined : scheduleDoc(r.schedule),
  });
}

function trunkDoc(t: Trunk): Doc {
  if (t.kind === 'ip') return defined({ name: t.name, kind: t.kind, host: t.host, port: t.port, agent: t.agent });
  return defined({ name: t.name, kind: t.kind, host: t.host, port: t.port, username: t.username, ha1: t.ha1, realm: t.realm, reregisterSeconds: t.reregisterSeconds, agent: t.agent });
}

function queueDoc(q: CallQueue): Doc {
  return defined({
    number: q.number,
    name: q.name,
    agents: [...q.agents],
    strategy: q.strategy,
    ringSeconds: q.ringSeconds,
    maxWaitSeconds: q.maxWaitSeconds,
    maxCallers: q.maxCallers,
    overflow: q.overflow && destinationText(q.overflow),
    wrapUpSeconds: q.wrapUpSeconds,
    introPrompt: q.introPrompt,
    music: q.music,
    keepWaitingIfNoAgent: q.keepWaitingIfNoAgent,
    noAnswer: destinationText(q.noAnswer),
  });
}

function awayDoc(a: IvrAway | undefined): Doc | undefined {
  return a === undefined ? undefined : defined({ prompt: a.prompt, destination: destinationText(a.destination) });
}

function ivrDoc(v: Ivr): Doc {
  return defined({
    number: v.number,
    name: v.name,
    prompt: v.prompt,
    options: Object.fromEntries(Object.entries(v.options).map(([key, d]) => [key, destinationText(d)])),
    timeoutSeconds: v.timeoutSeconds,
    timeoutDestination: destinationText(v.timeoutDestination),
    invalidDestination: destinationText(v.invalidDestination),
    maxRepeats: v.maxRepeats,
    dialByExtension: v.dialByExtension,
    directDestinations: [...v.directDestinations],
    interDigitSeconds: v.interDigitSeconds,
    waitForHash: v.waitForHash,
    schedule: v.schedule === undefined ? undefined : scheduleDoc(v.schedule),
    closed: awayDoc(v.closed),
    onBreak: awayDoc(v.onBreak),
    onHoliday: awayDoc(v.onHoliday),
  });
}

/** The document form of `model` (plain data: YAML or JSON). */
export function routingModelToDoc(model: RoutingModel): Doc {
  return {
    version: model.version,
    schedule: scheduleDoc(model.schedule),
    departments: Object.fromEntries(Object.entries(model.departments).map(([k, s]) => [k, scheduleDoc(s)])),
    extensions: model.extensions.map(extensionDoc),
    ringGroups: model.ringGroups.map(ringGroupDoc),
    inbound: model.inbound.map(inboundDoc),
    outbound: model.outbound.map(outboundDoc),
    trunks: model.trunks.map(trunkDoc),
    emergencyNumbers: [...model.emergencyNumbers],
    localTrunks: { ...model.localTrunks },
    blacklist: [...model.blacklist],
    ...(model.dialCodes === undefined ? {} : { dialCodes: { ...model.dialCodes } }),
    // Written only when present, so that a model without them reads the same in older agents.
    ...(model.queues === undefined ? {} : { queues: model.queues.map(queueDoc) }),
    ...(model.ivrs === undefined ? {} : { ivrs: model.ivrs.map(ivrDoc) }),
    ...(model.parking === undefined ? {} : { parking: { orbits: [...model.parking.orbits], timeoutSeconds: model.parking.timeoutSeconds } }),
    ...(model.featureCodes === undefined ? {} : { featureCodes: { ...model.featureCodes } }),
    ...(model.paging === undefined ? {} : {
      paging: model.paging.map((p) => ({ number: p.number, name: p.name, target: `${p.target.kind}:${p.target.number}`, mode: p.mode, answerMode: p.answerMode, ringSeconds: p.ringSeconds })),
    }),
  };
}

/** `model` as YAML text, read back by parseRoutingYaml. */
export function serializeRoutingYaml(model: RoutingModel): string {
  return stringify(routingModelToDoc(model), { lineWidth: 0 });
}

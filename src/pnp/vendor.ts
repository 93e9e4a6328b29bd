/**
 * Who sent a plug-and-play SUBSCRIBE (real captures: test/support/pnp-captures.ts). Vendors spell
 * everything differently: the MAC sits in the request-URI or From/To/Contact as `MAC…`, `MAC%3a…`,
 * `MAC%3A…`, `MAC:…`, `MAC=…` or not at all (AudioCodes); Event parameters are `vendor=` or
 * `vender=` (Panasonic), quoted or bare, and sometimes generic ("OEM", "VOIP PHONE"). So the brand
 * comes first from the MAC's OUI, then from the User-Agent, and only then from the Event's vendor
 * parameter.
 */

export type PhoneBrand =
  | 'yealink' | 'grandstream' | 'snom' | 'audiocodes' | 'planet' | 'fanvil' | 'panasonic'
  | 'gigaset' | 'htek' | 'atcom' | 'polycom' | 'unknown';

export interface PhoneIdentity {
  /** Lower-case, 12 hex digits, no separators; undefined when the phone sends none (AudioCodes). */
  readonly mac: string | undefined;
  readonly brand: PhoneBrand;
  readonly model: string | undefined;
  readonly firmware: string | undefined;
  readonly userAgent: string | undefined;
}

/** The Event header split into its package and its parameters (names lower-case, values unquoted). */
export interface EventValue {
  readonly package: string;
  readonly params: Map<string, string>;
}

/**
 * Organisationally unique identifiers (IEEE registry) of the brands that send the PnP SUBSCRIBE.
 * Partial: a phone whose OUI is missing here is still identified by its User-Agent or Event.
 */
const OUI: ReadonlyMap<string, PhoneBrand> = new Map([
  ['001565', 'yealink'], ['805ec0', 'yealink'], ['805e0c', 'yealink'], ['249ad8', 'yealink'], ['44dbd2', 'yealink'],
  ['000b82', 'grandstream'], ['c074ad', 'grandstream'], ['ec74d7', 'grandstream'],
  ['000413', 'snom'],
  ['00908f', 'audiocodes'],
  ['00304f', 'planet'],
  ['0c383e', 'fanvil'],
  ['001fc1', 'htek'],
  ['0080f0', 'panasonic'],
  ['7c2f80', 'gigaset'],
  ['0004f2', 'polycom'], ['64167f', 'polycom'],
]);

/** User-Agent prefixes, tested in order, case-insensitive. */
const USER_AGENTS: ReadonlyArray<readonly [RegExp, PhoneBrand]> = [
  [/^yealink/i, 'yealink'],
  [/^grandstream/i, 'grandstream'],
  [/^snom/i, 'snom'],
  [/^audc-|^audiocodes/i, 'audiocodes'],
  [/^planet/i, 'planet'],
  [/^fanvil/i, 'fanvil'],
  [/^panasonic/i, 'panasonic'],
  [/^gigaset/i, 'gigaset'],
  [/^htek/i, 'htek'],
  [/^atcom/i, 'atcom'],
  [/^poly(com)?/i, 'polycom'],
];

const VENDOR_NAMES: ReadonlyMap<string, PhoneBrand> = new Map([
  ['yealink', 'yealink'], ['grandstream', 'grandstream'], ['snom', 'snom'], ['audiocodes', 'audiocodes'],
  ['planet', 'planet'], ['fanvil', 'fanvil'], ['panasonic', 'panasonic'], ['gigaset', 'gigaset'],
  ['htek', 'htek'], ['atcom', 'atcom'], ['polycom', 'polycom'],
]);

/** §1.2 "Parsing rule that covers all of the above". The lookahead stops a 13th hex digit. */
const MAC_PATTERN = /MAC(?:%3[aA]|:|=)?([0-9A-Fa-f]{12})(?![0-9A-Fa-f])/;
/** Newer Yealink and Fanvil firmware end the User-Agent with the bare MAC. */
const UA_MAC_PATTERN = /\s([0-9A-Fa-f]{12})\s*$/;

/** The first MAC found in the given header values, in order; undefined when none has one. */
export function findMac(values: ReadonlyArray<string | undefined>): string | undefined {
  for (const v of values) {
    if (v === undefined) continue;
    const m = MAC_PATTERN.exec(v);
    if (m?.[1] !== undefined) return m[1].toLowerCase();
  }
  return undefined;
}

/** Accepts `001565F4F9E1`, `00:15:65:f4:f9:e1`, `00-15-65-...`; undefined when not a MAC. */
export function normaliseMac(text: string): string | undefined {
  const hex = text.trim().replace(/[:.-]/g, '').toLowerCase();
  return /^[0-9a-f]{12}$/.test(hex) ? hex : undefined;
}

/**
 * Splits `ua-profile;profile-type="device";vender=Panasonic` (RFC 6665 §8.4 event-type with
 * generic-params). Semicolons inside quoted values do not split. Returns undefined when the
 * package name is empty.
 */
export function parseEvent(value: string): EventValue | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? '';
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  const pkg = (parts.shift() ?? '').trim().toLowerCase();
  if (pkg === '' || !/^[a-z0-9.!%*_+`'~-]+$/.test(pkg)) return undefined;
  const params = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    let v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(name, v);
  }
  return { package: pkg, params };
}

function brandFromUserAgent(userAgent: string | undefined): PhoneBrand | undefined {
  if (userAgent === undefined) return undefined;
  for (const [re, brand] of USER_AGENTS) if (re.test(userAgent.trim())) return brand;
  return undefined;
}

/** `Yealink SIP-T21P 34.72.14.6` → model SIP-T21P, firmware 34.72.14.6; `snomD120/10.1.39.11` too. */
function fromUserAgent(userAgent: string | undefined): { model: string | undefined; firmware: string | undefined } {
  if (userAgent === undefined) return { model: undefined, firmware: undefined };
  const words = userAgent.trim().split(/\s+/);
  if (words.length >= 2) {
    const fw = words.slice(2).find((w) => /\d/.test(w) && !/^[0-9a-f]{12}$/i.test(w));
    return { model: words[1], firmware: fw };
  }
  const slash = /^([^/]+)\/(.+)$/.exec(words[0] ?? '');
  return { model: slash?.[1], firmware: slash?.[2] };
}

export interface IdentifyInput {
  readonly requestUri: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly contact: string | undefined;
  readonly userAgent: string | undefined;
  readonly event: EventValue;
}

export function identifyPhone(input: IdentifyInput): PhoneIdentity {
  const ua = input.userAgent?.trim();
  let mac = findMac([input.requestUri, input.from, input.to, input.contact]);
  if (mac === undefined && ua !== undefined) mac = UA_MAC_PATTERN.exec(ua)?.[1]?.toLowerCase();
  const vendorParam = (input.event.params.get('vendor') ?? input.event.params.get('vender'))?.toLowerCase();
  const brand =
    (mac === undefined ? undefined : OUI.get(mac.slice(0, 6))) ??
    brandFromUserAgent(ua) ??
    (vendorParam === undefined ? undefined : VENDOR_NAMES.get(vendorParam) ?? brandFromUserAgent(vendorParam)) ??
    'unknown';
  const fromUa = fromUserAgent(ua);
  const modelParam = input.event.params.get('model');
  const generic = modelParam === undefined || /^(oem|voip phone|atcom)$/i.test(modelParam) || modelParam === '';
  const versionParam = input.event.params.get('version');
  return {
    mac,
    brand,
    model: generic ? fromUa.model ?? modelParam : modelParam,
    firmware: versionParam !== undefined && versionParam !== '' ? versionParam : fromUa.firmware,
    userAgent: ua,
  };
}

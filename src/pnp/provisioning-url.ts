/**
 * The URL put in the NOTIFY body, per brand (what each brand's phones are known to fetch from):
 * - Grandstream GRP26xx wants a folder: a path ending in "/".
 * - Yealink takes a folder and fetches y0000000000xx.cfg and <mac>.cfg from it.
 * - Snom and Panasonic expand `{mac}` in the URL themselves, so it is sent unexpanded.
 * - Everyone else gets the folder.
 * The base is a template: `{ip}` is the agent's address on the phone's LAN, `{port}` the relay port.
 */
import type { PhoneBrand } from './vendor.js';

export interface UrlShapeOptions {
  /** e.g. `http://{ip}:8080/`; a missing final "/" is added. */
  readonly base: string;
  /** Per-brand overrides; `{base}` is the expanded base folder, `{mac}` is left for the phone. */
  readonly perBrand?: Readonly<Partial<Record<PhoneBrand, string>>>;
}

const DEFAULT_SHAPES: Readonly<Partial<Record<PhoneBrand, string>>> = {
  grandstream: '{base}',
  yealink: '{base}',
  snom: '{base}{mac}.xml',
  panasonic: '{base}{mac}.cfg',
};

export function provisioningUrl(options: UrlShapeOptions, brand: PhoneBrand, agentAddress: string, relayPort: number): string {
  let base = options.base.replaceAll('{ip}', agentAddress).replaceAll('{port}', String(relayPort));
  if (!base.endsWith('/')) base += '/';
  const shape = options.perBrand?.[brand] ?? DEFAULT_SHAPES[brand] ?? '{base}';
  return shape.replaceAll('{base}', base);
}

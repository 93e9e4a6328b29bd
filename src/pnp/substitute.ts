/**
 * Rewrites the registrar / outbound proxy in a relayed configuration file so the phone
 * registers to the agent, not to the PBX it would otherwise reach around the agent. Each rule
 * matches only its own vendor's format, so all of them run on every file:
 * - Yealink `.cfg`: `account.N.sip_server.M.address = …`, `account.N.outbound_proxy.M.address = …`
 *   (and the older `account.N.outbound_host`).
 * - Snom XML: `<user_host idx="N" …>…</user_host>`, `<user_outbound …>…</user_outbound>`.
 * - Grandstream: P47 (SIP server) and P48 (outbound proxy), as XML elements or `P47 = …` text.
 * - Extra rules from the configuration: a regular expression whose first capture group is replaced.
 */

export interface SubstitutionRule {
  readonly name: string;
  /** Must have the `g` flag and one capture group: the value to replace. */
  readonly pattern: RegExp;
}

export const VENDOR_RULES: readonly SubstitutionRule[] = [
  { name: 'yealink sip_server', pattern: /^[ \t]*account\.\d+\.sip_server\.\d+\.address[ \t]*=[ \t]*([^\r\n]*?)[ \t]*$/dgm },
  { name: 'yealink outbound_proxy', pattern: /^[ \t]*account\.\d+\.outbound_proxy\.\d+\.address[ \t]*=[ \t]*([^\r\n]*?)[ \t]*$/dgm },
  { name: 'yealink outbound_host', pattern: /^[ \t]*account\.\d+\.outbound_host[ \t]*=[ \t]*([^\r\n]*?)[ \t]*$/dgm },
  { name: 'snom user_host', pattern: /<user_host\b[^>]*>([^<]*)<\/user_host>/dg },
  { name: 'snom user_outbound', pattern: /<user_outbound\b[^>]*>([^<]*)<\/user_outbound>/dg },
  { name: 'grandstream P47/P48 xml', pattern: /<P4[78]>([^<]*)<\/P4[78]>/dg },
  { name: 'grandstream P47/P48 text', pattern: /^[ \t]*P4[78][ \t]*=[ \t]*([^\r\n]*?)[ \t]*$/dgm },
];

/** Parses a configured rule; a pattern without a capture group is refused. */
export function customRule(name: string, source: string): SubstitutionRule {
  const pattern = new RegExp(source, 'dgm');
  if ((new RegExp(`${source}|`).exec('')?.length ?? 0) < 2) throw new Error(`substitution ${name}: the pattern needs a capture group`);
  return { name, pattern };
}

/**
 * Replaces the first capture group of every match with `value`. Text files only: a body with a
 * NUL byte (firmware, images) is returned unchanged with count 0.
 */
export function substitute(body: Buffer, rules: readonly SubstitutionRule[], value: string): { body: Buffer; count: number } {
  if (body.includes(0)) return { body, count: 0 };
  let text = body.toString('utf8');
  let count = 0;
  for (const rule of rules) {
    let out = '';
    let last = 0;
    for (const m of text.matchAll(rule.pattern)) {
      const span = m.indices?.[1];
      if (span === undefined) continue;
      out += text.slice(last, span[0]) + value;
      last = span[1];
      count++;
    }
    text = out + text.slice(last);
  }
  return count === 0 ? { body, count } : { body: Buffer.from(text, 'utf8'), count };
}

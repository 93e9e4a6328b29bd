/**
 * IP literal checks without node:net (only src/net may import it): dotted-quad IPv4, and IPv6 as
 * the WHATWG URL parser accepts it between brackets (RFC 3986 section 3.2.2 IP-literal).
 */
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4Literal(text: string): boolean {
  return IPV4.test(text);
}

export function isIpv6Literal(text: string): boolean {
  if (!text.includes(':') || /[[\]/%]/.test(text)) return false;
  try {
    return new URL(`http://[${text}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function isIpLiteral(text: string): boolean {
  return isIpv4Literal(text) || isIpv6Literal(text);
}

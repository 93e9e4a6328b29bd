/** A trunk's last final status → what the caller gets when no route is left (call.ts's header lists the mapping). */
export function trunkFailureStatus(status: number): number {
  if (status === 404 || status === 484) return 404;
  if (status === 486 || status === 600) return 486;
  if (status === 603) return 603;
  if (status === 408 || status >= 500) return 503;
  return 480;
}

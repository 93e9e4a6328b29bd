/**
 * Signals for the long-running commands (hub, agent, run, pnp, demo, stun-server): they stop
 * cleanly on the first SIGINT or SIGTERM and then stop listening, so a second signal is the
 * default action again.
 */

/** Resolves with the first of SIGINT or SIGTERM, and stops listening for both. */
export function waitForSignal(): { readonly signal: Promise<string>; cancel(): void } {
  let cancel = (): void => {};
  const signal = new Promise<string>((resolve) => {
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    const done = (name: string): void => {
      cancel();
      resolve(name);
    };
    cancel = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
  return { signal, cancel };
}

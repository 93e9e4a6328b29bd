/**
 * A real Kamailio (a minimal configuration made here: registrar with digest auth, every password
 * "secret", realm = the To domain) on 127.0.0.1 over UDP, TCP and optionally TLS, run in the
 * foreground from a temporary directory and stopped by pid.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPeer, tempDir, waitUntil, type PeerProcess } from './real-peer.js';

export const KAMAILIO_PASSWORD = 'secret';

/** Kamailio in the foreground, logging to stderr, 64 MB shared / 8 MB private memory, pid file and cwd in `runDir`. */
export function kamailioArgs(cfgPath: string, runDir: string): string[] {
  return ['-f', cfgPath, '-DD', '-E', '-m', '64', '-M', '8', '-Y', runDir, '-w', runDir];
}

export interface KamailioOptions {
  /** UDP and TCP port. */
  readonly port: number;
  /** TLS port; TLS is off when absent. */
  readonly tlsPort?: number;
  readonly domain?: string;
}

export interface KamailioInstance {
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly domain: string;
  readonly process: PeerProcess;
  /** The test certificate Kamailio serves over TLS (PEM). */
  readonly certPath: string | undefined;
  stop(): Promise<void>;
}

function config(o: Required<Omit<KamailioOptions, 'tlsPort'>> & { tlsPort: number | undefined; tlsCfg: string | undefined }): string {
  const tls = o.tlsPort === undefined || o.tlsCfg === undefined ? '' : `listen=tls:127.0.0.1:${o.tlsPort}\nenable_tls=yes\n`;
  const tlsModule = o.tlsCfg === undefined ? '' : `loadmodule "tls.so"\nmodparam("tls", "config", "${o.tlsCfg}")\n`;
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:${o.port}
listen=tcp:127.0.0.1:${o.port}
${tls}alias="${o.domain}"
loadpath "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
${tlsModule}modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 30)
modparam("auth", "nonce_expire", 300)
modparam("rr", "append_fromtag", 1)

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check("17895", "7")) { xlog("L_WARN", "malformed from $si:$sp\\n"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "Keepalive"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_present_hf("Route")) { remove_hf("Route"); }
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("$td", "${KAMAILIO_PASSWORD}", "0")) { www_challenge("$td", "0"); exit; }
		consume_credentials();
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	if (!t_relay()) sl_reply_error();
	exit;
}
`;
}

/** Resolves true when Kamailio answers an OPTIONS over UDP. */
function answersOptions(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 300);
    socket.on('message', (data) => finish(data.toString('latin1').startsWith('SIP/2.0 200')));
    socket.on('error', () => finish(false));
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      const options = [
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${Math.random().toString(36).slice(2)};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=probe`,
        `To: <sip:127.0.0.1:${port}>`,
        `Call-ID: probe-${Math.random().toString(36).slice(2)}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(options, port, '127.0.0.1');
    });
  });
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Writes the config (and a TLS test certificate), starts Kamailio and waits until it answers. */
export async function startKamailio(options: KamailioOptions): Promise<KamailioInstance> {
  const domain = options.domain ?? 'pbx.test';
  const dir = tempDir('kamailio');
  let tlsCfg: string | undefined;
  let certPath: string | undefined;
  if (options.tlsPort !== undefined) {
    certPath = join(dir.path, 'cert.pem');
    const keyPath = join(dir.path, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
      '-days', '1', '-subj', `/CN=${domain}`, '-addext', `subjectAltName=DNS:${domain},IP:127.0.0.1`], { stdio: 'ignore' });
    tlsCfg = join(dir.path, 'tls.cfg');
    writeFileSync(tlsCfg, [
      '[server:default]', 'method = TLSv1.2+', 'verify_certificate = no', 'require_certificate = no',
      `private_key = ${keyPath}`, `certificate = ${certPath}`, '',
      '[client:default]', 'method = TLSv1.2+', 'verify_certificate = no', 'require_certificate = no', '',
    ].join('\n'));
  }
  const cfgPath = join(dir.path, 'kamailio.cfg');
  writeFileSync(cfgPath, config({ port: options.port, tlsPort: options.tlsPort, domain, tlsCfg }));
  const peer = startPeer('kamailio', kamailioArgs(cfgPath, dir.path), dir.path);
  const stop = async (): Promise<void> => {
    await peer.stop('SIGTERM', 5000);
    dir.remove();
  };
  try {
    const early = peer.exited.then((code) => {
      throw new Error(`kamailio exited (${code}):\n${peer.output().slice(-2000)}`);
    });
    // It also settles when the test stops Kamailio later: that is not an error.
    early.catch(() => {});
    await Promise.race([
      early,
      (async () => {
        await waitUntil('kamailio over UDP', () => answersOptions(options.port), 15_000);
        await waitUntil('kamailio over TCP', () => acceptsTcp(options.port), 5_000);
        if (options.tlsPort !== undefined) await waitUntil('kamailio over TLS', () => acceptsTcp(options.tlsPort ?? 0), 5_000);
      })(),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: options.port, tlsPort: options.tlsPort, domain, process: peer, certPath, stop };
}

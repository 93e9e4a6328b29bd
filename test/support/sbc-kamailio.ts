/**
 * Kamailio as the stand-in PBX of the SBC tests (a minimal configuration: registrar with digest
 * auth, every password "secret", Record-Route on INVITE and SUBSCRIBE), listening on a given
 * address, optionally inside a network namespace. Stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kamailioArgs } from './kamailio.js';

export const PBX_DOMAIN = 'pbx.test';
export const PBX_PASSWORD = 'secret';
/**
 * The extension whose dialog state (BLF) is served by a notifier beside Kamailio (a SIPp UAS at
 * the PBX address, port + NOTIFIER_PORT_OFFSET): Kamailio routes SUBSCRIBEs for it there and
 * logs each initial one (`BLF SUBSCRIBE <Call-ID>`), so a test counts upstream subscriptions.
 */
export const NOTIFIER_USER = '2000';
export const NOTIFIER_PORT_OFFSET = 2650;

/** Kamailio's db_text table definitions (Debian package kamailio), copied per run for the presence modules. */
const DBTEXT_SCHEMA = '/usr/share/kamailio/dbtext/kamailio';

export interface PbxOptions {
  /**
   * Kamailio is also the presence server of the dialog event package (RFC 4235): the dialog module
   * tracks the calls it proxies, pua_dialoginfo PUBLISHes their state to Kamailio itself, and
   * presence + presence_dialoginfo answer SUBSCRIBEs for "Event: dialog" and send the NOTIFYs.
   * Each initial such SUBSCRIBE is logged ("BLF SUBSCRIBE <Call-ID>"). Needs the Debian package
   * kamailio-presence-modules; state is kept in db_text files under the run directory.
   */
  readonly presence?: boolean;
  /**
   * REGISTERs from this address are saved without a digest: the PBX trusts its SBC peer (the hub)
   * by address, as PBXs that sit behind an SBC commonly do. Kamailio refuses nonces older than its
   * own start, so after a restart only such trust lets an SBC re-register phones whose passwords
   * it does not know.
   */
  readonly trustRegistersFrom?: string;
  /** A binrpc control socket (`kamcmd -s unix:PATH ul.dump` lists the location table). */
  readonly ctlSocket?: string;
}

function presenceModules(address: string, port: number, dbDir: string): string {
  return `loadmodule "db_text.so"
loadmodule "dialog.so"
loadmodule "presence.so"
loadmodule "presence_dialoginfo.so"
loadmodule "pua.so"
loadmodule "pua_dialoginfo.so"
modparam("db_text", "db_mode", 1)
modparam("presence", "db_url", "text://${dbDir}")
modparam("presence", "server_address", "sip:${address}:${port}")
modparam("presence", "subs_db_mode", 0)
modparam("pua", "db_url", "text://${dbDir}")
modparam("pua", "db_mode", 0)
modparam("pua", "outbound_proxy", "sip:${address}:${port}")
`;
}

/** PUBLISH only from Kamailio itself (pua_dialoginfo); SUBSCRIBE for the dialog package served here. */
const PRESENCE_ROUTE = `	if (is_method("PUBLISH")) {
		if (src_ip != myself) { sl_send_reply("403", "Forbidden"); exit; }
		if (!t_newtran()) { sl_reply_error(); exit; }
		handle_publish();
		exit;
	}
	if (is_method("SUBSCRIBE") && $hdr(Event) == "dialog") {
		xlog("L_INFO", "BLF SUBSCRIBE $ci event $hdr(Event) from $si:$sp\\n");
		if (!t_newtran()) { sl_reply_error(); exit; }
		handle_subscribe();
		exit;
	}
`;

export function kamailioConfig(address: string, port: number, options: PbxOptions = {}, dbDir = ''): string {
  const presence = options.presence === true;
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:${address}:${port}
listen=tcp:${address}:${port}
alias="${PBX_DOMAIN}"
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
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires", 30)
modparam("auth", "nonce_expire", 300)
${options.ctlSocket === undefined ? '' : `loadmodule "ctl.so"\nmodparam("ctl", "binrpc", "unix:${options.ctlSocket}")\n`}modparam("rr", "append_fromtag", 1)
${presence ? presenceModules(address, port, dbDir) : ''}
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (!sanity_check("17895", "7")) { xlog("L_WARN", "malformed from $si:$sp\\n"); exit; }
	if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200", "Keepalive"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
${presence ? '\t\tif (is_method("SUBSCRIBE") && uri==myself) { if (!t_newtran()) { sl_reply_error(); exit; } handle_subscribe(); exit; }\n' : ''}		if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
		sl_send_reply("404", "Not here"); exit;
	}
	if (is_present_hf("Route")) { remove_hf("Route"); }
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (is_method("REGISTER")) {
		xlog("L_INFO", "REGISTER $tu from $si:$sp contact $ct\\n");
${options.trustRegistersFrom === undefined ? '' : `\t\tif ($si == "${options.trustRegistersFrom}") { if (!save("location")) { sl_reply_error(); } exit; }\n`}		if (!pv_www_authenticate("$td", "${PBX_PASSWORD}", "0")) { www_challenge("$td", "0"); exit; }
		consume_credentials();
		if (!save("location")) { sl_reply_error(); }
		exit;
	}
	if (is_method("INVITE|MESSAGE|SUBSCRIBE") && from_uri==myself) {
		if (!pv_proxy_authenticate("$fd", "${PBX_PASSWORD}", "0")) { proxy_challenge("$fd", "0"); exit; }
		consume_credentials();
	}
${presence ? PRESENCE_ROUTE : ''}${presence ? '\tif (is_method("INVITE")) { dlg_manage(); }\n' : ''}	if (is_method("INVITE|SUBSCRIBE|REFER")) record_route();
	if ($rU=="${NOTIFIER_USER}") {
		if (is_method("SUBSCRIBE")) { xlog("L_INFO", "BLF SUBSCRIBE $ci event $hdr(Event) from $si:$sp\\n"); }
		$du = "sip:${address}:${port + NOTIFIER_PORT_OFFSET}";
		if (!t_relay()) sl_reply_error();
		exit;
	}
	if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
	if (!t_relay()) sl_reply_error();
	exit;
}
`;
}

export interface PbxProcess {
  readonly child: ChildProcess;
  readonly log: string[];
  stop(): Promise<void>;
}

export function startPbx(dir: string, address: string, port: number, netns?: string, options: PbxOptions = {}): PbxProcess {
  const run = join(dir, 'kam-run');
  mkdirSync(run, { recursive: true });
  const db = join(dir, 'kam-db');
  if (options.presence === true) cpSync(DBTEXT_SCHEMA, db, { recursive: true });
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, kamailioConfig(address, port, options, db));
  const argv = kamailioArgs(cfg, run);
  // Its own process group: the workers are stopped with the main process, by that group id.
  const child = netns === undefined
    ? spawn('kamailio', argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn('ip', ['netns', 'exec', netns, 'kamailio', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log: string[] = [];
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  return {
    child,
    log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const group = -child.pid;
      process.kill(group, 'SIGTERM');
      const t = setTimeout(() => {
        try {
          process.kill(group, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(t);
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // every worker is gone
      }
    },
  };
}

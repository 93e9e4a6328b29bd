/**
 * The one configuration change `sbc-agent setup` makes: the agent's LAN address (`lan=` in the setup
 * file, `--lan`) as `agent.lan` in the file the service reads. The YAML is edited as a document, so
 * the comments of the shipped agent.yaml survive, and the result is validated like any loaded
 * configuration before the enrollment key is spent: a value (or a schema) that does not take it
 * fails setup with exit 3 and nothing changed.
 */
import { parseDocument } from 'yaml';
import { ConfigError, isIpLiteral } from '../core/index.js';
import { parseConfigText } from '../config/index.js';

/** Where setup puts the LAN address in the configuration. */
export const LAN_CONFIG_PATH = ['agent', 'lan'] as const;

/** `text` (the current file, undefined when there is none) with agent.lan set; throws ConfigError. */
export function configWithLan(text: string | undefined, lan: string, file: string): string {
  if (!isIpLiteral(lan)) throw new ConfigError('lan', `'${lan}' is not an IP address (the agent's address on the phones' LAN)`);
  const doc = parseDocument(text ?? '');
  if (doc.errors.length > 0) throw new ConfigError(file, `not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  doc.setIn([...LAN_CONFIG_PATH], lan);
  const out = doc.toString();
  try {
    parseConfigText(out);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.path, `${error.message.slice(error.path.length + 2)} (setting ${LAN_CONFIG_PATH.join('.')} in ${file})`);
    throw error;
  }
  return out;
}

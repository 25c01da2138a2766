// Builds the validated Config from a YAML file, environment variables and CLI flags (in rising
// precedence). The only module that interprets PHALANX_* environment variables.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Tree = Record<string, unknown>;

/** Environment variables → config paths. Values are parsed as YAML scalars ("8080" → 8080, "true" → true). */
const ENV_PATHS: Readonly<Record<string, string>> = {
  PHALANX_EXTENDER_PORT: 'extender.port',
  PHALANX_EXTENDER_HOST: 'extender.host',
  PHALANX_EXTENDER_PLAIN_HTTP: 'extender.plainHttp',
  PHALANX_EXTENDER_TLS_CERT_FILE: 'extender.tls.certFile',
  PHALANX_EXTENDER_TLS_KEY_FILE: 'extender.tls.keyFile',
  PHALANX_EXTENDER_TLS_CLIENT_CA_FILE: 'extender.tls.clientCaFile',
  PHALANX_ADMIN_PORT: 'admin.port',
  PHALANX_ADMIN_HOST: 'admin.host',
  PHALANX_WEBHOOK_PORT: 'webhook.port',
  PHALANX_WEBHOOK_HOST: 'webhook.host',
  PHALANX_WEBHOOK_ENABLED: 'webhook.enabled',
  PHALANX_KUBECONFIG: 'kube.kubeconfig',
  PHALANX_SCHEDULER_NAME: 'schedulerName',
  PHALANX_POLICY: 'policy',
  PHALANX_FILTER_MODE: 'filter.mode',
  PHALANX_FILTER_BEST_TIER_MAX_NODES: 'filter.bestTierMaxNodes',
  PHALANX_FILTER_PRIORITIZE_AHEAD: 'filter.prioritizeAhead',
  PHALANX_GANG_COMMIT: 'gangCommit',
  PHALANX_LOG_LEVEL: 'logLevel',
  PHALANX_LEADER_ELECTION: 'leaderElection.enabled',
  PHALANX_POD_NAME: 'leaderElection.podName',
  PHALANX_POD_NAMESPACE: 'leaderElection.podNamespace',
  PHALANX_AUTOSCALING_ENABLED: 'autoscaling.enabled',
  PHALANX_AUTOSCALING_GANGS: 'autoscaling.gangs',
  PHALANX_AUTOSCALING_GANG_STALL_MS: 'autoscaling.gangStallMs',
};

export function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Tree;
    else node = node[key] = {};
  }
  node[keys[keys.length - 1] as string] = value;
}

function readFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path}: cannot be read (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path}: not valid YAML (${(err as Error).message})`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path}: must be a mapping of settings`);
  }
  return parsed as Tree;
}

export interface ConfigSources {
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Flag overrides as config paths, e.g. { 'extender.port': 9000 }. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export function loadConfig(sources: ConfigSources): Config {
  const tree: Tree = sources.file ? readFile(sources.file) : {};
  for (const [name, path] of Object.entries(ENV_PATHS)) {
    const raw = sources.env?.[name];
    if (raw !== undefined && raw !== '') setPath(tree, path, parseYaml(raw) as unknown);
  }
  for (const [path, value] of Object.entries(sources.overrides ?? {})) {
    if (value !== undefined) setPath(tree, path, value);
  }
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

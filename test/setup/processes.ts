import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Real wabahub processes (server or worker role), as production runs them: `tsx server/src/main.ts`.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const ENTRY = { server: 'server/src/main.ts', worker: 'server/src/worker.ts' } as const;
const READY = { server: /listening on (http:\/\/\S+?) /, worker: /worker running/ } as const;

export interface RoleProcess {
  child: ChildProcess;
  url: string | null;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `nodeArgs` go to Node before the entry (as `--cpu-prof`, which NODE_OPTIONS may not carry). */
export function spawnRole(role: 'server' | 'worker', env: Record<string, string>, timeoutMs = 30_000, nodeArgs: string[] = []): Promise<RoleProcess> {
  const child = spawn(TSX, [...nodeArgs, ENTRY[role]], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = (url: string | null): RoleProcess => ({
    child, url, output: () => output,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY[role].exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(handle(match[1] ?? null));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** The environment of a spawned role, from a parsed test Env. */
export function roleEnv(env: Record<string, unknown>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return { ...out, ...extra };
}

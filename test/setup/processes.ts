import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { childrenFile } from './children.js';

// Real wabahub processes (server or worker role), as production runs them. ONE process each,
// Node with tsx's loader (`node --import tsx server/src/worker.ts`): the `tsx` CLI runs the code
// in a child of its own, so a SIGKILL of the CLI killed nothing but the wrapper, and the role
// went on working (the fault tests' "killed" workers did). Every role's pid is written down, so
// the run's teardown kills what a test that died (a timeout) left running (global-setup.ts).
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
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ENTRY[role]], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) appendFileSync(childrenFile(), `${child.pid}\n`);
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
    const timer = setTimeout(() => {
      // Not left running: a role that never became ready would outlive the test run.
      child.kill('SIGTERM');
      reject(new Error(`${role} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
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

/** Runs a role that is expected to refuse to start: its exit code and its output, once it has exited. */
export function roleExit(role: 'server' | 'worker', env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit(TSX, [ENTRY[role]], env, timeoutMs);
}

/** A root package script (`pnpm <script>`), as a person runs it: its exit code and output. */
export function pnpmScript(script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit('pnpm', ['--silent', script], env, timeoutMs);
}

function runToExit(command: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // SIGTERM, which tsx passes on: a SIGKILL would leave its node child running.
      child.kill('SIGTERM');
      reject(new Error(`${command} ${args.join(' ')} still running after ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    // 'close', not 'exit': the output is complete only once the pipes have closed.
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of a spawned role, from a parsed test Env. */
export function roleEnv(env: Record<string, unknown>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return { ...out, ...extra };
}
